"""The bundle's entry point: the ``cctf`` command (app and subcommands), as installed by pip."""

import sys

from cctf.cli import main

if __name__ == "__main__":
    sys.exit(main())
