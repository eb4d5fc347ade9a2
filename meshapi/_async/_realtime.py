"""Realtime sessions: `client.realtime.connect(model=...)` (protocol.md §6.6).

A session runs the core's Sans-I/O `RealtimeProtocol` (WebSocket handshake, frames,
event codec, close rules) over a byte stream the client's transport opens
(`transport.connect_tcp`). This module only moves bytes between the two and owns the
waiting: the handshake deadline (`Timeout.connect`, §5.7), the per-call wait of
`receive(timeout=...)`, and the locks that let one task receive while another sends.

    async with client.realtime.connect(model="openai/gpt-realtime-mini") as session:
        await session.send({"type": "response.create"})
        async for message in session:
            ...

The URL carries the API key in its query (the only way the gateway accepts it, §6.6):
it is handed to the protocol at once and never kept or shown here; `url` and `repr`
show it redacted, and every error text comes from the protocol's scrubbed messages or
from the transport, which only knows host and port.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from anyio import Lock
from typing_extensions import Self

from meshapi_core._config import Timeout
from meshapi_core._errors import MeshAPIError, StreamInterruptedError, make_error
from meshapi_core._outcomes import Phase, TransportFailure
from meshapi_core._realtime import CONNECTION_CLOSED, RealtimeProtocol, RealtimeState, Signal
from meshapi_core._realtime_message import RealtimeMessage
from meshapi_core._realtime_url import realtime_url
from meshapi_core._transport import AsyncByteStream, AsyncTransport

if TYPE_CHECKING:
    # unasync: async-only
    from collections.abc import Coroutine, Generator

    # unasync: end
    from ._client import AsyncMeshAPI

__all__ = ["AsyncRealtimeResource", "AsyncRealtimeSession"]

# One read from the stream; the protocol reassembles frames across reads.
_READ_SIZE = 65536

# How long close() waits for the gateway's answering close frame (RFC 6455 §7.1.1: the
# client should let the server close TCP first). It is short and bounded: close() must
# return promptly even when the gateway no longer answers (§6.6: it never raises).
_CLOSE_REPLY_WAIT = 2.0

_DEFAULT_PORTS = {"ws": 80, "wss": 443}


class AsyncRealtimeResource:
    """`client.realtime`: WebSocket sessions at `/v1/realtime` (protocol.md §6.6)."""

    def __init__(self, client: AsyncMeshAPI) -> None:
        self._client = client

    def connect(
        self,
        *,
        model: str,
        timeout: Timeout | float | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
    ) -> AsyncRealtimeConnect:
        """Open a realtime session with `model` (protocol.md §6.6).

        Use it as a context manager, which closes the session on the way out:

            async with client.realtime.connect(model="openai/gpt-realtime-mini") as s:
                await s.send({"type": "session.update", "session": {...}})
                async for message in s:
                    ...

        or keep it, `session = await client.realtime.connect(model=...)`, and call
        `await session.aclose()` when done. The handshake has completed by the time the
        session is handed out; the gateway's `session.created` is the first message.

        Args:
            model: The realtime model id, for example `openai/gpt-realtime-mini`.
            timeout: Overrides the client's timeout for this session; its `connect`
                part bounds the whole handshake (TCP, TLS and the WebSocket upgrade).
            extra_headers: Headers added to the upgrade request; a None value removes
                `X-MeshAPI-SDK`. `Authorization`, `X-Mesh-Version` and the WebSocket
                headers cannot be set (§6.6: the key travels only in the query).

        Raises:
            ValueError: before any I/O, for an empty model or a header that may not be
                set.
            MeshAPIError: while opening: `timeout` when `Timeout.connect` ran out,
                `connection_error` when the gateway cannot be reached, the §4.3 mapping
                of a refused upgrade (for example `AuthenticationError`), or
                `RemoteProtocolError` for an answer that is not a valid handshake. A
                bad key or an unknown model is not refused: the gateway accepts, and
                the first `receive()` raises the `RealtimeError` it sent.
        """
        config = self._client._state.config
        limits = Timeout.coerce(timeout) if timeout is not None else config.timeout
        # The URL holds the key (§1.2): it goes straight into the session, which hands
        # it to the protocol, so no frame that does I/O has it in a local variable.
        session = AsyncRealtimeSession(
            self._client._transport,
            realtime_url(config.base_url, model=model, token=config.token),
            connect_timeout=limits.connect,
            extra_headers=extra_headers,
        )
        return AsyncRealtimeConnect(session._open())


# unasync: async-only
class AsyncRealtimeConnect:
    """What `AsyncRealtimeResource.connect()` returns: await it, or `async with` it.

    Either way the handshake runs then, and the open `AsyncRealtimeSession` is the
    result; `async with` also closes it on the way out. (The blocking flavour has no
    such object: `RealtimeResource.connect()` opens at once and returns the session.)
    """

    __slots__ = ("_opening", "_session")

    def __init__(self, opening: Coroutine[Any, Any, AsyncRealtimeSession]) -> None:
        self._opening = opening
        self._session: AsyncRealtimeSession | None = None

    def __repr__(self) -> str:
        state = "opening" if self._session is None else repr(self._session)
        return f"AsyncRealtimeConnect({state})"

    async def _open(self) -> AsyncRealtimeSession:
        # Await the opening once, so `s = await c` followed by `async with c` is fine.
        if self._session is None:
            self._session = await self._opening
        return self._session

    def __await__(self) -> Generator[Any, None, AsyncRealtimeSession]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncRealtimeSession:
        return await self._open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.aclose()


# unasync: end
class AsyncRealtimeSession:
    """One realtime session over a WebSocket (protocol.md §6.6).

    Messages come from `receive()` or from iterating the session; both give
    `RealtimeMessage`s in the order the gateway sent them, and the pings the gateway
    sends are answered on the way. Errors:

    - An `error` event from the gateway raises `RealtimeError` (its `code`, `message`,
      `param` and `request_id`); the session stays usable.
    - A normal close by the gateway (1000/1001) ends iteration; `receive()` then raises
      `RealtimeError` with code `connection_closed`, as it does after `aclose()`.
    - Any other close, or a dropped connection, raises `StreamInterruptedError` (code
      `stream_interrupted`, close code and reason in the message) from `receive()`,
      iteration and the send methods, after every message that arrived before it.

    Sending may go on while a receive waits (one receiver at a time): the session
    serialises its use of the protocol and of the stream itself. Use it with
    `async with`, or call `aclose()`.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        url: str,
        *,
        connect_timeout: float | None,
        extra_headers: Mapping[str, str | None] | None = None,
    ) -> None:
        """Prepare a session; nothing is sent until `_open()` (see `connect()`).

        Raises:
            ValueError: for a URL that is not ws(s), or a header that may not be set.
        """
        # First: from here on the key lives only inside the protocol and its scrubber.
        self._protocol = RealtimeProtocol(url, extra_headers=extra_headers, clock=time.time)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        self._host = parts.hostname or ""
        self._port = parts.port or _DEFAULT_PORTS[scheme]
        self._tls = scheme == "wss"
        self._transport = transport
        self._connect_timeout = connect_timeout
        self._stream: AsyncByteStream | None = None
        # `_lock` covers every call into the protocol and every write, so frames reach
        # the wire in the order the protocol produced them (a close frame stays last);
        # `_reading` lets one reader at a time wait on the stream, outside `_lock`.
        self._lock = Lock()
        self._reading = Lock()
        self._dropped: MeshAPIError | None = None
        self._closing = False

    @property
    def url(self) -> str:
        """The session URL, with the key shown as `***`."""
        return self._protocol.url

    @property
    def request_id(self) -> str:
        """The `x-request-id` of the handshake response, `""` when there was none."""
        return self._protocol.request_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, state={self._protocol.state.name})"

    # -- opening -------------------------------------------------------------------------

    async def _open(self) -> Self:
        """Connect and complete the WebSocket handshake within `Timeout.connect`.

        §6.6 and §5.7: the whole handshake (TCP, TLS, upgrade request and answer) is
        bounded by the connect timeout. On any failure the stream is released.
        """
        timeout = self._connect_timeout
        deadline = _deadline(timeout)
        try:
            stream = await self._transport.connect_tcp(
                self._host, self._port, tls=self._tls, timeout=timeout
            )
            self._stream = stream
            await stream.send(self._protocol.initiate())
            while self._protocol.state is RealtimeState.CONNECTING:
                try:
                    data = await stream.receive(_READ_SIZE, timeout=_left(deadline))
                except TimeoutError:
                    raise self._handshake_timeout() from None
                # A refused upgrade raises here, mapped by §4.3 with the key redacted.
                self._protocol.receive_data(data)
            # The 101 may have come with frames (a ping) that want an answer.
            await self._flush()
        except BaseException:
            self._closing = True
            self._protocol.close()
            if self._stream is not None:
                await self._stream.aclose()
            raise
        return self

    def _handshake_timeout(self) -> MeshAPIError:
        seconds = f" within {self._connect_timeout:g} s" if self._connect_timeout else ""
        return TransportFailure(phase=Phase.CONNECT, timeout=True).to_error(
            message=f"the realtime handshake got no answer{seconds} (Timeout.connect)"
        )

    # -- sending -------------------------------------------------------------------------

    async def send(self, event: Mapping[str, Any]) -> None:
        """Send one client event as a JSON text frame.

        Args:
            event: The event, for example `{"type": "response.create"}`.

        Raises:
            RealtimeError: `connection_closed` once the session is closed.
            StreamInterruptedError: once the connection broke (also when it breaks
                while sending).
            TypeError, ValueError: for an event JSON cannot encode; nothing was sent
                and the session is unchanged.
        """
        async with self._lock:
            await self._write(self._protocol.send_event(event))

    async def send_audio(self, pcm: bytes) -> None:
        """Append PCM16 audio (24 kHz mono) to the input buffer, as base64 (§6.6).

        It goes out as an `input_audio_buffer.append` text frame: the gateway rejects
        binary frames from the client.

        Raises:
            RealtimeError, StreamInterruptedError: as `send`.
            TypeError: if `pcm` is not bytes-like.
        """
        async with self._lock:
            await self._write(self._protocol.send_audio(pcm))

    # -- receiving -----------------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> RealtimeMessage:
        """The next message from the gateway.

        Args:
            timeout: Seconds to wait for it; None (the default) waits as long as it
                takes, 0 does not wait (a message already read is still returned).

        Returns:
            The message: `text` (the frame text), `event` (the parsed JSON object, or
            None) and `audio` (decoded audio-delta bytes, or None).

        Raises:
            RealtimeError: for an `error` event (the session stays usable), and with
                code `connection_closed` once the session has ended cleanly.
            StreamInterruptedError: once the connection broke or closed abnormally.
            APITimeoutError: code `timeout`, when `timeout` ran out first; the session
                stays usable and nothing is lost.
            ValueError: for a negative or non-numeric `timeout`.
        """
        message = await self._next(_check_wait(timeout))
        if message is None:
            raise self._protocol.closed_error()
        return message

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> RealtimeMessage:
        # §6.6: iteration ends at a normal close and never swallows an error.
        message = await self._next(None)
        if message is None:
            raise StopAsyncIteration
        return message

    async def _next(self, timeout: float | None) -> RealtimeMessage | None:
        """The next message, or None once the session ended cleanly."""
        deadline = _deadline(timeout)
        async with self._reading:
            while True:
                async with self._lock:
                    item = self._next_item()
                if isinstance(item, RealtimeMessage):
                    return item
                if item is CONNECTION_CLOSED:
                    return None
                try:
                    data = await self._read(_left(deadline))
                except TimeoutError:
                    raise self._receive_timeout(timeout) from None
                async with self._lock:
                    self._protocol.receive_data(data)
                    # Pongs and the answer to the gateway's close frame go out at once.
                    await self._flush()

    def _receive_timeout(self, timeout: float | None) -> MeshAPIError:
        # §5.7: a client timeout is `timeout`, status 0, with a message naming the phase.
        seconds = f" within {timeout:g} s" if timeout is not None else ""
        return TransportFailure(phase=Phase.READ, timeout=True).to_error(
            request_id=self._protocol.request_id,
            message=f"realtime receive timed out: no message arrived{seconds}",
        )

    def _next_item(self) -> RealtimeMessage | Signal:
        try:
            return self._protocol.next_message()
        except StreamInterruptedError as exc:
            if self._dropped is not None and exc.__cause__ is None:
                # Keep what the transport saw (a reset, a TLS error) for debugging.
                raise exc from self._dropped
            raise

    async def _read(self, timeout: float | None) -> bytes:
        assert self._stream is not None
        try:
            return await self._stream.receive(_READ_SIZE, timeout=timeout)
        except MeshAPIError as exc:
            # §6.6: a TCP drop is an abnormal close. Reported to the protocol as the end
            # of the stream, it becomes stream_interrupted (or the expected end, when
            # we were closing).
            self._dropped = exc
            return b""

    # -- writing (callers hold `_lock`) --------------------------------------------------

    async def _write(self, data: bytes) -> None:
        """Write frames the caller asked for; a failure is raised as stream_interrupted."""
        assert self._stream is not None
        try:
            await self._stream.send(data)
        except MeshAPIError as exc:
            self._broken(exc)
            raise make_error(
                f"the realtime connection broke while sending: {exc.message}",
                status=0,
                error_code="stream_interrupted",
                request_id=self._protocol.request_id,
            ) from exc
        except BaseException:
            # Cancelled part-way: a frame may be half written, so nothing more can be
            # sent on this connection.
            self._broken(None)
            raise

    async def _flush(self) -> None:
        """Write the protocol's automatic replies; a failure surfaces on the next read."""
        data = self._protocol.data_to_send()
        if not data:
            return
        assert self._stream is not None
        try:
            await self._stream.send(data)
        except MeshAPIError as exc:
            self._broken(exc)
        except BaseException:
            self._broken(None)
            raise

    def _broken(self, cause: MeshAPIError | None) -> None:
        # The connection is unusable: tell the protocol the stream ended, so every later
        # call reports the failure (or the clean end, if the session was closing).
        if self._dropped is None:
            self._dropped = cause
        self._protocol.receive_eof()

    # -- closing -------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the session with code 1000; idempotent, and it never raises (§6.6).

        Messages not yet received are dropped. It waits briefly for the gateway's
        answering close frame (unless another task is receiving, which will see it),
        then releases the connection; a `receive()` or iteration in progress elsewhere
        ends as after a normal close.
        """
        if self._closing:
            return
        self._closing = True
        stream = self._stream
        if stream is None:
            self._protocol.close()
            return
        try:
            async with self._lock:
                data = self._protocol.close(1000)
                if data:
                    await stream.send(data)
            if not self._reading.locked():
                await self._await_close_reply(stream)
        except Exception:
            pass  # §6.6: close() never raises; the connection is released below
        finally:
            await stream.aclose()

    async def _await_close_reply(self, stream: AsyncByteStream) -> None:
        deadline = _deadline(_CLOSE_REPLY_WAIT)
        async with self._reading:
            while self._protocol.state is RealtimeState.CLOSING:
                data = await stream.receive(_READ_SIZE, timeout=_left(deadline))
                async with self._lock:
                    self._protocol.receive_data(data)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def _check_wait(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout < 0
    ):
        raise ValueError(f"timeout must be None or a number of seconds >= 0, got {timeout!r}")
    return float(timeout)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _left(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.0)
