"""httpx's exceptions, translated once into the core's TransportFailure values.

The phase decides whether a resend is safe (protocol.md §5.3, style.md pitfall 8):
CONNECT means not a byte of the request left this process; SEND and READ mean it may
have reached the gateway.
"""

from __future__ import annotations

import httpx

from meshapi_core._outcomes import Phase, TransportFailure

__all__ = ["TRANSPORT_ERRORS", "failure_from"]

# What a send or a body read can raise that means "the network failed us".
# DecodingError (a broken gzip body) is a read failure too; StreamError is our misuse.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (httpx.TransportError, httpx.DecodingError)

_PHASES: tuple[tuple[type[BaseException], Phase, bool], ...] = (
    (httpx.ConnectTimeout, Phase.CONNECT, True),
    # Waiting for a connection from the pool: nothing was sent yet.
    (httpx.PoolTimeout, Phase.CONNECT, True),
    (httpx.ConnectError, Phase.CONNECT, False),
    (httpx.ProxyError, Phase.CONNECT, False),
    (httpx.UnsupportedProtocol, Phase.CONNECT, False),
    (httpx.WriteTimeout, Phase.SEND, True),
    (httpx.WriteError, Phase.SEND, False),
    (httpx.LocalProtocolError, Phase.SEND, False),
    (httpx.ReadTimeout, Phase.READ, True),
    (httpx.ReadError, Phase.READ, False),
    (httpx.RemoteProtocolError, Phase.READ, False),
    (httpx.CloseError, Phase.READ, False),
    (httpx.DecodingError, Phase.READ, False),
)


def failure_from(exc: BaseException, *, phase: Phase = Phase.READ) -> TransportFailure:
    """The TransportFailure for an httpx exception; `phase` for kinds httpx leaves open."""
    for kind, kind_phase, timeout in _PHASES:
        if isinstance(exc, kind):
            return TransportFailure(phase=kind_phase, timeout=timeout, cause=exc)
    return TransportFailure(
        phase=phase, timeout=isinstance(exc, httpx.TimeoutException | TimeoutError), cause=exc
    )
