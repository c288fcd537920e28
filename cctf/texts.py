"""Words shown to people, in one place (ready for translation).

Faults are described in plain language; hypotheses are marked as such (a head lift and a fast
"retraction" nod have pressure signatures that are hypotheses, not validated facts).
"""

from __future__ import annotations

FAULT_TEXT = {
    "undershoot": "did not reach the target ({value:.1f} mmHg short)",
    "overshoot": "overshot the target (peak {value:.1f} mmHg above)",
    "fast_rise": "nodded too fast ({value:.2f} s from 10 to 90 % of the rise)",
    "pressure_drop": "pressure dropped during the hold ({value:.1f} mmHg below target)",
    "unsteady": "unsteady hold (SD {value:.2f} mmHg)",
    "head_lift": "pressure fell below rest: possible head lift ({value:.1f} mmHg below)",
}

SESSION_EVENT_TEXT = {
    "baseline_off": "baseline {value:.1f} mmHg is off 20 mmHg: re-inflate the cuff",
    "leak": ("rest level falling {value:.2f} mmHg/min: the cuff may leak — pause (Space) and "
             "re-inflate to the baseline, then check the cuff"),
    "signal_gap": "no signal for {value:.2f} s",
}

REFERENCE_TEXT = (
    "Reference: median highest level held 10 s is 28 mmHg without neck pain, "
    "24 mmHg with chronic neck pain (Chiu 2005)."
)
PI_SCALE_TEXT = "Jull's scale: activation increment × passed endurance holds, 0–100"

# Home training summary (cctf.session.training.encouragement): plain words, no jargon.
ENCOURAGE_ALL = ("Well done: you held all {planned} of {planned}. If that felt easy and you "
                 "did not need to push with your neck muscles, ask your therapist about moving "
                 "up a level.")
ENCOURAGE_CLOSE = ("Good work: you held {done} of {planned}. Keep the nod gentle and steady; "
                   "you are close to the full set.")
ENCOURAGE_SOME = ("You held {done} of {planned}. Your longest steady hold was "
                  "{longest_s:.0f} seconds. Little and often helps: try again later today.")
ENCOURAGE_NONE = ("This one was hard: no full {hold_s:.0f}-second hold yet. That is normal at "
                  "the start. Rest, then try a gentler nod; talk to your therapist if it stays "
                  "hard.")


def describe_fault(kind: str, value: float) -> str:
    template = FAULT_TEXT.get(kind) or SESSION_EVENT_TEXT.get(kind) or kind + " ({value:.2f})"
    return template.format(value=value)


# --- the app -------------------------------------------------------------------------------
# Everything the desktop app shows. Keys in ``{braces}`` are filled in by the code.

UNIT = "mmHg"
WINDOW_TITLE = "cctf {version} — craniocervical flexion biofeedback"
TAB_CLINIC = "&Clinic test"
TAB_TRAINING = "Home trai&ning"  # Alt+H is the Help menu
TAB_MONITOR = "&Monitor"
MENU_FILE = "&File"
MENU_VIEW = "&View"
MENU_TEST = "&Test"
MENU_MONITOR = "M&onitor"
MENU_HELP = "&Help"
CHOOSE_FOLDER = "Data folder…"
FOLDER_SET = "Patient records and sessions are kept in {path}"
QUIT = "&Quit"
MUTE = "Mute sound"
ABOUT = "&About cctf"
ABOUT_TITLE = "About cctf"
ABOUT_HTML = (
    "<h3>cctf {version}</h3><p>Digital pressure biofeedback for the craniocervical flexion "
    "test (CCFT) and deep neck flexor training.</p><p><b>{disclaimer}</b></p>"
    "<p>Patient records and sessions are kept in<br><span style='white-space: nowrap; "
    "font-family: monospace'>{folder}</span></p>"
    "<p>Head lift and retraction are detected from pressure signatures that are hypotheses, "
    "not validated facts. Superficial muscle activity cannot be seen in the pressure: mark it "
    "by hand (keys 1–4). Breath holding may show as the breathing ripple going quiet during a "
    "hold: cctf then says “possible breath holding” (a hypothesis, not validated) "
    "for you to confirm (B) or dismiss (Shift+B); only a confirmed one fails the trial. Mark "
    "breath holding you see yourself with key 2.</p>"
)
KEYS_TITLE = "Keys"
KEYS_HTML = (
    "<table cellpadding='4'>"
    "<tr><td colspan='2'><b>Clinic test</b></td></tr>"
    "<tr><td>Space</td><td>start the test / pause / resume</td></tr>"
    "<tr><td>R</td><td>repeat the last trial</td></tr>"
    "<tr><td>O</td><td>override the verdict of the last trial (or the row selected since it "
    "started); again: back to the measured verdict</td></tr>"
    "<tr><td>1 – 4</td><td>mark compensation seen by hand: 1 SCM or scalene activity, "
    "2 breath holding, 3 jaw or hyoid, 4 other (fails the trial)</td></tr>"
    "<tr><td>B / Shift+B</td><td>confirm / dismiss “possible breath holding” on the "
    "last trial that has it (or the row selected)</td></tr>"
    "<tr><td>H / Shift+H</td><td>confirm / dismiss “possible retraction” or “possible chin "
    "poke” (head sensor) on the last trial that has one (or the row selected)</td></tr>"
    "<tr><td>T</td><td>tare (cuff open to air)</td></tr>"
    "<tr><td>Ctrl+Z</td><td>undo the last correction (O, 1 – 4, B, H)</td></tr>"
    "<tr><td>Ctrl+E</td><td>end the test now (asks first)</td></tr>"
    "<tr><td colspan='2'><b>Home training</b></td></tr>"
    "<tr><td>Space</td><td>start / pause / resume</td></tr>"
    "<tr><td colspan='2'><b>Monitor</b></td></tr>"
    "<tr><td>Space</td><td>start / stop recording</td></tr>"
    "<tr><td>M</td><td>add a marker</td></tr>"
    "<tr><td colspan='2'><b>Everywhere</b></td></tr>"
    "<tr><td>Ctrl+1, 2, 3</td><td>Clinic test, Home training, Monitor</td></tr>"
    "<tr><td>Ctrl+M</td><td>mute / unmute sound</td></tr></table>"
)

# Connection bar.
SOURCE_LABEL = "The device to use: a serial port (cctf devices first) or the simulator"
SOURCE_NAME = "device or simulator"
SIMULATOR = "Simulator (no hardware)"
SIM_LABEL = "simulator: {scenario}"
SCENARIO_TIP = "The simulated patient (see docs/scenarios.md)"
SEARCHING = "Searching…"
FIND_DEVICES = "Find devices"
FIND_DEVICES_TIP = "List the serial ports and ask each whether it is a cctf device"
PORT_CCTF = "{port} — cctf device {serial}"
PORT_OTHER = "{port} — {description} (no cctf answer)"
PORTS_FAILED = "Could not list the serial ports: {error}"
CONNECT = "Connect"
DISCONNECT = "Disconnect"
CONNECTING_TO = "opening the link…"
CONNECT_FAILED = "Could not connect: {error}"
NO_DEVICE_FOUND = ("No cctf device found. Connect the simulator, or plug in a device and "
                   "press Find devices.")
LINK_STATE = {
    "closed": "Not connected",
    "connecting": "Connecting…",
    "idle": "Connected",
    "streaming": "Streaming",
    "reconnecting": "Reconnecting…",
}
LINK_EVENT_SHORT = {"disconnected": "link lost", "reconnected": "link back",
                    "device_reset": "device restarted"}

# Trace, readout, gauge.
AXIS_PRESSURE = "pressure (mmHg)"
AXIS_PRESSURE_SHORT = "mmHg"  # the axis title on a plot too short for the whole one
AXIS_TIME = "time (min:s)"
BASELINE_LABEL = "baseline {value:.1f}"
READOUT_NAME = "pressure"
GAUGE_NAME = "pressure dial"
BAND_SHORT = {"in": "✓ in the band", "low": "↑ too low", "high": "↓ too high", "": ""}
FAULT_SHORT = {
    "undershoot": "short", "overshoot": "overshoot", "fast_rise": "too fast",
    "pressure_drop": "drop", "unsteady": "unsteady", "head_lift": "head lift?",
}
FAULT_SYMBOL = "⚠ "

# Clinic: steps, set-up, protocol.
CLINIC_STEPS = {"setup": "Set-up", "practice": "Familiarisation", "stage": "Stage test",
                "endurance": "Endurance", "results": "Results"}
PHASE_SHORT = {"practice": "practice", "stage": "stage", "endurance": "endurance",
               "training": "training", "": ""}
PHASE_NAME = {"practice": "familiarisation", "stage": "stage test", "endurance": "endurance",
              "training": "training", "": ""}
SETUP_STATUS_NAME = "set-up guidance"
SETUP_NO_DEVICE = "Connect a device (or the simulator) in the bar above."
SETUP_STATE = {
    "waiting": "Waiting for the pressure signal…",
    "deflated": "Place the folded cuff behind the neck, then inflate it to {baseline:.0f} mmHg.",
    "low": "{level:.1f} mmHg — inflate a little more, to {baseline:.0f} mmHg.",
    "high": "{level:.1f} mmHg — let a little air out, to {baseline:.0f} mmHg.",
    "settling": ("{level:.1f} mmHg and falling: air is flowing back into the tube (expected "
                 "at first). Wait, then re-inflate to {baseline:.0f} mmHg."),
    "falling": ("{level:.1f} mmHg — the pressure is falling: squeeze the bulb to re-inflate "
                "to {baseline:.0f} mmHg."),
    "steadying": "{level:.1f} mmHg — hold on, letting it settle…",
    "ready": "✓ Steady at the baseline: ready to start.",
}
SETUP_STEPS_HTML = (
    "<ol>"
    "<li><b>Tare</b> with the cuff open to air, before it goes under the neck (T).</li>"
    "<li>Patient supine in crook lying, head and neck neutral, no pillow. Fold the cuff and "
    "place it behind the neck, touching the occiput.</li>"
    "<li>Inflate to 20 mmHg. Air flows back into the tube at first: re-inflate 2–3 times "
    "until it stays.</li>"
    "<li>Cue: tongue on the roof of the mouth, lips together, teeth slightly apart; a gentle "
    "“yes” nod.</li></ol>"
)
TARE_BUTTON = "Tare"
TARE_TIP = "Zero the sensor at atmosphere: only with the cuff open to air, not on the patient"
TARE_NOTE = "Tare only with the cuff open to air (off the patient)."
TARE_DONE = "Tared: the sensor reads zero at atmosphere."
TARE_FAILED = "Tare failed: {error}"
START_TEST = "Start test  (Space)"
PROTOCOL_TITLE = "Protocol"
PRESET_LABEL = "Preset"
PRESET_NAME = {"research": "Research (10 s holds)", "short": "Short stage 1 (3 s holds)",
               "random-order": "Random order (motor-control training)"}
PRESET_DESCRIPTION = {
    "research": ("22–30 mmHg, 10 s holds with 10 s rest, stop at the first failed stage, "
                 "then 10 × 10 s at the activation level."),
    "short": "Stage 1 only: 3 s holds at each level (2–3 s in some sources), 5 s rest.",
    "random-order": ("The stage targets in shuffled order, every level tried: motor-control "
                     "training, not scored."),
}
PRESET_CUSTOM = "Custom"
PRESET_CUSTOM_NOTE = "Custom settings (saved with the session)."
FIELD_LABEL = {
    "baseline_mmhg": "Baseline", "step_mmhg": "Step", "n_stages": "Stages",
    "hold_s": "Hold", "rest_s": "Rest", "endurance_reps": "Endurance reps",
    "practice_trials": "Practice trials", "band_mmhg": "Tolerance ±",
    "reach_allowance_s": "Time to reach", "order": "Order",
}
FIELD_SUFFIX = {
    "baseline_mmhg": " mmHg", "step_mmhg": " mmHg", "hold_s": " s", "rest_s": " s",
    "band_mmhg": " mmHg", "reach_allowance_s": " s",
}
ORDER_NAME = {"ascending": "ascending", "random": "shuffled"}
STOP_AT_FIRST_FAILURE = "Stop the stage test at the first failed stage"

# Clinic: during the test.
ACTION_START_PAUSE = "Start / pause"
PAUSE = "Pause (Space)"
RESUME = "Resume (Space)"
REPEAT = "Repeat (R)"
OVERRIDE = "Override (O)"
END_TEST = "End test"
MARK_LABEL = "Seen:"
MARK_TIP = ("Compensation seen by hand (keys 1–4): fails the cued trial (or the last one, "
            "during a rest) and is recorded")
MARK_BUTTON = {"scm": "&1 SCM/scalene", "breath": "&2 Breath holding",
               "jaw": "&3 Jaw/hyoid", "other": "&4 Other"}
MANUAL_FAULT_TEXT = {"scm": "superficial flexor (SCM or scalene) activity",
                     "breath": "breath holding", "jaw": "jaw or hyoid substitution",
                     "other": "other compensation"}
MANUAL_FAULT_SHORT = {"scm": "SCM", "breath": "breath", "jaw": "jaw", "other": "other"}
MARKED_BY_HAND = " (marked by hand)"
CUE_NAME = "cue"
CUE_WORD = {"setup": "Set-up", "nod": "Nod…", "hold": "Hold", "relax": "Relax",
            "rest": "Rest", "paused": "Paused", "done": "Done"}
CUE_TARGET = "to {target:g} mmHg · {phase}"
CUE_NEXT = "next: {target:g} mmHg · {phase}"
CUE_PAUSED_DETAIL = "The interrupted trial will be repeated. Space resumes."
LIVE_REACHING = "Reaching…"
LIVE_REACHED = "✓ Reached ({seconds:.1f} s)"
LIVE_HOLDING = "Holding {done:.0f} of {hold:.0f} s"
LIVE_HELD = "✓ Held"
LAST_TRIAL = "Trial {trial} ({target:g} mmHg):"
ALERT_PREFIX = "⚠ "
ALERT_RECONNECTING = "The link to the device is down; reconnecting by itself…"
ACTION_PAUSED = "paused"
ACTION_RESUMED = "resumed"
ACTION_REPEAT = "repeat trial {trial} ({target:g} mmHg)"
ACTION_OVERRIDE = "trial {trial}: verdict set to {verdict}"
ACTION_MARK = "{kind} marked on trial {trial}"
NOTHING_TO_REPEAT = "No finished trial to repeat yet."
NOTHING_TO_OVERRIDE = "No finished trial to override yet."
NOTHING_TO_MARK = "No trial to mark yet."
NEED_DEVICE = "Connect a device or the simulator first."
SESSION_RUNNING = "A session is already running: finish or end it first."
RECORDING_TO = "Recording to {path}"
RECORDING_FAILED = "Recording stopped: cannot write {path} ({error}). Check the sessions folder."
SECONDS = "{n} s"
SAVED_TO = "Saved to {path}"

# Results.
RESULTS_TITLE = "Results"
TRIAL_COLUMNS = ("#", "Part", "Target", "Result", "What was seen")
VERDICT_PASSED = "passed"
VERDICT_FAILED = "failed"
VERDICT_MEASURED = "as measured"
VERDICT_REPEATED = "↺ repeated (not scored)"
VERDICT_RUNNING = "… in progress"
OVERRIDDEN_SUFFIX = " (therapist)"
HELD_STEADY = "held steadily for {seconds:.0f} s"
ACTIVATION_TITLE = "Activation score"
ACTIVATION_VALUE = "{score:g} mmHg"
ACTIVATION_NOTE = "Highest level held steadily: {level:g} mmHg."
ACTIVATION_NONE = "The first stage ({first:g} mmHg) was not held."
PI_TITLE = "Performance index"
PI_VALUE = "{pi:g} / 100"
PI_NOTE = ("{passed} of {reps} endurance holds passed. {scale}. A change of about 25 is "
           "needed to be real (one small study).")
NOT_SCORED = "not scored"
RANDOM_NOT_SCORED = "Shuffled targets train motor control; they are not scored."
REFERENCE_TITLE = "Reference values"
REFERENCE_HTML = (
    "<table cellspacing='0' cellpadding='2'>"
    "<tr><td><b>28 mmHg</b>&nbsp;</td><td>median without neck pain</td></tr>"
    "<tr><td><b>24 mmHg</b>&nbsp;</td><td>median with chronic neck pain</td></tr>"
    "{level}</table><p>Highest level held for 10 s (Chiu 2005). A reference, not a "
    "diagnosis.</p>"
)
LEVEL_HELD = "<tr><td><b>{level:g} mmHg</b>&nbsp;</td><td>this session</td></tr>"
NEW_TEST = "New test"
OPEN_FOLDER = "Open folder"
ACTIONS_PREFIX = "Therapist: "

# Home training (plain words, no jargon).
TRAINING_TITLE = "Neck exercise"
TRAINING_HOWTO = ("Lie on your back, knees bent. Tongue on the roof of your mouth, lips "
                  "together. Nod gently, as if saying “yes”, until the screen turns green — "
                  "then hold it there.")
TRAINING_START = "Start  (Space)"
TRAINING_START_PAUSE = "Start / pause training"
TRAINING_STOP = "Stop"
TRAINING_AGAIN = "Back"
RX_TARGET = "Target"
RX_REPS = "Holds"
RX_HOLD = "Each hold"
RX_REST = "Rest between"
TRAINING_SETUP = {
    "waiting": "Waiting for the sensor…",
    "deflated": "Put the folded cushion behind your neck and pump it up to 20.",
    "low": "Now {level:.0f}: pump a little more, to 20.",
    "high": "Now {level:.0f}: let a little air out, to 20.",
    "settling": "It is settling (that is normal). Pump it back up to 20 in a moment.",
    "falling": "It is going down: give the pump a squeeze, back to 20.",
    "steadying": "Nearly ready: lie still…",
    "ready": "✓ Ready. Press Start when you are comfortable.",
}
TRAINING_WORD = {"nod": "NOD GENTLY", "hold": "HOLD", "relax": "LET GO", "rest": "REST",
                 "paused": "PAUSED", "done": "DONE", "setup": ""}
TRAINING_BAND = {"in": "✓ Just right — keep it steady", "low": "↑ A little more",
                 "high": "↓ A little less", "": ""}
TRAINING_REST_HINT = "Breathe and relax"
TRAINING_REPS = "{done} of {planned} done"
TRAINING_PRESSURE = "Now {value:.0f} · target {target:.0f}"
SUMMARY_TITLE = "You held {done} of {planned}"

# Monitor.
WINDOW_LABEL = "Show"
RECORD_TOGGLE = "Start / stop recording"
RECORD_START = "● Record  (Space)"
RECORD_STOP = "■ Stop recording  (Space)"
RECORDING_STATUS = "Recording {seconds:.0f} s, {rows} rows → {path}"
ADD_MARKER = "Add marker  (M)"
MARKER_PLACEHOLDER = "marker text, then Enter"
MARKER_DEFAULT = "marker {n}"
MONITOR_LINK = "Link: {summary}"


def verdict_word(passed: bool, symbol: bool = False) -> str:
    word = VERDICT_PASSED if passed else VERDICT_FAILED
    return (("✓ " if passed else "✗ ") + word) if symbol else word


def span_text(span_s: float) -> str:
    return f"last {span_s:.0f} s" if span_s < 60 else f"last {span_s / 60:.0f} min"


# --- records: progress, adherence, reports (cctf.records) -----------------------------------

SRD_SOURCE = ("Smallest real difference ≈ {srd:g} PI units (James & Doe 2010, one small "
              "study): smaller changes may be measurement error.")
CHANGE_REAL = ("performance index {before:g} → {after:g} ({delta:+g}): a real change, at least "
               "the smallest real difference of {srd:g}")
CHANGE_NOISE = ("performance index {before:g} → {after:g} ({delta:+g}): within measurement "
                "error, less than the smallest real difference of {srd:g}")
CHANGE_NONE = "Only one clinic test so far: nothing to compare yet."
CHANGE_EMPTY = "No clinic test recorded yet."
ADHERENCE_LINE = ("{label}: trained on {days_trained} of {days} days; {sessions_done} of "
                  "{sessions_prescribed} sessions ({sessions_pct:.0f} %); {reps_done} of "
                  "{reps_planned} holds ({reps_pct:.0f} %)")
ADHERENCE_NO_PRESCRIPTION = "No home programme prescribed for these dates."
ADHERENCE_WEEK = "week from {day:%a %d %b}"
ADHERENCE_ALL = "{start:%d %b %Y} – {end:%d %b %Y}"

REPORT_TITLE = "Craniocervical flexion test — session report"
REPORT_TRAINING_TITLE = "Home training — session report"
REPORT_MONITOR_TITLE = "Pressure recording — session report"
REPORT_PROGRESS_TITLE = "Craniocervical flexion test — progress report"
REPORT_PATIENT = "Patient ID: {code}"
REPORT_NAME = "Name: {name}"
REPORT_DATE = "Date: {when:%d %b %Y, %H:%M} (UTC{offset})"
REPORT_SESSION = "Session {id} · {kind} · {status}"
REPORT_DEVICE = "Device: {serial} · firmware {firmware} · calibration {calibration}"
REPORT_PROTOCOL = ("Protocol: {preset}stages {targets} mmHg · hold {hold:g} s · rest {rest:g} s · "
                   "endurance {reps} × {hold:g} s · tolerance ±{band:g} mmHg")
REPORT_PRESCRIPTION = ("Prescription: {reps} × {hold:g} s holds at {target:g} mmHg, rest "
                       "{rest:g} s, tolerance ±{band:g} mmHg")
REPORT_NO_PROTOCOL = "Protocol: not recorded with this session"
REPORT_ACTIVATION = "Activation score: {score:g} mmHg (highest level held 10 s: {level:g} mmHg)"
REPORT_ACTIVATION_NONE = "Activation score: 0 (the first stage was not held)"
REPORT_PI = "Performance index: {pi:g} / 100 ({passed} endurance holds passed)"
REPORT_REFERENCE = ("Reference: 28 mmHg without neck pain, 24 mmHg with chronic neck pain "
                    "(median highest level held 10 s, Chiu 2005)")
REPORT_REPS = "Holds done: {done} of {planned}"
REPORT_BASELINE = "Baseline {baseline:.1f} mmHg · {rate:.0f} Hz · {duration}"
REPORT_TRIALS = "Trials"
REPORT_TRIAL_COLUMNS = ("#", "part", "target", "result", "what was seen")
REPORT_NO_TRIALS = "No cued trials in this session."
REPORT_NOTES = "Therapist's notes"
REPORT_NO_NOTES = "(none)"
REPORT_SESSION_EVENTS = "Session: {events}"
REPORT_STATUS_NOTE = "Note: {note}"
REPORT_FOOTER = "{disclaimer}  Generated by cctf {version}."
REPORT_HISTORY = "Sessions"
REPORT_HISTORY_COLUMNS = ("date", "kind", "activation", "PI", "change", "status")
REPORT_ADHERENCE = "Home programme"
REPORT_AXIS_ACTIVATION = "activation score (mmHg)"
REPORT_AXIS_PI = "performance index (0–100)"
REPORT_SRD_BAND = "± smallest real difference"

# --- the app and the patient records ----------------------------------------------------------
RECORDS_CORRUPT = ("The patient records database in {folder} is damaged. Nothing was changed. "
                   "Repair moves it aside (kept as cctf.db.corrupt-…, never deleted), restores "
                   "the newest sound daily backup and adds back every session CSV. Names, notes, "
                   "prescriptions and marks made since that backup may be lost. Until then, "
                   "tests are recorded without a patient.")
RECORDS_OPEN_FAILED = "The patient records could not be opened: {error}"
RECORDS_REPAIR_FAILED = "The records could not be repaired: {error}"
RECORDS_REPAIRED = "The records were repaired."
RECORDS_REPAIR = "Repair"
RECORDS_NOT_NOW = "Not now"
RECORDS_DISMISS = "OK"
RECORDS_BEGIN_FAILED = "The session could not be added to the records: {error}"
RECORDS_WRITE_FAILED = "Could not write to the patient records: {error}"
RECORDS_NOT_COMPLETED = "the app could not complete this session in the records"
RECOVERED_ONE = "Recovered an interrupted session of {patient} ({rows} rows kept)."
RECOVERED_MANY = "Recovered {n} interrupted sessions: {which}."
RECOVERED_ITEM = "{patient} ({rows} rows)"
RECORDS_UNAVAILABLE = "Patient records not available"

PATIENT_LABEL = "&Patient:"
PATIENT_NONE = "— no patient (not added to the records) —"
PATIENT_ITEM = "{code}"
PATIENT_ITEM_YEAR = "{code} (born {year})"
PATIENT_NEW = "New patient…"
PATIENT_NEEDED = ("No patient chosen: this test will be saved as a file only, not in the "
                  "patient records.")
PATIENT_CHOSEN = "Recording for {code}"
NEW_PATIENT_TITLE = "New patient"
NEW_PATIENT_CODE = "Pseudonymous ID"
NEW_PATIENT_CODE_TIP = ("1–32 letters, digits, '.', '-' or '_' (e.g. P-0042). Shown on screens "
                        "and reports.")
NEW_PATIENT_NAME = "Name (optional)"
NEW_PATIENT_YEAR = "Birth year (optional)"
NEW_PATIENT_NOTES = "Notes"
NEW_PATIENT_ADDED = "Patient {code} added."

NOTES_LABEL = "Therapist's notes"
NOTES_SAVE = "Save notes"
NOTES_SAVED = "Notes saved."
NOTES_NOT_IN_RECORDS = ("No patient was chosen: notes and reports need the records. "
                        "Attach to patient… adds this test to one.")
REPORT_BUTTON = "Report (PDF)"
REPORT_WRITING = "Writing the report…"
REPORT_SAVED = "Report saved to {path}"
REPORT_FAILED = "The report could not be written: {error}"
RECORD_PENDING = "Saving to the records…"
RECORD_SAVED = "Saved in the records for {code} (session {id})."

PROGRESS_ACTIVATION = "Activation score (mmHg)"
PROGRESS_PI = "Performance index (0–100)"
PROGRESS_ADHERENCE = "Home programme, last 4 weeks"
PROGRESS_REPORT = "Progress report (PDF)"
PROGRESS_CLOSE = "Close"
PROGRESS_NO_PATIENT = "Choose a patient first."

RX_PER_DAY = "Sessions a day"
RX_SAVE = "Prescribe for {code}"
RX_SAVED = "Prescription saved for {code} from {day:%d %b %Y}."
RX_LOADED = "{code}'s prescription from {day:%d %b %Y}"


# --- research integration: Lab Streaming Layer (issue 16) -----------------------------------

LSL_HELP = ("stream pressure and event markers to the Lab Streaming Layer (needs cctf[lsl]; "
            "opens network sockets: LSL discovery on the local network, see docs/lsl.md)")
LSL_WAIT_HELP = ("with --lsl: before starting, wait up to S seconds for a consumer (e.g. "
                 "LabRecorder) on both streams (default 0: start at once)")
LSL_MISSING = ("--lsl needs pylsl with its liblsl: pip install 'cctf[lsl]' ({error})")
LSL_NO_LIBLSL = ("--lsl needs liblsl, which pylsl's wheel for this platform does not ship "
                 "(it does for Linux x86_64, Windows and macOS 11+): install it with conda "
                 "install -c conda-forge liblsl or from github.com/sccn/liblsl/releases "
                 "({error})")
LSL_OPEN = "LSL: streaming {pressure} and {events} on the local network"
LSL_WAITING = "LSL: waiting up to {seconds:g} s for a consumer of {pressure} and {events}…"
LSL_NO_CONSUMER = "LSL: no consumer after {seconds:g} s; streaming anyway"
LSL_MENU = "Stream to &LSL"
LSL_MENU_TIP = ("Send pressure and event markers to the Lab Streaming Layer (local network; "
                "see docs/lsl.md)")
LSL_ON = "LSL: streaming {pressure} and {events} on the local network"
LSL_OFF = "LSL streaming is off"
LSL_PENDING = "LSL: on; the streams open when a device is connected"

# EDF+ annotations added for research readers (cctf/records/edf.py, issue 16)
EDF_PADDING = "padding: no samples yet (values repeat the first sample, {seconds:.3f} s later)"
EDF_GAP = "signal gap: {missing} sample(s) missing, values interpolated"
EDF_OVERRIDE = "trial {trial} verdict set by the therapist: {verdict}"
EDF_MARK = "therapist: {text}"
EDF_LINK = {"disconnected": "link lost (device disconnected)",
            "reconnected": "link restored ({seconds:.3f} s after it was lost)",
            "device_reset": "device reset: it restarted, a new time epoch began",
            "other_device": "a different device answered"}
# --- packaging and install (issue 15) ---------------------------------------------------------
# The app without its Qt libraries (the light install), and the one-time move of the Windows
# data folder from the roaming to the local AppData. ``%s`` are filled in by logging.
APP_NOT_INSTALLED = (
    "the desktop app is not installed ({missing} is missing): "
    "pip install 'cctf[app]' (the command line works without it; see cctf --help)"
)
NO_DISPLAY = (
    "no display to open a window on ({variable} is not set: a remote or headless session?); "
    "run cctf on the computer's desktop, or use the command line here (cctf record --sim, "
    "cctf analyze …; see cctf --help)"
)
DATA_ROAMING_MOVED = (
    "moved the data folder %s to %s (the local folder: a roaming profile copies its "
    "folder to a server, and patient data stays on this computer)"
)
DATA_ROAMING_LEFT = (
    "an older data folder %s is still in the roaming profile; cctf uses %s and has not "
    "touched it: check and move or delete it by hand"
)
DATA_ROAMING_NOT_MOVED = (
    "could not move the data folder %s to %s (%s): using it where it is this time; close "
    "other cctf windows, or move it by hand"
)
# --- Eyes-free home training and patient mode (issue 12) ------------------------------------
# Spoken prompts: one template per cue kind. The bundled clips (cctf/voice/<lang>/) are made
# from these by cctf/voice/make_prompts.py, one clip per literal part and per number 0–40.
VOICE = {
    "nod": "Nod gently to {target}",
    "hold": "Hold",
    "countdown": "{count}",
    "relax": "Let go",
    "rest": "Rest",
    "higher": "A little more",
    "lower": "A little less",
    "in_band": "Just right",
    "done": "Done: {done} of {planned} holds",
}
TRAINING_RELAX_HINT = "Let go, slowly"
TRAINING_PAUSED_HINT = "Press Space or the big button to go on"
TRAINING_NO_DATA = "Device not connected — plug in the sensor"
TRAINING_BIG_START = "START"
TRAINING_BIG_PAUSE = "PAUSE"
TRAINING_BIG_RESUME = "GO ON"
TRAINING_KEYS_HINT = "Space or Enter: start and pause"
SOUND_NONE = "No sound: connect speakers or headphones"
SOUND_MODES = {"off": "Sound off", "cues": "Voice only", "feedback": "Voice + tones"}
SOUND_STATE = {"off": "Sound: off", "muted": "Sound: muted (Ctrl+M)", "on": "Sound: on",
               "none": "Sound: none"}
SOUND_VOLUME = "Volume"
SOUND_MODE_NAME = "Sound"
SUMMARY_FACTS_HOLDING = ("Time holding: {holding:.0f} s · just right: {in_band:.0f} s · "
                         "longest steady hold: {longest:.0f} s")
ENCOURAGE_STOPPED = ("You did {done} of {planned} today. Stopping when you need to is fine: "
                     "a short session still counts. Try again later if you feel like it.")
TRAIN_NO_SIM_FAST = "--fast, --audio-out and --cues-out need --sim SCENARIO"
TRAIN_EXISTS = "{path} exists; add --force to overwrite it"
TRAIN_NOT_READY = "the cuff did not settle at the baseline within {seconds:.0f} s of simulation"
TRAIN_WROTE = "wrote {path}"
TRAIN_SUMMARY = ("{done} of {planned} holds; time holding {holding:.0f} s, "
                 "just right {in_band:.0f} s")
TRAINING_RX_SUMMARY = "Today: {reps} holds of {hold:.0f} seconds at {target:.0f}"
PATIENT_WINDOW_TITLE = "cctf — neck exercise"
PATIENT_QUIT = "Quit"
TRAIN_SAME_FILE = "--audio-out and --cues-out must be different files"
TRAIN_NO_FOLDER = "cannot write {path}: no such folder"
TRAIN_VOLUME = "--volume must be between 0 and 1, got {volume:g}"
# --- issue 9 (core): not measured is not zero; ended early; signal gaps ----------------------
# Used by cctf analyze, the records (sessions list, reports, EDF+ annotations) and progress.

FAULT_TEXT["signal_gap"] = "no signal for {value:.2f} s before the hold was complete"
NOT_MEASURED = "not measured"
SCORE_NOT_MEASURED = "not measured ({why})"
WHY_NO_STAGE_TEST = "no stage test recorded"
WHY_STAGES_UNFINISHED = "the stage test ended before its stopping rule"
WHY_NO_ACTIVATION = "no activation score"
WHY_NO_ENDURANCE = "no endurance holds recorded"
WHY_ENDURANCE_UNFINISHED = "not all endurance holds recorded"
TRIAL_INTERRUPTED = "interrupted (not scored)"
ENDED_EARLY = "ended early at {t_s:.1f} s"
SESSION_ENDED_EARLY_LINE = "This test was ended early at {t_s:.1f} s: {what}."
SESSION_INCOMPLETE_LINE = "This test is incomplete: {what}."
ANALYZE_ACTIVATION = "Activation score: {score}"
ANALYZE_PI = "Performance index: {pi}"
ANALYZE_PI_SCALE = " ({scale})"
REFERENCE_OTHER_HOLD = ("Reference values are for 10 s holds; this session held {hold_s:g} s, "
                        "so they are not compared.")
REPORT_ENDED_EARLY = "This test was ended early at {t_s:.1f} s."
REPORT_INCOMPLETE = "This test is incomplete: not every part was recorded."
REPORT_ACTIVATION_NOT_MEASURED = "Activation score: not measured ({why})"
REPORT_PI_NOT_MEASURED = "Performance index: not measured ({why})"
STATUS_WORDS = {"recording": "recording", "complete": "complete", "recovered": "recovered",
                "imported": "imported", "ended_early": "ended early"}
PROGRESS_EXCLUDED = "excluded from progress: {reason}"
PROGRESS_NOT_COMPLETE = "not in the series: incomplete"
PROGRESS_OTHER_PROTOCOL = "not in the series: another protocol ({protocol})"
PROGRESS_NOT_COMPARED = "Not compared ({n}): {which}"
PROGRESS_SERIES_PROTOCOL = "Series: {protocol}"
PROGRESS_PROTOCOL = "{hold:g} s holds, {step:g} mmHg steps, {stages} stages"
CHANGE_NO_PI = "No clinic test in the series has a measured performance index."
SESSIONS_EXCLUDED = "session {id} excluded from progress: {reason}"
SESSIONS_INCLUDED = "session {id} included in progress again"


def score_text(value: float | None, fmt: str = "g", unit: str = "", why: str = "") -> str:
    """A score for people: the number, or "not measured (why)" — never 0 for None."""
    if value is None or value != value:  # None or NaN
        return SCORE_NOT_MEASURED.format(why=why) if why else NOT_MEASURED
    return format(value, fmt) + (f" {unit}" if unit else "")


def why_not_measured(result: object) -> tuple[str, str]:
    """Why the activation score and the performance index of a ``SessionResult`` are not
    measured (each "" when it is)."""
    trials = [t for t in getattr(result, "trials", []) if not t.superseded]
    stage = [t for t in trials if t.phase == "stage" and not t.interrupted]
    endurance = [t for t in trials if t.phase == "endurance" and not t.interrupted]
    why_act = why_pi = ""
    if getattr(result, "activation_score_mmhg", None) is None:
        why_act = WHY_STAGES_UNFINISHED if stage else WHY_NO_STAGE_TEST
    if getattr(result, "performance_index", None) is None:
        why_pi = (WHY_NO_ACTIVATION if why_act else
                  WHY_ENDURANCE_UNFINISHED if endurance else WHY_NO_ENDURANCE)
    return why_act, why_pi


def ending_line(result: object) -> str:
    """One sentence on how the session ended, or "" when it is complete."""
    why_act, why_pi = why_not_measured(result)
    what = "; ".join(w for w in (
        f"activation score {NOT_MEASURED} ({why_act})" if why_act else "",
        f"performance index {NOT_MEASURED} ({why_pi})" if why_pi else "") if w)
    what = what or "its scores stand as measured"
    early = getattr(result, "ended_early_s", None)
    if early is not None:
        return SESSION_ENDED_EARLY_LINE.format(t_s=early, what=what)
    if not getattr(result, "complete", True):
        return SESSION_INCOMPLETE_LINE.format(what=what)
    return ""


# --- reports a clinic files; the patient's history in the app (issue 13) --------------------

REPORT_PAGE = "Page {page} of {pages}"
REPORT_CONTINUED = "{title} · patient {code} · {when} (continued)"
REPORT_CLINIC = "{clinic}"
REPORT_TRACE_LEGEND_13 = {
    "pressure": "pressure",
    "band_pass": "target band, passed",
    "band_fail": "target band, failed",
    "band_repeated": "target band, repeated (not scored)",
    "fault": "× fault found by the analysis (see the table)",
    "hand": "▼ compensation marked by hand (kind written beside it)",
    "marker": "M1, M2 … markers set by hand (listed under the therapist's actions)",
    "reference": "reference levels (absolute pressure)",
}
REPORT_REFERENCE_LABELS = {28.0: "28 mmHg:\nno neck pain", 24.0: "24 mmHg:\nchronic neck pain"}
REPORT_ACTIONS = "Therapist's actions"
REPORT_ACTIONS_COLUMNS = ("time", "action")
REPORT_NO_ACTIONS = "None recorded."
REPORT_MARKER_ACTION = "marker {label}: {text}"
REPORT_EDIT_TIME = "{when:%d %b %Y %H:%M} (after)"
REPORT_EDIT = {
    "notes": "notes changed",
    "override": "trial {trial}: verdict set to {value}",
    "compensation": "trial {trial}: {value} marked by hand",
    "clear_compensation": "trial {trial}: compensation marks removed",
}
REPORT_EDIT_REASON = "{text} — reason: {reason}"
REPORT_SIGNATURE = "Signature: ______________________________      Date: ________________"
REPORT_SIGNED_BY = "Therapist: {therapist}"
REPORT_PROGRESS_REFERENCE = {8.0: "+8 mmHg (28 mmHg level): no neck pain",
                             4.0: "+4 mmHg (24 mmHg level): chronic neck pain"}
REPORT_PROGRESS_AXIS_NOTE = ("The activation score is the increase above the 20 mmHg "
                             "baseline: 8 mmHg = the 28 mmHg level.")

# the patient's history in the app (issue 13)
NOT_MEASURED_13 = "not measured"
SESSION_KIND_WORDS = {"clinic": "clinic test", "training": "home training",
                      "monitor": "recording"}
SESSION_STATUS_WORDS = {"complete": "complete", "ended_early": "ended early",
                        "recovered": "recovered", "imported": "imported",
                        "recording": "recording now"}
EXCLUDED_MARK = "excluded"
PROGRESS_REFERENCE_SHORT = {8.0: "+8 = 28 mmHg", 4.0: "+4 = 24 mmHg"}
PROGRESS_REFERENCE_NOTE = ("Activation score = the increase above the 20 mmHg baseline. "
                           "Dashed lines: +8 (28 mmHg) without neck pain, +4 (24 mmHg) with "
                           "chronic neck pain.")
PATIENT_HISTORY = "History…"
HISTORY_TITLE = "{code}: history and progress"
HISTORY_COLUMNS = ("date", "kind", "protocol", "activation", "PI", "status", "progress")
HISTORY_EMPTY = "No sessions yet."
HISTORY_OPEN = "Open session…"
HISTORY_EXCLUDE = "Exclude from progress…"
HISTORY_INCLUDE = "Include in progress"
HISTORY_EXCLUDE_REASON = "Why leave session {id} out of the progress view and report?"
HISTORY_EXCLUSION_UNAVAILABLE = ("Excluding a session from progress needs a newer records "
                                 "database (issue 9); nothing was changed.")
HISTORY_EXCLUDED = "Session {id} is left out of progress: {reason}"
HISTORY_INCLUDED = "Session {id} counts in progress again."
HISTORY_CHOOSE = "Choose a session in the list first."
HISTORY_EDIT_PATIENT = "Edit patient…"
HISTORY_DELETE_PATIENT = "Delete patient…"
HISTORY_ATTACH = "Attach a recording…"
HISTORY_ATTACH_TITLE = "Attach a recording made without a patient to {code}"
HISTORY_ATTACH_NONE = "No recordings without a patient in {folder}."
HISTORY_ATTACHED = "Recording {name} attached to {code} (session {id})."
HISTORY_ATTACH_FAILED = "The recording could not be attached: {error}"
EDIT_PATIENT_TITLE = "Edit patient {code}"
EDIT_PATIENT_SAVED = "Patient {code} saved."
DELETE_PATIENT_TITLE = "Delete patient {code}?"
DELETE_PATIENT_TEXT = ("Delete patient {code} and everything about them: {sessions} sessions, "
                       "their session files and reports, and the backups that hold them. "
                       "This cannot be undone.")
DELETE_PATIENT_CONFIRM = "Delete {code}"
DELETE_PATIENT_DONE = ("Deleted patient {code}: {sessions} sessions, {files} files, "
                       "{backups} backups.")
DELETE_PATIENT_LEFT = " Left alone (may still hold their data): {paths}."
DELETE_PATIENT_FAILED = "Patient {code} was not deleted: {error}"
REVIEW_TITLE = "{code} · session {id} · {when}"
REVIEW_READ_ONLY = ("A finished session: the measured results are read-only. Changes below "
                    "are kept with the time and your reason, and shown on the report.")
REVIEW_STATUS = "{kind} · {status} · {protocol}"
REVIEW_NO_TRACE = "The raw samples cannot be read: {error}"
REVIEW_REASON = "Reason (required)"
REVIEW_OVERRIDE_PASS = "Set passed"
REVIEW_OVERRIDE_FAIL = "Set failed"
REVIEW_OVERRIDE_CLEAR = "Back to measured"
REVIEW_MARK = "Mark compensation"
REVIEW_CLEAR_MARKS = "Clear marks"
REVIEW_CHANGED = "Saved: {what}."
REVIEW_CHANGE_FAILED = "Not changed: {error}"
REVIEW_CHANGES = "Changes after the session"
REVIEW_NO_CHANGES = "none"
REVIEW_ACTIONS = "Therapist's actions during the session"
REVIEW_OPEN_REPORT = "Open report"
REVIEW_NO_REPORT = "No report written yet: use “Report (PDF)” first."
OPEN_FAILED = ("Nothing on this computer opened {path}: no {what} is set up for it. Open it "
               "by hand (the path can be selected and copied).")
OPEN_MISSING = "{path} does not exist (moved or deleted?)."
OPEN_WHAT_FOLDER = "file manager"
OPEN_WHAT_PDF = "PDF viewer"
PREFERENCES = "&Preferences…"
PREFERENCES_TITLE = "Preferences"
PREFERENCES_CLINIC = "Clinic name (on reports)"
PREFERENCES_THERAPIST = "Therapist (on reports)"
PREFERENCES_SIGNATURE = "Signature line on reports"
PREFERENCES_FILE = "Kept in {path}"
PREFERENCES_SAVED = "Preferences saved to {path}."
PREFERENCES_BROKEN = "The settings file could not be read, so it is not replaced: {error}"
REVIEW_AXIS_TIME = "time (s)"
HISTORY_REPS = "{done} of {planned}"
REVIEW_CHOOSE_TRIAL = "Choose a trial in the table first."
# --- possible breath holding (hypothesis flags, issue 17) ----------------------------------
# A flag from the pressure ripple, not a validated finding: the therapist confirms or dismisses.

FLAG_TEXT = {
    "breath_hold": "possible breath holding (breathing ripple quiet for {value:.1f} s; "
                   "hypothesis, not validated)",
}
FLAG_REVIEW_TEXT = {
    None: " — to confirm or dismiss",
    True: " — confirmed by the therapist (fails the trial)",
    False: " — dismissed by the therapist",
}


def describe_flag(kind: str, value: float, review: bool | None = None) -> str:
    """A hypothesis flag in words, with the therapist's review (None: not reviewed yet)."""
    template = FLAG_TEXT.get(kind) or kind + " ({value:.1f})"
    return template.format(value=value) + FLAG_REVIEW_TEXT[review]
# --- the app: interrupted tests, corrections, no signal, link health (issue 9) ---------------
# Ending a test early.
END_CONFIRM_TITLE = "End the test early?"
END_CONFIRM = {
    "end": "End the test now? It is saved as ended early; the trial under way is not scored.",
    "disconnect": ("Disconnect the device? The test under way ends early and is saved as "
                   "ended early; the trial under way is not scored."),
    "quit": ("Quit cctf? The test under way ends early and is saved as ended early; the trial "
             "under way is not scored."),
}
END_CONFIRM_YES = "End test"
END_CONFIRM_NO = "Keep testing"
ACTION_ENDED_EARLY = "ended early at {t_s:.1f} s"
ACTION_INTERRUPTED = "trial {trial} interrupted (not scored)"
VERDICT_INTERRUPTED = "⏹ interrupted (not scored)"
RESULTS_ENDED_EARLY = ("⚠ This test was ended early at {minutes}:{seconds:02d}: scores that "
                       "need the missing trials are not measured.")

# Corrections by the therapist (O, 1–4, Ctrl+Z). Trial numbers start at 1.
UNDO = "Undo correction"
CORRECTION_OVERRIDE = "Trial {trial}: {before} → {after} (therapist)"
CORRECTION_MEASURED = "Trial {trial}: {before} → {after} (as measured)"
CORRECTION_MARK = "Trial {trial}: {before} → {after} ({kind} marked by hand)"
CORRECTION_UNDONE = "Undone: {text}"
NOTHING_TO_UNDO = "No correction to undo."
VERDICT_OPEN = "in progress"
CORRECTIONS_PREFIX = "Corrections: "

# Live trial panel and rest banner (cctf.session.cue_text).
LIVE_FAILED = "✗ failed: {why}"
FAULT_WHY = {
    "undershoot": "not reached", "overshoot": "overshot", "fast_rise": "too fast",
    "pressure_drop": "pressure dropped", "unsteady": "unsteady", "head_lift": "head lift?",
    "signal_gap": "signal lost",
}
MARK_WHY = {"scm": "SCM/scalene", "breath": "breath holding", "jaw": "jaw/hyoid",
            "other": "compensation"}
CUE_STOPPED = "Stage test stopped at {failed:g} → next: endurance {reps} × {hold:g} s at " \
    "{level:g} mmHg"
CUE_STOPPED_END = "Stage test stopped at {failed:g} → the test ends"
CUE_STAGES_DONE = "All stages done → next: endurance {reps} × {hold:g} s at {level:g} mmHg"
CUE_NEXT_REP = "next: endurance rep {rep} of {reps} at {level:g} mmHg"
CUE_LAST_DONE = "→ the test ends"
CUE_REP = "rep {rep} of {reps}"

# No signal (nothing arrived for 0.5 s): the live views grey out and say why.
NO_SIGNAL = "No signal"
NO_SIGNAL_WHY = {
    "disconnected": "No signal — device disconnected",
    "reconnecting": "No signal — reconnecting to the device…",
    "device_reset": "No signal — the device restarted",
    "no_data": "No signal — no samples arriving",
}
NO_SIGNAL_REASON = {  # beside the banner's large "No signal"
    "disconnected": "The device is disconnected.",
    "reconnecting": "Reconnecting to the device…",
    "device_reset": "The device restarted.",
    "no_data": "No samples are arriving.",
}
START_NEEDS_DEVICE = "Device not connected — plug in the sensor"

# Link health over the last 30 s.
LINK_UNSTABLE = "{pct:.0f} % {what} in the last {window:.0f} s"  # after "Unstable link:"
LINK_WHAT = {"lost": "lost", "corrupt": "corrupt"}
LINK_STATE.update({"unstable": "Unstable link:", "no_data": "No data:"})
LINK_NO_DATA_WHY = {"disconnected": "device disconnected", "reconnecting": "no samples",
                    "device_reset": "the device restarted", "no_data": "no samples arriving"}


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 frame``, ``2 frames`` (``many`` for irregular plurals)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def link_details(rate_hz: float, missing: int, corrupt: int, reconnects: int) -> str:
    """The connection bar's counts since connecting, with correct plurals."""
    parts = [f"{rate_hz:.0f} Hz", plural(missing, "frame") + " lost",
             plural(corrupt, "corrupt frame")]
    if reconnects:
        parts.append(plural(reconnects, "reconnect"))
    return " · ".join(parts)

# --- cctf analyze of many files (issue 14) ---------------------------------------------------

ANALYZE_FILES_HELP = "session CSV(s); each is analysed in this one process"
ANALYZE_JSON_HELP = "print one JSON object per line and file (with its \"file\" name)"
ANALYZE_SUMMARY_HELP = ("also write one CSV row per session (file, rate, baseline, activation, "
                        "PI, complete, faults by type); refuses an existing file")
ANALYZE_SUMMARY_EXISTS = "{path} already exists; cctf does not overwrite it (choose another name)"
ANALYZE_SUMMARY_FAILED = "cannot write {path}: {error}"
ANALYZE_EPILOG = ("exit status: 0 when every file was analysed; 2 if any file was malformed or "
                  "unreadable (one cctf: line each, the others are still analysed), or the "
                  "arguments were bad; 1 for any other error")

# --- small things seen: cues, alerts, start, results actions (issue 13S) ---------------------

CUE_NOD_COUNT = " · this try ends in"  # the count: time left to reach and hold the target
CUE_RELAX_NEXT = "✓ held · {next}"
CUE_RELAX_LAST = "✓ held"
CUE_WORD["get_ready"] = "Get ready"
CUE_GET_READY_DETAIL = "first: {target:g} mmHg · {phase}"
START_NOT_SETTLED = "Start test  (Space) — cuff not settled yet"
START_NOT_SETTLED_TITLE = "The cuff has not settled"
START_NOT_SETTLED_ASK = ("The set-up guide says: {state}\n\nThe pressure may still drift, "
                         "which can fail trials. Start anyway?")
START_SETTLED_NOW = ("The set-up guide now says the pressure is steady at the baseline. "
                     "Start the test?")
START_ASK_NO_SIGNAL = ("No signal from the device now: the test cannot start until it comes "
                       "back. Answer No and check the sensor.")
RESULTS_OPEN_REPORT = "Open report"
RESULTS_NO_REPORT = "No report written yet: press Report (PDF) first."
RESULTS_ATTACH = "Attach to patient…"
RESULTS_ATTACH_TITLE = "Attach this test to a patient"
RESULTS_ATTACH_PICK = "Patient to attach {name} to:"
RESULTS_ATTACH_NO_RECORDS = "The patient records are not open, so the test cannot be attached."
RESULTS_ATTACH_NO_PATIENTS = "There are no patients yet: add one with New patient… first."
RESULTS_ATTACHED = "Attached to {code} (session {id})."
SCENARIO_ITEM_TIP = "{name}: {description}"
SCENARIO_ITEM = "{name} — {description}"
# --- possible breath holding in the app: live, results, review (issue 17, breath half) -------
# The flag is a hypothesis from the pressure ripple; the therapist confirms or dismisses it.

FLAG_NAME = {"breath_hold": "possible breath holding", "retraction": "possible retraction",
             "chin_poke": "possible chin poke"}
FLAG_SHORT = {"breath_hold": "breath?", "retraction": "retraction?",
              "chin_poke": "chin poke?"}  # the trace's marker
FLAG_LIVE = "possible breath holding: ripple quiet {value:.0f} s (B confirm, Shift+B dismiss)"
CORRECTION_REVIEW = {
    True: "Trial {trial}: {before} → {after} ({flag} confirmed)",
    False: "Trial {trial}: {before} → {after} ({flag} dismissed)",
    None: "Trial {trial}: {before} → {after} ({flag} back to not reviewed)",
}
NOTHING_TO_REVIEW = "No trial with possible breath holding to review."
FLAG_REVIEWS_PREFIX = "Reviewed after the test: "
FLAG_CONFIRM = "Confirm breath holding"
FLAG_DISMISS = "Dismiss breath holding"
FLAG_UNREVIEW = "Breath flag: not reviewed"
FLAG_CONFIRM_KEY = "&B Confirm possible breath holding"
FLAG_DISMISS_KEY = "Dismiss possible breath holding"
FLAG_NO_FLAG = "Trial {trial} has no possible breath holding to review."
REPORT_EDIT_FLAG = {
    "confirmed": "trial {trial}: {flag} confirmed",
    "dismissed": "trial {trial}: {flag} dismissed",
    "unreviewed": "trial {trial}: {flag} back to not reviewed",
}
# --- head motion: the optional head sensor (issue 17, host side) ------------------------------
# Angles are measurements; what they mean for compensation is a hypothesis (no validated
# threshold in the literature), and every such reading says so.

FLAG_TEXT.update({
    "retraction": "possible retraction: the pressure rose but the head flexed only {value:.1f}° "
                  "(hypothesis, not validated)",
    "chin_poke": "possible chin poke: the head extended {value:.1f}° during the hold "
                 "(hypothesis, not validated)",
})
HEAD_NOT_MEASURED = "not measured"
HEAD_SECTION = "Head motion (head sensor; flexion from the resting head, + = chin towards chest):"
HEAD_TRIAL_LINE = ("{number:>3}  {phase:<10} {target:>6.1f}  flexion at hold {flexion}"
                   "  SD {sd}  gained {gain}{lift}")
HEAD_LIFT_MOTION = "  head rose (confirms a head lift)"
HEAD_DEG = "{value:.1f}°"
HEAD_SLOPE = ("flexion per mmHg across the stages: {slope:.2f}°/mmHg (R² {r2:.2f}, "
              "{n} stages); a proper nod flexes as the pressure rises — a hypothesis, no norm")
HEAD_SLOPE_NONE = ("flexion per mmHg across the stages: not measured (fewer than 3 stages with "
                   "an angle)")
HEAD_NEUTRAL_NONE = "head sensor: no still 2-s window to zero it, so no angles (lie still for 2 s)"
HEAD_COLUMN = "head flexion"
HEAD_COLUMN_APP = "Head flexion"
HEAD_TRACE_LABEL = "head flexion (°)"
HEAD_TRACE_TITLE = "Head flexion from rest (head sensor)"
HEAD_STALE = "no angle from the head sensor just now"
HEAD_ZEROING = "lie still for 2 s to zero the head sensor"
HEAD_REZERO = "Zero again"
HEAD_REZERO_TIP = ("Take the head's resting angle again from the next 2 s the patient lies still "
                   "(not during a recording)")
HEAD_EDF_NOT_MEASURED = "head angle not measured ({seconds:.2f} s; the Head signals read -180 deg)"
HEAD_EDF_TRANSDUCER = "cctf head sensor (MPU-6050), zeroed; -180 = not measured"
HEAD_EDF_PREFILTER = "on-board orientation filter; neutral pitch {pitch} roll {roll} deg"


def head_deg(value: float) -> str:
    """An angle in words: ``3.1°``, or ``not measured`` for NaN (never 0)."""
    return HEAD_NOT_MEASURED if value != value else HEAD_DEG.format(value=value)
# --- Sizes from a 1280×720 laptop to a 4K monitor (issue 13, layout) -------------------------

PATIENT_NONE_SHORT = "— no patient —"
ACTIONS_TITLE = "Therapist's actions and corrections"
ACTION_ROW = "{clock}  {text}"
CORRECTION_ROW = "correction: {text}"
ALERT_ROW = "⚠ {text}"

# --- Results' breath-flag row beside the trace (issue 13 fix after the merges) ------------
FLAG_STATUS_HINT = ("Possible breath holding (a hypothesis): choose the trial in the table, then "
                    "Confirm or Dismiss beside the trace.")
FLAG_CONFIRM_SHORT = "Confirm"
FLAG_DISMISS_SHORT = "Dismiss"
FLAG_UNREVIEW_SHORT = "Not reviewed"
FLAG_UNDO_SHORT = "Undo"
# --- head hypotheses reviewed, live angles, progress, LSL and `cctf record` (issue 17, ux) -----
# The head flags (possible retraction / chin poke) are reviewed like possible breath holding: a
# confirmed one fails the trial like a hand mark; the angles are measurements, "not measured"
# when the sensor gave none (never 0).

NOTHING_TO_REVIEW_HEAD = "No trial with possible retraction or chin poke to review."
HEAD_FLAG_CONFIRM_KEY = "&H Confirm possible retraction / chin poke"
HEAD_FLAG_DISMISS_KEY = "Dismiss possible retraction / chin poke"
FLAG_STATUS_HINT_ANY = ("A hypothesis flag (possible breath holding, retraction or chin poke): "
                        "choose the trial in the table, then Confirm or Dismiss (with several "
                        "flags on the trial, the button asks which).")
FLAG_WHICH = "Which flag of the chosen trial to confirm or dismiss"
FLAG_CONFIRM_OF = "Confirm {flag} (fails the trial)"
FLAG_DISMISS_OF = "Dismiss {flag}"
FLAG_UNREVIEW_OF = "{flag}: back to not reviewed"
FLAG_NO_FLAG_ANY = "Trial {trial} has no hypothesis flag to review."
# The pressure-only head_lift fault, with what the head sensor saw (issue 17: "head_lift
# confirmed by motion"); None: no sensor, nothing added.
HEAD_LIFT_BY_MOTION = {
    True: " — confirmed by motion: the head rose (head sensor)",
    False: " — not confirmed by motion: the head sensor saw no rise",
}
# The live trial panel (only with a head sensor).
HEAD_LIVE = "head flexion — {parts}"  # one line, the whole in its tooltip
HEAD_LIVE_NOW = "this hold {angle}"
HEAD_LIVE_WAITING = "this hold: from reaching the target"
HEAD_LIVE_STAGE = "{target:g} mmHg {angle}"
HEAD_ZEROED = "✓ Head sensor zeroed"  # the set-up page (the angle: during the test)
# The progress report and the history window.
HEAD_PROGRESS_TITLE = "Head flexion at the hold (head sensor; a measurement, no norm)"
HEAD_PROGRESS_COLUMNS = ("date", "flexion per mmHg", "flexion at the hold per stage (mmHg: °)")
HEAD_PROGRESS_SLOPE = "{slope:.2f}°/mmHg (R² {r2:.2f})"
HEAD_PROGRESS_NONE = "No test of this patient had a head sensor: head flexion not measured."
HEAD_PROGRESS_LINE = "{day:%d %b %Y}: {slope}"
HEAD_PROGRESS_APP = "Head flexion per mmHg (head sensor): {lines}"
# `cctf record --head-neutral`.
HEAD_NEUTRAL_HELP = ("the head sensor's resting pitch and roll in degrees, as PITCH,ROLL (e.g. "
                     "from a calibration step or an earlier recording's head_neutral_deg); "
                     "default: zero from the first still 2 s of the recording; a negative "
                     "pitch: --head-neutral=-4.5,1")
HEAD_NEUTRAL_NO_SENSOR = "cctf record: --head-neutral ignored: the device has no head sensor"
HEAD_NEUTRAL_BAD = ("needs two angles in degrees, PITCH,ROLL, each between -180 "
                    "and 180 (e.g. 12.5,-3), got {text!r}")


def fault_words(kind: str, value: float, lift_motion: bool | None = None) -> str:
    """A fault in words; a ``head_lift`` says whether the head sensor's motion confirms it
    (``lift_motion``: None = not measured, nothing added)."""
    text = describe_fault(kind, value)
    if kind == "head_lift" and lift_motion is not None:
        text += HEAD_LIFT_BY_MOTION[lift_motion]
    return text


# --- Results-screen flag reviews in the audit trail; the live head line at 1280 px (issue 17,
# gui follow-up) ------------------------------------------------------------------------------
# The session's record is complete before the results screen reviews a flag (the buttons wait
# for it), so each review there is a change to a finished session: an audit row with this
# fixed reason (no dialog: several flags are reviewed in a row; the session review asks one).
FLAG_REVIEW_RESULTS_REASON = "reviewed on the results screen at the end of the test"
FLAG_REVIEW_RESULTS_UNDO_REASON = "review undone on the results screen at the end of the test"
FLAG_REVIEW_WAIT = "Saving the test to the records… the flags can be reviewed in a moment."
HEAD_LIVE_EARLIER = "…"  # the live head line at 1280 px: earlier stages left out (in the tooltip)
HEAD_LIVE_WAITING_SHORT = "this hold: not yet"  # the same, when the panel is narrow
# A test run without a patient, attached from its results screen: the flags reviewed before
# (during the test or on the results screen) follow it into the records, in the audit trail.
FLAG_REVIEW_ATTACHED_REASON = ("reviewed before the test joined the records (during the test "
                               "or on its results screen)")

# --- progress report (PDF): words that were written in place ---------------------------------
PROGRESS_AS_OF = "as of {day:%d %b %Y}"
PROGRESS_COUNTS = "{tests} clinic tests, {training} home training sessions"
PROGRESS_PER_DAY = ", {n} × a day (since {day:%d %b %Y})"
PROGRESS_KIND_CLINIC = "clinic"
PROGRESS_FIRST_TEST = "first test"
PROGRESS_PI_CHANGE = "{delta:+g} PI: {verdict}"
PROGRESS_REAL_CHANGE = "real change"
PROGRESS_WITHIN_ERROR = "within measurement error"
PROGRESS_SINCE = "Since {day:%d %b %Y}: {change}. "

# --- the therapist's annotations carried by a session file (cctf.file_annotations) ----------
ANALYZE_SIGNAL_ONLY_HELP = ("judge the signal alone: leave out the therapist's annotations the "
                            "file records (marks, verdicts set, repeats, flag reviews)")
ANALYZE_ANNOTATED = ("Scores include the therapist's annotations recorded in the file ({trials}); "
                     "--signal-only judges the signal alone.")
ANALYZE_NOT_ANNOTATED = ("The therapist's annotations the file records ({trials}) are left "
                         "out (--signal-only).")
EXPORT_CSV_LATER_ANNOTATIONS = (
    "note: the therapist's annotations of trial(s) {trials} in the records are not the ones "
    "the CSV carries (changed after the session, or a file without them); the CSV is exported "
    "as recorded: a patient archive (cctf export --patient ID) carries both")
