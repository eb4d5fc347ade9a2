"""Retries, idempotency keys, Retry-After, network-error retries, the fallback chain,
resilience events to the logger and the debug lines on stderr."""

from __future__ import annotations

import re
import uuid
from typing import Any

import anyio
import pytest

from meshapi import (
    APIConnectionError,
    APITimeoutError,
    FallbackConfig,
    FallbackEvent,
    GatewayRoutingEvent,
    InternalServerError,
    NotFoundError,
    RetryEvent,
    RetryPolicy,
    StreamInterruptedError,
    Timeout,
)
from meshapi.testing import (
    Fail,
    MeshAPIGateway,
    ResetAfterChunks,
    ResetBeforeResponse,
    RoutingHeaders,
    StallBeforeHeaders,
    http_date,
)

from ._harness import read_all, user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
PRIMARY = "openai/gpt-4o"
BACKUP = "anthropic/claude-haiku-4.5"
CHAT = "/v1/chat/completions"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def unique_key(prefix: str) -> str:
    """An idempotency key no other test (or driver run) has used on this gateway."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class EventLog(list[Any]):
    """A `logger=` callable that keeps every event."""

    def __call__(self, event: Any) -> None:
        self.append(event)

    def of(self, kind: type) -> list[Any]:
        return [event for event in self if isinstance(event, kind)]


# ------------------------------------------------------------------- retries, idempotency


async def test_a_retried_post_reuses_one_idempotency_key_and_runs_once(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(Fail(503), path=CHAT, times=2)

    reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert reply.choices[0].message.content == "You said: hi"
    attempts = gw.find_requests(path=CHAT)
    assert len(attempts) == 3
    keys = {attempt.idempotency_key for attempt in attempts}
    assert len(keys) == 1
    (key,) = keys
    assert key is not None and UUID4.fullmatch(key)
    assert len({attempt.body for attempt in attempts}) == 1  # byte-identical resends
    assert gw.executions(key) == 1


async def test_the_callers_idempotency_key_is_sent_on_every_attempt(
    client: Any, gw: MeshAPIGateway
) -> None:
    key = unique_key("job-42.embed")
    gw.add_fault(Fail(502), path="/v1/embeddings", times=1)

    await client.embeddings.create(
        model="openai/text-embedding-3-small", input="x", idempotency_key=key
    )

    keys = [r.idempotency_key for r in gw.find_requests(path="/v1/embeddings")]
    assert keys == [key, key]
    assert gw.executions(key) == 1


async def test_a_repeated_call_with_the_same_key_is_replayed_not_run_again(
    client: Any, gw: MeshAPIGateway
) -> None:
    key = unique_key("once-only")
    first = await client.chat.completions.with_raw_response.create(
        model=MODEL, messages=user("hi"), idempotency_key=key
    )
    second = await client.chat.completions.with_raw_response.create(
        model=MODEL, messages=user("hi"), idempotency_key=key
    )

    assert gw.executions(key) == 1
    assert second.headers.get("idempotent-replayed") == "true"
    assert second.parsed.id == first.parsed.id
    assert second.parsed._request_id == first.parsed._request_id


async def test_an_invalid_idempotency_key_is_refused_before_any_request(
    client: Any, gw: MeshAPIGateway
) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await client.chat.completions.create(
            model=MODEL, messages=user("hi"), idempotency_key="has space"
        )

    assert gw.requests == []


async def test_500_is_not_retried_by_default(client: Any, gw: MeshAPIGateway) -> None:
    gw.add_fault(Fail(500), path=CHAT, times=3)

    with pytest.raises(InternalServerError):
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert len(gw.find_requests(path=CHAT)) == 1


async def test_gets_are_retried_without_an_idempotency_key(client: Any, gw: MeshAPIGateway) -> None:
    gw.add_fault(Fail(429), path="/v1/models", times=2)

    assert await client.models.list()

    attempts = gw.find_requests(path="/v1/models")
    assert len(attempts) == 3
    assert not any(attempt.has_header("idempotency-key") for attempt in attempts)


async def test_retries_stop_when_the_budget_is_spent_raising_the_last_error(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(Fail(503), path=CHAT, times=None)

    with pytest.raises(InternalServerError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    attempts = gw.find_requests(path=CHAT)
    assert len(attempts) == 4  # the first attempt and max_retries=3 retries
    assert caught.value.request_id == attempts[-1].request_id


@pytest.mark.parametrize("max_retries", [0, 1])
async def test_max_retries_per_call_overrides_the_policy(
    client: Any, gw: MeshAPIGateway, max_retries: int
) -> None:
    gw.add_fault(Fail(503), path=CHAT, times=None)

    with pytest.raises(InternalServerError):
        await client.chat.completions.create(
            model=MODEL, messages=user("hi"), max_retries=max_retries
        )

    assert len(gw.find_requests(path=CHAT)) == max_retries + 1


async def test_the_constructor_max_retries_alias_sets_the_budget(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(max_retries=0)
    gw.add_fault(Fail(503), path=CHAT, times=None)

    with pytest.raises(InternalServerError):
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert len(gw.find_requests(path=CHAT)) == 1


# ----------------------------------------------------------------------------- Retry-After

# The exponential base of these policies is 1 ms, while a server delay is capped at
# 150 ms: a delay of 120–180 ms (±20 % jitter) can only come from the server.
HONOURING = RetryPolicy(max_retries=2, backoff_base_ms=1, backoff_max_ms=150)


@pytest.mark.parametrize(
    "make_fail",
    [
        lambda: Fail(503, retry_after=1),
        lambda: Fail(503, retry_after=http_date(3)),  # built when the test runs, not before
        lambda: Fail(429, body_retry_after=1),
    ],
    ids=["header-seconds", "header-http-date", "body"],
)
async def test_a_server_retry_delay_replaces_the_exponential_backoff(
    make_client: Any, gw: MeshAPIGateway, make_fail: Any
) -> None:
    events = EventLog()
    client = make_client(retry=HONOURING, logger=events)
    fail = make_fail()
    gw.add_fault(fail, path=CHAT)

    await client.chat.completions.create(model=MODEL, messages=user("hi"))

    (retry,) = events.of(RetryEvent)
    assert 120 <= retry.delay_ms <= 180
    assert (retry.attempt, retry.status, retry.reason) == (1, fail.status, "status")


async def test_respect_retry_after_false_keeps_the_exponential_backoff(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    events = EventLog()
    policy = RetryPolicy(
        max_retries=2, backoff_base_ms=1, backoff_max_ms=150, respect_retry_after=False
    )
    client = make_client(retry=policy, logger=events)
    gw.add_fault(Fail(503, retry_after=1), path=CHAT)

    await client.chat.completions.create(model=MODEL, messages=user("hi"))

    (retry,) = events.of(RetryEvent)
    assert retry.delay_ms < 2


async def test_a_total_deadline_stops_retries_that_would_outlast_it(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    policy = RetryPolicy(max_retries=3, backoff_base_ms=1, backoff_max_ms=30_000)
    client = make_client(retry=policy, timeout=Timeout(total=0.5))
    gw.add_fault(Fail(503, retry_after=5), path=CHAT, times=None)

    with anyio.fail_after(2):  # it gives up at once instead of sleeping 5 s
        with pytest.raises(APITimeoutError) as caught:
            await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert caught.value.error_code == "timeout"
    assert len(gw.find_requests(path=CHAT)) == 1


# --------------------------------------------------------------------- network-error retry

NETWORK_RETRY = RetryPolicy(
    max_retries=2, backoff_base_ms=1, backoff_max_ms=20, retry_on_network_error=True
)


async def test_a_reset_before_headers_is_a_connection_error_without_opt_in(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(ResetBeforeResponse(), path=CHAT)

    with pytest.raises(APIConnectionError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert (caught.value.status, caught.value.error_code) == (0, "connection_error")
    assert caught.value.__cause__ is not None
    assert len(gw.find_requests(path=CHAT)) == 1


async def test_network_error_retry_is_opt_in_and_resends_with_the_same_key(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    events = EventLog()
    client = make_client(retry=NETWORK_RETRY, logger=events)
    gw.add_fault(ResetBeforeResponse(), path=CHAT)

    reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert reply.choices[0].message.content == "You said: hi"
    attempts = gw.find_requests(path=CHAT)
    assert len(attempts) == 2
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    (retry,) = events.of(RetryEvent)
    assert (retry.reason, retry.status) == ("network-error", None)


async def test_a_response_lost_after_execution_is_replayed_on_retry_not_run_twice(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    key = unique_key("lost-reply")
    client = make_client(retry=NETWORK_RETRY)
    gw.add_fault(ResetBeforeResponse(run_handler=True), path=CHAT)

    raw = await client.chat.completions.with_raw_response.create(
        model=MODEL, messages=user("hi"), idempotency_key=key
    )

    assert raw.parsed.choices[0].message.content == "You said: hi"
    assert raw.headers.get("idempotent-replayed") == "true"
    assert gw.executions(key) == 1


async def test_client_timeouts_are_never_retried_even_with_network_retries_on(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(retry=NETWORK_RETRY, timeout=Timeout(read=0.2))
    gw.add_fault(StallBeforeHeaders(1.0), path=CHAT)

    with pytest.raises(APITimeoutError):
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert len(gw.find_requests(path=CHAT)) == 1


# ------------------------------------------------------------------------ stream retries


async def test_a_stream_is_retried_before_anything_was_delivered(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(Fail(503), path=CHAT)

    async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as stream:
        text = "".join([piece async for piece in stream.text_stream()])

    assert text == "You said: hi"
    attempts = gw.find_requests(path=CHAT)
    assert len(attempts) == 2
    assert attempts[0].idempotency_key == attempts[1].idempotency_key
    assert stream.request_id == attempts[1].request_id


async def test_a_stream_that_broke_after_delivery_is_never_retried(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(retry=NETWORK_RETRY)
    gw.add_fault(ResetAfterChunks(2), path=CHAT)

    stream = client.chat.completions.stream(model=MODEL, messages=user("hi"))

    with pytest.raises(StreamInterruptedError):
        await read_all(stream)

    assert len(gw.find_requests(path=CHAT)) == 1


# ------------------------------------------------------------------------- fallback chain


async def test_the_fallback_chain_moves_to_the_next_model_after_retries(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    events = EventLog()
    client = make_client(fallback=FallbackConfig(models=[PRIMARY, BACKUP]), logger=events)
    gw.fail_model(PRIMARY, code="provider_not_available", status=503)

    key = unique_key("chat-7")
    reply = await client.chat.completions.create(
        model=PRIMARY, messages=user("hi"), idempotency_key=key
    )

    assert reply.model == BACKUP
    assert reply.choices[0].message.content == "You said: hi"
    sent = gw.find_requests(path=CHAT)
    assert [r.idempotency_key for r in sent] == [key] * 4 + [f"{key}:fallback-1"]
    assert [r.json()["model"] for r in sent] == [PRIMARY] * 4 + [BACKUP]
    for request in sent:
        assert b"fallback" not in request.body
    (hop,) = events.of(FallbackEvent)
    assert (hop.from_model, hop.to_model) == (PRIMARY, BACKUP)
    assert (hop.chain_index, hop.chain_length) == (0, 1)  # the primary left the chain
    assert (hop.status, hop.error_code) == (503, "provider_not_available")
    assert hop.request_id == sent[3].request_id
    assert len(events.of(RetryEvent)) == 3


async def test_a_per_call_fallback_list_replaces_the_clients(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(fallback=FallbackConfig(models=[BACKUP]), max_retries=0)
    gw.fail_model(PRIMARY, code="provider_not_available", status=503)

    reply = await client.chat.completions.create(
        model=PRIMARY, messages=user("hi"), fallback_models=[MODEL]
    )
    assert reply.model == MODEL

    with pytest.raises(InternalServerError):
        await client.chat.completions.create(model=PRIMARY, messages=user("hi"), fallback_models=[])


async def test_a_terminal_error_does_not_fall_back(make_client: Any, gw: MeshAPIGateway) -> None:
    events = EventLog()
    client = make_client(fallback=FallbackConfig(models=[BACKUP]), logger=events)

    with pytest.raises(NotFoundError):
        await client.chat.completions.create(model="nope/nope", messages=user("hi"))

    assert len(gw.find_requests(path=CHAT)) == 1
    assert events.of(FallbackEvent) == []


async def test_an_exhausted_chain_raises_the_last_models_error(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(fallback=FallbackConfig(models=[BACKUP]), max_retries=0)
    gw.fail_model(PRIMARY, code="provider_not_available", status=503)
    gw.fail_model(BACKUP, code="gateway_timeout", status=504)

    with pytest.raises(InternalServerError) as caught:
        await client.chat.completions.create(model=PRIMARY, messages=user("hi"))

    assert (caught.value.status, caught.value.error_code) == (504, "gateway_timeout")
    assert caught.value.request_id == gw.find_requests(path=CHAT)[-1].request_id


# ---------------------------------------------------------------- events and debug lines


async def test_debug_prints_retry_and_fallback_lines_to_stderr(
    make_client: Any, gw: MeshAPIGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client(
        debug=True,
        fallback=FallbackConfig(models=[BACKUP]),
        retry=RetryPolicy(max_retries=1, backoff_base_ms=1, backoff_max_ms=20),
    )
    gw.fail_model(PRIMARY, code="provider_not_available", status=503)

    await client.chat.completions.create(model=PRIMARY, messages=user("hi"))

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    first_id = gw.find_requests(path=CHAT)[0].request_id
    assert re.fullmatch(
        rf"\[meshapi\] retrying POST /v1/chat/completions "
        rf"\(attempt 1/2 failed: 503, next in \d+ms\) \[{first_id}\]",
        lines[0],
    )
    assert lines[1].startswith(
        f"[meshapi] falling back {PRIMARY} \u2192 {BACKUP} (1/1: 503 provider_not_available)"
    )
    assert len(lines) == 2


async def test_without_debug_nothing_is_printed(
    client: Any, gw: MeshAPIGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw.add_fault(Fail(503), path=CHAT)

    await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert capsys.readouterr() == ("", "")


async def test_gateway_routing_headers_become_an_event_and_a_debug_line(
    make_client: Any, gw: MeshAPIGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    events = EventLog()
    client = make_client(logger=events, debug=True)
    gw.add_fault(RoutingHeaders(attempts=2, fallback=True), path=CHAT)

    reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))

    (routing,) = events.of(GatewayRoutingEvent)
    assert (routing.path, routing.attempts, routing.fallback) == (CHAT, 2, True)
    assert routing.request_id == reply._request_id
    assert capsys.readouterr().err == (
        f"[meshapi] gateway served {CHAT} (2 attempts, provider fallback) [{reply._request_id}]\n"
    )


async def test_a_logger_that_raises_does_not_break_the_call(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    def broken_logger(event: Any) -> None:
        raise RuntimeError("logger bug")

    client = make_client(logger=broken_logger)
    gw.add_fault(Fail(503), path=CHAT)

    reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert reply.choices[0].message.content == "You said: hi"
