"""cctf: digital biofeedback for the craniocervical flexion test.

A training and research tool, not a certified medical device.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "cctf is a training and research tool, not a certified medical device. "
    "It does not diagnose, and its scores are no substitute for a clinician's judgement."
)
