"""Implementations of the ``cctf`` subcommands that do more than a few lines of work."""
