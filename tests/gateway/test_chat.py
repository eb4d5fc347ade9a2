"""Chat completions: the deterministic responder, tools, errors, and the §3.6 stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from meshapi.testing import MeshAPIGateway, count_tokens
from meshapi_core.types import ChatCompletionChunk, ChatCompletionResponse

from ._helpers import sse_json, stream, user
from ._schema import problems

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "hourly": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "where": {
                    "type": "object",
                    "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90}},
                    "required": ["lat"],
                },
            },
            "required": ["city", "days"],
            "additionalProperties": False,
        },
    },
}
SEARCH = {
    "type": "function",
    "function": {
        "name": "search_web",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}


def chat(client: httpx.Client, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    ChatCompletionResponse.model_validate(r.json())
    return r.json()  # type: ignore[no-any-return]


def test_reply_is_a_function_of_the_input(client: httpx.Client) -> None:
    first = chat(client, model="openai/gpt-4o-mini", messages=user("Tell me about Paris"))
    second = chat(client, model="openai/gpt-4o-mini", messages=user("Tell me about Paris"))
    other = chat(client, model="openai/gpt-4o-mini", messages=user("Tell me about Rome"))
    text = first["choices"][0]["message"]["content"]
    assert text == "You said: Tell me about Paris"
    assert text == second["choices"][0]["message"]["content"]
    assert text != other["choices"][0]["message"]["content"]
    assert first["object"] == "chat.completion" and first["model"] == "openai/gpt-4o-mini"
    assert first["choices"][0]["finish_reason"] == "stop"
    assert "cost" not in first


def test_usage_counts_words_consistently(client: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": "Be brief please"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "one two"}, {"type": "text", "text": "three"}],
        },
    ]
    body = chat(client, messages=messages)
    usage = body["usage"]
    assert usage["prompt_tokens"] == 6
    assert usage["completion_tokens"] == count_tokens(body["choices"][0]["message"]["content"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_max_tokens_cuts_with_finish_reason_length(client: httpx.Client) -> None:
    body = chat(client, messages=user("alpha beta gamma delta"), max_tokens=3)
    assert body["choices"][0]["message"]["content"] == "You said: alpha"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3


def test_stop_sequences_are_honoured(client: httpx.Client) -> None:
    body = chat(client, messages=user("alpha beta STOP gamma"), stop=["STOP", "zzz"])
    assert body["choices"][0]["message"]["content"] == "You said: alpha beta "
    assert body["choices"][0]["finish_reason"] == "stop"
    body = chat(client, messages=user("alpha beta"), stop="beta")
    assert body["choices"][0]["message"]["content"] == "You said: alpha "


@pytest.mark.parametrize(
    ("tool_choice", "prompt", "expected"),
    [
        ("required", "hello", "get_weather"),
        ({"type": "function", "function": {"name": "search_web"}}, "hello", "search_web"),
        ("auto", "What is the weather in Paris? use get_weather", "get_weather"),
        (None, "please search web for cats", "search_web"),
        ("auto", "just chatting", None),
        ("none", "use get_weather now", None),
    ],
)
def test_tool_calls_follow_tool_choice(
    client: httpx.Client, tool_choice: Any, prompt: str, expected: str | None
) -> None:
    body: dict[str, Any] = {"messages": user(prompt), "tools": [WEATHER, SEARCH]}
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    choice = chat(client, **body)["choices"][0]
    calls = choice["message"].get("tool_calls")
    if expected is None:
        assert calls is None and choice["finish_reason"] == "stop"
        return
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert [c["function"]["name"] for c in calls] == [expected]
    assert calls[0]["id"].startswith("call_") and calls[0]["type"] == "function"


def test_tool_arguments_are_valid_against_the_schema(client: httpx.Client) -> None:
    body = chat(
        client,
        messages=user("What is the weather in Paris?"),
        tools=[WEATHER],
        tool_choice="required",
    )
    arguments = json.loads(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert problems(arguments, WEATHER["function"]["parameters"]) == []
    assert arguments["city"] == "Paris"


def test_after_a_tool_result_the_reply_is_text(client: httpx.Client) -> None:
    first = chat(client, messages=user("use get_weather for Paris"), tools=[WEATHER])
    call = first["choices"][0]["message"]["tool_calls"][0]
    messages = [
        *user("use get_weather for Paris"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
    ]
    second = chat(client, messages=messages, tools=[WEATHER])
    assert second["choices"][0]["message"]["content"] == "The tool returned: sunny"


_leaf = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={"minLength": st.integers(0, 5), "maxLength": st.integers(5, 9)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("integer")},
        optional={"minimum": st.integers(-5, 5), "maximum": st.integers(6, 10)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("number")},
        optional={"minimum": st.floats(-5, 5), "exclusiveMaximum": st.floats(6, 10)},
    ),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=3, unique=True).map(
        lambda e: {"enum": e}
    ),
    st.integers().map(lambda c: {"const": c}),
)
_schemas = st.recursive(
    _leaf,
    lambda children: st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("array"), "items": children}, optional={"minItems": st.integers(0, 3)}
        ),
        st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), children, max_size=4).flatmap(
            lambda props: st.fixed_dictionaries(
                {"type": st.just("object"), "properties": st.just(props)},
                optional={
                    "required": st.just(sorted(props)[: len(props) // 2]),
                    "additionalProperties": st.just(False),
                },
            )
        ),
        st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options}),
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[MeshAPIGateway, httpx.Client]]:
    with (
        MeshAPIGateway() as gw,
        httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {gw.token}"}) as http,
    ):
        yield gw, http


@given(
    properties=st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), _schemas, max_size=5)
)
def test_generated_arguments_validate_for_any_schema(
    shared: tuple[MeshAPIGateway, httpx.Client], properties: dict[str, Any]
) -> None:
    schema = {"type": "object", "properties": properties, "required": sorted(properties)}
    tool = {"type": "function", "function": {"name": "f", "parameters": schema}}
    body = chat(
        shared[1], messages=user("Call it for Berlin"), tools=[tool], tool_choice="required"
    )
    arguments = json.loads(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert problems(arguments, schema) == []


def test_unknown_model_and_wrong_kind(client: httpx.Client) -> None:
    r = client.post("/v1/chat/completions", json={"model": "x/y", "messages": user("hi")})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    r = client.post(
        "/v1/chat/completions",
        json={"model": "openai/text-embedding-3-small", "messages": user("hi")},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "model_capability_not_supported"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "messages"]),
        ({"messages": "hi"}, ["body", "messages"]),
        ({"messages": [{"content": "hi"}]}, ["body", "messages", 0, "role"]),
        ({"messages": [{"role": "robot", "content": "hi"}]}, ["body", "messages", 0, "role"]),
        ({"messages": user("hi"), "reasoning_effort": "extreme"}, ["body", "reasoning_effort"]),
        ({"messages": user("hi"), "max_tokens": "many"}, ["body", "max_tokens"]),
    ],
)
def test_invalid_bodies_get_422_with_pydantic_details(
    client: httpx.Client, body: dict[str, Any], loc: list[Any]
) -> None:
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == loc
    assert {"type", "loc", "msg"} <= set(error["details"][0])


def test_non_json_body_is_422(client: httpx.Client) -> None:
    r = client.post(
        "/v1/chat/completions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["type"] == "json_invalid"


def test_extra_fields_real_clients_send_are_accepted(client: httpx.Client) -> None:
    chat(client, messages=user("hi"), n=1, stream_options={"include_usage": True}, logprobs=False)


def test_auto_model_is_resolved_and_reported(client: httpx.Client) -> None:
    r = client.post("/v1/chat/completions", json={"model": "auto", "messages": user("hi")})
    assert r.headers["x-resolved-model-id"] == r.json()["model"] == "openai/gpt-4o-mini"


# ------------------------------------------------------------------------------- streaming


def test_stream_headers_and_framing(client: httpx.Client) -> None:
    r, raw = stream(
        client, "/v1/chat/completions", {"messages": user("héllo ☃ world"), "stream": True}
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert "content-length" not in r.headers and r.headers["transfer-encoding"] == "chunked"
    assert not any(h.startswith("x-mesh-routing") for h in r.headers)
    raw.decode("ascii")  # non-ASCII is escaped, so the body is pure ASCII
    assert b"\\u00e9" in raw and b"\r" not in raw
    frames = raw.split(b"\n\n")
    assert frames[-1] == b""
    for frame in frames[:-1]:
        lines = frame.split(b"\n")
        assert len(lines) == 1 and lines[0].startswith(b"data: ")
        payload = lines[0][len(b"data: ") :]
        if payload != b"[DONE]":
            assert json.dumps(json.loads(payload), separators=(",", ":")).encode() == payload
    assert frames[-2] == b"data: [DONE]"


def test_text_stream_chunks_fold_to_the_same_answer(client: httpx.Client) -> None:
    body = {"model": "openai/gpt-4o-mini", "messages": user("alpha beta gamma")}
    whole = chat(client, **body)
    _, raw = stream(client, "/v1/chat/completions", {**body, "stream": True})
    events = [data for _, data in sse_json(raw)]
    assert events[-1] == "[DONE]"
    chunks = [ChatCompletionChunk.model_validate(e) for e in events[:-1]]
    assert chunks[0].choices[0].delta is not None and chunks[0].choices[0].delta.role == "assistant"
    text = "".join(
        (c.choices[0].delta.content or "") for c in chunks if c.choices and c.choices[0].delta
    )
    assert text == whole["choices"][0]["message"]["content"]
    assert chunks[-2].choices[0].finish_reason == "stop"
    usage_chunk = events[-2]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"] == whole["usage"]
    price_in, price_out = Decimal("0.15"), Decimal("0.60")
    usage = whole["usage"]
    expected = (price_in * usage["prompt_tokens"] + price_out * usage["completion_tokens"]) / 10**6
    assert isinstance(usage_chunk["cost"], str) and Decimal(usage_chunk["cost"]) == expected
    assert "e" not in usage_chunk["cost"].lower()


def test_free_model_costs_zero(client: httpx.Client) -> None:
    _, raw = stream(
        client,
        "/v1/chat/completions",
        {"model": "deepseek/deepseek-r1:free", "messages": user("hi"), "stream": True},
    )
    assert Decimal(sse_json(raw)[-2][1]["cost"]) == 0


def test_tool_call_stream_deltas(client: httpx.Client) -> None:
    body = {"messages": user("weather in Paris"), "tools": [WEATHER], "tool_choice": "required"}
    whole = chat(client, **body)["choices"][0]["message"]["tool_calls"][0]
    _, raw = stream(client, "/v1/chat/completions", {**body, "stream": True})
    events = [d for _, d in sse_json(raw)][:-1]
    deltas = [
        e["choices"][0]["delta"]["tool_calls"][0]
        for e in events
        if e["choices"] and "tool_calls" in e["choices"][0]["delta"]
    ]
    assert deltas[0]["id"] == whole["id"] and deltas[0]["function"] == {
        "name": "get_weather",
        "arguments": "",
    }
    assert len(deltas) >= 3 and all(d["index"] == 0 for d in deltas)
    assert "".join(d["function"]["arguments"] for d in deltas) == whole["function"]["arguments"]
    finish = [e for e in events if e["choices"] and e["choices"][0]["finish_reason"]]
    assert finish[0]["choices"][0]["finish_reason"] == "tool_calls"
    assert events[-1]["choices"] == [] and "cost" in events[-1]


def test_errors_before_a_stream_are_plain_json(client: httpx.Client) -> None:
    r, raw = stream(
        client, "/v1/chat/completions", {"model": "x/y", "messages": user("hi"), "stream": True}
    )
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert json.loads(raw)["error"]["code"] == "model_not_found"


def test_connections_are_kept_alive_and_reused(gw: MeshAPIGateway, client: httpx.Client) -> None:
    before = gw.connections.opened
    for _ in range(3):
        stream(client, "/v1/chat/completions", {"messages": user("hi"), "stream": True})
        chat(client, messages=user("hi"))
    assert gw.connections.opened == before + 1
