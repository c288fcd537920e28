"""The ``cctf`` command runs NumPy with one BLAS thread (``cctf.blas_threads``): no worker
left spinning on the second core after a product; a user's own setting is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = ("import os, cctf.cli, numpy as np\n"
         "a = np.random.rand(3000, 200) + 0j\n"
         "b = np.random.rand(200, 300)\n"
         "c = a @ b\n"
         "print(len(os.listdir('/proc/self/task')))\n")


def _threads(env: dict[str, str]) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or (os.cpu_count() or 1) < 2,
                    reason="counts threads in /proc; OpenBLAS starts workers only on 2+ cores")
def test_one_blas_thread_unless_the_user_says_otherwise():
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    assert _threads(env) == 1  # the main thread only
    assert _threads({**env, "OPENBLAS_NUM_THREADS": "2"}) == 2  # theirs: a worker beside it
