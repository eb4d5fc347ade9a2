"""aiohttp's exceptions, translated once into the core's TransportFailure values.

The phase decides whether a resend is safe (protocol.md §5.3, style.md pitfall 8):
CONNECT means not a byte of the request left this process; SEND and READ mean it may
have reached the gateway.

aiohttp's hierarchy (aiohttp/client_exceptions.py) does not follow the phases one to
one, so the table below is ordered most specific first and some kinds take their phase
from where the driver was when they were raised:

* Connecting: `ClientConnectorError` and everything under it (DNS, refused, TLS
  `ClientSSLError` / `ClientConnectorCertificateError`, proxy connection),
  `ServerFingerprintMismatch`, a proxy refusing the tunnel (`ClientHttpProxyError`),
  a URL aiohttp will not send to (`InvalidURL`, `NonHttpUrlClientError`), and
  `ConnectionTimeoutError` (aiohttp's own `connect` timeout, which also covers waiting
  for a pooled connection) are CONNECT.
* Reading: `SocketTimeoutError` (the `sock_read` timer, which aiohttp starts only once
  the request body is written), `ClientPayloadError` (a body that broke off or does not
  decode), `ClientResponseError` (a malformed response head) and `HttpProcessingError`
  are READ.
* `ServerDisconnectedError`, `ClientOSError` (a reset, a broken pipe), other
  `ClientConnectionError`s and our own `asyncio.wait_for` timeouts can happen while
  the request is still being written or after: the caller passes the phase it knows
  (see `_transport._failure_phase`: SEND while aiohttp's upload tracker says
  the body was not written in full, READ after).
* `UploadAbortedError` (the body was never fully sent) is SEND.
"""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError

from meshapi_core._outcomes import Phase, TransportFailure

__all__ = ["TRANSPORT_ERRORS", "failure_from"]

# What a request or a body read can raise that means "the network failed us". OSError
# covers a raw socket error that aiohttp lets through; asyncio.TimeoutError covers our
# own bounds (it is a distinct class from the builtin TimeoutError before Python 3.11).
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientError,
    HttpProcessingError,
    asyncio.TimeoutError,
    OSError,
)



def _since(name: str) -> tuple[type[BaseException], ...]:
    """aiohttp's exception class `name`, or nothing on a version that lacks it.

    `ConnectionTimeoutError` and `SocketTimeoutError` came in aiohttp 3.10 (before, both
    were a bare `ServerTimeoutError`), `UploadAbortedError` in 3.14; the extra allows 3.9.
    """
    kind = getattr(aiohttp, name, None)
    return (kind,) if isinstance(kind, type) and issubclass(kind, BaseException) else ()


_Row = tuple[tuple[type[BaseException], ...], Phase | None, bool]

# (kinds, phase or None for "the caller's phase", timeout), most specific first.
_PHASES: tuple[_Row, ...] = (
    (_since("ConnectionTimeoutError"), Phase.CONNECT, True),
    (_since("SocketTimeoutError"), Phase.READ, True),
    # A bare ServerTimeoutError (aiohttp < 3.10 raised it for both of the above).
    ((aiohttp.ServerTimeoutError,), None, True),
    ((aiohttp.ClientConnectorError,), Phase.CONNECT, False),
    ((aiohttp.ServerFingerprintMismatch,), Phase.CONNECT, False),
    ((aiohttp.ClientHttpProxyError,), Phase.CONNECT, False),
    ((aiohttp.InvalidURL,), Phase.CONNECT, False),
    (_since("NonHttpUrlClientError"), Phase.CONNECT, False),
    (_since("UploadAbortedError"), Phase.SEND, False),
    ((aiohttp.ClientPayloadError,), Phase.READ, False),
    ((aiohttp.ClientResponseError,), Phase.READ, False),
    ((HttpProcessingError,), Phase.READ, False),
    ((asyncio.TimeoutError,), None, True),
)


def failure_from(exc: BaseException, *, phase: Phase) -> TransportFailure:
    """The TransportFailure for an aiohttp (or socket, or timeout) exception.

    Args:
        exc: What aiohttp raised.
        phase: Where the driver was, for the kinds aiohttp leaves open (a disconnect, a
            reset, our own timeout).
    """
    for kinds, kind_phase, timeout in _PHASES:
        if kinds and isinstance(exc, kinds):
            return TransportFailure(phase=kind_phase or phase, timeout=timeout, cause=exc)
    return TransportFailure(phase=phase, timeout=False, cause=exc)
