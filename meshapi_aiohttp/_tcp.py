"""The realtime byte stream of the aiohttp driver: a raw asyncio TCP/TLS connection.

Why not aiohttp's own WebSocket client (`ClientSession.ws_connect`)?

The realtime session (protocol.md §6.6) is written once, for every async driver, over
`AsyncByteStream`, and drives the core's Sans-I/O `RealtimeProtocol` (wsproto
underneath). A driver that hands it raw bytes gets, for free and identical on httpx and
aiohttp, everything §6.6 pins down: the handshake headers (the key only in the query,
`X-MeshAPI-SDK`, no Authorization, no X-Mesh-Version), the `openai-realtime`
subprotocol check, a refused upgrade mapped by §4.3 from its status *and body* with
the key redacted, normal versus abnormal closes (1000/1001 versus 1006/1011/a TCP drop),
automatic pongs and frames of 16 MiB and more.

`ws_connect` would have to be taught each of those again and differently: it raises
`WSServerHandshakeError` for a refused upgrade without the body the error mapping needs,
caps messages at 4 MiB unless told otherwise, pings and closes on its own schedule, and
hands back whole messages and close codes in its own types, so the session would need a
second, aiohttp-only implementation to keep the errors and close rules the same. What a
raw stream gives up is aiohttp's connector: the WebSocket does not share the session's
pool, proxy or TLS settings. A realtime session is one long-lived connection, so there
is nothing to pool, and TLS is verified the standard way (`ssl.create_default_context`,
hostname checked against `host`).

The stream's contract (`meshapi_core._transport.AsyncByteStream`):

* `open_tcp_stream` raises the core's `MeshAPIError`: `timeout` when `timeout` ran out,
  `connection_error` for anything else (refused, DNS, TLS verification), never an
  OSError. Messages name the cause's type only (no host or URL).
* `receive(max_bytes, timeout=)` returns the bytes read, `b""` at the end of the stream;
  a reset counts as the end too (the WebSocket layer calls an end without a close frame
  abnormal, 1006 → `stream_interrupted`). Running out of `timeout` raises the builtin
  `TimeoutError`, and the stream stays usable.
* `send(data)` writes and waits for the buffer to drain; a connection that is gone
  raises `MeshAPIError` `stream_interrupted`.
* `aclose()` is idempotent and never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from meshapi_core._errors import MeshAPIError
from meshapi_core._outcomes import Phase, TransportFailure

__all__ = ["AsyncioByteStream", "open_tcp_stream"]

# How long aclose() waits for the transport to finish closing (a TLS close_notify the
# peer never answers must not hold the caller).
_CLOSE_WAIT = 1.0


async def open_tcp_stream(
    host: str, port: int, *, tls: bool, timeout: float | None
) -> AsyncioByteStream:
    """Connect to host:port (TLS verified against `host` when `tls`) within `timeout`.

    Raises:
        MeshAPIError: `timeout` or `connection_error` (status 0), the cause chained.
    """
    context = ssl.create_default_context() if tls else None
    connecting = asyncio.open_connection(
        host, port, ssl=context, server_hostname=host if tls else None
    )
    try:
        if timeout is None:
            reader, writer = await connecting
        else:
            reader, writer = await asyncio.wait_for(connecting, timeout)
    except asyncio.TimeoutError as exc:
        raise TransportFailure(phase=Phase.CONNECT, timeout=True, cause=exc).to_error() from exc
    except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError)
        raise TransportFailure(phase=Phase.CONNECT, timeout=False, cause=exc).to_error() from exc
    return AsyncioByteStream(reader, writer)


class AsyncioByteStream:
    """A connected asyncio stream as an `AsyncByteStream` (see the module docstring)."""

    __slots__ = ("_closed", "_eof", "_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._eof = False
        self._closed = False

    async def send(self, data: bytes) -> None:
        if self._closed:
            raise MeshAPIError.stream_interrupted()
        try:
            self._writer.write(data)
            await self._writer.drain()
        except OSError as exc:  # reset, broken pipe, or the transport already closed
            raise MeshAPIError.stream_interrupted(exc) from exc

    async def receive(self, max_bytes: int = 65536, *, timeout: float | None = None) -> bytes:
        if self._eof or self._closed:
            return b""
        try:
            if timeout is None:
                data = await self._reader.read(max_bytes)
            else:
                # Cancelling a pending read loses nothing: bytes stay in the reader.
                data = await asyncio.wait_for(self._reader.read(max_bytes), timeout)
        except asyncio.TimeoutError:
            # The builtin class (asyncio's differs before Python 3.11), as the interface says.
            raise TimeoutError(f"no data received within {timeout:g} s") from None
        except OSError:
            data = b""
        if not data:
            self._eof = True
        return data

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer.wait_closed(), _CLOSE_WAIT)
