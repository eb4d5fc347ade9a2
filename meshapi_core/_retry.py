"""The retry policy: a value that answers "retry after N ms" or "give up" (protocol.md §5).

Theory of operation: a driver (through the core's flow) sends attempt 0; after each
failed attempt it calls `policy.decide(a, ..., outcome=...)`, where `a` is the 0-based
index of the retry that would come next, and either sleeps `decision.delay_s` and resends
the byte-identical request, or stops and raises the error of the last outcome. The policy
holds no state and reads no clock; the jitter comes from the `rng` argument, so tests pin
exact delays (design.md "Retry policy", style.md habit 1). It is modelled on urllib3's
`Retry`: an immutable value with one decision method, changed by making a new value
(style.md habit 13).
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

from ._outcomes import AttemptOutcome, Phase, ResponseReceived, TransportFailure

__all__ = [
    "DEFAULT_RETRY_ON_STATUS",
    "GiveUpReason",
    "RetryDecision",
    "RetryPolicy",
    "RetryReason",
    "Rng",
]

# §5.1: 500 is deliberately absent; an internal error is not presumed to be transient.
DEFAULT_RETRY_ON_STATUS: frozenset[int] = frozenset({429, 502, 503, 504})

RetryReason: TypeAlias = Literal["status", "network-error"]
"""Why a retry happens; the `reason` of `RetryEvent` (§5.6)."""

GiveUpReason: TypeAlias = Literal[
    "delivered",  # part of a stream already reached the caller (§5.3)
    "status",  # the status is not in retry_on_status (successes included)
    "timeout",  # client timeouts are never retried (§5.3, §5.7)
    "network-retries-off",  # retry_on_network_error is False (§5.1)
    "unsafe-to-resend",  # the request may have run and has no idempotency protection
    "budget",  # max_retries retries already happened
]
"""Why the policy gave up; for tests and debugging, not part of any wire contract."""

Rng: TypeAlias = Callable[[], float] | random.Random
"""A jitter source: a zero-argument callable returning r in [0, 1), or a random.Random."""

# RFC 9110 §9.2.2: POST is not idempotent by definition, so for a POST only the
# `Idempotency-Key` (§5.4) makes a resend safe, whatever the operation table says.
_NEVER_IDEMPOTENT_METHODS = frozenset({"POST"})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryDecision:
    """The answer of `RetryPolicy.decide`: retry after a delay, or give up.

    Attributes:
        retry: True to resend after `delay_ms`.
        delay_ms: The delay before the resend in milliseconds (0.0 when giving up); the
            `delay_ms` of `RetryEvent` (§5.6).
        reason: Why the retry happens (`"status"` or `"network-error"`), None when
            giving up.
        gave_up: Why the policy gave up, None when retrying.
    """

    retry: bool
    delay_ms: float = 0.0
    reason: RetryReason | None = None
    gave_up: GiveUpReason | None = None

    def __post_init__(self) -> None:
        if self.retry != (self.reason is not None) or self.retry == (self.gave_up is not None):
            raise ValueError("a retry has a reason and no gave_up; giving up, the reverse")
        if not (math.isfinite(self.delay_ms) and self.delay_ms >= 0):
            raise ValueError(f"delay_ms must be finite and >= 0, got {self.delay_ms!r}")

    @property
    def delay_s(self) -> float:
        """The delay in seconds, what a driver passes to its sleep."""
        return self.delay_ms / 1000.0

    @classmethod
    def retry_in(cls, delay_ms: float, reason: RetryReason) -> RetryDecision:
        """A decision to resend after `delay_ms` milliseconds."""
        return cls(retry=True, delay_ms=delay_ms, reason=reason)

    @classmethod
    def give_up(cls, why: GiveUpReason) -> RetryDecision:
        """A decision to stop and raise the last outcome's error."""
        return cls(retry=False, gave_up=why)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How failed attempts are retried (protocol.md §5.1).

    Attributes:
        max_retries: Retries after the first attempt (so at most `max_retries + 1`
            sends). An int ≥ 0.
        retry_on_status: Statuses that trigger a resend. Any iterable of ints is
            accepted and stored as a frozenset.
        backoff_base_ms: The first exponential delay; it doubles with each retry.
        backoff_max_ms: The cap on one delay, before jitter.
        respect_retry_after: Let a server-given delay (`retry_after_seconds`, §4.4)
            replace the exponential base.
        retry_on_network_error: Opt in to retrying transport failures (not timeouts).

    Raises:
        ValueError: At construction, naming the field, for a value of the wrong type or
            out of range (§5.1: "otherwise ValueError at construction").
    """

    max_retries: int = 3
    retry_on_status: frozenset[int] = DEFAULT_RETRY_ON_STATUS
    backoff_base_ms: float = 500
    backoff_max_ms: float = 30_000
    respect_retry_after: bool = True
    retry_on_network_error: bool = False

    def __post_init__(self) -> None:
        _require_count("max_retries", self.max_retries)
        object.__setattr__(self, "retry_on_status", _status_set(self.retry_on_status))
        _require_ms("backoff_base_ms", self.backoff_base_ms)
        _require_ms("backoff_max_ms", self.backoff_max_ms)
        for name in ("respect_retry_after", "retry_on_network_error"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")

    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        """A copy with another retry budget: the per-call `max_retries=` (§5.1).

        Args:
            max_retries: The new budget, an int ≥ 0.

        Returns:
            A new policy; this one is unchanged.

        Raises:
            ValueError: If `max_retries` is not an int ≥ 0.
        """
        return dataclasses.replace(self, max_retries=max_retries)

    def decide(
        self,
        attempt: int,
        *,
        method: str,
        idempotent: bool,
        has_idempotency_key: bool,
        outcome: AttemptOutcome,
        rng: Rng,
        delivered: bool = False,
    ) -> RetryDecision:
        """Decide whether to resend after a failed attempt (protocol.md §5.2, §5.3).

        Args:
            attempt: The 0-based index of the retry that would happen next (0 after the
                first send failed), the `a` of §5.2.
            method: The HTTP method. A POST is never taken as idempotent on its own
                (RFC 9110 §9.2.2): only its idempotency key makes it safe to resend.
            idempotent: Whether the operation is declared idempotent (GET, PUT, DELETE,
                and a PATCH the operation table marks so).
            has_idempotency_key: Whether the request carries `Idempotency-Key` (every
                POST does in this SDK, §5.4).
            outcome: What happened to the attempt.
            rng: The jitter source; called once, and only when the answer is a retry.
            delivered: True once any byte of a stream body was handed to the caller.

        Returns:
            A retry with its delay and reason, or a give-up with why.

        Raises:
            ValueError: If `attempt` is not an int ≥ 0, or `rng` gives a value outside
                [0, 1).
        """
        _require_count("attempt", attempt)
        # §5.3: a stream is retried only before anything of it was delivered; after
        # that a resend would replay events the caller has already consumed.
        if delivered:
            return RetryDecision.give_up("delivered")
        # The request may have reached the gateway unless it failed while connecting;
        # then resending is safe only when running it twice cannot do harm.
        safe_to_resend = has_idempotency_key or (
            idempotent and method.upper() not in _NEVER_IDEMPOTENT_METHODS
        )
        reason: RetryReason
        if isinstance(outcome, ResponseReceived):
            if outcome.status not in self.retry_on_status:
                return RetryDecision.give_up("status")
            if not safe_to_resend:
                # Every POST has a key in this SDK (§5.4), so this is a safety net.
                return RetryDecision.give_up("unsafe-to-resend")
            reason = "status"
        elif isinstance(outcome, TransportFailure):
            if outcome.timeout:
                # §5.3/§5.7: never, in any phase, even with network retries on; a timed
                # out request may still be running upstream and billing.
                return RetryDecision.give_up("timeout")
            if not self.retry_on_network_error:
                return RetryDecision.give_up("network-retries-off")
            if outcome.phase is not Phase.CONNECT and not safe_to_resend:
                return RetryDecision.give_up("unsafe-to-resend")
            reason = "network-error"
        else:  # pragma: no cover - guarded by the type checker
            raise ValueError(f"outcome must be an AttemptOutcome, got {outcome!r}")
        if attempt >= self.max_retries:
            return RetryDecision.give_up("budget")
        retry_after = outcome.retry_after_seconds if isinstance(outcome, ResponseReceived) else None
        return RetryDecision.retry_in(
            self.backoff_ms(attempt, r=_draw(rng), retry_after_seconds=retry_after), reason
        )

    def backoff_ms(
        self, attempt: int, *, r: float, retry_after_seconds: int | None = None
    ) -> float:
        """The delay before retry number `attempt`, exactly the formula of §5.2.

        `base_ms` is `retry_after_seconds × 1000` when the policy respects Retry-After
        and the server gave one, else `backoff_base_ms × 2^attempt`; then
        `delay_ms = min(base_ms, backoff_max_ms) × (0.8 + 0.4·r)`.

        As written, the cap applies to an honoured Retry-After too: with the defaults a
        server asking for 120 s is retried after 24–36 s, possibly before its window
        opens (that retry then spends budget on another 429). A caller who wants long
        server delays honoured in full raises `backoff_max_ms`.

        Args:
            attempt: The 0-based retry index `a`.
            r: The jitter draw, in [0, 1).
            retry_after_seconds: The server-given delay (§4.4), if any.

        Returns:
            The delay in milliseconds, in [0, backoff_max_ms × 1.2).

        Raises:
            ValueError: If `attempt` is not an int ≥ 0 or `r` is outside [0, 1).
        """
        _require_count("attempt", attempt)
        _require_unit(r)
        base_ms: float
        if self.respect_retry_after and retry_after_seconds is not None:
            base_ms = retry_after_seconds * 1000
        elif self.backoff_base_ms == 0:
            base_ms = 0.0
        else:
            try:
                base_ms = math.ldexp(float(self.backoff_base_ms), attempt)
            except OverflowError:  # 2^attempt beyond floats: capped below regardless
                base_ms = math.inf
        # min() before float(): a huge int Retry-After compares exactly and never
        # has to become a float.
        return float(min(base_ms, self.backoff_max_ms)) * (0.8 + 0.4 * r)

    def backoff_schedule_ms(self, *, r: float = 0.5) -> Iterator[float]:
        """The delays of every retry when no server delay is given, for docs and tests.

        Args:
            r: One jitter draw used for every retry (0.5 gives the nominal delays).

        Returns:
            An iterator of `max_retries` delays in milliseconds (lazy, so a large
            budget costs nothing until read).
        """
        _require_unit(r)
        return (self.backoff_ms(a, r=r) for a in range(self.max_retries))


def _draw(rng: Rng) -> float:
    r = rng.random() if isinstance(rng, random.Random) else rng()
    _require_unit(r)
    return r


def _require_unit(r: float) -> None:
    if not (isinstance(r, (int, float)) and not isinstance(r, bool) and 0.0 <= r < 1.0):
        raise ValueError(f"the jitter draw r must be a float in [0, 1), got {r!r}")


def _require_count(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")


def _require_ms(name: str, value: object) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            if math.isfinite(float(value)) and value >= 0:
                return
        except OverflowError:  # an int beyond the float range
            pass
    raise ValueError(f"{name} must be a finite number of milliseconds >= 0, got {value!r}")


def _status_set(value: object) -> frozenset[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"retry_on_status must be a set of int statuses, got {value!r}")
    try:
        statuses = frozenset(value)
    except TypeError:  # unhashable members
        raise ValueError(f"retry_on_status must hold int statuses, got {value!r}") from None
    for status in statuses:
        if not isinstance(status, int) or isinstance(status, bool):
            raise ValueError(f"retry_on_status must hold int statuses, got {status!r}")
    return statuses
