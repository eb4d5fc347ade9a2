"""The blocking driver: runs the core's flows over an `httpx.Client`.

It performs effects and translates httpx's exceptions into TransportFailure values;
everything else (statuses, retries, errors, decoding) is the core's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx

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

from ._cookies import keep_no_cookies
from ._failures import TRANSPORT_ERRORS, failure_from
from ._net_sync import SyncTcpStream, open_tcp_stream
from ._timeouts import Deadline, httpx_timeout
from ._urls import parsed_url

__all__ = ["SyncHttpxBody", "SyncHttpxTransport", "default_sync_client"]

T = TypeVar("T")
# Draining is best effort: any failure just means the connection is not reused.
DRAIN_ERRORS: tuple[type[BaseException], ...] = (*TRANSPORT_ERRORS, httpx.StreamError)


def default_sync_client() -> httpx.Client:
    """The client we create when the caller brings none: no redirects (§1.1), no cookies."""
    client = httpx.Client(
        follow_redirects=False,
        timeout=None,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
    keep_no_cookies(client)
    return client


def _body_bytes(response: httpx.Response) -> Iterator[bytes]:
    """The body's bytes as they arrive.

    An identity-encoded body (the gateway's event streams are) is read straight from
    the transport's byte stream, the stream `iter_raw()` itself reads: its two generator
    layers (byte accounting, re-chunking, the identity decoder) cost a visible part of
    the time per event of a stream. httpx errors are the same either way (the transport
    stream maps httpcore's), and the response is closed by `close()` as before. A
    compressed body goes through `iter_bytes()`, which decodes it.
    """
    stream = response.stream
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if (
        encoding in ("", "identity")
        and isinstance(stream, httpx.SyncByteStream)
        and not response.is_stream_consumed  # an event hook may have read it already
    ):
        return iter(stream)
    return response.iter_bytes()


class SyncHttpxBody:
    """An open event-stream body; `read` returns bytes, then None or one failure."""

    __slots__ = ("_bytes", "_closed", "_deadline", "_next", "_response")

    def __init__(self, response: httpx.Response, deadline: Deadline | None = None) -> None:
        self._response = response
        self._closed = False
        # The call's Timeout.total, if it has one. httpcore reads a stream's read timeout
        # once, when the body starts, so the deadline is also checked per chunk: a
        # stream that keeps talking past it must still end (§5.7).
        self._deadline = deadline
        # One byte iterator for `read` and `drain`: httpx refuses a second
        # `iter_bytes()` on a response (StreamConsumed), so draining must go on with
        # the iterator the stream was read from.
        self._bytes = _body_bytes(response)
        self._next = self._bytes.__next__

    def read(self) -> bytes | TransportFailure | None:
        try:
            chunk = self._next()
        except StopIteration:
            return None
        except TRANSPORT_ERRORS as exc:
            failure = failure_from(exc, phase=Phase.READ)
            return failure if self._deadline is None else self._deadline.explain(failure)
        deadline = self._deadline
        if deadline is not None and deadline.passed():
            return TransportFailure(phase=Phase.READ, timeout=True, total=deadline.total)
        return chunk

    def drain(self, limit: int) -> bool:
        # After [DONE] only the chunked terminator should follow; reading it lets the
        # pool keep the connection. A server that keeps talking is cut off at `limit`.
        seen = 0
        try:
            for chunk in self._bytes:
                seen += len(chunk)
                if seen > limit:
                    return False
        except DRAIN_ERRORS:
            return False
        return True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._response.close()


class SyncHttpxTransport:
    """Runs flows over an `httpx.Client`, ours or the caller's (never closed by us)."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._owns_client = client is None
        self.client = client if client is not None else default_sync_client()

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def run(self, flow: Flow[T], timeout: Timeout) -> T:
        """Run a flow to its result; no response is left open."""
        runner = _Runner(self.client, Deadline(timeout, time.monotonic))
        try:
            return runner.drive(flow)
        finally:
            runner.release()

    def run_stream(
        self, flow: Flow[StreamDecoder[Any]], timeout: Timeout
    ) -> tuple[StreamDecoder[Any], SyncHttpxBody]:
        """Run a stream-opening flow; the open body is handed over with the decoder."""
        runner = _Runner(self.client, Deadline(timeout, time.monotonic))
        try:
            decoder = runner.drive(flow)
            response, extension = runner.take_open()
        except BaseException:
            runner.release()
            raise
        # From here on the read timeout bounds the gap between body reads (§5.7).
        extension["read"] = runner.deadline.cap(timeout.stream_idle)
        deadline = runner.deadline if timeout.total is not None else None
        return decoder, SyncHttpxBody(response, deadline)

    def connect_tcp(
        self, host: str, port: int, *, tls: bool, timeout: float | None
    ) -> SyncTcpStream:
        """A TCP (TLS when `tls`, verified) byte stream for the realtime WebSocket (§6.6).

        Opened beside the httpx client, not through it: httpx has no public way to hand
        over a raw connection. Failures raise `MeshAPIError` (`connection_error`, or
        `timeout` when `timeout` ran out).
        """
        return open_tcp_stream(host, port, tls=tls, timeout=timeout)


class _Runner:
    """Interprets the effects of one flow; holds at most one open response."""

    __slots__ = ("_client", "_extension", "_open", "deadline")

    def __init__(self, client: httpx.Client, deadline: Deadline) -> None:
        self._client = client
        self.deadline = deadline
        self._open: httpx.Response | None = None
        self._extension: dict[str, float | None] = {}

    def drive(self, flow: Flow[T]) -> T:
        reply: Any = None
        while True:
            try:
                effect = flow.send(reply)
            except StopIteration as stop:
                result: T = stop.value
                return result
            reply = self._perform(effect)
            if type(reply) is TransportFailure and reply.timeout:
                # A bound capped by Timeout.total that fired is the deadline (§5.7).
                reply = self.deadline.explain(reply)

    def take_open(self) -> tuple[httpx.Response, dict[str, float | None]]:
        response = self._open
        assert response is not None, "a stream flow returned without an open response"
        self._open = None
        return response, self._extension

    def release(self) -> None:
        if self._open is not None:
            response, self._open = self._open, None
            response.close()

    def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Send):
            return self._send(effect.request)
        if isinstance(effect, Open):
            return self._open_stream(effect.request)
        if isinstance(effect, ReadAll):
            return self._read_all()
        if isinstance(effect, Release):
            self.release()
            return None
        if isinstance(effect, Sleep):
            self._sleep(effect.seconds)
            return None
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover

    def _start(self, request: Request) -> httpx.Response | TransportFailure:
        self.deadline.check()
        self._extension = httpx_timeout(request.timeout, self.deadline)
        http_request = self._client.build_request(
            request.method,
            parsed_url(request.url),
            headers=request.headers,
            content=request.body,
            extensions={"timeout": self._extension},
        )
        try:
            # §1.1: redirects are never followed, even by a caller's client that would.
            return self._client.send(http_request, stream=True, follow_redirects=False)
        except TRANSPORT_ERRORS as exc:
            return failure_from(exc, phase=Phase.SEND)

    def _send(self, request: Request) -> HttpResponse | TransportFailure:
        started = time.monotonic()
        response = self._start(request)
        if isinstance(response, TransportFailure):
            return response
        self._open = response
        received_at = time.time()
        body = self._read_all(read_budget=request.timeout.read, started=started)
        self.release()
        if isinstance(body, TransportFailure):
            return body
        return HttpResponse(response.status_code, response.headers, body, received_at)

    def _open_stream(self, request: Request) -> StreamHead | TransportFailure:
        response = self._start(request)
        if isinstance(response, TransportFailure):
            return response
        self._open = response
        return StreamHead(response.status_code, response.headers, time.time())

    def _read_all(
        self, *, read_budget: float | None = None, started: float | None = None
    ) -> bytes | TransportFailure:
        response = self._open
        assert response is not None
        parts: list[bytes] = []
        try:
            for chunk in response.iter_bytes():
                parts.append(chunk)
                # §5.7: `read` bounds the whole non-streaming response, not each gap.
                if (
                    read_budget is not None
                    and started is not None
                    and time.monotonic() - started > read_budget
                ):
                    return TransportFailure(phase=Phase.READ, timeout=True)
                self.deadline.check()
        except TRANSPORT_ERRORS as exc:
            return failure_from(exc, phase=Phase.READ)
        return b"".join(parts)

    def _sleep(self, seconds: float) -> None:
        left = self.deadline.remaining()
        if left is not None and seconds >= left:
            raise self.deadline.expired_error()
        time.sleep(seconds)
