"""``python -m cctf``: the ``cctf`` command, for a Python whose scripts are not on PATH."""

import sys

from cctf.cli import main

if __name__ == "__main__":
    sys.exit(main())
