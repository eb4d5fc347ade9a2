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

The stream keeps the same contract as the httpx driver's (`meshapi_httpx._net_async`),
so the shared session sees the same errors whichever driver runs it:

* `open_tcp_stream` raises the core's `MeshAPIError`: `timeout` when `timeout` ran out
  (TCP connect and TLS handshake together), `connection_error` for anything else
  (refused, DNS, TLS verification), never an OSError. Messages name host and port and
  the cause, never a URL (the realtime URL carries the key, §1.2).
* `receive(max_bytes, timeout=)` returns the bytes read, `b""` at the end of the stream.
  Running out of `timeout` raises the builtin `TimeoutError`; nothing is lost (a pending
  `StreamReader.read` gives its bytes to the next call) and the stream stays usable.
* a broken connection raises `MeshAPIError` `connection_error` from `send` and
  `receive` (the session turns it into `stream_interrupted`, §6.6), except a `receive`
  racing our own `aclose()`, which reads as the end.
* `aclose()` is idempotent and never raises.

The TLS context is built per connection (a realtime session is one long-lived
connection, so loading the trust store each time costs little) with verification on,
the hostname checked, and ALPN offering only `http/1.1`: the WebSocket upgrade is an
HTTP/1.1 request (RFC 6455 §4.1). Building it per connection also means `SSL_CERT_FILE`
is read when the connection is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from meshapi_core._errors import MeshAPIError
from meshapi_core._outcomes import Phase, TransportFailure

__all__ = ["AsyncioByteStream", "open_tcp_stream", "tls_context"]

# How long aclose() waits for the transport to finish closing (a TLS close_notify the
# peer never answers must not hold the caller).
_CLOSE_WAIT = 1.0


def tls_context() -> ssl.SSLContext:
    """A verifying client context (system trust store, hostname check), ALPN http/1.1."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


async def open_tcp_stream(
    host: str, port: int, *, tls: bool, timeout: float | None
) -> AsyncioByteStream:
    """Connect to host:port (TLS verified against `host` when `tls`) within `timeout`.

    Raises:
        MeshAPIError: `APITimeoutError` (`timeout`) when `timeout` ran out, else
            `APIConnectionError` (`connection_error`); status 0, the cause chained.
    """
    where = f"{host}:{port}"
    connecting = asyncio.open_connection(
        host,
        port,
        ssl=tls_context() if tls else None,
        server_hostname=host if tls else None,
    )
    try:
        if timeout is None:
            reader, writer = await connecting
        else:
            reader, writer = await asyncio.wait_for(connecting, timeout)
    except asyncio.TimeoutError as exc:
        seconds = f" within {timeout:g} s" if timeout is not None else ""
        raise TransportFailure(phase=Phase.CONNECT, timeout=True, cause=exc).to_error(
            message=f"timed out connecting to {where}{seconds} (Timeout.connect)"
        ) from exc
    except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError)
        raise TransportFailure(phase=Phase.CONNECT, timeout=False, cause=exc).to_error(
            message=f"could not connect to {where}: {_describe(exc)}"
        ) from exc
    return AsyncioByteStream(reader, writer)


class AsyncioByteStream:
    """A connected asyncio stream as an `AsyncByteStream` (see the module docstring)."""

    __slots__ = ("_closed", "_eof", "_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._eof = False
        self._closed = False

    def __repr__(self) -> str:
        return f"AsyncioByteStream({'closed' if self._closed else 'open'})"

    @property
    def closed(self) -> bool:
        """Whether `aclose()` was called."""
        return self._closed

    async def send(self, data: bytes) -> None:
        """Write all of `data` and wait until the transport's buffer drained."""
        if self._closed:
            raise _io_failure(Phase.SEND, ConnectionError("the stream is closed"))
        try:
            self._writer.write(data)
            await self._writer.drain()
        except OSError as exc:  # reset, broken pipe, TLS failure, the transport closed
            raise _io_failure(Phase.SEND, exc) from exc

    async def receive(self, max_bytes: int = 65536, *, timeout: float | None = None) -> bytes:
        """Up to `max_bytes` bytes; b"" at the end of the stream.

        Raises:
            TimeoutError: no data within `timeout`; nothing was lost.
            MeshAPIError: `connection_error` when the connection broke.
        """
        if self._eof or self._closed:
            return b""
        try:
            if timeout is None:
                data = await self._reader.read(max_bytes)
            else:
                data = await asyncio.wait_for(self._reader.read(max_bytes), timeout)
        except asyncio.TimeoutError:
            # The builtin class (asyncio's differs before Python 3.11), as the interface says.
            raise TimeoutError(f"no data within {timeout:g} s") from None
        except OSError as exc:
            if self.closed:  # (a property: mypy would keep the narrowing from above)
                return b""  # our own aclose() raced this read: report it as the end
            raise _io_failure(Phase.READ, exc) from exc
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


def _io_failure(phase: Phase, exc: BaseException) -> MeshAPIError:
    what = "sending" if phase is Phase.SEND else "receiving"
    return TransportFailure(phase=phase, timeout=False, cause=exc).to_error(
        message=f"the connection failed while {what}: {_describe(exc)}"
    )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
