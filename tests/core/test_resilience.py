"""Resilience events and their debug lines (protocol.md §5.6)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshapi_core._resilience import (
    DEBUG_PREFIX,
    FallbackEvent,
    GatewayRoutingEvent,
    ResilienceEvent,
    RetryEvent,
    gateway_routing_event,
)


def _retry(**overrides: object) -> RetryEvent:
    fields: dict[str, object] = {
        "method": "POST",
        "path": "/v1/chat/completions",
        "attempt": 1,
        "max_retries": 3,
        "delay_ms": 512.0,
        "reason": "status",
        "status": 503,
        "request_id": "req_1",
    }
    fields.update(overrides)
    return RetryEvent(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# the three examples of §5.6, verbatim


def test_spec_example_retry() -> None:
    line = DEBUG_PREFIX + _retry().debug_line()
    assert line == (
        "[meshapi] retrying POST /v1/chat/completions (attempt 1/4 failed: 503, next in 512ms)"
        " [req_1]"
    )


def test_spec_example_fallback() -> None:
    event = FallbackEvent(
        from_model="openai/gpt-4o",
        to_model="anthropic/claude-sonnet-4.5",
        chain_index=0,
        chain_length=2,
        status=503,
        error_code="provider_not_available",
        request_id=None,
    )
    assert DEBUG_PREFIX + event.debug_line() == (
        "[meshapi] falling back openai/gpt-4o \u2192 anthropic/claude-sonnet-4.5"
        " (1/2: 503 provider_not_available)"
    )


def test_spec_example_gateway_routing() -> None:
    event = GatewayRoutingEvent(
        path="/v1/chat/completions", attempts=2, fallback=True, request_id="req_2"
    )
    assert DEBUG_PREFIX + (event.debug_line() or "") == (
        "[meshapi] gateway served /v1/chat/completions (2 attempts, provider fallback) [req_2]"
    )


# ---------------------------------------------------------------------------------------
# retry


@pytest.mark.parametrize(
    ("delay_ms", "shown"),
    [
        (512.5, 513),  # half-up; round() would give 512
        (511.5, 512),
        (512.4999999999999, 512),
        (0.49999999999999994, 0),  # just under .5 stays down; floor(x + 0.5) gives 1
        (0.5, 1),
        (0.0, 0),
        (2.5, 3),
        (1199.6, 1200),
    ],
)
def test_retry_delay_is_rounded_half_up(delay_ms: float, shown: int) -> None:
    assert f"next in {shown}ms)" in _retry(delay_ms=delay_ms).debug_line()


def test_retry_network_error_without_request_id() -> None:
    event = _retry(
        method="get",
        path="/v1/models",
        attempt=2,
        max_retries=5,
        delay_ms=1000.0,
        reason="network-error",
        status=None,
        request_id=None,
    )
    assert event.debug_line() == (
        "retrying GET /v1/models (attempt 2/6 failed: network error, next in 1000ms)"
    )


def test_retry_fields_and_type() -> None:
    event = _retry()
    assert event.type == "retry"
    assert dataclasses.asdict(event) == {
        "type": "retry",
        "method": "POST",
        "path": "/v1/chat/completions",
        "attempt": 1,
        "max_retries": 3,
        "delay_ms": 512.0,
        "reason": "status",
        "status": 503,
        "request_id": "req_1",
    }
    with_type: dict[str, Any] = dataclasses.asdict(event)
    with pytest.raises(TypeError, match="type"):  # fixed by the class, not an argument
        RetryEvent(**with_type)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.attempt = 2  # type: ignore[misc]


def test_paths_never_carry_a_query_string() -> None:
    assert _retry(path="/v1/models?brand=openai&q=secret").path == "/v1/models"
    assert "secret" not in _retry(path="/v1/models?q=secret").debug_line()
    routed = GatewayRoutingEvent(path="/v1/x?y=1#f", attempts=3, fallback=False)
    assert routed.path == "/v1/x"


def test_empty_request_id_is_none() -> None:
    assert _retry(request_id="").request_id is None
    assert _retry(request_id="").debug_line().endswith("ms)")


@pytest.mark.parametrize(
    ("field", "value"),
    [("delay_ms", -1.0), ("delay_ms", float("nan")), ("reason", "other")],
)
def test_retry_event_validates(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        _retry(**{field: value})


# ---------------------------------------------------------------------------------------
# fallback


@pytest.mark.parametrize(
    ("status", "code", "why"),
    [
        (502, "upstream_error", "502 upstream_error"),
        (503, None, "503"),
        (None, "connection_error", "connection_error"),
        (0, "connection_error", "connection_error"),  # status 0 means "no HTTP status"
        (None, None, "network error"),
        (0, "", "network error"),
    ],
)
def test_fallback_why(status: int | None, code: str | None, why: str) -> None:
    event = FallbackEvent(
        from_model="(key default)",
        to_model="b",
        chain_index=1,
        chain_length=3,
        status=status,
        error_code=code,
        request_id="req_f",
    )
    assert event.type == "fallback"
    assert event.debug_line() == f"falling back (key default) \u2192 b (2/3: {why}) [req_f]"


# ---------------------------------------------------------------------------------------
# gateway routing


@pytest.mark.parametrize(
    ("attempts", "fallback", "line"),
    [
        (1, False, None),  # not printed, but still an event for the logger
        (2, False, "gateway served /v1/embeddings (2 attempts) [req_9]"),
        (1, True, "gateway served /v1/embeddings (1 attempts, provider fallback) [req_9]"),
        (3, True, "gateway served /v1/embeddings (3 attempts, provider fallback) [req_9]"),
    ],
)
def test_gateway_routing_line(attempts: int, fallback: bool, line: str | None) -> None:
    event = GatewayRoutingEvent(
        path="/v1/embeddings", attempts=attempts, fallback=fallback, request_id="req_9"
    )
    assert event.type == "gateway-routing"
    assert event.debug_line() == line


@pytest.mark.parametrize(
    ("headers", "attempts", "fallback"),
    [
        ({"x-mesh-routing-attempts": "2"}, 2, False),
        ({"x-mesh-routing-attempts": " 4 "}, 4, False),
        ({"x-mesh-routing-attempts": "1", "x-mesh-routing-fallback": "true"}, 1, True),
        ({"x-mesh-routing-attempts": "2", "x-mesh-routing-fallback": "True"}, 2, False),
        ({"x-mesh-routing-attempts": "2", "x-mesh-routing-fallback": "true "}, 2, False),
        ({"x-mesh-routing-attempts": "2", "x-mesh-routing-fallback": "1"}, 2, False),
        ({"x-mesh-routing-attempts": "0"}, 1, False),
        ({"x-mesh-routing-attempts": "-3"}, 1, False),
        ({"x-mesh-routing-attempts": "two"}, 1, False),
        ({"x-mesh-routing-attempts": "2.5"}, 1, False),
        ({"x-mesh-routing-attempts": ""}, 1, False),
        ({"x-mesh-routing-attempts": "\u0662"}, 1, False),  # not an ASCII digit
        ({"x-mesh-routing-attempts": "9" * 5000}, 1, False),
    ],
)
def test_gateway_routing_event_from_headers(
    headers: dict[str, str], attempts: int, fallback: bool
) -> None:
    event = gateway_routing_event("/v1/chat/completions?x=1", headers, "req_r")
    assert event == GatewayRoutingEvent(
        path="/v1/chat/completions", attempts=attempts, fallback=fallback, request_id="req_r"
    )


def test_no_routing_header_no_event() -> None:
    assert gateway_routing_event("/v1/chat/completions", {}, "req_r") is None
    headers = {"x-mesh-routing-fallback": "true"}
    assert gateway_routing_event("/v1/chat/completions", headers, "req_r") is None


def test_events_carry_no_provider() -> None:
    for cls in (RetryEvent, FallbackEvent, GatewayRoutingEvent):
        assert not any("provider" in f.name for f in dataclasses.fields(cls))


@settings(max_examples=300, deadline=None)
@given(
    attempts=st.text(max_size=8) | st.integers(-5, 10**6).map(str),
    fallback=st.none() | st.text(max_size=6),
    request_id=st.none() | st.text(max_size=10),
)
def test_routing_events_from_any_headers(
    attempts: str, fallback: str | None, request_id: str | None
) -> None:
    headers = {"x-mesh-routing-attempts": attempts}
    if fallback is not None:
        headers["x-mesh-routing-fallback"] = fallback
    event: ResilienceEvent | None = gateway_routing_event("/v1/x", headers, request_id)
    assert isinstance(event, GatewayRoutingEvent)
    assert event.attempts >= 1
    assert event.fallback is (fallback == "true")
    line = event.debug_line()
    assert (line is None) == (event.attempts == 1 and not event.fallback)
