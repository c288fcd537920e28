"""The simulated cctf device (installed as ``cctf.sim``).

It speaks exactly the firmware's bytes and commands, in-process (tests, with a virtual clock)
or on a virtual serial port (``cctf sim``), driven by a scripted patient, a cuff with its
physiology, and injectable link faults.
"""
