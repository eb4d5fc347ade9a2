"""The call flows, run by a scripted interpreter: retries, keys, fallback, stream opening."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from meshapi_core import MeshAPIError
from meshapi_core._config import FallbackConfig, MeshAPIConfig, RequestOptions
from meshapi_core._flows import (
    Flow,
    HttpResponse,
    Open,
    ReadAll,
    Release,
    Send,
    Sleep,
    StreamHead,
    chat_fallback_flow,
    decode_result,
    open_stream_flow,
    stream_read_error,
    unary_flow,
)
from meshapi_core._operations import operation
from meshapi_core._outcomes import Phase, TransportFailure
from meshapi_core._request import build_request
from meshapi_core._resilience import FallbackEvent, GatewayRoutingEvent, RetryEvent
from meshapi_core._retry import RetryPolicy
from meshapi_core._streams import StreamDecoder
from meshapi_core.types import ChatCompletionParams, ModelInfo

CONFIG = MeshAPIConfig.resolve(base_url="http://gw.test", token="rsk_t")
CHAT_OK = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m/a",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
).encode()
JSON = {"content-type": "application/json"}


def ok(body: bytes = CHAT_OK, **headers: str) -> HttpResponse:
    return HttpResponse(200, {**JSON, "x-request-id": "req_ok", **headers}, body, 0.0)


def status(code: int, **headers: str) -> HttpResponse:
    body = json.dumps({"error": {"code": f"e{code}", "message": "no"}}).encode()
    return HttpResponse(code, {**JSON, "x-request-id": f"req_{code}", **headers}, body, 0.0)


def run(flow: Flow[Any], outcomes: Iterator[Any]) -> tuple[Any, list[Any]]:
    """Drive `flow`, answering each Send/Open with the next scripted outcome."""
    effects: list[Any] = []
    reply: Any = None
    while True:
        try:
            effect = flow.send(reply)
        except StopIteration as stop:
            return stop.value, effects
        effects.append(effect)
        reply = next(outcomes) if isinstance(effect, Send | Open | ReadAll) else None


def chat() -> ChatCompletionParams:
    return ChatCompletionParams(model="m/a", messages=[{"role": "user", "content": "x"}])


def chat_request(**options: Any) -> Any:
    return build_request(
        CONFIG, operation("chat.completions.create"), chat(), RequestOptions(**options)
    )


def decode_chat(response: HttpResponse) -> Any:
    return decode_result(operation("chat.completions.create"), response)


def test_success_decodes_and_carries_the_request_id() -> None:
    result, effects = run(
        unary_flow(chat_request(), decode_chat, policy=RetryPolicy(), rng=lambda: 0.5),
        iter([ok()]),
    )
    assert result.choices[0].message.content == "hi"
    assert result._request_id == "req_ok"
    assert "_request_id" not in result.model_dump()
    assert len(effects) == 1


def test_retries_resend_the_same_request_and_sleep_per_policy() -> None:
    events: list[Any] = []
    request = chat_request()
    flow = unary_flow(
        request, decode_chat, policy=RetryPolicy(), rng=lambda: 0.5, emit=events.append
    )
    result, effects = run(flow, iter([status(503), status(502), ok()]))
    sends = [e for e in effects if isinstance(e, Send)]
    assert all(send.request is request for send in sends)
    assert [e.seconds for e in effects if isinstance(e, Sleep)] == [0.5, 1.0]
    assert [(e.attempt, e.status, e.request_id) for e in events] == [
        (1, 503, "req_503"),
        (2, 502, "req_502"),
    ]
    assert all(isinstance(e, RetryEvent) and e.max_retries == 3 for e in events)
    assert result._request_id == "req_ok"


def test_budget_spent_raises_the_last_error() -> None:
    flow = unary_flow(
        chat_request(max_retries=1), decode_chat, policy=RetryPolicy(), rng=lambda: 0.0
    )
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([status(503), status(504)]))
    assert info.value.status == 504
    assert info.value.request_id == "req_504"


def test_non_retryable_status_raises_at_once() -> None:
    flow = unary_flow(chat_request(), decode_chat, policy=RetryPolicy(), rng=lambda: 0.0)
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([status(400)]))
    assert info.value.error_code == "e400"


def test_retry_after_is_honoured() -> None:
    flow = unary_flow(chat_request(), decode_chat, policy=RetryPolicy(), rng=lambda: 0.5)
    _, effects = run(flow, iter([status(429, **{"retry-after": "3"}), ok()]))
    assert [e.seconds for e in effects if isinstance(e, Sleep)] == [3.0]


def test_network_failures_only_with_opt_in() -> None:
    failure = TransportFailure(phase=Phase.CONNECT, timeout=False, cause=OSError("refused"))
    flow = unary_flow(chat_request(), decode_chat, policy=RetryPolicy(), rng=lambda: 0.5)
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([failure]))
    assert info.value.error_code == "connection_error"
    assert isinstance(info.value.__cause__, OSError)
    policy = RetryPolicy(retry_on_network_error=True)
    result, _ = run(
        unary_flow(chat_request(), decode_chat, policy=policy, rng=lambda: 0.5),
        iter([failure, ok()]),
    )
    assert result.id == "c1"


def test_timeouts_are_never_retried() -> None:
    failure = TransportFailure(phase=Phase.READ, timeout=True)
    policy = RetryPolicy(retry_on_network_error=True)
    flow = unary_flow(chat_request(), decode_chat, policy=policy, rng=lambda: 0.5)
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([failure]))
    assert info.value.error_code == "timeout"


def test_routing_event_from_the_final_response() -> None:
    events: list[Any] = []
    flow = unary_flow(
        chat_request(), decode_chat, policy=RetryPolicy(), rng=lambda: 0.5, emit=events.append
    )
    headers = {"x-mesh-routing-attempts": "2", "x-mesh-routing-fallback": "true"}
    run(flow, iter([ok(**headers)]))
    assert events == [
        GatewayRoutingEvent(
            path="/v1/chat/completions", attempts=2, fallback=True, request_id="req_ok"
        )
    ]


def test_a_2xx_that_does_not_validate_is_a_parse_error() -> None:
    flow = unary_flow(chat_request(), decode_chat, policy=RetryPolicy(), rng=lambda: 0.5)
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([ok(b"<html>")]))
    assert (info.value.error_code, info.value.status, info.value.request_id) == (
        "parse_error",
        200,
        "req_ok",
    )


def test_bare_list_items_each_carry_the_request_id() -> None:
    body = json.dumps([{"id": "a/b", "name": "B", "is_free": True}] * 2).encode()
    items = decode_result(operation("models.free"), ok(body))
    assert [type(i) for i in items] == [ModelInfo, ModelInfo]
    assert {i._request_id for i in items} == {"req_ok"}


def test_fallback_chain_hops_with_new_keys_and_events() -> None:
    events: list[Any] = []
    config = MeshAPIConfig.resolve(
        base_url="http://gw.test", token="rsk_t", fallback=FallbackConfig(models=["m/b", "m/c"])
    )
    flow = chat_fallback_flow(
        config,
        operation("chat.completions.create"),
        chat(),
        RequestOptions(idempotency_key="k1", max_retries=0),
        fallback_models=None,
        policy=RetryPolicy(),
        rng=lambda: 0.5,
        emit=events.append,
    )
    result, effects = run(flow, iter([status(503), status(502), ok()]))
    sends = [e.request for e in effects if isinstance(e, Send)]
    assert [json.loads(r.body)["model"] for r in sends] == ["m/a", "m/b", "m/c"]
    assert [r.headers["Idempotency-Key"] for r in sends] == ["k1", "k1:fallback-1", "k1:fallback-2"]
    assert [(e.from_model, e.to_model, e.chain_index) for e in events] == [
        ("m/a", "m/b", 0),
        ("m/b", "m/c", 1),
    ]
    assert all(isinstance(e, FallbackEvent) and e.chain_length == 2 for e in events)
    assert result.id == "c1"
    for r in sends:
        assert "fallback" not in r.body.decode()


def test_fallback_stops_on_terminal_errors_and_per_call_list_replaces() -> None:
    config = MeshAPIConfig.resolve(
        base_url="http://gw.test", token="rsk_t", fallback=FallbackConfig(models=["m/b"])
    )
    op = operation("chat.completions.create")
    flow = chat_fallback_flow(
        config, op, chat(), RequestOptions(max_retries=0),
        fallback_models=None, policy=RetryPolicy(), rng=lambda: 0.5,
    )
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([status(401)]))
    assert info.value.status == 401
    flow = chat_fallback_flow(
        config, op, chat(), RequestOptions(max_retries=0),
        fallback_models=[], policy=RetryPolicy(), rng=lambda: 0.5,
    )
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([status(503)]))
    assert info.value.status == 503


def stream_request() -> Any:
    return build_request(CONFIG, operation("chat.completions.stream"), chat())


SSE = {"content-type": "text/event-stream; charset=utf-8", "x-request-id": "req_s"}


def test_stream_opens_into_a_decoder() -> None:
    flow = open_stream_flow(
        stream_request(), operation("chat.completions.stream"),
        policy=RetryPolicy(), rng=lambda: 0.5,
    )
    decoder, effects = run(flow, iter([StreamHead(200, SSE, 0.0)]))
    assert isinstance(decoder, StreamDecoder)
    assert decoder.request_id == "req_s"
    assert [type(e) for e in effects] == [Open]


def test_stream_error_status_reads_the_body_releases_and_retries() -> None:
    flow = open_stream_flow(
        stream_request(), operation("chat.completions.stream"),
        policy=RetryPolicy(), rng=lambda: 0.5,
    )
    error_body = json.dumps({"error": {"code": "provider_not_available", "message": "x"}})
    decoder, effects = run(
        flow,
        iter([StreamHead(503, JSON, 0.0), error_body.encode(), StreamHead(200, SSE, 0.0)]),
    )
    assert [type(e) for e in effects] == [Open, ReadAll, Release, Sleep, Open]
    assert isinstance(decoder, StreamDecoder)


def test_stream_2xx_that_is_not_an_event_stream() -> None:
    for body, code in (
        (b'{"error":{"code":"invalid_request","message":"bad"}}', "invalid_request"),
        (b'{"id":"x"}', "parse_error"),
    ):
        flow = open_stream_flow(
            stream_request(), operation("chat.completions.stream"),
            policy=RetryPolicy(), rng=lambda: 0.5,
        )
        with pytest.raises(MeshAPIError) as info:
            run(flow, iter([StreamHead(200, JSON, 0.0), body]))
        assert info.value.error_code == code


def test_stream_read_errors() -> None:
    idle = stream_read_error(TransportFailure(phase=Phase.READ, timeout=True), request_id="r")
    assert (idle.error_code, idle.request_id) == ("timeout", "r")
    assert "idle" in str(idle)
    cut = stream_read_error(
        TransportFailure(phase=Phase.READ, timeout=False, cause=ConnectionResetError()),
        request_id="r",
    )
    assert cut.error_code == "stream_interrupted"
    assert isinstance(cut.__cause__, ConnectionResetError)


def test_a_timeout_after_the_total_deadline_is_reported_as_the_deadline() -> None:
    # Every bound is capped by Timeout.total, so a read timeout that fires once the
    # deadline has passed is the deadline's, and the message says so (§5.7).
    from meshapi_core._config import Timeout
    from meshapi_core._deadline import Deadline

    now = [100.0]
    deadline = Deadline(Timeout(total=0.5), lambda: now[0])
    read = TransportFailure(phase=Phase.READ, timeout=True)
    reset = TransportFailure(phase=Phase.READ, timeout=False)

    assert deadline.explain(read) is read  # not yet: the read bound itself fired
    now[0] += 0.5
    explained = deadline.explain(read)
    assert explained.total == 0.5
    assert deadline.explain(reset) is reset  # only timeouts are the deadline's
    for error in (explained.to_error(), stream_read_error(explained, request_id="r")):
        assert error.error_code == "timeout"
        assert "total deadline of 0.5 s" in str(error)
    assert stream_read_error(explained, request_id="r").request_id == "r"
    with pytest.raises(ValueError, match="total"):
        TransportFailure(phase=Phase.READ, timeout=False, total=1.0)


def test_server_text_that_echoes_the_token_is_redacted() -> None:
    body = json.dumps(
        {"error": {"code": "unauthorized", "message": "bad key rsk_t", "details": ["rsk_t"]}}
    ).encode()
    echo = HttpResponse(401, JSON, body, 0.0)
    flow = unary_flow(chat_request(), decode_chat, policy=RetryPolicy(), rng=lambda: 0.5)
    with pytest.raises(MeshAPIError) as info:
        run(flow, iter([echo]))
    assert "rsk_t" not in str(info.value)
    assert "rsk_t" not in repr(info.value)
    assert info.value.details == ["***"]


def test_a_stream_error_frame_that_echoes_the_token_is_redacted() -> None:
    flow = open_stream_flow(
        stream_request(), operation("chat.completions.stream"),
        policy=RetryPolicy(), rng=lambda: 0.5,
    )
    decoder, _ = run(flow, iter([StreamHead(200, SSE, 0.0)]))
    frame = b'data: {"error":{"code":"upstream_error","message":"key rsk_t refused"}}\n\n'
    with pytest.raises(MeshAPIError) as info:
        decoder.feed(frame)
    assert info.value.error_code == "upstream_error"
    assert "rsk_t" not in str(info.value)
