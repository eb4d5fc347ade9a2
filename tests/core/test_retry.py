"""RetryPolicy: validation, the exact backoff of protocol.md §5.2, the rules of §5.3."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshapi_core._error_mapping import error_from_response
from meshapi_core._errors import APIConnectionError, APITimeoutError
from meshapi_core._outcomes import AttemptOutcome, Phase, ResponseReceived, TransportFailure
from meshapi_core._retry import DEFAULT_RETRY_ON_STATUS, RetryDecision, RetryPolicy

NOW = 1_700_000_000.0
JSON = {"content-type": "application/json"}


def _half() -> float:
    return 0.5


def _status(status: int, retry_after: str | None = None, body: bytes = b"") -> ResponseReceived:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return ResponseReceived(
        status=status, error=error_from_response(status, headers, body, now=NOW)
    )


def _decide(
    policy: RetryPolicy,
    attempt: int,
    outcome: AttemptOutcome,
    *,
    method: str = "POST",
    idempotent: bool = False,
    has_idempotency_key: bool = True,
    rng: Callable[[], float] | random.Random = _half,
    delivered: bool = False,
) -> RetryDecision:
    return policy.decide(
        attempt,
        method=method,
        idempotent=idempotent,
        has_idempotency_key=has_idempotency_key,
        outcome=outcome,
        rng=rng,
        delivered=delivered,
    )


# ---------------------------------------------------------------------------------------
# §5.1 fields, defaults and validation


def test_defaults() -> None:
    policy = RetryPolicy()
    assert policy.max_retries == 3
    assert policy.retry_on_status == frozenset({429, 502, 503, 504}) == DEFAULT_RETRY_ON_STATUS
    assert 500 not in policy.retry_on_status
    assert (policy.backoff_base_ms, policy.backoff_max_ms) == (500, 30_000)
    assert policy.respect_retry_after is True
    assert policy.retry_on_network_error is False


def test_is_a_frozen_keyword_only_value() -> None:
    policy = RetryPolicy(max_retries=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_retries = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        RetryPolicy(1)  # type: ignore[call-arg]
    assert policy == RetryPolicy(max_retries=1)
    assert hash(policy) == hash(RetryPolicy(max_retries=1))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_retries", -1),
        ("max_retries", True),
        ("max_retries", 1.0),
        ("max_retries", "3"),
        ("max_retries", None),
        ("retry_on_status", 429),
        ("retry_on_status", "429"),
        ("retry_on_status", {"429"}),
        ("retry_on_status", {True}),
        ("retry_on_status", [[429]]),
        ("backoff_base_ms", -1),
        ("backoff_base_ms", float("nan")),
        ("backoff_base_ms", False),
        ("backoff_max_ms", float("inf")),
        ("backoff_max_ms", 10**400),
        ("backoff_max_ms", "30000"),
        ("respect_retry_after", 1),
        ("retry_on_network_error", None),
    ],
)
def test_invalid_values_raise_value_error_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: value})


def test_retry_on_status_accepts_any_iterable_and_stores_a_frozenset() -> None:
    policy = RetryPolicy(retry_on_status=[500, 503, 503])  # type: ignore[arg-type]
    assert policy.retry_on_status == frozenset({500, 503})
    assert isinstance(policy.retry_on_status, frozenset)


def test_with_max_retries_returns_a_new_validated_policy() -> None:
    policy = RetryPolicy(backoff_base_ms=100)
    zero = policy.with_max_retries(0)
    assert (zero.max_retries, zero.backoff_base_ms) == (0, 100)
    assert policy.max_retries == 3
    with pytest.raises(ValueError, match="max_retries"):
        policy.with_max_retries(-2)


# ---------------------------------------------------------------------------------------
# §5.2 backoff


def test_default_schedule_with_r_half_then_give_up() -> None:
    policy = RetryPolicy()
    outcome = _status(503)
    delays = []
    attempt = 0
    while (decision := _decide(policy, attempt, outcome)).retry:
        assert decision.reason == "status"
        delays.append(decision.delay_ms)
        attempt += 1
    assert delays == [500.0, 1000.0, 2000.0]
    assert decision == RetryDecision(retry=False, gave_up="budget")
    assert list(policy.backoff_schedule_ms()) == [500.0, 1000.0, 2000.0]


def test_jitter_bounds_are_plus_minus_twenty_percent() -> None:
    policy = RetryPolicy()
    assert _decide(policy, 0, _status(503), rng=lambda: 0.0).delay_ms == 400.0
    assert _decide(policy, 1, _status(503), rng=lambda: 0.999).delay_ms == pytest.approx(
        1000 * 1.1996
    )
    assert list(policy.backoff_schedule_ms(r=0.0)) == [400.0, 800.0, 1600.0]


def test_delay_s_is_delay_ms_in_seconds() -> None:
    decision = _decide(RetryPolicy(), 2, _status(502))
    assert decision.delay_s == 2.0


def test_random_random_and_callables_are_both_jitter_sources() -> None:
    policy = RetryPolicy()
    draws = random.Random(7)
    expected = [policy.backoff_ms(a, r=draws.random()) for a in range(3)]
    as_random = random.Random(7)
    from_random = [_decide(policy, a, _status(429), rng=as_random).delay_ms for a in range(3)]
    as_callable = random.Random(7).random
    from_callable = [_decide(policy, a, _status(429), rng=as_callable).delay_ms for a in range(3)]
    assert from_random == from_callable == expected


def test_rng_is_drawn_only_for_a_retry() -> None:
    calls: list[None] = []

    def rng() -> float:
        calls.append(None)
        return 0.5

    _decide(RetryPolicy(), 0, _status(400), rng=rng)
    _decide(RetryPolicy(), 3, _status(503), rng=rng)
    assert calls == []
    _decide(RetryPolicy(), 0, _status(503), rng=rng)
    assert len(calls) == 1


@pytest.mark.parametrize("r", [1.0, -0.1, float("nan")])
def test_rng_outside_the_unit_interval_is_a_usage_error(r: float) -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        _decide(RetryPolicy(), 0, _status(503), rng=lambda: r)


def test_delays_are_capped_before_jitter() -> None:
    policy = RetryPolicy(max_retries=10, backoff_base_ms=1000, backoff_max_ms=5000)
    assert list(policy.backoff_schedule_ms()) == [
        1000.0,
        2000.0,
        4000.0,
        5000.0,
        5000.0,
        5000.0,
        5000.0,
        5000.0,
        5000.0,
        5000.0,
    ]
    assert _decide(policy, 9, _status(503), rng=lambda: 0.9).delay_ms == pytest.approx(5800)


def test_huge_attempt_numbers_stay_capped() -> None:
    policy = RetryPolicy(max_retries=10**9)
    assert _decide(policy, 5000, _status(503)).delay_ms == 30_000.0
    assert policy.backoff_ms(10**30, r=0.5) == 30_000.0
    assert RetryPolicy(backoff_base_ms=0).backoff_ms(10**30, r=0.5) == 0.0


def test_retry_after_replaces_the_base() -> None:
    policy = RetryPolicy()
    # header seconds, header date, and the body's value (which wins over the header)
    assert _decide(policy, 0, _status(429, "3")).delay_ms == 3000.0
    assert _decide(policy, 2, _status(503, "1.2")).delay_ms == 2000.0  # 1.2 s rounds up to 2
    assert _decide(policy, 0, _status(429, "Tue, 14 Nov 2023 22:13:27 GMT")).delay_ms == 7000.0
    body = b'{"error": {"code": "rate_limit_exceeded", "retry_after_seconds": 4}}'
    outcome = ResponseReceived(
        status=429,
        error=error_from_response(429, {**JSON, "retry-after": "9"}, body, now=NOW),
    )
    assert _decide(policy, 0, outcome).delay_ms == 4000.0
    assert _decide(policy, 0, outcome, rng=lambda: 0.0).delay_ms == 3200.0  # still jittered


def test_retry_after_zero_retries_at_once() -> None:
    assert _decide(RetryPolicy(), 2, _status(429, "0")).delay_ms == 0.0


def test_retry_after_is_capped_by_backoff_max_ms() -> None:
    # §5.2 applies min(base_ms, backoff_max_ms) to an honoured Retry-After as well.
    assert _decide(RetryPolicy(), 0, _status(429, "120")).delay_ms == 30_000.0
    assert _decide(RetryPolicy(), 0, _status(429, "9" * 300)).delay_ms == 30_000.0
    roomy = RetryPolicy(backoff_max_ms=300_000)
    assert _decide(roomy, 0, _status(429, "120")).delay_ms == 120_000.0


def test_retry_after_ignored_when_not_respected() -> None:
    policy = RetryPolicy(respect_retry_after=False)
    assert _decide(policy, 1, _status(429, "20")).delay_ms == 1000.0


def test_a_success_response_without_error_is_not_retried() -> None:
    assert _decide(RetryPolicy(), 0, ResponseReceived(status=200)).gave_up == "status"


# ---------------------------------------------------------------------------------------
# §5.3 what is retried


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 408, 409, 422, 500, 501, 505])
def test_statuses_not_in_the_set_are_not_retried(status: int) -> None:
    assert _decide(RetryPolicy(), 0, _status(status)).gave_up == "status"


@pytest.mark.parametrize("status", sorted(DEFAULT_RETRY_ON_STATUS))
def test_default_statuses_are_retried(status: int) -> None:
    assert _decide(RetryPolicy(), 0, _status(status)).retry


def test_retry_on_status_is_configurable() -> None:
    policy = RetryPolicy(retry_on_status=frozenset({500}))
    assert _decide(policy, 0, _status(500)).retry
    assert not _decide(policy, 0, _status(503)).retry


def test_budget_zero_never_retries() -> None:
    assert _decide(RetryPolicy(max_retries=0), 0, _status(503)).gave_up == "budget"


@pytest.mark.parametrize("phase", list(Phase))
def test_timeouts_are_never_retried(phase: Phase) -> None:
    policy = RetryPolicy(retry_on_network_error=True)
    timeout = TransportFailure(phase=phase, timeout=True)
    for idempotent, key in [(True, True), (True, False), (False, True), (False, False)]:
        decision = _decide(
            policy, 0, timeout, method="GET", idempotent=idempotent, has_idempotency_key=key
        )
        assert decision == RetryDecision.give_up("timeout")


@pytest.mark.parametrize(
    "outcome",
    [_status(503), TransportFailure(phase=Phase.READ, timeout=False)],
)
def test_nothing_is_retried_once_a_stream_delivered(outcome: AttemptOutcome) -> None:
    policy = RetryPolicy(retry_on_network_error=True)
    assert _decide(policy, 0, outcome, delivered=True).gave_up == "delivered"
    assert _decide(policy, 0, outcome, delivered=False).retry


@pytest.mark.parametrize("phase", list(Phase))
def test_network_errors_only_when_opted_in(phase: Phase) -> None:
    failure = TransportFailure(phase=phase, timeout=False, cause=ConnectionResetError())
    off = _decide(RetryPolicy(), 0, failure, method="GET", idempotent=True)
    assert off.gave_up == "network-retries-off"
    on = _decide(RetryPolicy(retry_on_network_error=True), 0, failure)
    assert on == RetryDecision.retry_in(500.0, "network-error")


@pytest.mark.parametrize(
    ("phase", "method", "idempotent", "key", "retried"),
    [
        # CONNECT: nothing was sent, always safe once opted in
        (Phase.CONNECT, "POST", False, False, True),
        (Phase.CONNECT, "PATCH", False, False, True),
        # SEND / READ: the request may have run
        (Phase.SEND, "POST", False, True, True),
        (Phase.READ, "POST", False, True, True),
        (Phase.SEND, "POST", False, False, False),
        (Phase.READ, "POST", False, False, False),
        (Phase.READ, "POST", True, False, False),  # a POST is only safe with its key
        (Phase.READ, "post", True, False, False),
        (Phase.READ, "GET", True, False, True),
        (Phase.SEND, "DELETE", True, False, True),
        (Phase.READ, "PUT", True, False, True),
        (Phase.READ, "PATCH", True, False, True),  # declared idempotent
        (Phase.READ, "PATCH", False, False, False),
        (Phase.READ, "GET", False, False, False),  # the declaration is what counts
    ],
)
def test_network_error_phase_rules(
    phase: Phase, method: str, idempotent: bool, key: bool, retried: bool
) -> None:
    policy = RetryPolicy(retry_on_network_error=True)
    decision = _decide(
        policy,
        0,
        TransportFailure(phase=phase, timeout=False),
        method=method,
        idempotent=idempotent,
        has_idempotency_key=key,
    )
    assert decision.retry is retried
    if not retried:
        assert decision.gave_up == "unsafe-to-resend"


def test_status_retries_need_idempotency_or_a_key() -> None:
    policy = RetryPolicy()
    bare = _decide(policy, 0, _status(503), method="POST", has_idempotency_key=False)
    assert bare.gave_up == "unsafe-to-resend"
    assert _decide(
        policy, 0, _status(503), method="GET", idempotent=True, has_idempotency_key=False
    ).retry


def test_attempt_must_be_a_non_negative_int() -> None:
    for attempt in (-1, True, 0.0):
        with pytest.raises(ValueError, match="attempt"):
            _decide(RetryPolicy(), attempt, _status(503))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# the outcome and decision values


def test_response_received_validates() -> None:
    error = error_from_response(503, {}, b"", now=NOW)
    assert ResponseReceived(status=503, error=error).retry_after_seconds is None
    with pytest.raises(ValueError, match="differs"):
        ResponseReceived(status=502, error=error)
    with pytest.raises(ValueError, match="status"):
        ResponseReceived(status="503")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="MeshAPIError"):
        ResponseReceived(status=503, error=ValueError())  # type: ignore[arg-type]


def test_transport_failure_validates_and_maps_to_errors() -> None:
    with pytest.raises(ValueError, match="phase"):
        TransportFailure(phase="connect", timeout=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        TransportFailure(phase=Phase.READ, timeout=0)  # type: ignore[arg-type]

    cause = TimeoutError("read timed out")
    timeout = TransportFailure(phase=Phase.READ, timeout=True, cause=cause).to_error()
    assert type(timeout) is APITimeoutError
    assert (timeout.status, timeout.error_code, timeout.request_id) == (0, "timeout", "")
    assert str(timeout) == "request timed out while waiting for or reading the response"
    assert timeout.__cause__ is cause

    refused = ConnectionRefusedError("secret://rsk_token@host")
    error = TransportFailure(phase=Phase.CONNECT, timeout=False, cause=refused).to_error(
        request_id="req_mine"
    )
    assert type(error) is APIConnectionError
    assert (error.status, error.error_code, error.request_id) == (0, "connection_error", "req_mine")
    assert str(error) == "connection failed while connecting: ConnectionRefusedError"
    assert "rsk_token" not in str(error) + repr(error)

    idle = TransportFailure(phase=Phase.READ, timeout=True).to_error(message="stream idle")
    assert str(idle) == "stream idle"


def test_decision_values_are_consistent() -> None:
    with pytest.raises(ValueError):
        RetryDecision(retry=True)
    with pytest.raises(ValueError):
        RetryDecision(retry=False, reason="status")
    with pytest.raises(ValueError):
        RetryDecision(retry=True, reason="status", delay_ms=-1.0)
    assert RetryDecision.give_up("budget").delay_s == 0.0


# ---------------------------------------------------------------------------------------
# properties

_OUTCOMES: st.SearchStrategy[AttemptOutcome] = st.one_of(
    st.builds(
        lambda status, retry_after: _status(status, retry_after),
        st.sampled_from([200, 400, 429, 500, 502, 503, 504]) | st.integers(100, 999),
        st.none() | st.integers(0, 10**6).map(str) | st.sampled_from(["1.5", "-1", "x"]),
    ),
    st.builds(TransportFailure, phase=st.sampled_from(list(Phase)), timeout=st.booleans()),
)
_MS = st.integers(0, 10**7) | st.floats(0, 1e7)
_POLICIES = st.builds(
    RetryPolicy,
    max_retries=st.integers(0, 50),
    retry_on_status=st.frozensets(st.sampled_from([429, 500, 502, 503, 504]) | st.integers()),
    backoff_base_ms=_MS,
    backoff_max_ms=_MS,
    respect_retry_after=st.booleans(),
    retry_on_network_error=st.booleans(),
)


@settings(max_examples=1000, deadline=None)
@given(
    policy=_POLICIES,
    attempt=st.integers(0, 60) | st.integers(0, 10**20),
    outcome=_OUTCOMES,
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    idempotent=st.booleans(),
    key=st.booleans(),
    delivered=st.booleans(),
    r=st.floats(0, 1, exclude_max=True),
)
def test_decisions_are_bounded_and_safe(
    policy: RetryPolicy,
    attempt: int,
    outcome: AttemptOutcome,
    method: str,
    idempotent: bool,
    key: bool,
    delivered: bool,
    r: float,
) -> None:
    decision = _decide(
        policy,
        attempt,
        outcome,
        method=method,
        idempotent=idempotent,
        has_idempotency_key=key,
        rng=lambda: r,
        delivered=delivered,
    )
    assert 0.0 <= decision.delay_ms <= policy.backoff_max_ms * 1.2
    if not decision.retry:
        return
    assert attempt < policy.max_retries
    assert not delivered
    if isinstance(outcome, TransportFailure):
        assert not outcome.timeout
        assert policy.retry_on_network_error
        assert decision.reason == "network-error"
        if outcome.phase is Phase.CONNECT:
            return  # nothing was sent: resending cannot run the request twice
    else:
        assert outcome.status in policy.retry_on_status
        assert decision.reason == "status"
    # The request may have reached the gateway: never resent without protection.
    assert key or (idempotent and method != "POST")
