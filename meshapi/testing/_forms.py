"""multipart/form-data as the gateway reads it (protocol.md §1.6), strictly.

The middleware has already read the body (to record it), so uploads are parsed here from
the recorded bytes rather than through aiohttp's streaming reader. The parser is strict
where a sloppy client would go unnoticed otherwise: a missing or unquoted boundary, a part
without `Content-Disposition`, a body that does not end with the closing delimiter are all
400 `invalid_request`. Form values follow §1.6: booleans must be `true`/`false` (Python's
`True` is a 422, as FastAPI's bool parsing would make it), numbers plain decimal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import GatewayError
from ._validation import Detail, raise_validation

__all__ = ["FormData", "FormPart", "parse_form"]

_BOUNDARY = re.compile(r'boundary=(?:"(?P<quoted>[^"]{1,70})"|(?P<bare>[^\s;"]{1,70}))', re.I)
_PARAM = re.compile(r';\s*(?P<key>[A-Za-z*]+)="(?P<value>(?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class FormPart:
    """One part: its form name, filename (file parts only), content type and bytes."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        """The value of a plain field, as UTF-8 text."""
        return self.data.decode("utf-8", "replace")


def _unescape(value: str) -> str:
    # The HTML / urllib3 escapes of names and filenames (what meshapi_core writes).
    return (
        value.replace("%22", '"')
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("\\\\", "\\")
    )


def _bad(message: str) -> GatewayError:
    return GatewayError(400, "invalid_request", f"Malformed multipart body: {message}.")


def _part(raw: bytes) -> FormPart:
    head, separator, data = raw.partition(b"\r\n\r\n")
    if not separator:
        raise _bad("a part has no header block")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon:
            raise _bad(f"bad part header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition")
    if disposition is None or not disposition.lower().startswith("form-data"):
        raise _bad("a part has no Content-Disposition: form-data")
    params = {m["key"].lower(): _unescape(m["value"]) for m in _PARAM.finditer(disposition)}
    if "name" not in params:
        raise _bad("a part has no name")
    return FormPart(params["name"], params.get("filename"), headers.get("content-type"), data)


@dataclass(frozen=True)
class FormData:
    """A parsed form: its parts in order, looked up by name."""

    parts: tuple[FormPart, ...]

    def values(self, name: str) -> list[str]:
        """Every plain value of field `name`, in order (repeated fields are lists)."""
        return [p.text for p in self.parts if p.name == name and p.filename is None]

    def file(self, name: str = "file") -> FormPart | None:
        """The file part called `name`."""
        return next((p for p in self.parts if p.name == name and p.filename is not None), None)

    def fields(
        self,
        kinds: Mapping[str, str],
        *,
        lists: Sequence[str] = (),
        required: Sequence[str] = (),
    ) -> dict[str, Any]:
        """The plain fields typed by `kinds` (`str`, `bool`, `int`, `float`), 422 if not.

        Unknown fields are ignored, as the gateway ignores them; `lists` keep every
        repeated value, any other field its last one.
        """
        problems: list[Detail] = []
        result: dict[str, Any] = {}
        for name in required:
            if not self.values(name):
                problems.append({"type": "missing", "loc": ["body", name], "msg": "Field required"})
        for name, kind in kinds.items():
            values = self.values(name)
            if not values:
                continue
            typed = [_typed(name, kind, value, problems) for value in values]
            result[name] = typed if name in lists else typed[-1]
        raise_validation(problems)
        return result


def _typed(name: str, kind: str, value: str, problems: list[Detail]) -> Any:
    loc = ["body", name]
    if kind == "bool":
        if value in ("true", "false"):
            return value == "true"
        problems.append(
            {"type": "bool_parsing", "loc": loc, "msg": "Input should be a valid boolean"}
        )
        return None
    if kind == "int":
        if re.fullmatch(r"-?[0-9]+", value):
            return int(value)
        problems.append(
            {"type": "int_parsing", "loc": loc, "msg": "Input should be a valid integer"}
        )
        return None
    if kind == "float":
        # Plain decimal only (§1.6): an exponent means the client did not follow the rule.
        if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
            return float(value)
        problems.append(
            {"type": "float_parsing", "loc": loc, "msg": "Input should be a plain decimal number"}
        )
        return None
    return value


def parse_form(content_type: str | None, body: bytes) -> FormData:
    """The parts of a multipart/form-data body.

    Raises:
        GatewayError: 400 `invalid_request` for anything that is not a well-formed
            multipart/form-data body.
    """
    if content_type is None or not content_type.lower().startswith("multipart/form-data"):
        raise GatewayError(
            400,
            "invalid_request",
            "This endpoint takes multipart/form-data (the audio as the `file` part).",
        )
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise _bad("the Content-Type has no boundary")
    boundary = (match["quoted"] or match["bare"]).encode("ascii", "replace")
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        raise _bad("the body does not start with the boundary")
    closing = b"\r\n" + delimiter + b"--"
    end = body.rfind(closing)
    if end == -1 or body[end + len(closing) :].strip() not in (b"",):
        raise _bad("the body does not end with the closing boundary")
    inner = body[len(delimiter) : end]
    chunks = inner.split(b"\r\n" + delimiter)
    parts: list[FormPart] = []
    for chunk in chunks:
        if not chunk.startswith(b"\r\n"):
            raise _bad("a boundary is not followed by CRLF")
        parts.append(_part(chunk[2:]))
    return FormData(tuple(parts))
