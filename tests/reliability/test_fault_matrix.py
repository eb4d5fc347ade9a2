"""The fault matrix: every fault the local gateway can inject, and the exact outcome.

One table (`CASES`) drives one test over every driver. Per case it asserts

* the result (the reply, or the stream's text and item count) or the typed error with
  its `error_code` and status;
* how many attempts the gateway saw;
* the delay of every retry, exactly: the client's jitter source is a seeded
  `random.Random`, so each `RetryEvent.delay_ms` must equal the §5.2 formula evaluated
  with the same draws (and a server-given delay, where the case has one);
* that no POST was executed twice: every Idempotency-Key the gateway saw ran at most
  once (`gw.executions`), exactly once when the call succeeded.

The outcome of each (fault, driver) pair is recorded and printed as a table at the end
of the run (tests/reliability/conftest.py).
"""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from meshapi import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    MeshAPIError,
    RateLimitError,
    ResponseParseError,
    RetryEvent,
    RetryPolicy,
    StreamInterruptedError,
    Timeout,
)
from meshapi.testing import (
    Effect,
    Fail,
    HtmlPage,
    JsonBody,
    MeshAPIGateway,
    MidStreamError,
    OmitDone,
    RawBytes,
    ResetAfterBytes,
    ResetAfterChunks,
    ResetBeforeResponse,
    StallBeforeHeaders,
    StallBetweenChunks,
    TinyPieces,
    TruncatedJson,
    http_date,
)
from tests.client._harness import Blocking, user

from . import _matrix

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
CHAT = "/v1/chat/completions"
PROMPT = "hi"
REPLY = "You said: hi"
CHUNKS_OF_REPLY = 6  # the gateway's stream for "hi": role, then five pieces, then usage-less end
SEED = 20260801

# Retries sleep a few milliseconds; the cap (40 ms) is far below any server delay the
# cases send, so an honoured Retry-After shows as the capped delay, an exponential one
# as 1, 2, 4 ms (each × 0.8–1.2).
POLICY = RetryPolicy(max_retries=3, backoff_base_ms=1, backoff_max_ms=40)
NETWORK = RetryPolicy(
    max_retries=3, backoff_base_ms=1, backoff_max_ms=40, retry_on_network_error=True
)
BIG_EVENT = 10 * 1024 * 1024  # 10 MiB of content in one event: must pass (§3.1: 16 MiB)
HUGE_EVENT = 18 * 1024 * 1024  # above the 17 MiB event limit: a protocol error


def chunk_json(content: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-raw",
            "object": "chat.completion.chunk",
            "created": 1767225600,
            "model": MODEL,
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        },
        separators=(",", ":"),
    ).encode()


def sse(*payloads: bytes) -> list[bytes]:
    return [b"data: " + payload + b"\n\n" for payload in payloads]


DONE = b"[DONE]"
INVALID_UTF8 = chunk_json("caf@").replace(b"@", b"\xff")  # a byte no UTF-8 text holds


@dataclass(frozen=True)
class Case:
    """One row: faults queued in order (each for `times` requests), and what must happen.

    A fault given as a callable is built when the test runs (an HTTP-date must be in
    the future then, not when the module was imported). `retry_after` lists, per
    expected retry, the server-given delay in seconds that the §5.2 formula takes (None
    for the exponential backoff); its length is the number of retries. `items` and
    `text` describe a stream's delivered items (or a reply's text).
    """

    id: str
    faults: tuple[tuple[Effect | Callable[[], Effect], int | None], ...]
    stream: bool = False
    error: type[MeshAPIError] | None = None
    code: str | None = None
    status: int | None = None
    attempts: int = 1
    retry_after: tuple[int | None, ...] = ()
    text: str | None = REPLY
    items: int | None = None
    policy: RetryPolicy = POLICY
    timeout: Timeout = field(default_factory=lambda: Timeout(connect=5, read=5))
    refused: bool = False  # point the client at a port nobody listens on
    answered_by_fault: bool = False  # a RawBytes body stands in: the handler never runs


def once(
    effect: Effect | Callable[[], Effect],
) -> tuple[tuple[Effect | Callable[[], Effect], int | None], ...]:
    return ((effect, 1),)


CASES = [
    # -- 429 and its three ways of saying when -------------------------------------------
    Case("429 Retry-After: seconds", once(Fail(429, retry_after=1)), attempts=2, retry_after=(1,)),
    Case(
        "429 Retry-After: HTTP-date",
        once(lambda: Fail(429, retry_after=http_date(30))),
        attempts=2,
        retry_after=(29,),
    ),
    Case(
        "429 delay only in the body",
        once(Fail(429, body_retry_after=1)),
        attempts=2,
        retry_after=(1,),
    ),
    Case(
        "429 until the budget is spent",
        ((Fail(429, retry_after=1), None),),
        error=RateLimitError,
        code="rate_limit_exceeded",
        status=429,
        attempts=4,
        retry_after=(1, 1, 1),
        text=None,
    ),
    # -- 5xx sequences ----------------------------------------------------------------------
    Case(
        "500 (not retried)",
        once(Fail(500)),
        error=InternalServerError,
        code="internal_error",
        status=500,
        text=None,
    ),
    Case(
        "502 → 503 → 504 → ok",
        ((Fail(502), 1), (Fail(503), 1), (Fail(504), 1)),
        attempts=4,
        retry_after=(None, None, None),
    ),
    Case(
        "503 until the budget is spent",
        ((Fail(503), None),),
        error=InternalServerError,
        code="provider_not_available",
        status=503,
        attempts=4,
        retry_after=(None, None, None),
        text=None,
    ),
    Case(
        "504 → 500",
        ((Fail(504), 1), (Fail(500), 1)),
        error=InternalServerError,
        code="internal_error",
        status=500,
        attempts=2,
        retry_after=(None,),
        text=None,
    ),
    Case("408", once(Fail(408)), error=APITimeoutError, code="timeout", status=408, text=None),
    # -- bodies that are not what they claim ---------------------------------------------
    Case(
        "HTML 502 page until the budget is spent",
        ((HtmlPage(502), None),),
        error=InternalServerError,
        code="parse_error",
        status=502,
        attempts=4,
        retry_after=(None, None, None),
        text=None,
    ),
    Case(
        "JSON error that is not the envelope",
        once(JsonBody(400, {"detail": "no"})),
        error=BadRequestError,
        code="invalid_request",
        status=400,
        text=None,
    ),
    Case(
        "2xx JSON that is not the result",
        once(JsonBody(200, {"unexpected": True})),
        error=ResponseParseError,
        code="parse_error",
        status=200,
        text=None,
    ),
    Case(
        "truncated JSON",
        once(TruncatedJson()),
        error=ResponseParseError,
        code="parse_error",
        status=200,
        text=None,
    ),
    # -- the network ------------------------------------------------------------------------
    Case(
        "connection refused",
        (),
        error=APIConnectionError,
        code="connection_error",
        status=0,
        attempts=0,
        text=None,
        refused=True,
    ),
    Case(
        "connection refused, network retries on",
        (),
        error=APIConnectionError,
        code="connection_error",
        status=0,
        attempts=0,
        retry_after=(None, None, None),
        text=None,
        policy=NETWORK,
        refused=True,
    ),
    Case(
        "reset before headers",
        once(ResetBeforeResponse()),
        error=APIConnectionError,
        code="connection_error",
        status=0,
        text=None,
    ),
    Case(
        "reset before headers after the POST ran, network retries on",
        once(ResetBeforeResponse(run_handler=True)),
        attempts=2,
        retry_after=(None,),
        policy=NETWORK,
    ),
    Case(
        "reset mid-body",
        once(ResetAfterBytes(20)),
        error=APIConnectionError,
        code="connection_error",
        status=0,
        text=None,
    ),
    Case(
        "stall before headers",
        once(StallBeforeHeaders(3.0)),
        error=APITimeoutError,
        code="timeout",
        status=0,
        text=None,
        policy=NETWORK,
        timeout=Timeout(connect=5, read=0.2),
    ),
    Case("1-byte writes", once(TinyPieces(1))),
    # -- streams ------------------------------------------------------------------------------
    Case(
        "stream: 503 before the first byte",
        once(Fail(503)),
        stream=True,
        attempts=2,
        retry_after=(None,),
        items=CHUNKS_OF_REPLY,
    ),
    Case(
        "stream: reset after 2 chunks",
        once(ResetAfterChunks(2)),
        stream=True,
        error=StreamInterruptedError,
        code="stream_interrupted",
        status=0,
        items=2,
        text=None,
        policy=NETWORK,
    ),
    Case(
        "stream: stall before headers",
        once(StallBeforeHeaders(3.0)),
        stream=True,
        error=APITimeoutError,
        code="timeout",
        status=0,
        items=0,
        text=None,
        timeout=Timeout(connect=5, read=0.2),
    ),
    Case(
        "stream: stall between chunks",
        once(StallBetweenChunks(3.0, after=2)),
        stream=True,
        error=APITimeoutError,
        code="timeout",
        status=0,
        items=2,
        text=None,
        timeout=Timeout(connect=5, read=5, stream_idle=0.2),
    ),
    Case("stream: 1-byte writes", once(TinyPieces(1)), stream=True, items=CHUNKS_OF_REPLY),
    Case(
        "stream: invalid UTF-8",
        once(RawBytes(sse(INVALID_UTF8, DONE))),
        stream=True,
        items=1,
        text="caf\ufffd",
        answered_by_fault=True,
    ),
    Case(
        "stream: a 10 MiB event",
        once(RawBytes(sse(chunk_json("x" * BIG_EVENT), DONE))),
        stream=True,
        items=1,
        text="x" * BIG_EVENT,
        answered_by_fault=True,
    ),
    Case(
        "stream: an event above the maximum size",
        once(RawBytes(sse(chunk_json("x" * HUGE_EVENT), DONE))),
        stream=True,
        error=ResponseParseError,
        code="parse_error",
        status=0,
        items=0,
        text=None,
    ),
    Case(
        "stream: mid-stream error frame",
        once(MidStreamError(after=2)),
        stream=True,
        error=InternalServerError,
        code="gateway_timeout",
        status=0,
        items=2,
        text=None,
    ),
    Case(
        "stream: missing [DONE]",
        once(OmitDone()),
        stream=True,
        error=StreamInterruptedError,
        code="stream_interrupted",
        status=0,
        items=CHUNKS_OF_REPLY,
        text=None,
    ),
]


class RetryLog(list[RetryEvent]):
    """A `logger=` that keeps the retry events."""

    def __call__(self, event: object) -> None:
        if isinstance(event, RetryEvent):
            self.append(event)


def inject_rng(client: Any, rng: random.Random) -> None:
    """Replace the client's jitter source (ClientState.rng) with a seeded one."""
    target = client.wrapped if isinstance(client, Blocking) else client
    target._state.rng = rng


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def expected_delays(case: Case) -> list[float]:
    """The §5.2 delays for the case's retries, drawing r exactly as the client will."""
    draws = random.Random(SEED)
    return [
        case.policy.backoff_ms(attempt, r=draws.random(), retry_after_seconds=seconds)
        for attempt, seconds in enumerate(case.retry_after)
    ]


async def run_case(client: Any, case: Case) -> tuple[Any, MeshAPIError | None, list[Any]]:
    """Make the case's call; (result, error, stream items delivered before the end)."""
    items: list[Any] = []
    try:
        if case.stream:
            async with client.chat.completions.stream(model=MODEL, messages=user(PROMPT)) as s:
                async for item in s:
                    items.append(item)
            return s.text, None, items
        reply = await client.chat.completions.create(model=MODEL, messages=user(PROMPT))
        return reply.choices[0].message.content, None, items
    except MeshAPIError as error:
        return None, error, items


def outcome_text(error: MeshAPIError | None, attempts: int) -> str:
    what = "ok" if error is None else f"{type(error).__name__}({error.error_code})"
    return f"{what} ×{attempts}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_fault(case: Case, make_client: Any, gw: MeshAPIGateway, driver: str) -> None:
    retries = RetryLog()
    base_url = f"http://127.0.0.1:{dead_port()}" if case.refused else gw.url
    client = make_client(base_url=base_url, retry=case.policy, timeout=case.timeout, logger=retries)
    inject_rng(client, random.Random(SEED))
    for effect, times in case.faults:
        gw.add_fault(effect() if callable(effect) else effect, path=CHAT, times=times)

    result, error, items = await run_case(client, case)

    attempts = gw.find_requests(path=CHAT)
    _matrix.record(case.id, driver, outcome_text(error, len(attempts)))
    # The result, or the typed error with its code and status.
    if case.error is None:
        assert error is None, f"expected success, got {error!r}"
        if case.text is not None:
            assert result == case.text
    else:
        assert isinstance(error, case.error), f"expected {case.error.__name__}, got {error!r}"
        assert (error.error_code, error.status) == (case.code, case.status)
        assert error.request_id == "" or error.request_id.startswith("req_")
    if case.items is not None:
        assert len(items) == case.items
    # The attempts the gateway saw, and the delay before each retry.
    assert len(attempts) == case.attempts
    assert [event.delay_ms for event in retries] == expected_delays(case)
    assert all(event.delay_ms < 1.2 * case.policy.backoff_max_ms for event in retries)
    assert [event.attempt for event in retries] == list(range(1, len(case.retry_after) + 1))
    # Every attempt of the one logical call carried one key, and it never ran twice.
    keys = {attempt.idempotency_key for attempt in attempts}
    assert len(keys) <= 1 and None not in keys
    for key in keys:
        assert key is not None
        assert len({a.body for a in attempts}) == 1  # byte-identical resends
        ran = gw.executions(key)
        assert ran <= 1, f"the POST with key {key} ran {ran} times"
        if error is None and not case.answered_by_fault:
            assert ran == 1
