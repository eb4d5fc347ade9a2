"""The optional overall deadline of one call (`Timeout.total`, protocol.md §5.7).

The core reads no clock: the driver passes its monotonic clock in. Every bound a driver
applies (connect, read, idle, a retry's sleep) is shortened to what is left of it, so
`total` is a real deadline for the call, retries and stream reads included.
"""

from __future__ import annotations

from collections.abc import Callable

from ._config import Timeout
from ._errors import MeshAPIError, make_error

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

    def check(self) -> None:
        """Raise the timeout error once the deadline has passed."""
        if self._at is not None and self._clock() >= self._at:
            raise self.expired_error()
