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
    "leak": "rest level falling {value:.2f} mmHg/min: check the cuff for a leak",
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
TAB_TRAINING = "&Home training"
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
    "<p>Patient records and sessions are kept in <tt>{folder}</tt>.</p>"
    "<p>Head lift and retraction are detected from pressure signatures that are hypotheses, "
    "not validated facts. Superficial muscle activity and breath holding cannot be seen in "
    "the pressure: mark them by hand (keys 1–4).</p>"
)
KEYS_TITLE = "Keys"
KEYS_HTML = (
    "<table cellpadding='4'>"
    "<tr><td colspan='2'><b>Clinic test</b></td></tr>"
    "<tr><td>Space</td><td>start the test / pause / resume</td></tr>"
    "<tr><td>R</td><td>repeat the last trial</td></tr>"
    "<tr><td>O</td><td>override the verdict of the last (or selected) trial; again: back to "
    "the measured verdict</td></tr>"
    "<tr><td>1 – 4</td><td>mark compensation seen by hand: 1 SCM or scalene activity, "
    "2 breath holding, 3 jaw or hyoid, 4 other (fails the trial)</td></tr>"
    "<tr><td>T</td><td>tare (cuff open to air)</td></tr>"
    "<tr><td>Ctrl+E</td><td>end the test now</td></tr>"
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
LINK_DETAILS = "{rate:.0f} Hz · {missing} lost · {corrupt} corrupt"
LINK_RECONNECTS = " · {n} reconnects"
LINK_EVENT_SHORT = {"disconnected": "link lost", "reconnected": "link back",
                    "device_reset": "device restarted"}

# Trace, readout, gauge.
AXIS_PRESSURE = "pressure (mmHg)"
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
    "<li>Inflate to 20 mmHg. Air flows back into the tube at first, so the pressure drops: "
    "re-inflate 2–3 times until it stays.</li>"
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
LIVE_NOT_REACHED = "✗ Not reached"
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
TRAINING_WORD = {"nod": "NOD GENTLY", "hold": "HOLD", "relax": "RELAX", "rest": "REST",
                 "paused": "PAUSED", "done": "DONE", "setup": ""}
TRAINING_BAND = {"in": "✓ Just right — keep it steady", "low": "↑ A little more",
                 "high": "↓ A little less", "": ""}
TRAINING_REST_HINT = "Breathe and relax"
TRAINING_REPS = "{done} of {planned} done"
TRAINING_PRESSURE = "Now {value:.0f} · target {target:.0f}"
SUMMARY_TITLE = "You held {done} of {planned}"
SUMMARY_FACTS = "Time just right: {in_band:.0f} seconds · longest steady hold: {longest:.0f} s"

# Monitor.
WINDOW_LABEL = "Show"
RECORD_TOGGLE = "Start / stop recording"
RECORD_START = "● Record  (Space)"
RECORD_STOP = "■ Stop recording  (Space)"
RECORDING_STATUS = "Recording {seconds:.0f} s, {rows} rows → {path}"
ADD_MARKER = "Add marker  (M)"
MARKER_PLACEHOLDER = "marker text (optional), then M or Enter"
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
REPORT_MORE_TRIALS = "… {n} more trials: see the session CSV or 'cctf analyze'"
REPORT_NO_TRIALS = "No cued trials in this session."
REPORT_NOTES = "Therapist's notes"
REPORT_NO_NOTES = "(none)"
REPORT_SESSION_EVENTS = "Session: {events}"
REPORT_STATUS_NOTE = "Note: {note}"
REPORT_TRACE_LEGEND = ("pressure", "target band", "fault", "reference 28 / 24 mmHg")
REPORT_FOOTER = "{disclaimer}  Generated by cctf {version}."
REPORT_HISTORY = "Sessions"
REPORT_HISTORY_COLUMNS = ("date", "kind", "activation", "PI", "change", "status")
REPORT_ADHERENCE = "Home programme"
REPORT_AXIS_ACTIVATION = "activation score (mmHg)"
REPORT_AXIS_PI = "performance index (0–100)"
REPORT_AXIS_DATE = "date"
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
PATIENT_PROGRESS = "Progress…"
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
NOTES_NOT_IN_RECORDS = "No patient was chosen: notes and reports need the records."
REPORT_BUTTON = "Report (PDF)"
REPORT_WRITING = "Writing the report…"
REPORT_SAVED = "Report saved to {path}"
REPORT_FAILED = "The report could not be written: {error}"
RECORD_PENDING = "Saving to the records…"
RECORD_SAVED = "Saved in the records for {code} (session {id})."

PROGRESS_TITLE = "Progress of {code}"
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
