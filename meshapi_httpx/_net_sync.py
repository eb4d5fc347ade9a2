"""Blocking TCP/TLS byte streams for the realtime WebSocket (protocol.md §6.6).

httpx has no public way to hand over a raw connection, so the realtime session opens its
own: `socket.create_connection`, then TLS with the context httpx builds by default
(`httpx.create_ssl_context()`: certificate and host name verification on, certifi's CA
bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set). The session runs the core's
`RealtimeProtocol` over the stream; this module only moves bytes.

Every failure leaves as the core's `MeshAPIError` (`connection_error`, or `timeout` for
the connect timeout), built by `TransportFailure.to_error` with the socket error chained,
so no `OSError` reaches the caller. The messages name the host and port and never a URL:
this layer does not even see the realtime URL, which carries the API key (§1.2).

Waiting for data uses a selector rather than the socket timeout, so that a `receive`
with a timeout in one thread never changes how a `send` in another thread behaves (the
socket timeout is one setting per socket, shared by both directions).
"""

from __future__ import annotations

import contextlib
import functools
import selectors
import socket
import ssl
import time

import httpx

from meshapi_core._errors import MeshAPIError
from meshapi_core._outcomes import Phase, TransportFailure

__all__ = ["SyncTcpStream", "default_ssl_context", "open_tcp_stream"]


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The TLS context of realtime connections: httpx's default one, ALPN `http/1.1`.

    Built once per process (loading the CA bundle is the slow part) and shared by the
    sync and async streams; an `SSLContext` is safe to share between threads.
    """
    context = httpx.create_ssl_context()
    # The WebSocket upgrade is an HTTP/1.1 request (RFC 6455 §4.1); offering only
    # http/1.1 keeps a gateway that speaks h2 from choosing it.
    context.set_alpn_protocols(["http/1.1"])
    return context


def open_tcp_stream(
    host: str,
    port: int,
    *,
    tls: bool,
    timeout: float | None,
    ssl_context: ssl.SSLContext | None = None,
) -> SyncTcpStream:
    """Connect to host:port, with a verified TLS handshake when `tls`.

    Args:
        host: The host name or IP address; with TLS, the certificate must match it.
        port: The TCP port.
        tls: Whether to wrap the connection in TLS (a `wss://` URL).
        timeout: Seconds for the TCP connect and the TLS handshake together; None for
            no limit.
        ssl_context: The TLS context; `default_ssl_context()` when None.

    Returns:
        The connected stream, in blocking mode.

    Raises:
        MeshAPIError: `APITimeoutError` (code `timeout`) when `timeout` ran out;
            `APIConnectionError` (code `connection_error`) for any other failure: name
            resolution, refusal, a certificate that does not verify.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    where = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError as exc:
        raise _connect_timeout(where, timeout, exc) from exc
    except OSError as exc:
        raise _connect_failure(where, exc) from exc
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            context = ssl_context if ssl_context is not None else default_ssl_context()
            # The handshake runs inside wrap_socket, bounded by what is left of `timeout`.
            sock.settimeout(_left(deadline))
            sock = context.wrap_socket(sock, server_hostname=host)
        sock.settimeout(None)
    except TimeoutError as exc:
        sock.close()
        raise _connect_timeout(where, timeout, exc) from exc
    except OSError as exc:  # ssl.SSLError (a certificate that fails) is an OSError
        sock.close()
        raise _connect_failure(where, exc) from exc
    except BaseException:
        sock.close()
        raise
    return SyncTcpStream(sock)


class SyncTcpStream:
    """A connected TCP or TLS socket as the core's `ByteStream`.

    `receive` returns b"" at EOF and raises `TimeoutError` when its timeout runs out
    (the stream stays usable); `send` sends all of `data`. A broken connection raises
    `MeshAPIError` (`connection_error`) from either. `close` is idempotent and wakes a
    `receive` blocked in another thread (it reports EOF there).
    """

    __slots__ = ("_closed", "_selector", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._selector: selectors.BaseSelector | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"SyncTcpStream({state})"

    def send(self, data: bytes) -> None:
        """Send all of `data`, blocking until the kernel took it."""
        try:
            self._sock.sendall(data)
        except (OSError, ValueError) as exc:  # ValueError: the socket was closed meanwhile
            raise _io_failure(Phase.SEND, exc) from exc

    def receive(self, max_bytes: int = 65536, *, timeout: float | None = None) -> bytes:
        """Up to `max_bytes` bytes; b"" at EOF.

        Args:
            max_bytes: The most bytes to return.
            timeout: Seconds to wait for data (0 only takes what has arrived); None
                waits as long as it takes.

        Raises:
            TimeoutError: no data within `timeout`; nothing was consumed.
            MeshAPIError: `connection_error` when the connection broke.
        """
        try:
            ready = timeout is None or self._readable(timeout)
            if ready:
                return self._sock.recv(max_bytes)
        except (OSError, ValueError) as exc:  # a kernel ETIMEDOUT too: the connection died
            if self._closed:
                return b""  # our own close() raced this read: report it as the end
            raise _io_failure(Phase.READ, exc) from exc
        raise TimeoutError(f"no data within {timeout:g} s")

    def close(self) -> None:
        """Shut the connection down and release it; idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        # shutdown() first: close() alone does not wake a recv() blocked in another
        # thread, shutdown() makes it return b"". OSError: already disconnected.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self._selector is not None:
            self._selector.close()

    def _readable(self, timeout: float) -> bool:
        # TLS may hold decrypted bytes the kernel no longer knows about.
        if isinstance(self._sock, ssl.SSLSocket) and self._sock.pending():
            return True
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
            self._selector.register(self._sock, selectors.EVENT_READ)
        return bool(self._selector.select(max(timeout, 0.0)))


def _left(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.0)


def _connect_timeout(where: str, timeout: float | None, exc: BaseException) -> MeshAPIError:
    seconds = f" within {timeout:g} s" if timeout is not None else ""
    return TransportFailure(phase=Phase.CONNECT, timeout=True, cause=exc).to_error(
        message=f"timed out connecting to {where}{seconds} (Timeout.connect)"
    )


def _connect_failure(where: str, exc: BaseException) -> MeshAPIError:
    # Socket and TLS errors describe the host and the certificate, never the URL (this
    # layer only has host and port), so their text is safe to show and worth showing.
    return TransportFailure(phase=Phase.CONNECT, timeout=False, cause=exc).to_error(
        message=f"could not connect to {where}: {_describe(exc)}"
    )


def _io_failure(phase: Phase, exc: BaseException) -> MeshAPIError:
    what = "sending" if phase is Phase.SEND else "receiving"
    return TransportFailure(phase=phase, timeout=False, cause=exc).to_error(
        message=f"the connection failed while {what}: {_describe(exc)}"
    )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
