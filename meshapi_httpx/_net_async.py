"""Asynchronous TCP/TLS byte streams for the realtime WebSocket (protocol.md §6.6).

The async twin of `_net_sync`: `anyio.connect_tcp` (so the same code runs under asyncio
and under trio) with the TLS context httpx builds by default, and timeouts through
`anyio.fail_after`. Failures leave as the core's `MeshAPIError`, never as an `OSError`
or an anyio exception; the messages name host and port, never the URL (it carries the
API key, §1.2).

Cancelling a `receive` (its own timeout included) loses no data on either backend: the
bytes stay in the socket, or in the TLS buffers, for the next call.
"""

from __future__ import annotations

import contextlib
import ssl

import anyio
import anyio.abc

from meshapi_core._errors import MeshAPIError
from meshapi_core._outcomes import Phase, TransportFailure

from ._net_sync import default_ssl_context

__all__ = ["AsyncTcpStream", "open_tcp_stream"]

# What a stream raises when the connection is gone (or was closed under a pending call).
# ssl.SSLError is an OSError; TimeoutError too, so it is always caught before these.
_BROKEN: tuple[type[BaseException], ...] = (
    OSError,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
)
# EndOfStream too: the peer hung up during the TLS handshake, or before a close.
_BROKEN_OR_EOF: tuple[type[BaseException], ...] = (*_BROKEN, anyio.EndOfStream)


async def open_tcp_stream(
    host: str,
    port: int,
    *,
    tls: bool,
    timeout: float | None,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncTcpStream:
    """Connect to host:port, with a verified TLS handshake when `tls`.

    Args:
        host: The host name or IP address; with TLS, the certificate must match it.
        port: The TCP port.
        tls: Whether to wrap the connection in TLS (a `wss://` URL).
        timeout: Seconds for the TCP connect and the TLS handshake together; None for
            no limit.
        ssl_context: The TLS context; `default_ssl_context()` when None.

    Returns:
        The connected stream.

    Raises:
        MeshAPIError: `APITimeoutError` (code `timeout`) when `timeout` ran out;
            `APIConnectionError` (code `connection_error`) for any other failure.
    """
    where = f"{host}:{port}"
    stream: anyio.abc.ByteStream
    try:
        with anyio.fail_after(timeout):
            if tls:
                context = ssl_context if ssl_context is not None else default_ssl_context()
                # tls_standard_compatible=False, as httpcore does: a peer that drops TCP
                # without a TLS close_notify reads as EOF. Truncation cannot go unnoticed:
                # WebSocket frames carry their length and the session its close handshake.
                stream = await anyio.connect_tcp(
                    host,
                    port,
                    ssl_context=context,
                    tls_hostname=host,
                    tls_standard_compatible=False,
                )
            else:
                stream = await anyio.connect_tcp(host, port)
    except TimeoutError as exc:
        seconds = f" within {timeout:g} s" if timeout is not None else ""
        raise TransportFailure(phase=Phase.CONNECT, timeout=True, cause=exc).to_error(
            message=f"timed out connecting to {where}{seconds} (Timeout.connect)"
        ) from exc
    except _BROKEN_OR_EOF as exc:
        raise TransportFailure(phase=Phase.CONNECT, timeout=False, cause=exc).to_error(
            message=f"could not connect to {where}: {_describe(exc)}"
        ) from exc
    return AsyncTcpStream(stream)


class AsyncTcpStream:
    """A connected anyio byte stream as the core's `AsyncByteStream`.

    `receive` returns b"" at EOF and raises `TimeoutError` when its timeout runs out
    (the stream stays usable); `send` sends all of `data`. A broken connection raises
    `MeshAPIError` (`connection_error`) from either. `aclose` is idempotent, never
    raises, and is shielded from cancellation so the socket is always released.
    """

    __slots__ = ("_closed", "_stream")

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"AsyncTcpStream({state})"

    async def send(self, data: bytes) -> None:
        """Send all of `data`."""
        try:
            await self._stream.send(data)
        except _BROKEN as exc:
            raise _io_failure(Phase.SEND, exc) from exc

    async def receive(self, max_bytes: int = 65536, *, timeout: float | None = None) -> bytes:
        """Up to `max_bytes` bytes; b"" at EOF.

        Args:
            max_bytes: The most bytes to return.
            timeout: Seconds to wait for data; None waits as long as it takes.

        Raises:
            TimeoutError: no data within `timeout`; nothing was lost.
            MeshAPIError: `connection_error` when the connection broke.
        """
        try:
            # move_on_after rather than fail_after: only this scope running out is the
            # TimeoutError of the contract; an OSError the read raises is a failure.
            with anyio.move_on_after(timeout):
                return await self._stream.receive(max_bytes)
        except anyio.EndOfStream:
            return b""
        except _BROKEN as exc:
            if self._closed:
                return b""  # our own aclose() raced this read: report it as the end
            raise _io_failure(Phase.READ, exc) from exc
        raise TimeoutError(f"no data within {timeout:g} s")

    async def aclose(self) -> None:
        """Release the connection; idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        # Shielded: a cancelled caller must still give the socket back. A stream that is
        # already broken has nothing left to release cleanly.
        with anyio.CancelScope(shield=True), contextlib.suppress(*_BROKEN_OR_EOF):
            await self._stream.aclose()


def _io_failure(phase: Phase, exc: BaseException) -> MeshAPIError:
    what = "sending" if phase is Phase.SEND else "receiving"
    return TransportFailure(phase=phase, timeout=False, cause=exc).to_error(
        message=f"the connection failed while {what}: {_describe(exc)}"
    )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
