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

After the handshake the socket is non-blocking and all waiting goes through selectors
(see `SyncTcpStream`): the socket timeout is one setting per socket, so a `receive`
with a timeout in one thread must not be what bounds a `send` in another.
"""

from __future__ import annotations

import contextlib
import functools
import selectors
import socket
import ssl
import threading
import time

import httpx

from meshapi_core._errors import MeshAPIError
from meshapi_core._outcomes import Phase, TransportFailure

__all__ = ["SyncTcpStream", "default_ssl_context", "open_tcp_stream"]

# poll() rather than epoll: poll() on a descriptor closed by another thread returns at
# once (POLLNVAL), where epoll silently forgets it and would wait forever. No poll() on
# Windows, where select() fails on a closed socket instead, which is as good.
_Selector: type[selectors.BaseSelector] = getattr(
    selectors, "PollSelector", selectors.SelectSelector
)


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
        The connected stream.

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
            # The handshake runs inside wrap_socket, bounded by what is left of `timeout`
            # (a timeout of 0 would make the socket non-blocking, not time out).
            left = _left(deadline)
            if left == 0:
                raise TimeoutError("no time left for the TLS handshake")
            sock.settimeout(left)
            sock = context.wrap_socket(sock, server_hostname=host)
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
    `MeshAPIError` (`connection_error`) from either. `close` is idempotent and ends a
    `receive` waiting in another thread (it reports EOF there).

    One thread may receive while another sends. The socket is non-blocking and every
    waiting happens in a selector, outside `_lock`; the lock only serialises the
    non-blocking socket calls themselves, because an OpenSSL connection must not be
    used by two threads at once. So a send never waits behind a blocked receive, and
    a TLS record that arrives in pieces cannot stall the other direction.
    """

    __slots__ = ("_closed", "_lock", "_readable", "_sock", "_writable")

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._lock = threading.Lock()
        # One selector per direction, so a receive and a send can wait at the same time.
        self._readable = _Selector()
        self._readable.register(sock, selectors.EVENT_READ)
        self._writable = _Selector()
        self._writable.register(sock, selectors.EVENT_WRITE)
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"SyncTcpStream({state})"

    def send(self, data: bytes) -> None:
        """Send all of `data`, waiting while the kernel's buffer is full."""
        view = memoryview(data)
        while view:
            sent = self._try_send(view)
            if isinstance(sent, int):
                view = view[sent:]
            else:
                self._wait(sent, None)

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
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            data = self._try_recv(max_bytes)
            if isinstance(data, bytes):
                return data
            if not self._wait(data, deadline):
                raise TimeoutError(f"no data within {timeout:g} s")

    def close(self) -> None:
        """Shut the connection down and release it; idempotent, never raises."""
        with self._lock:  # held only for non-blocking calls, so this never waits long
            if self._closed:
                return
            self._closed = True
            # shutdown() first: it wakes a receive waiting in another thread (the socket
            # turns readable at EOF). OSError: already disconnected.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()

    def _try_recv(self, max_bytes: int) -> bytes | selectors.BaseSelector:
        """One non-blocking read; when it would block, the selector to wait on instead."""
        with self._lock:
            if self._closed:
                return b""  # our own close(), maybe from another thread: the end
            try:
                return self._sock.recv(max_bytes)
            except (BlockingIOError, ssl.SSLWantReadError):
                return self._readable
            except ssl.SSLWantWriteError:
                return self._writable  # TLS has to send something first
            except (OSError, ValueError) as exc:
                raise _io_failure(Phase.READ, exc) from exc

    def _try_send(self, data: memoryview) -> int | selectors.BaseSelector:
        """One non-blocking write; when it would block, the selector to wait on instead."""
        with self._lock:
            if self._closed:
                raise _io_failure(Phase.SEND, ConnectionError("the stream is closed"))
            try:
                return self._sock.send(data)
            except (BlockingIOError, ssl.SSLWantWriteError):
                return self._writable
            except ssl.SSLWantReadError:
                return self._readable  # TLS needs bytes from the peer first
            except (OSError, ValueError) as exc:
                raise _io_failure(Phase.SEND, exc) from exc

    def _wait(self, selector: selectors.BaseSelector, deadline: float | None) -> bool:
        """Wait until the socket is ready; False when `deadline` passed first."""
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            return bool(selector.select(left))
        except (OSError, ValueError):
            return True  # closed meanwhile: the next attempt says so


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
