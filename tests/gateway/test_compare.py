"""Compare: fan-out, per-model failures, synthesis, both stream modes (§2.7, §3.8, §6.2)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import CompareResponse, CompareStreamEvent

from ._helpers import sse_json, stream, user

A, B, C = "openai/gpt-4o-mini", "google/gemini-2.5-flash", "anthropic/claude-haiku-4.5"


def compare(client: httpx.Client, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/chat/compare", json={"messages": user("Capital of France?"), **body})
    assert r.status_code == 200, r.text
    CompareResponse.model_validate(r.json())
    return r.json()  # type: ignore[no-any-return]


def test_synthesis_when_two_models_succeed(client: httpx.Client) -> None:
    body = compare(client, models=[A, B, A], comparison_model=C)
    assert re.fullmatch(r"cmp_[0-9a-f]{20}", body["comparison_id"])
    assert body["models"] == [A, B]  # deduplicated, order kept
    assert [r["model"] for r in body["results"]] == [A, B]
    for result in body["results"]:
        assert result["content"] == "You said: Capital of France?"
        assert result["request_id"].startswith("req_")
        assert result["response_body"]["object"] == "chat.completion"
        assert result["usage"]["total_tokens"] > 0
    assert body["comparison"] and body["comparison_model"] == C and body["comparison_usage"]
    assert body["partial"] is False and body["comparison_fallback_used"] is False


def test_one_failing_model_does_not_fail_the_call(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.fail_model(B, code="gateway_timeout")
    body = compare(client, models=[A, B, "x/y"])
    results = {r["model"]: r for r in body["results"]}
    assert results[B]["content"] is None and results[B]["error_code"] == "gateway_timeout"
    assert isinstance(results[B]["error"], str)
    assert results["x/y"]["error_code"] == "model_not_found"
    assert body["partial"] is True
    assert body["comparison"] is None and body["comparison_fallback_used"] is True


def test_skip_comparison(client: httpx.Client) -> None:
    body = compare(client, models=[A, B], skip_comparison=True)
    assert body["skip_comparison"] is True and body["comparison"] is None
    assert body["comparison_model"] is None and body["comparison_fallback_used"] is False


def test_overrides_and_all_failed(gw: MeshAPIGateway, client: httpx.Client) -> None:
    body = compare(client, models=[A, B], model_overrides=[{"model": B, "max_tokens": 1}])
    results = {r["model"]: r for r in body["results"]}
    assert results[B]["content"] == "You" and results[A]["content"].startswith("You said")
    r = client.post("/v1/chat/compare", json={"models": ["x/y", "z/w"], "messages": user("hi")})
    assert r.status_code == 502 and r.json()["error"]["code"] == "all_models_failed"


def events_of(client: httpx.Client, **body: Any) -> list[tuple[str, dict[str, Any]]]:
    r, raw = stream(
        client, "/v1/chat/compare", {"messages": user("Paris?"), "stream": True, **body}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert b"[DONE]" not in raw
    events = sse_json(raw)
    for name, payload in events:
        assert name != "message"  # every frame has an event line
        assert "data" not in payload  # flat fields, no wrapper
        CompareStreamEvent.model_validate(payload)
    return events


def test_stream_skip_comparison_with_a_failure(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.fail_model(C, code="gateway_timeout")
    events = events_of(client, models=[A, C], skip_comparison=True)
    names = [n for n, _ in events]
    assert names[0] == "meta" and names[-1] == "done"
    assert events[0][1]["comparison_model"] is None and events[0][1]["skip_comparison"] is True
    chunks = [p for n, p in events if n == "model_chunk"]
    assert (
        "".join(p["delta"] for p in chunks if p["model"] == A and p["delta"]) == "You said: Paris?"
    )
    assert chunks[-1] == {"model": A, "delta": None, "finish_reason": "stop"}
    done = {p["model"]: p for n, p in events if n == "model_stream_done"}
    assert done[A]["error"] is None and done[A]["usage"]["completion_tokens"] == 3
    assert done[C]["usage"] is None and done[C]["error_code"] == "gateway_timeout"
    assert events[-1][1]["partial"] is True and events[-1][1]["skip_comparison"] is True


def test_stream_skip_comparison_interleaves_models(client: httpx.Client) -> None:
    events = events_of(client, models=[A, B], skip_comparison=True)
    order = [p["model"] for n, p in events if n == "model_chunk"][:4]
    assert order == [A, B, A, B]


@pytest.mark.parametrize(("models", "synthesis"), [([A, B], True), ([A, "x/y"], False)])
def test_stream_with_judge(client: httpx.Client, models: list[str], synthesis: bool) -> None:
    events = events_of(client, models=models)
    names = [n for n, _ in events]
    assert names[0] == "meta" and events[0][1]["comparison_model"] == A
    per_model = [p for n, p in events if n == "model_chunk"]
    assert {p["model"] for p in per_model} == set(models)
    model_done = [p for n, p in events if n == "model_done"]
    assert [r["model"] for r in model_done[0]["results"]] == models
    judge = [p for n, p in events if n == "comparison_chunk"]
    assert bool(judge) is synthesis
    if synthesis:
        assert judge[-1] == {"delta": None, "finish_reason": "stop"}
    done = events[-1][1]
    assert names[-1] == "done" and done["comparison_fallback_used"] is (not synthesis)
    assert done["partial"] is (not synthesis)


def test_validation(client: httpx.Client) -> None:
    r = client.post("/v1/chat/compare", json={"models": [], "messages": user("x")})
    assert r.status_code == 422
    r = client.post("/v1/chat/compare", json={"models": [A]})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "messages"]
