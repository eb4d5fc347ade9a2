"""The client Timeout (protocol.md §5.7) as httpx timeouts, within an overall deadline."""

from __future__ import annotations

import httpx

from meshapi_core._config import Timeout
from meshapi_core._deadline import Deadline

__all__ = ["Deadline", "httpx_timeout"]


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
