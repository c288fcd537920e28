"""The small error hierarchy every cctf layer raises from.

Messages say what went wrong and what to do next; callers catch ``CctfError`` at the edge
(CLI, GUI) and show the message, never a traceback.
"""


class CctfError(Exception):
    """Base of every error cctf raises on purpose."""


class DeviceError(CctfError):
    """The device or its transport failed (not found, unplugged, no answer)."""


class TransportClosed(DeviceError):
    """The transport went away mid-session (cable pulled, port vanished)."""


class ProtocolError(CctfError):
    """The device answered, but not in a way the protocol allows (NAK, bad version)."""


class VersionMismatch(ProtocolError):
    """The device speaks another protocol version (PROTOCOL.md section 13): refused."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


class FileFormatError(CctfError):
    """A file cctf was asked to read is malformed; the message names the file and line."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class ConfigError(CctfError, ValueError):
    """A setting is out of its allowed range; the message names the field and the value."""


class RecordsError(CctfError):
    """The patient records cannot do what was asked (unknown patient, session in use, …)."""


class CorruptDatabaseError(RecordsError):
    """The records database fails its integrity check; it is left untouched until the user
    agrees to move it aside and rebuild (``cctf recover --repair-database``)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            f"the records database {path} is damaged ({detail}); nothing was changed. Run "
            "'cctf recover --repair-database' to move it aside (kept as cctf.db.corrupt-…) and "
            "rebuild the records from the last backup and the session CSVs"
        )
        self.path = path
        self.detail = detail
