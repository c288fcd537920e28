"""Consistent Overhead Byte Stuffing: an encoded frame never contains 0x00, so 0x00 delimits
frames and a receiver is back in sync at the first 0x00 after any garbage.
"""


def cobs_encode(data: bytes) -> bytes:
    """Encode ``data`` so the result has no zero byte (the 0x00 delimiter is not appended)."""
    out = bytearray()
    start = 0
    n = len(data)
    i = 0
    while True:
        if i == n or data[i] == 0:
            out.append(i - start + 1)
            out += data[start:i]
            if i == n:
                return bytes(out)
            start = i + 1
        elif i - start == 253:
            # A full 254-byte run: code 0xFF means "no zero follows".
            out.append(0xFF)
            out += data[start : i + 1]
            start = i + 1
            if start == n:
                return bytes(out)
        i += 1


def cobs_decode(encoded: bytes) -> bytes | None:
    """Decode one COBS frame (without its delimiter); ``None`` if it is malformed."""
    if not encoded or 0 in encoded:
        return None  # the shortest encoding (of b"") is b"\x01"; a zero is never encoded
    out = bytearray()
    i = 0
    n = len(encoded)
    while i < n:
        code = encoded[i]
        if code == 0:
            return None
        end = i + code
        if end > n:
            return None
        out += encoded[i + 1 : end]
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)
