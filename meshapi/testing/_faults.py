"""Fault injection as data: what to match, what to do, how many times.

A `Fault` pairs a match (method, path, optional predicate on the recorded request) with one
effect or a tuple of effects, for the next `times` matching requests. Effects are small
frozen dataclasses, so a test reads like a table:

    gw.faults.add(Fault(Fail(503), path="/v1/chat/completions", times=2))
    with gw.inject(ResetAfterChunks(3), path="/v1/chat/completions"):
        ...

Effects come in three groups, which the middleware applies at different points:

* **replacements** answer instead of the handler, which never runs: `Fail`, `HtmlPage`,
  `JsonBody`, `RawBytes`, and `ResetBeforeResponse` (unless `run_handler=True`);
* **delays and headers** that wrap a normal answer: `StallBeforeHeaders`, `RoutingHeaders`,
  `ExtraHeaders`;
* **shaping** that alters how the real answer's bytes go out: `TinyPieces`,
  `StallBetweenChunks`, `ResetAfterChunks`, `ResetAfterBytes`, `TruncatedJson`,
  `MidStreamError`, `OmitDone`, `KeepAliveComments`. On SSE a "chunk" is one event; on a
  plain body it is the whole body, or each piece when `TinyPieces` splits it.

Separately, `ModelFault` fails a *model* wherever it is used (chat, compare, batch items),
as an upstream provider failure would, so one model of a compare can fail alone.

Thread-safe: tests add and remove faults from their own thread while the gateway loop
consumes them.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import fnmatch
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ._recording import RecordedRequest

__all__ = [
    "Effect",
    "ExtraHeaders",
    "Fail",
    "Fault",
    "FaultHandle",
    "FaultSet",
    "HtmlPage",
    "JsonBody",
    "KeepAliveComments",
    "MidStreamError",
    "ModelFault",
    "ModelFaultSet",
    "OmitDone",
    "RawBytes",
    "ResetAfterBytes",
    "ResetAfterChunks",
    "ResetBeforeResponse",
    "RoutingHeaders",
    "StallBeforeHeaders",
    "StallBetweenChunks",
    "TinyPieces",
    "TruncatedJson",
    "http_date",
]


def http_date(seconds_from_now: float = 0.0) -> str:
    """An RFC 9110 HTTP-date `seconds_from_now` in the future, for `Retry-After`."""
    when = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=seconds_from_now)
    return email.utils.format_datetime(when, usegmt=True)


RetryAfter: TypeAlias = int | float | str | _dt.datetime | None


# ----------------------------------------------------------------------------- replacements


@dataclass(frozen=True)
class Fail:
    """Answer with the error envelope (§4.1) and `status`; the handler never runs.

    `code` defaults from the status (429 → `rate_limit_exceeded`, 503 →
    `provider_not_available`, ...). `retry_after` becomes the `Retry-After` header: a number
    of seconds, a preformatted string (an HTTP-date from `http_date()`, or anything odd you
    want to test), or an aware `datetime`. `body_retry_after` becomes the body's
    `error.retry_after_seconds`, independently, so either or both can be sent.
    """

    status: int
    code: str | None = None
    message: str | None = None
    retry_after: RetryAfter = None
    body_retry_after: int | None = None
    details: tuple[Mapping[str, Any], ...] = ()
    provider_error: Mapping[str, Any] | None = None
    param: str | None = None
    request_id: str | None = None  # body request_id override; None = the real id


@dataclass(frozen=True)
class HtmlPage:
    """A non-JSON error page, as a proxy or load balancer in front of the gateway sends."""

    status: int = 502
    html: str = (
        "<html><head><title>502 Bad Gateway</title></head>"
        "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>"
        "</html>"
    )
    content_type: str = "text/html"


@dataclass(frozen=True)
class JsonBody:
    """Any JSON body (not the envelope): `{"detail": ...}`, `{"error": "text"}`, a list..."""

    status: int
    body: Any
    content_type: str = "application/json"


@dataclass(frozen=True)
class RawBytes:
    """Send these bytes verbatim as the body, with no Content-Length (chunked).

    `body` may be one `bytes` or a sequence of chunks, each written (and flushed) on its
    own, so shaping effects such as `StallBetweenChunks` or `ResetAfterChunks` count them.
    Use it for malformed SSE, invalid UTF-8, a 10 MB event, a body with no `[DONE]`...
    """

    body: bytes | Sequence[bytes]
    status: int = 200
    content_type: str | None = "text/event-stream; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResetBeforeResponse:
    """Reset the TCP connection (RST) before a single response byte is written.

    With `run_handler=True` the request is executed first (and its result stored against
    its Idempotency-Key) and only the response is lost: the case where a retry must not
    execute the POST twice.
    """

    run_handler: bool = False


# ------------------------------------------------------------------------ delays and headers


@dataclass(frozen=True)
class StallBeforeHeaders:
    """Wait `seconds` before doing anything, so no header arrives for that long."""

    seconds: float


@dataclass(frozen=True)
class RoutingHeaders:
    """Add `x-mesh-routing-attempts` and `x-mesh-routing-fallback` to the response."""

    attempts: int | str = 2
    fallback: bool | str = True


@dataclass(frozen=True)
class ExtraHeaders:
    """Add arbitrary response headers."""

    headers: Mapping[str, str]


# ----------------------------------------------------------------------------------- shaping


@dataclass(frozen=True)
class TinyPieces:
    """Write the body in pieces of `size` bytes (down to 1), flushing each.

    `delay` seconds between pieces (default 0: just yield to the loop) make it more likely
    the client really reads them one at a time.
    """

    size: int = 1
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("TinyPieces.size must be >= 1")


@dataclass(frozen=True)
class StallBetweenChunks:
    """Wait `seconds` before each chunk after the first `after` chunks."""

    seconds: float
    after: int = 1


@dataclass(frozen=True)
class ResetAfterChunks:
    """Deliver `chunks` chunks (SSE events, or body pieces), then reset the connection.

    `graceful=True` closes with a FIN instead of a RST, so the client sees the chunked body
    end early rather than a reset. `grace` seconds pass between the last chunk and the
    reset, so the client can read what was delivered before the RST discards it.
    """

    chunks: int
    graceful: bool = False
    grace: float = 0.05


@dataclass(frozen=True)
class ResetAfterBytes:
    """Deliver the first `count` body bytes (after the headers), then reset."""

    count: int
    graceful: bool = False
    grace: float = 0.05


@dataclass(frozen=True)
class TruncatedJson:
    """Cut the real JSON body to `keep` bytes (default: half), Content-Length to match.

    The HTTP message is complete and well-formed; only the JSON inside is broken.
    `status` overrides the status (e.g. 500 for a truncated error page).
    """

    keep: int | None = None
    status: int | None = None


@dataclass(frozen=True)
class MidStreamError:
    """After `after` SSE events, send one error frame (§3.5) and end the stream.

    By default the frame is `event: error` with the envelope-like
    `{"error": {"code", "message", "provider_error"}, "request_id"}`; `frame` replaces the
    JSON payload entirely (to test the other error-frame shapes), and `event=None` leaves
    the `event:` line out.
    """

    after: int = 1
    code: str = "gateway_timeout"
    message: str = "Upstream provider did not respond in time."
    provider_error: Mapping[str, Any] | None = None
    event: str | None = "error"
    frame: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class OmitDone:
    """Leave out the final `data: [DONE]` (and, on compare, the `done` event)."""

    compare_done_event: bool = True


@dataclass(frozen=True)
class KeepAliveComments:
    """Send `count` `: keep-alive` comment lines before each SSE event."""

    count: int = 1
    text: str = "keep-alive"


Effect: TypeAlias = (
    Fail
    | HtmlPage
    | JsonBody
    | RawBytes
    | ResetBeforeResponse
    | StallBeforeHeaders
    | RoutingHeaders
    | ExtraHeaders
    | TinyPieces
    | StallBetweenChunks
    | ResetAfterChunks
    | ResetAfterBytes
    | TruncatedJson
    | MidStreamError
    | OmitDone
    | KeepAliveComments
)

REPLACEMENTS = (Fail, HtmlPage, JsonBody, RawBytes)


@dataclass(frozen=True)
class Fault:
    """Apply `effect` to the next `times` requests matching method, path and predicate.

    `path` is an exact path or a glob (`"/v1/batches/*"`); `method` is case-insensitive;
    `None` matches anything. `times=None` means every matching request until removed.
    """

    effect: Effect | tuple[Effect, ...]
    path: str | None = None
    method: str | None = None
    predicate: Callable[[RecordedRequest], bool] | None = None
    times: int | None = 1

    @property
    def effects(self) -> tuple[Effect, ...]:
        """The effect(s) as a tuple."""
        return self.effect if isinstance(self.effect, tuple) else (self.effect,)

    def matches(self, request: RecordedRequest) -> bool:
        """Whether this fault applies to `request` (ignoring the remaining count)."""
        if self.method is not None and self.method.upper() != request.method.upper():
            return False
        if self.path is not None and not (
            self.path == request.path or fnmatch.fnmatchcase(request.path, self.path)
        ):
            return False
        return self.predicate is None or bool(self.predicate(request))


class FaultHandle:
    """A fault that was added: how often it fired, how often it still will, and removal."""

    def __init__(self, owner: FaultSet | ModelFaultSet, fault: Fault | ModelFault) -> None:
        self._owner = owner
        self.fault = fault
        self._remaining = fault.times
        self._hits = 0

    @property
    def hits(self) -> int:
        """How many requests (or model calls) this fault has been applied to."""
        with self._owner.lock:
            return self._hits

    @property
    def remaining(self) -> int | None:
        """How many more times it will apply (None: unlimited)."""
        with self._owner.lock:
            return self._remaining

    @property
    def exhausted(self) -> bool:
        """Whether it has been used up."""
        with self._owner.lock:
            return self._remaining is not None and self._remaining <= 0

    def remove(self) -> None:
        """Stop applying it (idempotent)."""
        self._owner.remove(self)

    def _consume(self) -> None:
        # Called with the owner's lock held.
        self._hits += 1
        if self._remaining is not None:
            self._remaining -= 1

    def __repr__(self) -> str:
        return f"FaultHandle({self.fault!r}, hits={self._hits}, remaining={self._remaining})"


class FaultSet:
    """The gateway's pending HTTP faults, first added first applied."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._handles: list[FaultHandle] = []

    def add(self, fault: Fault) -> FaultHandle:
        """Queue `fault`; the returned handle reports its use and can remove it."""
        if fault.times is not None and fault.times < 0:
            raise ValueError("Fault.times must be >= 0 or None")
        handle = FaultHandle(self, fault)
        with self.lock:
            self._handles.append(handle)
        return handle

    def remove(self, handle: FaultHandle) -> None:
        """Remove a fault (no error if it is already gone)."""
        with self.lock:
            if handle in self._handles:
                self._handles.remove(handle)

    def clear(self) -> None:
        """Remove every fault."""
        with self.lock:
            self._handles.clear()

    @contextmanager
    def scoped(self, fault: Fault) -> Iterator[FaultHandle]:
        """Add `fault` for the duration of a `with` block."""
        handle = self.add(fault)
        try:
            yield handle
        finally:
            self.remove(handle)

    def take(self, request: RecordedRequest) -> tuple[Effect, ...]:
        """The effects for `request`: the first live matching fault, consumed once."""
        with self.lock:
            for handle in self._handles:
                fault = handle.fault
                if isinstance(fault, Fault) and not handle.exhausted and fault.matches(request):
                    handle._consume()
                    return fault.effects
        return ()

    @property
    def pending(self) -> list[FaultHandle]:
        """Faults that can still fire."""
        with self.lock:
            return [h for h in self._handles if not h.exhausted]


@dataclass(frozen=True)
class ModelFault:
    """Fail calls to `model` as the upstream provider would.

    Chat and responses answer the error envelope with the code's status (§4.2); compare
    reports it as that model's `error`/`error_code` and carries on; a batch item records it
    in `errors_detail`. `times=None` fails every call until removed.
    """

    model: str
    code: str = "upstream_error"
    message: str | None = None
    status: int | None = None
    provider_error: Mapping[str, Any] | None = None
    times: int | None = None


class ModelFaultSet:
    """Pending `ModelFault`s."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._handles: list[FaultHandle] = []

    def add(self, fault: ModelFault) -> FaultHandle:
        """Queue a model fault."""
        handle = FaultHandle(self, fault)
        with self.lock:
            self._handles.append(handle)
        return handle

    def remove(self, handle: FaultHandle) -> None:
        """Remove a model fault (idempotent)."""
        with self.lock:
            if handle in self._handles:
                self._handles.remove(handle)

    def clear(self) -> None:
        """Remove every model fault."""
        with self.lock:
            self._handles.clear()

    def take(self, model: str) -> ModelFault | None:
        """The fault for a call to `model`, consumed once, or None."""
        with self.lock:
            for handle in self._handles:
                fault = handle.fault
                if isinstance(fault, ModelFault) and fault.model == model and not handle.exhausted:
                    handle._consume()
                    return fault
        return None


def retry_after_header(value: RetryAfter) -> str | None:
    """Render a `Fail.retry_after` value as the header text."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return email.utils.format_datetime(value.astimezone(_dt.timezone.utc), usegmt=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
