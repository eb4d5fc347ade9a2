"""The optional overall deadline of one call (`Timeout.total`, protocol.md §5.7).

The core reads no clock: the driver passes its monotonic clock in. Every bound a driver
applies (connect, read, idle, a retry's sleep) is shortened to what is left of it, so
`total` is a real deadline for the call, retries and stream reads included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ._config import Timeout
from ._errors import MeshAPIError, make_error
from ._outcomes import TransportFailure

__all__ = ["Deadline"]


class Deadline:
    """`Timeout.total` of one call, measured on the clock the driver gives.

    Args:
        timeout: the call's Timeout; without `total` there is no deadline.
        clock: a monotonic clock in seconds (the driver passes `time.monotonic`).
    """

    __slots__ = ("_at", "_clock", "_total")

    def __init__(self, timeout: Timeout, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._total = timeout.total
        self._at = None if timeout.total is None else clock() + timeout.total

    @property
    def total(self) -> float | None:
        """`Timeout.total` in seconds, or None without a deadline."""
        return self._total

    def remaining(self) -> float | None:
        """Seconds left, or None without a deadline."""
        if self._at is None:
            return None
        return max(self._at - self._clock(), 0.0)

    def cap(self, seconds: float | None) -> float | None:
        """`seconds`, shortened to what is left of the deadline."""
        left = self.remaining()
        if left is None:
            return seconds
        return left if seconds is None else min(seconds, left)

    def expired_error(self) -> MeshAPIError:
        """The timeout error for a passed deadline (code `timeout`, status 0)."""
        return make_error(
            f"request timed out: the total deadline of {self._total:g} s passed",
            status=0,
            error_code="timeout",
            request_id="",
        )

    def passed(self) -> bool:
        """Whether there is a deadline and it has passed."""
        return self._at is not None and self._clock() >= self._at

    def check(self) -> None:
        """Raise the timeout error once the deadline has passed."""
        if self.passed():
            raise self.expired_error()

    def explain(self, failure: TransportFailure) -> TransportFailure:
        """`failure`, marked as the deadline's when it is a timeout after the deadline.

        Every bound a driver sets is capped by the deadline, so a connect or read timeout
        that fires once the deadline has passed was the deadline, not its phase's own
        bound: the error must say so (§5.7: the message names the phase). Any other
        failure comes back unchanged.
        """
        if failure.timeout and failure.total is None and self.passed():
            return dataclasses.replace(failure, total=self._total)
        return failure
