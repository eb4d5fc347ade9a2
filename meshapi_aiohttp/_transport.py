"""The aiohttp driver: runs the core's flows over an `aiohttp.ClientSession`.

It reads the same as `meshapi_httpx/_async.py`, effect for effect; only the calls into
the HTTP library differ. aiohttp is asyncio-only, so sleeping is `asyncio.sleep`
(style.md pitfall 9).

The session is ours by default, created lazily inside the running loop (aiohttp binds a
session to the loop it was created in) and closed by `aclose()`; or it is the caller's,
which we use as it is configured and never close. Per request we pin what the protocol
needs whatever the session's defaults:

* `allow_redirects=False` (§1.1: a 3xx is an `http_error`, so aiohttp never re-sends
  anything, and never gets the chance to carry or strip an Authorization header on a
  redirect);
* `raise_for_status=False` (error bodies are the core's to map, §4.3);
* `auto_decompress=True` (the core's decoders expect identity bytes);
* a `ClientTimeout` built from the call's `Timeout` (see `_timeouts`);
* the URL as built, with `encoded=True`, so yarl sends the core's percent-encoding
  byte for byte (§1.6) instead of normalising it (it would rewrite `%7E` as `~`, say);
* `skip_auto_headers` for Content-Type and Accept: aiohttp would otherwise invent
  `Content-Type: application/octet-stream` for a body the core sent without one (or an
  `extra_headers={"Content-Type": None}` removal), and `Accept: */*` where the caller
  removed Accept. Every header the core sets is sent as it is; aiohttp adds only
  Host, Content-Length, Accept-Encoding and User-Agent, which §1.3 allows.

Our own session also does not keep cookies (`DummyCookieJar`: nothing the gateway sets
may change what later requests carry), ignores proxy and netrc settings from the
environment (netrc would add an Authorization that aiohttp then refuses to combine with
ours), and has aiohttp's hidden one-time resend of idempotent requests on a dropped
connection switched off: whether to resend is the core's decision (§5.3), made with the
phase, the policy and the idempotency key, and a silent resend would also break the
attempt counts the resilience events report. A caller's session is never altered: its
connector, cookie jar, default headers, middlewares and trace configs apply, and so does
aiohttp's resend (it repeats only GET, PUT and DELETE, once, when the connection drops).

Giving connections back: a response whose body was read to its end is `release()`d
into the pool; any other (an abandoned stream, an error mid-body, a cancelled read) is
`close()`d, which closes its connection, so a half-read connection is never reused.
Both are synchronous, so cancellation cannot interrupt them.
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
import yarl

from meshapi_core._config import Timeout
from meshapi_core._flows import (
    Effect,
    Flow,
    HttpResponse,
    Open,
    ReadAll,
    Release,
    Send,
    Sleep,
    StreamHead,
)
from meshapi_core._outcomes import Phase, TransportFailure
from meshapi_core._request import Request
from meshapi_core._streams import StreamDecoder
from meshapi_core._transport import AsyncByteStream

from ._failures import TRANSPORT_ERRORS, failure_from
from ._tcp import open_tcp_stream
from ._timeouts import Deadline, at_least, client_timeout

__all__ = ["AiohttpBody", "AiohttpTransport", "default_session"]

T = TypeVar("T")

# See the module docstring: never invented by aiohttp, sent only when the core sets them.
_SKIP_AUTO_HEADERS = frozenset({"Content-Type", "Accept"})

# aiohttp writes a `bytes` body in one go, and warns (ResourceWarning) above 1 MiB that
# this can hold the loop; a BytesIO it writes in 64 KiB pieces, yielding in between.
# The bytes on the wire and the Content-Length are the same either way.
_LARGE_BODY = 1 << 20

# A request body this small goes into the kernel's socket send buffer in one write (on
# Linux the buffer starts at 16 KiB and grows), so its upload cannot stall: once it is
# written, `sock_read` bounds the wait for the answer. Only larger bodies need the bound
# on the whole exchange (see `_Runner._start`), which costs a timer per attempt.
_UNSTALLABLE_BODY = 16 * 1024

# aiohttp >= 3.14 reports whether the request body was written in full; older versions
# cannot tell a failure while sending from one while waiting (see `_failure_phase`).
_HAS_UPLOAD_TRACKER = hasattr(aiohttp, "UploadTracker")

# The most body bytes one stream read hands to the decoder. aiohttp buffers whatever
# arrives (up to its high-water mark, 128 KiB), so an unbounded read after a busy spell
# returns hundreds of events at once, all decoded into items that then live until the
# caller has iterated past them: with many streams open that is hundreds of KB each,
# and the large batches are slower to decode too. 4 KiB is a couple of dozen events.
_PIECE = 4096


if sys.version_info >= (3, 11):

    async def _within(awaitable: Awaitable[T], seconds: float | None) -> T:
        """`awaitable`, or asyncio.TimeoutError after `seconds` (None: no bound).

        `asyncio.timeout` bounds the current task; `wait_for` (before 3.12) would run
        the awaitable in a task of its own, one more task and loop turn per bound.
        """
        async with asyncio.timeout(seconds):
            return await awaitable

else:

    async def _within(awaitable: Awaitable[T], seconds: float | None) -> T:
        """`awaitable`, or asyncio.TimeoutError after `seconds` (None: no bound)."""
        return await asyncio.wait_for(awaitable, seconds)


def default_session() -> aiohttp.ClientSession:
    """The session we create when the caller brings none (call it inside the loop)."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1000, limit_per_host=0),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),
        auto_decompress=True,
        trust_env=False,
        raise_for_status=False,
    )
    # aiohttp resends a GET/PUT/DELETE once, silently, when the connection drops; it has
    # no public switch for it (aio-libs/aiohttp#10790), only this attribute, which its
    # own test client turns off the same way.
    session._retry_connection = False
    return session


def _let_go(response: aiohttp.ClientResponse) -> None:
    """Give the connection back if the body was read to its end, else close it."""
    if response.content.at_eof():
        response.release()
    else:
        response.close()


def _stop_read_timer(response: aiohttp.ClientResponse) -> None:
    """Switch off `sock_read` once a stream's headers are in (§5.7).

    `sock_read` bounded the wait for the headers; left running it would also cut off a
    healthy stream that pauses for longer than `read`. The stream's own bound is
    `stream_idle`, applied per read by `AiohttpBody`. No connection means the body was
    already received in full and there is no timer left.
    """
    connection = response.connection
    protocol = connection.protocol if connection is not None else None
    if protocol is not None:
        protocol.read_timeout = None
        protocol.start_timeout()  # reschedules with the new value: cancels the timer


def _body_data(body: bytes | None) -> bytes | io.BytesIO | None:
    """The body as aiohttp should get it (a fresh BytesIO per attempt when large)."""
    if body is not None and len(body) > _LARGE_BODY:
        return io.BytesIO(body)
    return body


async def _read_some(content: aiohttp.StreamReader, limit: float | None) -> bytes:
    """Up to `_PIECE` body bytes, waiting at most `limit` seconds; b"" at the end.

    Bytes already buffered are taken without waiting, so without the cost of a
    timer per read; only an empty buffer waits.
    """
    chunk = content.read_nowait(_PIECE)
    if chunk or content.at_eof():
        return chunk
    if limit is None:
        return await content.read(_PIECE)
    return await _within(content.read(_PIECE), limit)


def _new_upload_tracker() -> Any:
    return aiohttp.UploadTracker() if _HAS_UPLOAD_TRACKER else None


def _failure_phase(tracker: Any) -> Phase:
    """SEND while the request body was not written in full, READ after.

    aiohttp raises the same `ServerDisconnectedError` / `ClientOSError` whether the
    gateway dropped us mid-upload or while we waited for its answer; its upload tracker
    is what tells them apart. Without one (aiohttp < 3.14) the answer is READ: for
    retries SEND and READ are the same (§5.3: both may have reached the gateway), so
    only the wording of the error can be off.
    """
    if tracker is None:
        return Phase.READ
    done: asyncio.Future[None] = tracker.upload_complete
    if done.done() and not done.cancelled() and done.exception() is None:
        return Phase.READ
    return Phase.SEND


class AiohttpBody:
    """An open event-stream body; `read` returns bytes, then None or one failure."""

    __slots__ = ("_closed", "_deadline", "_drain_wait", "_idle", "_response")

    def __init__(
        self, response: aiohttp.ClientResponse, timeout: Timeout, deadline: Deadline
    ) -> None:
        self._response = response
        self._deadline = deadline
        self._idle = timeout.stream_idle
        # What is left after the clean end is the chunked terminator; wait for it as
        # long as for a stream read, or for `read` when the stream has no idle bound.
        self._drain_wait = timeout.stream_idle if timeout.stream_idle is not None else timeout.read
        self._closed = False

    async def read(self) -> bytes | TransportFailure | None:
        content = self._response.content
        try:
            # Recomputed per read: `total` keeps shrinking while the stream runs.
            chunk = await _read_some(content, self._deadline.cap(self._idle))
        except TRANSPORT_ERRORS as exc:
            return self._deadline.explain(failure_from(exc, phase=Phase.READ))
        return chunk or None

    async def drain(self, limit: int) -> bool:
        content = self._response.content
        seen = 0
        try:
            while True:
                chunk = await _read_some(content, self._deadline.cap(self._drain_wait))
                if not chunk:
                    return True
                seen += len(chunk)
                if seen > limit:
                    return False
        except TRANSPORT_ERRORS:
            return False

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            _let_go(self._response)


class AiohttpTransport:
    """Runs flows over an `aiohttp.ClientSession`, ours or the caller's (never closed by us).

    Args:
        session: the caller's session. None (the default) creates one on first use, in
            the running loop, closed by `aclose()`.
    """

    def __init__(self, session: aiohttp.ClientSession | None = None) -> None:
        self._owns_session = session is None
        self._session = session
        self._closed = False

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The session in use (None until ours is created on first use)."""
        return self._session

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            if self._closed:
                raise RuntimeError("this client has been closed (aclose)")
            self._session = default_session()
        return self._session

    async def aclose(self) -> None:
        """Close our session (idempotent); a session the caller passed in stays open."""
        if not self._owns_session:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def run(self, flow: Flow[T], timeout: Timeout) -> T:
        """Run a flow to its result; no response is left open."""
        runner = _Runner(self._ensure_session(), Deadline(timeout, time.monotonic))
        try:
            return await runner.drive(flow)
        finally:
            runner.release()

    async def run_stream(
        self, flow: Flow[StreamDecoder[Any]], timeout: Timeout
    ) -> tuple[StreamDecoder[Any], AiohttpBody]:
        """Run a stream-opening flow; the open body is handed over with the decoder."""
        runner = _Runner(self._ensure_session(), Deadline(timeout, time.monotonic))
        try:
            decoder = await runner.drive(flow)
            response = runner.take_open()
        except BaseException:
            runner.release()
            raise
        _stop_read_timer(response)
        return decoder, AiohttpBody(response, timeout, runner.deadline)

    async def connect_tcp(
        self, host: str, port: int, *, tls: bool, timeout: float | None
    ) -> AsyncByteStream:
        """A TCP (TLS-verified when `tls`) byte stream for the realtime session (§6.6)."""
        return await open_tcp_stream(host, port, tls=tls, timeout=timeout)


class _Runner:
    """Interprets the effects of one flow; holds at most one open response."""

    __slots__ = ("_open", "_read_timeout", "_session", "deadline")

    def __init__(self, session: aiohttp.ClientSession, deadline: Deadline) -> None:
        self._session = session
        self.deadline = deadline
        self._open: aiohttp.ClientResponse | None = None
        self._read_timeout: float | None = None

    async def drive(self, flow: Flow[T]) -> T:
        reply: Any = None
        while True:
            try:
                effect = flow.send(reply)
            except StopIteration as stop:
                result: T = stop.value
                return result
            reply = await self._perform(effect)
            if type(reply) is TransportFailure and reply.timeout:
                # A bound capped by Timeout.total that fired is the deadline (§5.7).
                reply = self.deadline.explain(reply)

    def take_open(self) -> aiohttp.ClientResponse:
        response = self._open
        assert response is not None, "a stream flow returned without an open response"
        self._open = None
        return response

    def release(self) -> None:
        if self._open is not None:
            response, self._open = self._open, None
            _let_go(response)

    async def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Send):
            return await self._send(effect.request)
        if isinstance(effect, Open):
            return await self._open_stream(effect.request)
        if isinstance(effect, ReadAll):
            return await self._read_all(self.deadline.cap(self._read_timeout))
        if isinstance(effect, Release):
            self.release()
            return None
        if isinstance(effect, Sleep):
            await self._sleep(effect.seconds)
            return None
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover

    async def _start(self, request: Request) -> aiohttp.ClientResponse | TransportFailure:
        self.deadline.check()
        self._read_timeout = request.timeout.read
        tracker = _new_upload_tracker()
        timeout = client_timeout(request.timeout, self.deadline)
        # aiohttp has no write timeout: bound the whole exchange, so a stalled upload
        # fails too. `connect` and `sock_read` (always set) fire first otherwise.
        assert timeout.connect is not None and timeout.sock_read is not None
        bound = timeout.connect + timeout.sock_read
        try:
            if request.body is None or len(request.body) <= _UNSTALLABLE_BODY:
                return await self._request(request, timeout, tracker)
            return await _within(self._request(request, timeout, tracker), bound)
        except TRANSPORT_ERRORS as exc:
            return failure_from(exc, phase=_failure_phase(tracker))

    async def _request(
        self, request: Request, timeout: aiohttp.ClientTimeout, tracker: Any
    ) -> aiohttp.ClientResponse:
        extra: dict[str, Any] = {} if tracker is None else {"upload_tracker": tracker}
        return await self._session.request(
            request.method,
            yarl.URL(request.url, encoded=True),
            headers=request.headers,
            data=_body_data(request.body),
            allow_redirects=False,
            raise_for_status=False,
            auto_decompress=True,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            timeout=timeout,
            **extra,
        )

    async def _send(self, request: Request) -> HttpResponse | TransportFailure:
        started = time.monotonic()
        response = await self._start(request)
        if isinstance(response, TransportFailure):
            return response
        self._open = response
        received_at = time.time()
        # §5.7: `read` bounds the whole non-streaming response, not each gap.
        budget = request.timeout.read - (time.monotonic() - started)
        body = await self._read_all(self.deadline.cap(budget))
        self.release()
        if isinstance(body, TransportFailure):
            return body
        return HttpResponse(response.status, response.headers, body, received_at)

    async def _open_stream(self, request: Request) -> StreamHead | TransportFailure:
        response = await self._start(request)
        if isinstance(response, TransportFailure):
            return response
        self._open = response
        return StreamHead(response.status, response.headers, time.time())

    async def _read_all(self, limit: float | None) -> bytes | TransportFailure:
        response = self._open
        assert response is not None
        try:
            if limit is None or response.content.is_eof():
                # All of the body is in (a small answer comes with its headers): no wait
                # is left to bound, so no timer.
                return await response.read()
            return await _within(response.read(), at_least(limit))
        except TRANSPORT_ERRORS as exc:
            return failure_from(exc, phase=Phase.READ)

    async def _sleep(self, seconds: float) -> None:
        left = self.deadline.remaining()
        if left is not None and seconds >= left:
            raise self.deadline.expired_error()
        await asyncio.sleep(seconds)
