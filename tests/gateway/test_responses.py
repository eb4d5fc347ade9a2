"""The Responses API and its stream (protocol.md §2.4, §3.7)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from meshapi_core.types import ResponsesResponse, ResponsesStreamEvent

from ._helpers import parse_sse, stream


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/responses", json=body)
    assert r.status_code == 200, r.text
    ResponsesResponse.model_validate(r.json())
    return r.json()  # type: ignore[no-any-return]


def test_create_echoes_the_input(client: httpx.Client) -> None:
    body = create(client, model="openai/o4-mini", input="Hello there")
    assert body["id"].startswith("resp_") and body["object"] == "response"
    assert body["status"] == "completed" and body["model"] == "openai/o4-mini"
    (item,) = body["output"]
    assert item["type"] == "message" and item["role"] == "assistant"
    assert item["content"] == [
        {"type": "output_text", "text": "You said: Hello there", "annotations": []}
    ]
    usage = body["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (2, 4)
    assert usage["total_tokens"] == 6


def test_list_input_and_instructions(client: httpx.Client) -> None:
    body = create(
        client,
        instructions="be terse",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "first question"}]}],
    )
    assert body["output"][0]["content"][0]["text"] == "You said: first question"
    assert body["usage"]["input_tokens"] == 4


def test_max_output_tokens_makes_it_incomplete(client: httpx.Client) -> None:
    body = create(client, input="a b c d e", max_output_tokens=2)
    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["output"][0]["content"][0]["text"] == "You said:"


def test_function_tools(client: httpx.Client) -> None:
    tool = {
        "type": "function",
        "name": "lookup",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
        },
    }
    body = create(client, input="please lookup Tokyo", tools=[tool])
    (item,) = body["output"]
    assert item["type"] == "function_call" and item["name"] == "lookup"
    assert json.loads(item["arguments"]) == {"q": "Tokyo"}


def test_stream_event_sequence(client: httpx.Client) -> None:
    r, raw = stream(client, "/v1/responses", {"input": "Hi you", "stream": True})
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = parse_sse(raw)
    assert events[-1].data == "[DONE]"
    payloads = [json.loads(e.data) for e in events[:-1]]
    for event, payload in zip(events[:-1], payloads, strict=True):
        assert event.event == payload["type"]  # the event line equals type
        ResponsesStreamEvent.model_validate(payload)
    types = [p["type"] for p in payloads]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "response.output_text.delta" in types
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    text = "".join(p["delta"] for p in payloads if p["type"] == "response.output_text.delta")
    assert text == "You said: Hi you"
    assert payloads[-1]["response"]["output"][0]["content"][0]["text"] == text


def test_stream_not_implemented_for_some_models(client: httpx.Client) -> None:
    r, raw = stream(
        client, "/v1/responses", {"model": "deepseek/deepseek-r1", "input": "x", "stream": True}
    )
    assert r.status_code == 501 and json.loads(raw)["error"]["code"] == "not_implemented"
    assert create(client, model="deepseek/deepseek-r1", input="x")["status"] == "completed"


def test_validation_and_unknown_model(client: httpx.Client) -> None:
    r = client.post("/v1/responses", json={"model": "openai/gpt-4o"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "input"]
    r = client.post("/v1/responses", json={"input": "x", "temperature": 5})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == [
        "body",
        "temperature",
    ]
    r = client.post("/v1/responses", json={"input": "x", "model": "nobody/none"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
