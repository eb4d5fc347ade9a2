"""The client Timeout (protocol.md §5.7) as aiohttp timeouts, within an overall deadline.

How each bound is enforced, and why there:

* `connect` → `ClientTimeout.connect`: aiohttp raises `ConnectionTimeoutError` for it
  (pool wait included), which is unambiguously the CONNECT phase.
* `read`, up to the response headers → `ClientTimeout.sock_read`: aiohttp starts that
  timer only after the request body is written, so it measures exactly "waiting for the
  gateway", and its `SocketTimeoutError` is unambiguously READ.
* a stalled upload → an outer bound of `connect + read` on the whole exchange (aiohttp
  has no write timeout; httpx's driver uses `read` for writes).
* `read`, non-streaming → the rest of `read`, counted from the start of the attempt,
  bounds reading the whole body (§5.7: "until the whole response is read").
* `stream_idle` → per body read of a stream (`asyncio.wait_for` around `readany()`),
  after the `sock_read` timer is switched off: a healthy stream may run longer than
  `read`, and may pause for longer too unless `stream_idle` says otherwise.
* `total` → `Deadline`: every bound above is shortened to what is left of it, so it is a
  real deadline for the call, retries, sleeps and stream reads included.
"""

from __future__ import annotations

import aiohttp

from meshapi_core._config import Timeout
from meshapi_core._deadline import Deadline

__all__ = ["Deadline", "at_least", "client_timeout"]


def client_timeout(timeout: Timeout, deadline: Deadline) -> aiohttp.ClientTimeout:
    """The per-request `ClientTimeout`: connect, and `sock_read` up to the headers.

    `total` stays None: aiohttp's total would also cut a healthy stream off, and the
    call's own deadline is applied by the driver instead. It replaces whatever timeout
    a caller's session carries, so a session default cannot change §5.7.
    """
    return aiohttp.ClientTimeout(
        total=None,
        connect=at_least(deadline.cap(timeout.connect)),
        sock_connect=None,
        sock_read=at_least(deadline.cap(timeout.read)),
    )


# aiohttp reads a timeout of 0 as "no timeout"; a deadline that is all but spent must
# still time out, not wait forever.
_SMALLEST = 0.001


def at_least(seconds: float | None) -> float | None:
    """`seconds`, but never 0 (None stays None: no limit)."""
    return None if seconds is None else max(seconds, _SMALLEST)
