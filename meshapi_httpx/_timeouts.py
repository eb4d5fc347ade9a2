"""The client Timeout (protocol.md §5.7) as httpx timeouts, within an overall deadline."""

from __future__ import annotations

import time

import httpx

from meshapi_core._config import Timeout
from meshapi_core._errors import MeshAPIError, make_error

__all__ = ["Deadline", "httpx_timeout"]


class Deadline:
    """The optional `Timeout.total` of one call, measured on the monotonic clock."""

    __slots__ = ("_at", "_total")

    def __init__(self, timeout: Timeout) -> None:
        self._total = timeout.total
        self._at = None if timeout.total is None else time.monotonic() + timeout.total

    def remaining(self) -> float | None:
        """Seconds left, or None without a deadline."""
        if self._at is None:
            return None
        return max(self._at - time.monotonic(), 0.0)

    def cap(self, seconds: float | None) -> float | None:
        """`seconds`, shortened to what is left of the deadline."""
        left = self.remaining()
        if left is None:
            return seconds
        return left if seconds is None else min(seconds, left)

    def expired_error(self) -> MeshAPIError:
        return make_error(
            f"request timed out: the total deadline of {self._total:g} s passed",
            status=0,
            error_code="timeout",
            request_id="",
        )

    def check(self) -> None:
        """Raise the timeout error once the deadline has passed."""
        if self._at is not None and time.monotonic() >= self._at:
            raise self.expired_error()


def httpx_timeout(timeout: Timeout, deadline: Deadline) -> dict[str, float | None]:
    """The `timeout` request extension httpcore reads: connect, read, write and pool.

    It is a plain dict on purpose: after a stream's headers arrive the driver swaps
    `read` for `stream_idle` in place, before the first body read (httpcore reads it
    when body iteration starts).
    """
    connect = deadline.cap(timeout.connect)
    read = deadline.cap(timeout.read)
    return {"connect": connect, "read": read, "write": read, "pool": connect}


def as_httpx(timeout: dict[str, float | None]) -> httpx.Timeout:
    return httpx.Timeout(**timeout)
