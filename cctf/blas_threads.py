"""One BLAS thread for the ``cctf`` command: imported by ``cctf.cli`` before NumPy loads.

cctf's arrays are small (a window, a hold, a rest of at most a few thousand samples). With
OpenBLAS's default of one worker per core, a product big enough to be split (the breath fit's
rate sums were one, at each cue, until they became plain sums) wakes a worker that then spins
for a while: on a 2-core laptop it takes the second core from the display server, the
device's reader and the simulator (issue 14). The user's own setting wins (``setdefault``); a
program that imports NumPy before cctf keeps its own.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
