"""What happened to one attempt of a request: the values drivers report to the core.

A driver sends a request and hands back exactly one of these. Either a response arrived
(`ResponseReceived`, with the mapped error when its status is not a success), or the
transport failed (`TransportFailure`, with the phase it failed in). The retry policy
(`_retry.RetryPolicy.decide`) reads them. Transport exceptions (httpx, aiohttp, anyio)
are translated into `TransportFailure` inside the driver, in one place, so the core never
sees or imports them (style.md habits 5 and 14).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from ._errors import MeshAPIError, make_error

__all__ = ["AttemptOutcome", "Phase", "ResponseReceived", "TransportFailure"]


class Phase(enum.Enum):
    """Where a transport failure happened; it decides whether a resend is safe (§5.3).

    CONNECT: opening TCP/TLS; not a byte of the request left, so a resend cannot run it
    twice. SEND and READ: the request may have reached the gateway, so a resend is safe
    only for an idempotent request or one carrying an `Idempotency-Key` (§5.4).
    """

    CONNECT = "connect"
    SEND = "send"
    READ = "read"


_PHASE_WORDS = {
    Phase.CONNECT: "while connecting",
    Phase.SEND: "while sending the request",
    Phase.READ: "while waiting for or reading the response",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseReceived:
    """A response arrived with `status`.

    Attributes:
        status: The HTTP status.
        error: The error `error_from_response` built from it, for a status ≥ 300 (None
            for a success). It carries `retry_after_seconds` (§4.4), which the backoff
            honours (§5.2), and it is what the caller gets when no retry follows.
    """

    status: int
    error: MeshAPIError | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, int) or isinstance(self.status, bool):
            raise ValueError(f"status must be an int, got {self.status!r}")
        if self.error is not None:
            if not isinstance(self.error, MeshAPIError):
                raise ValueError(f"error must be a MeshAPIError, got {self.error!r}")
            if self.error.status != self.status:
                raise ValueError(
                    f"error.status {self.error.status} differs from status {self.status}"
                )

    @property
    def retry_after_seconds(self) -> int | None:
        """The server-given delay in seconds (§4.4), or None."""
        return self.error.retry_after_seconds if self.error is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportFailure:
    """No (complete) response: the connection or a timeout failed the attempt.

    Attributes:
        phase: Where it failed (§5.3 and style.md pitfall 8).
        timeout: True for a client-side timeout (§5.7). Timeouts are never retried.
        cause: The transport's own exception, chained onto the error for debugging.
        total: For a timeout that fired because the call's `Timeout.total` ran out, that
            total in seconds (see `Deadline.explain`): drivers cap every bound by what
            is left of the deadline, so the phase's own bound is not what fired, and the
            message must name the deadline instead.
    """

    phase: Phase
    timeout: bool
    cause: BaseException | None = None
    total: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.phase, Phase):
            raise ValueError(f"phase must be a Phase, got {self.phase!r}")
        if not isinstance(self.timeout, bool):
            raise ValueError(f"timeout must be a bool, got {self.timeout!r}")
        if self.total is not None and not self.timeout:
            raise ValueError("total is set only on a timeout")

    def to_error(
        self, *, request_id: str | None = None, message: str | None = None
    ) -> MeshAPIError:
        """The error to raise when this failure is final (protocol.md §4.2, §5.7).

        Args:
            request_id: The request id, when one is known (the caller's own).
            message: A driver's more precise wording (for example naming the stream-idle
                timeout); by default the message names the phase.

        Returns:
            An `APITimeoutError` (code `timeout`) or an `APIConnectionError` (code
            `connection_error`), status 0, with `cause` as `__cause__`. The message holds
            the cause's type name only: transport messages can echo URLs, and the
            realtime URL carries the key (§1.2).
        """
        if self.timeout:
            code = "timeout"
            if self.total is not None:
                default = f"request timed out: the total deadline of {self.total:g} s passed"
            else:
                default = f"request timed out {_PHASE_WORDS[self.phase]}"
        else:
            code = "connection_error"
            reason = f": {type(self.cause).__name__}" if self.cause is not None else ""
            default = f"connection failed {_PHASE_WORDS[self.phase]}{reason}"
        error = make_error(message or default, status=0, error_code=code, request_id=request_id)
        error.__cause__ = self.cause
        return error


AttemptOutcome: TypeAlias = ResponseReceived | TransportFailure
"""What one attempt came to; the `outcome` argument of `RetryPolicy.decide`."""
