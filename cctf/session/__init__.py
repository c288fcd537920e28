"""Session logic the app runs and the GUI shows: the guided clinic test and home training.

Headless and clock-free (time is the samples' ``t_s``), so it is tested without a window.
"""
