"""From an HTTP response that failed to a `MeshAPIError` (protocol.md §4.3, §4.4, §1.5).

Theory of operation: `error_from_response` is a total function. Whatever the status,
headers and body bytes, it returns a `MeshAPIError` (through `make_error`, so the subclass
comes from the one table in `_errors`) and never raises: it runs on the failure path of
every call, and an exception escaping from here would replace the server's error with a
bug of ours. The steps are

1. decode the body as UTF-8 with replacement (undecodable bytes must not hide the error);
2. pick the branch by `Content-Type` (JSON, or not) and then by the shape of the JSON,
   in the order of §4.3;
3. apply §4.4 to `retry_after_seconds` and `request_id` in every branch.

Headers are a `Mapping[str, str]` that is either case-insensitive or a plain dict with
lower-case keys; they are always looked up by their lower-case names.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import timezone
from decimal import ROUND_CEILING, Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import pydantic

from ._errors import MeshAPIError, make_error

__all__ = [
    "STATUS_CODES",
    "code_for_status",
    "error_from_response",
    "error_from_success_body",
    "parse_retry_after",
]

# §4.3, the table `T`: the code used whenever the body gives none.
STATUS_CODES: Mapping[int, str] = {
    400: "invalid_request",
    401: "unauthorized",
    402: "spend_limit_exceeded",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    422: "validation_error",
    429: "rate_limit_exceeded",
    500: "upstream_error",
    502: "upstream_error",
    503: "upstream_error",
    504: "upstream_error",
}

# §4.3: the cut for messages built from bodies (raw text, flattened `detail` lists, compact
# JSON). Strings the server wrote as messages (`error.message`, `error`, `detail`,
# `message`) are kept whole: §4.3 gives them no limit.
_MAX_MESSAGE = 500

# RFC 9110 §10.2.3 delta-seconds is `1*DIGIT`; §4.4 asks for "a number of seconds,
# rounded up", so a decimal fraction is accepted too. ASCII digits only: `\d` would let
# other scripts' digits through.
_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def code_for_status(status: int) -> str:
    """The code of table `T` (protocol.md §4.3) for an HTTP status.

    Args:
        status: The HTTP status.

    Returns:
        The code for the status; `http_error` for any status without an entry.
    """
    return STATUS_CODES.get(status, "http_error")


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, *, now: float
) -> MeshAPIError:
    """Map an HTTP response with an error status to a `MeshAPIError` (protocol.md §4.3).

    Meant for statuses ≥ 300 (redirects are not followed, §1.1, so a 3xx is an error with
    code `http_error`), but total: any int status, any headers and any bytes give an
    error, never an exception.

    Args:
        status: The HTTP status; it becomes `error.status` unchanged.
        headers: The response headers (case-insensitive, or lower-case keys).
        body: The whole response body.
        now: The current time in epoch seconds; an HTTP-date `Retry-After` is measured
            from it (§4.4). The core never reads the clock itself.

    Returns:
        The error, of the subclass `make_error` picks for its status and code, with
        `request_id` never None (`""` when unknown) and `retry_after_seconds` set by the
        precedence of §4.4.
    """
    text = body.decode("utf-8", errors="replace")
    header_retry_after = parse_retry_after(_header(headers, "retry-after"), now=now)
    header_request_id = _header(headers, "x-request-id") or ""

    if _is_json_content_type(_header(headers, "content-type")):
        return _from_json_body(status, text, header_retry_after, header_request_id)

    # §4.3 rule 2: not JSON, or no Content-Type at all.
    if 300 <= status < 400:
        code = "http_error"  # §1.1: a redirect is not followed, it is raised as is.
        message = f"HTTP {status}: redirects are not followed (check base_url)"
    else:
        # A 4xx keeps its meaning through T (a plain-text 404 is still `not_found`);
        # a 5xx page (a proxy's HTML 502) says nothing we can trust, so `parse_error`.
        code = "parse_error" if 500 <= status < 600 else code_for_status(status)
        message = _truncate(text.strip()) or f"HTTP {status}"
    return make_error(
        message,
        status=status,
        error_code=code,
        request_id=header_request_id,
        retry_after_seconds=header_retry_after,
    )


def error_from_success_body(
    status: int, headers: Mapping[str, str], cause: BaseException
) -> MeshAPIError:
    """The error for a 2xx body that is not JSON or does not validate (protocol.md §1.5).

    Args:
        status: The HTTP status of the response (a 2xx).
        headers: The response headers; only `x-request-id` is read.
        cause: What went wrong: the `json.JSONDecodeError` (any `ValueError`) of the
            parse, or the `pydantic.ValidationError` of the result model. It is chained
            as `__cause__`.

    Returns:
        A `parse_error` (a `ResponseParseError` for a 2xx) with the HTTP status and the
        header request id. For a validation error, `details` lists the problems without
        their input values, and the message names the first few.
    """
    details: list[Any] = []
    if isinstance(cause, pydantic.ValidationError):
        # include_input=False: the offending values are response content, which belongs
        # in the chained cause for debugging, not in messages that end up in logs.
        details = [
            {**item, "loc": list(item["loc"])}
            for item in cause.errors(include_url=False, include_input=False)
        ]
        problems = _flatten_locations(details) or str(cause.error_count())
        message = f"HTTP {status}: the response did not validate as {cause.title}: {problems}"
    elif isinstance(cause, ValueError):
        message = f"HTTP {status}: the response body is not valid JSON: {cause}"
    else:
        message = f"HTTP {status}: the response body could not be parsed: {type(cause).__name__}"
    error = make_error(
        _truncate(message),
        status=status,
        error_code="parse_error",
        request_id=_header(headers, "x-request-id") or "",
        details=details,
    )
    error.__cause__ = cause
    return error


def parse_retry_after(value: str | None, *, now: float) -> int | None:
    """Read a `Retry-After` header value as whole seconds (protocol.md §4.4).

    Delta-seconds (a non-negative decimal number, fraction allowed) are rounded up. An
    HTTP-date is measured from `now`, rounded up and clamped at 0 (a date in the past
    means "now"). A negative, non-finite or unparsable value is ignored.

    Args:
        value: The header value, or None when the header is absent.
        now: The current time in epoch seconds.

    Returns:
        The delay in whole seconds (≥ 0), or None when there is none to honour.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        seconds = Decimal(value)  # exact, so "1.0000000000000000001" rounds up to 2
        # A value past the float range counts as non-finite: no delay is that long, and
        # an int with thousands of digits would break str() in Python ≥ 3.11.
        if not math.isfinite(float(seconds)):
            return None
        return int(seconds.to_integral_value(rounding=ROUND_CEILING))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        # parsedate_to_datetime leaves "-0000" and asctime dates naive; an HTTP-date is
        # always GMT (RFC 9110 §5.6.7), and .timestamp() of a naive value would read the
        # machine's local zone.
        when = when.replace(tzinfo=timezone.utc)
    delta = when.timestamp() - now
    if not math.isfinite(delta):
        return None
    return max(0, math.ceil(delta))


def _from_json_body(
    status: int, text: str, header_retry_after: int | None, header_request_id: str
) -> MeshAPIError:
    """§4.3 rule 1: the body claims to be JSON."""
    try:
        # RFC 8259 §8.1 lets a parser ignore a byte order mark; json.loads rejects one.
        data: Any = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and Python's int-digit limit; deeply nested
        # arrays exhaust the C scanner's recursion guard.
        return make_error(
            _truncate(text.strip()) or f"HTTP {status}",
            status=status,
            error_code="parse_error",
            request_id=header_request_id,
            retry_after_seconds=header_retry_after,
        )

    request_id = header_request_id
    if isinstance(data, dict):
        body_request_id = data.get("request_id")
        if isinstance(body_request_id, str) and body_request_id:
            request_id = body_request_id  # §4.4: the body's id wins over the header's.

    # §4.3: in every branch but the envelope (and parse_error) the code is T[status].
    code = code_for_status(status)
    details: list[Any] = []
    retry_after = header_retry_after
    provider_error: dict[str, Any] | None = None
    param: str | None = None
    message: str

    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        envelope: dict[str, Any] = data["error"]
        body_code = envelope.get("code")
        if isinstance(body_code, str) and body_code:
            code = body_code
        message = _nonempty_str(envelope.get("message")) or f"HTTP {status}"
        raw_details = envelope.get("details")
        if isinstance(raw_details, list):
            details = raw_details
        raw_provider = envelope.get("provider_error")
        if isinstance(raw_provider, dict):
            provider_error = raw_provider
        raw_param = envelope.get("param")
        if isinstance(raw_param, str):
            param = raw_param
        body_retry_after = envelope.get("retry_after_seconds")
        # §4.4: an int ≥ 0; bool is an int subclass in Python but not a number in JSON.
        if (
            isinstance(body_retry_after, int)
            and not isinstance(body_retry_after, bool)
            and body_retry_after >= 0
        ):
            retry_after = body_retry_after
    elif isinstance(data, dict) and isinstance(data.get("error"), str):
        message = data["error"]
    elif isinstance(data, dict) and isinstance(data.get("detail"), str):
        message = data["detail"]  # FastAPI's HTTPException, e.g. models.get 404
    elif isinstance(data, dict) and isinstance(data.get("detail"), list):
        details = data["detail"]  # FastAPI's request validation 422
        message = _flatten_locations(details)
    elif isinstance(data, dict) and isinstance(data.get("detail"), dict):
        detail: dict[str, Any] = data["detail"]
        details = [detail]
        inner = detail.get("message")
        message = inner if isinstance(inner, str) else _compact_json(detail, text)
    elif isinstance(data, dict) and isinstance(data.get("message"), str):
        message = data["message"]
    else:
        message = _compact_json(data, text)

    if 300 <= status < 400:
        code = "http_error"  # §1.1, whatever the body says

    return make_error(
        message or f"HTTP {status}",
        status=status,
        error_code=code,
        request_id=request_id,
        details=details,
        provider_error=provider_error,
        retry_after_seconds=retry_after,
        param=param,
    )


def _flatten_locations(items: list[Any]) -> str:
    """`<loc joined by ".">: <msg>` per item, joined by "; ", cut to 500 (§4.3)."""
    parts: list[str] = []
    length = 0
    for item in items:
        if length > _MAX_MESSAGE:
            break  # the rest would be cut anyway; do not format thousands of items
        if isinstance(item, dict):
            loc = item.get("loc")
            if isinstance(loc, (list, tuple)):
                where = ".".join(
                    str(p)
                    if isinstance(p, (str, int)) and not isinstance(p, bool)
                    else _compact_json(p, "?")
                    for p in loc
                )
            elif isinstance(loc, str):
                where = loc
            else:
                where = ""
            msg = item.get("msg")
            what = msg if isinstance(msg, str) else _compact_json(msg, "")
            part = f"{where}: {what}" if where else what
        else:
            part = _compact_json(item, "")
        parts.append(part)
        length += len(part) + 2
    return _truncate("; ".join(parts))


def _compact_json(value: Any, fallback: str) -> str:
    """Compact JSON text of an already-parsed value, cut to 500 characters (§4.3)."""
    try:
        return _truncate(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    except (ValueError, RecursionError):
        # The encoder's recursion limit can be lower than the decoder's: fall back to
        # the text as received rather than fail on an error path.
        return _truncate(fallback.strip())


def _truncate(text: str) -> str:
    return text[:_MAX_MESSAGE]


def _nonempty_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_json_content_type(value: str | None) -> bool:
    """`application/json` or any `type/subtype+json`, parameters ignored (§4.3 rule 1)."""
    if not value:
        return False
    media_type = value.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        return True
    kind, slash, subtype = media_type.partition("/")
    return bool(kind and slash and subtype.endswith("+json") and len(subtype) > len("+json"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """One header by its lower-case name; None when absent (or, defensively, not a str)."""
    value = headers.get(name)
    return value if isinstance(value, str) else None
