"""Patient records: the database, sessions and their recovery, progress, reports, exports.

Headless (no Qt). The app and the ``cctf`` commands use it through ``open_records``
(``cctf.records.startup``), ``Records`` (``store``), ``begin_session``/``complete_session``/
``recover_interrupted`` (``recovery``), ``progress``, ``report``, ``edf`` and ``archive``.
Where the data lives and why: docs/records.md.
"""
