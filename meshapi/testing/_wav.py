"""Real WAV files for the speech route, and the text they carry for transcription.

`speech_wav(text, ...)` is a valid RIFF/WAVE file (PCM16, mono): one short tone per
character of `text` (silence for whitespace), 50 ms per character at speed 1, so its
length follows the text. The text itself rides along in a standard `LIST`/`INFO` chunk
(`ICMT`, a comment) placed before the samples, which every WAV reader skips. The
transcription routes read it back (`wav_text`), so speech → transcription round-trips;
audio without it transcribes to a line derived from a hash of its bytes.
"""

from __future__ import annotations

import array
import hashlib
import math
import struct
import sys

__all__ = ["SECONDS_PER_CHARACTER", "describe_audio", "speech_wav", "wav_text"]

SECONDS_PER_CHARACTER = 0.05
_AMPLITUDE = 6000


def _chunk(tag: bytes, data: bytes) -> bytes:
    # RIFF chunks are word-aligned: odd sizes get one pad byte (not counted in the size).
    pad = b"\0" if len(data) % 2 else b""
    return tag + struct.pack("<I", len(data)) + data + pad


def _samples(text: str, voice: str, sample_rate: int, speed: float) -> bytes:
    per_char = max(1, round(sample_rate * SECONDS_PER_CHARACTER / speed))
    # The voice shifts every tone, so two voices sound (and hash) different.
    shift = int(hashlib.sha256(voice.encode("utf-8")).hexdigest()[:2], 16)
    out = array.array("h")
    for character in text or " ":
        if character.isspace():
            out.extend([0] * per_char)
            continue
        frequency = 180 + (ord(character) % 40) * 15 + shift
        step = 2 * math.pi * frequency / sample_rate
        out.extend(int(_AMPLITUDE * math.sin(step * n)) for n in range(per_char))
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def speech_wav(text: str, *, voice: str, sample_rate: int = 24000, speed: float = 1.0) -> bytes:
    """A WAV of `text` spoken by `voice` (see the module docstring)."""
    info = b"INFO" + _chunk(b"ISFT", b"meshapi.testing\0") + _chunk(
        b"ICMT", text.encode("utf-8") + b"\0"
    )
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    body = b"WAVE" + _chunk(b"fmt ", fmt) + _chunk(b"LIST", info)
    body += _chunk(b"data", _samples(text, voice, sample_rate, speed))
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _chunks(data: bytes, start: int, end: int) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    offset = start
    while offset + 8 <= end:
        tag = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        found.setdefault(tag, data[offset + 8 : offset + 8 + size])
        offset += 8 + size + (size % 2)
    return found


def wav_text(data: bytes) -> str | None:
    """The text a `speech_wav` file carries (its `INFO`/`ICMT` comment), else None."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    listing = _chunks(data, 12, len(data)).get(b"LIST")
    if listing is None or listing[:4] != b"INFO":
        return None
    comment = _chunks(listing, 4, len(listing)).get(b"ICMT")
    if comment is None:
        return None
    return comment.rstrip(b"\0").decode("utf-8", "replace")


def describe_audio(data: bytes) -> str:
    """The transcript of audio that carries no text: a line derived from its bytes."""
    digest = hashlib.sha256(data).hexdigest()
    return f"Transcribed audio {digest[:12]} ({len(data)} bytes)."
