"""A real, tiny PNG per prompt: valid signature, IHDR, IDAT and IEND, colour from a hash."""

from __future__ import annotations

import hashlib
import struct
import zlib

__all__ = ["png_for_prompt"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def png_for_prompt(prompt: str, *, width: int = 16, height: int = 16) -> bytes:
    """A `width`×`height` RGB PNG whose colours are derived from `prompt`."""
    digest = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest()
    top, bottom = digest[0:3], digest[3:6]
    rows = []
    for y in range(height):
        colour = top if y < height // 2 else bottom
        rows.append(b"\x00" + colour * width)  # filter byte 0 (None) per scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
