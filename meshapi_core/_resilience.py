"""Resilience events: what the SDK tells `logger=` and `debug=True` (protocol.md §5.6).

Every retry, client-side model fallback hop and multi-attempt gateway routing is one
small immutable event. The client hands each event to the user's `logger` callable, and
with `debug=True` prints `DEBUG_PREFIX + event.debug_line()` to stderr when the line is
not None. `debug_line()` returns the line **without** the `[meshapi] ` prefix, so that a
logger can reuse the text under its own formatting; the prefix is `DEBUG_PREFIX`.

No event carries or prints the served provider (§5.6) or a credential, and paths never
carry a query string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, TypeAlias

__all__ = [
    "DEBUG_PREFIX",
    "FallbackEvent",
    "GatewayRoutingEvent",
    "ResilienceEvent",
    "RetryEvent",
    "gateway_routing_event",
]

DEBUG_PREFIX = "[meshapi] "
"""What `debug=True` prints before every `debug_line()` (§5.6)."""

_ARROW = "\u2192"  # §5.6: the fallback line uses U+2192 RIGHTWARDS ARROW
_ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryEvent:
    """An attempt failed and will be retried (§5.6, type `retry`).

    Attributes:
        method: The HTTP method.
        path: The request path; a query string (or fragment) is dropped at construction
            so query values never reach a log.
        attempt: The 1-based attempt that just failed.
        max_retries: The policy's budget (the line shows `max_retries + 1` attempts).
        delay_ms: The delay before the next attempt, in milliseconds.
        reason: `"status"` or `"network-error"`.
        status: The failed response's status; None for a network error.
        request_id: The failed response's `x-request-id`, else None.
    """

    type: Literal["retry"] = field(default="retry", init=False)
    method: str
    path: str
    attempt: int
    max_retries: int
    delay_ms: float
    reason: Literal["status", "network-error"]
    status: int | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", _without_query(self.path))
        object.__setattr__(self, "request_id", self.request_id or None)
        if not (math.isfinite(self.delay_ms) and self.delay_ms >= 0):
            raise ValueError(f"delay_ms must be finite and >= 0, got {self.delay_ms!r}")
        if self.reason not in ("status", "network-error"):
            raise ValueError(f"reason must be 'status' or 'network-error', got {self.reason!r}")

    def debug_line(self) -> str:
        """`retrying {METHOD} {path} (attempt {n}/{max_retries+1} failed: {why}, next in
        {D}ms){rid}`, without the `[meshapi] ` prefix.

        `{why}` is the status, or `network error` when there is none; `D` is `delay_ms`
        rounded half-up (§5.6).

        Returns:
            The line.
        """
        why = "network error" if self.status is None else str(self.status)
        return (
            f"retrying {self.method.upper()} {self.path} (attempt {self.attempt}/"
            f"{self.max_retries + 1} failed: {why}, next in {_round_half_up(self.delay_ms)}ms)"
            f"{_rid(self.request_id)}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackEvent:
    """The client-side fallback moves to the next model of the chain (§5.5, §5.6).

    Attributes:
        from_model: The model that failed (`"(key default)"` when `params.model` was
            absent, §5.5).
        to_model: The model tried next.
        chain_index: The 0-based index of `to_model` in the chain.
        chain_length: The length of the chain.
        status: The failed attempt's HTTP status; None (or 0, "no HTTP status", §8.3)
            for a connection error.
        error_code: The failed attempt's `error_code`, if any.
        request_id: The failed attempt's request id, if any.
    """

    type: Literal["fallback"] = field(default="fallback", init=False)
    from_model: str
    to_model: str
    chain_index: int
    chain_length: int
    status: int | None = None
    error_code: str | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "request_id", self.request_id or None)

    def debug_line(self) -> str:
        """`falling back {from} → {to} ({chain_index+1}/{chain_length}: {why}){rid}`,
        without the `[meshapi] ` prefix.

        `{why}` is the status and the code joined by one space, leaving out whichever is
        absent (a status of 0 counts as absent), or `network error` when both are.

        Returns:
            The line.
        """
        parts = [str(self.status)] if self.status else []
        if self.error_code:
            parts.append(self.error_code)
        why = " ".join(parts) or "network error"
        return (
            f"falling back {self.from_model} {_ARROW} {self.to_model} "
            f"({self.chain_index + 1}/{self.chain_length}: {why}){_rid(self.request_id)}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayRoutingEvent:
    """How the gateway routed the final response of a call (§1.4, §5.6).

    Attributes:
        path: The request path, without a query string.
        attempts: How many upstream attempts the gateway made (≥ 1).
        fallback: True when the gateway served from a fallback provider. Which provider
            is never reported.
        request_id: The final response's request id, if any.
    """

    type: Literal["gateway-routing"] = field(default="gateway-routing", init=False)
    path: str
    attempts: int
    fallback: bool
    request_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", _without_query(self.path))
        object.__setattr__(self, "request_id", self.request_id or None)

    def debug_line(self) -> str | None:
        """`gateway served {path} ({attempts} attempts[, provider fallback]){rid}`,
        without the `[meshapi] ` prefix.

        Returns:
            The line, or None for a plain single-attempt routing, which §5.6 does not
            print (the logger still receives the event).
        """
        if self.attempts <= 1 and not self.fallback:
            return None
        extra = ", provider fallback" if self.fallback else ""
        return (
            f"gateway served {self.path} ({self.attempts} attempts{extra}){_rid(self.request_id)}"
        )


ResilienceEvent: TypeAlias = RetryEvent | FallbackEvent | GatewayRoutingEvent
"""Every event a `logger=` callable receives (§5.6)."""


def gateway_routing_event(
    path: str, headers: Mapping[str, str], request_id: str | None
) -> GatewayRoutingEvent | None:
    """The `gateway-routing` event of a call's final response, if it has one (§5.6).

    Only non-streaming calls produce it, from the last response of the transport loop,
    success or error; the caller decides that, this function only reads headers.

    Args:
        path: The request path (a query string is dropped).
        headers: The response headers (case-insensitive, or lower-case keys).
        request_id: The response's request id.

    Returns:
        None without an `x-mesh-routing-attempts` header. Otherwise the event: a
        non-numeric or zero (or negative) count is 1, and `fallback` is True only for
        the exact `x-mesh-routing-fallback` value `true`.
    """
    raw_attempts = headers.get("x-mesh-routing-attempts")
    if raw_attempts is None:
        return None
    return GatewayRoutingEvent(
        path=path,
        attempts=_attempt_count(raw_attempts),
        fallback=headers.get("x-mesh-routing-fallback") == "true",
        request_id=request_id,
    )


def _attempt_count(raw: str) -> int:
    value = raw.strip()
    # A count beyond a few digits is nonsense; refusing it also keeps int() away from
    # Python's limit on very long digit strings.
    if not _ASCII_DIGITS.fullmatch(value) or len(value) > 18:
        return 1
    return max(1, int(value))


def _round_half_up(value: float) -> int:
    """Half-up rounding (512.5 → 513). round() rounds half to even (512.5 → 512)."""
    # Decimal(float) is exact, so a value just under .5 is not pushed over by float
    # addition, as math.floor(value + 0.5) would do for 0.49999999999999994.
    return int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP))


def _rid(request_id: str | None) -> str:
    return f" [{request_id}]" if request_id else ""


def _without_query(path: str) -> str:
    # Ids in paths are percent-encoded (§1.6), so a raw "?" or "#" can only start a
    # query or fragment.
    return path.split("?", 1)[0].split("#", 1)[0]
