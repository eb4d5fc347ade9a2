"""The asynchronous driver: runs the core's flows over an `httpx.AsyncClient`.

It reads the same as `_sync.py`, line for line, with `await` where Python forces it.
Sleeping goes through anyio, so the same code runs under asyncio and under trio.
Closing a response is shielded from cancellation: a cancelled caller must still give
the connection back.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import anyio
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
from ._net_async import AsyncTcpStream, open_tcp_stream
from ._timeouts import Deadline, httpx_timeout
from ._urls import parsed_url

__all__ = ["AsyncHttpxBody", "AsyncHttpxTransport", "default_async_client"]

T = TypeVar("T")
DRAIN_ERRORS: tuple[type[BaseException], ...] = (*TRANSPORT_ERRORS, httpx.StreamError)


def default_async_client() -> httpx.AsyncClient:
    """The client we create when the caller brings none: no redirects (§1.1), no cookies."""
    client = httpx.AsyncClient(
        follow_redirects=False,
        timeout=None,
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
    )
    keep_no_cookies(client)
    return client


async def _close_shielded(response: httpx.Response) -> None:
    with anyio.CancelScope(shield=True):
        await response.aclose()


def _body_bytes(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body's bytes as they arrive (see the sync driver's `_body_bytes`)."""
    stream = response.stream
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if (
        encoding in ("", "identity")
        and isinstance(stream, httpx.AsyncByteStream)
        and not response.is_stream_consumed  # an event hook may have read it already
    ):
        return stream.__aiter__()
    return response.aiter_bytes()


class AsyncHttpxBody:
    """An open event-stream body; `read` returns bytes, then None or one failure."""

    __slots__ = ("_bytes", "_closed", "_deadline", "_next", "_response")

    def __init__(self, response: httpx.Response, deadline: Deadline | None = None) -> None:
        self._response = response
        self._closed = False
        # The call's Timeout.total, if it has one. httpcore reads a stream's read timeout
        # once, when the body starts, so the deadline is also checked per chunk: a
        # stream that keeps talking past it must still end (§5.7).
        self._deadline = deadline
        # One byte iterator for `read` and `drain` (see SyncHttpxBody).
        self._bytes = _body_bytes(response)
        self._next = self._bytes.__anext__

    async def read(self) -> bytes | TransportFailure | None:
        try:
            chunk = await self._next()
        except StopAsyncIteration:
            return None
        except TRANSPORT_ERRORS as exc:
            failure = failure_from(exc, phase=Phase.READ)
            return failure if self._deadline is None else self._deadline.explain(failure)
        deadline = self._deadline
        if deadline is not None and deadline.passed():
            return TransportFailure(phase=Phase.READ, timeout=True, total=deadline.total)
        return chunk

    async def drain(self, limit: int) -> bool:
        seen = 0
        try:
            async for chunk in self._bytes:
                seen += len(chunk)
                if seen > limit:
                    return False
        except DRAIN_ERRORS:
            return False
        return True

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await _close_shielded(self._response)


class AsyncHttpxTransport:
    """Runs flows over an `httpx.AsyncClient`, ours or the caller's (never closed by us)."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._owns_client = client is None
        self.client = client if client is not None else default_async_client()

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def run(self, flow: Flow[T], timeout: Timeout) -> T:
        """Run a flow to its result; no response is left open."""
        runner = _Runner(self.client, Deadline(timeout, time.monotonic))
        try:
            return await runner.drive(flow)
        finally:
            await runner.release()

    async def run_stream(
        self, flow: Flow[StreamDecoder[Any]], timeout: Timeout
    ) -> tuple[StreamDecoder[Any], AsyncHttpxBody]:
        """Run a stream-opening flow; the open body is handed over with the decoder."""
        runner = _Runner(self.client, Deadline(timeout, time.monotonic))
        try:
            decoder = await runner.drive(flow)
            response, extension = runner.take_open()
        except BaseException:
            await runner.release()
            raise
        extension["read"] = runner.deadline.cap(timeout.stream_idle)
        deadline = runner.deadline if timeout.total is not None else None
        return decoder, AsyncHttpxBody(response, deadline)

    async def connect_tcp(
        self, host: str, port: int, *, tls: bool, timeout: float | None
    ) -> AsyncTcpStream:
        """A TCP (TLS when `tls`, verified) byte stream for the realtime WebSocket (§6.6).

        Opened with anyio beside the httpx client (so it runs under asyncio and trio):
        httpx has no public way to hand over a raw connection. Failures raise
        `MeshAPIError` (`connection_error`, or `timeout` when `timeout` ran out).
        """
        return await open_tcp_stream(host, port, tls=tls, timeout=timeout)


class _Runner:
    """Interprets the effects of one flow; holds at most one open response."""

    __slots__ = ("_client", "_extension", "_open", "deadline")

    def __init__(self, client: httpx.AsyncClient, deadline: Deadline) -> None:
        self._client = client
        self.deadline = deadline
        self._open: httpx.Response | None = None
        self._extension: dict[str, float | None] = {}

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

    def take_open(self) -> tuple[httpx.Response, dict[str, float | None]]:
        response = self._open
        assert response is not None, "a stream flow returned without an open response"
        self._open = None
        return response, self._extension

    async def release(self) -> None:
        if self._open is not None:
            response, self._open = self._open, None
            await _close_shielded(response)

    async def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, Send):
            return await self._send(effect.request)
        if isinstance(effect, Open):
            return await self._open_stream(effect.request)
        if isinstance(effect, ReadAll):
            return await self._read_all()
        if isinstance(effect, Release):
            await self.release()
            return None
        if isinstance(effect, Sleep):
            await self._sleep(effect.seconds)
            return None
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover

    async def _start(self, request: Request) -> httpx.Response | TransportFailure:
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
            return await self._client.send(http_request, stream=True, follow_redirects=False)
        except TRANSPORT_ERRORS as exc:
            return failure_from(exc, phase=Phase.SEND)

    async def _send(self, request: Request) -> HttpResponse | TransportFailure:
        started = time.monotonic()
        response = await self._start(request)
        if isinstance(response, TransportFailure):
            return response
        self._open = response
        received_at = time.time()
        body = await self._read_all(read_budget=request.timeout.read, started=started)
        await self.release()
        if isinstance(body, TransportFailure):
            return body
        return HttpResponse(response.status_code, response.headers, body, received_at)

    async def _open_stream(self, request: Request) -> StreamHead | TransportFailure:
        response = await self._start(request)
        if isinstance(response, TransportFailure):
            return response
        self._open = response
        return StreamHead(response.status_code, response.headers, time.time())

    async def _read_all(
        self, *, read_budget: float | None = None, started: float | None = None
    ) -> bytes | TransportFailure:
        response = self._open
        assert response is not None
        parts: list[bytes] = []
        try:
            async for chunk in response.aiter_bytes():
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

    async def _sleep(self, seconds: float) -> None:
        left = self.deadline.remaining()
        if left is not None and seconds >= left:
            raise self.deadline.expired_error()
        await anyio.sleep(seconds)
