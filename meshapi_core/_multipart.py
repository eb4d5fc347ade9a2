"""multipart/form-data bodies for the upload endpoints (protocol.md §1.6, §5.3, §5.4).

The audio transcription and translation endpoints take their params as form fields beside
one `file` part. The fields follow the query-string rules of §1.6: booleans as `true` /
`false`, lists as one repeated field per item, numbers in plain decimal (never `1e-07`),
`None` left out; a dict (a provider's JSON option) is written as compact JSON.

The body is built once per logical call and resent byte-identical on every retry, boundary
included (§5.3). The boundary is derived from the idempotency key and the content, not
drawn at random, so building the same call twice with the same `idempotency_key=` gives the
same bytes: the gateway's idempotency fingerprint (method, path, SHA-256 of the body, §5.4)
then matches and a repeated call is a replay, not a 409.
"""

from __future__ import annotations

import dataclasses
import decimal
import hashlib
import json
import math
import mimetypes
from collections.abc import Iterator, Mapping

__all__ = ["FileUpload", "encode_multipart", "guess_content_type"]

# Audio and video types first: the stdlib table lacks several (m4a, flac, ogg) and spells
# others the legacy way (`audio/x-wav`). The stdlib's built-in table (not the host's
# mime.types files, which differ between machines) covers the rest.
_CONTENT_TYPES = {
    "wav": "audio/wav",
    "wave": "audio/wav",
    "mp3": "audio/mpeg",
    "mpga": "audio/mpeg",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/opus",
    "flac": "audio/flac",
    "webm": "audio/webm",
    "aiff": "audio/aiff",
    "aif": "audio/aiff",
    "pcm": "audio/pcm",
}
_BUILTIN_TYPES = mimetypes.MimeTypes()
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def guess_content_type(filename: str) -> str:
    """The content type of a file part, from its filename's extension (§1.6).

    Returns `application/octet-stream` when the extension says nothing.
    """
    _, dot, extension = filename.rpartition(".")
    if dot:
        known = _CONTENT_TYPES.get(extension.lower())
        if known is not None:
            return known
    guessed, _ = _BUILTIN_TYPES.guess_type(filename, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


@dataclasses.dataclass(frozen=True, slots=True)
class FileUpload:
    """The file part of a multipart request.

    Attributes:
        content: the file's bytes.
        filename: the name sent in the part's `Content-Disposition`.
        content_type: the part's type; guessed from `filename` when None.
        field: the part's form name (`file` on every MeshAPI upload route).
    """

    content: bytes
    filename: str = "audio.mp3"
    content_type: str | None = None
    field: str = "file"

    def __post_init__(self) -> None:
        content: object = self.content
        if isinstance(content, bytearray | memoryview):
            object.__setattr__(self, "content", bytes(content))
        elif not isinstance(content, bytes):
            raise ValueError(f"file must be bytes, got {type(content).__name__}")
        if not isinstance(self.filename, str) or not self.filename:
            raise ValueError("filename must be a non-empty string")
        if self.content_type is None:
            object.__setattr__(self, "content_type", guess_content_type(self.filename))


def _decimal(value: float) -> str:
    # Plain decimal: repr() is the shortest exact text, Decimal formats it without an
    # exponent (1e-07 -> 0.0000001, 1e+16 -> 10000000000000000).
    text = format(decimal.Decimal(repr(value)), "f")
    return text


def _field_text(name: str, value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name}: {value!r} cannot be sent as a form field")
        return _decimal(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    raise ValueError(f"{name}: a {type(value).__name__} cannot be sent as a form field")


def form_items(fields: Mapping[str, object]) -> Iterator[tuple[str, str]]:
    """(name, text) per form field, in order: lists repeated, None left out (§1.6)."""
    for name, value in fields.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            if item is not None:
                yield name, _field_text(name, item)


def _quote(value: str) -> str:
    # The HTML form-data rules for names and filenames: escape what would end the
    # quoted string or the header line.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _boundary(seed: str, items: list[tuple[str, str]], upload: FileUpload) -> str:
    digest = hashlib.sha256()
    digest.update(seed.encode("utf-8"))
    for name, text in items:
        digest.update(b"\0" + name.encode("utf-8") + b"=" + text.encode("utf-8"))
    digest.update(b"\0" + upload.filename.encode("utf-8") + b"\0")
    digest.update(upload.content)
    return f"meshapi-{digest.hexdigest()[:32]}"


def encode_multipart(
    fields: Mapping[str, object], upload: FileUpload, *, seed: str
) -> tuple[bytes, str]:
    """The multipart/form-data body and its Content-Type header value.

    Args:
        fields: the form fields (a params model's `to_body()`, plus any `extra_body`).
        upload: the file part, written after the fields.
        seed: what makes the boundary differ per logical call: the idempotency key.

    Returns:
        (body, content_type), the content type carrying the boundary.

    Raises:
        ValueError: a field value that has no form encoding (a NaN, a nested list).
    """
    items = list(form_items(fields))
    boundary = _boundary(seed, items, upload)
    marker = f"--{boundary}".encode("ascii")
    parts: list[bytes] = []
    for name, text in items:
        parts.append(
            marker
            + b"\r\n"
            + f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
            + text.encode("utf-8")
            + b"\r\n"
        )
    parts.append(
        marker
        + b"\r\n"
        + (
            f'Content-Disposition: form-data; name="{_quote(upload.field)}"; '
            f'filename="{_quote(upload.filename)}"\r\n'
            f"Content-Type: {upload.content_type}\r\n\r\n"
        ).encode()
        + upload.content
        + b"\r\n"
    )
    parts.append(marker + b"--\r\n")
    body = b"".join(parts)
    # The boundary is a hash of everything, so it appearing in the content is a 2^-128
    # accident; still, a boundary must never occur in the body it delimits.
    if body.count(marker) != len(items) + 2:
        return encode_multipart(fields, upload, seed=seed + "+")
    return body, f"multipart/form-data; boundary={boundary}"
