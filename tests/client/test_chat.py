"""Chat completions: create and stream, params and keyword style, tools, raw responses."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest

from meshapi import (
    ChatCompletionChunk,
    ChatCompletionParams,
    ChatCompletionResponse,
    ChatMessage,
    RawResponse,
    Tool,
    ToolFunction,
)
from meshapi.testing import MeshAPIGateway

from ._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


async def test_create_with_a_params_object_returns_the_typed_completion(
    client: Any, gw: MeshAPIGateway
) -> None:
    params = ChatCompletionParams(
        model=MODEL, messages=[ChatMessage(role="user", content="hello there")]
    )

    reply = await client.chat.completions.create(params)

    assert isinstance(reply, ChatCompletionResponse)
    assert reply.model == MODEL
    assert reply.choices[0].message.content == "You said: hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 4)
    sent = gw.last_request(path="/v1/chat/completions")
    assert sent.json()["stream"] is False
    assert sent.json()["messages"] == [{"role": "user", "content": "hello there"}]


async def test_create_in_keyword_style_accepts_plain_dict_messages(client: Any) -> None:
    reply = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=1
    )

    assert reply.choices[0].message.content == "You"
    assert reply.choices[0].finish_reason == "length"


async def test_keyword_style_is_validated_by_the_same_strict_model_before_any_request(
    client: Any, gw: MeshAPIGateway
) -> None:
    before = len(gw.requests)

    with pytest.raises(pydantic.ValidationError, match="role"):
        await client.chat.completions.create(
            model=MODEL, messages=[{"role": "robot", "content": "hi"}]
        )
    with pytest.raises(pydantic.ValidationError, match="no_such_field"):
        await client.chat.completions.create(model=MODEL, messages=user("hi"), no_such_field=1)

    assert len(gw.requests) == before


async def test_stream_validates_its_arguments_when_called(client: Any, gw: MeshAPIGateway) -> None:
    with pytest.raises(pydantic.ValidationError, match="role"):
        client.chat.completions.stream(model=MODEL, messages=[{"role": "robot", "content": "x"}])

    assert gw.requests == []


async def test_a_params_object_and_keyword_fields_together_are_refused(client: Any) -> None:
    params = ChatCompletionParams(model=MODEL, messages=[ChatMessage(role="user", content="x")])

    with pytest.raises(TypeError, match="not both"):
        await client.chat.completions.create(params, temperature=0.5)


async def test_create_overrides_stream_true_in_params_as_0_1_did(
    client: Any, gw: MeshAPIGateway
) -> None:
    params = ChatCompletionParams(
        model=MODEL, messages=[ChatMessage(role="user", content="hi")], stream=True
    )

    reply = await client.chat.completions.create(params)

    assert reply.choices[0].message.content == "You said: hi"
    assert gw.last_request(path="/v1/chat/completions").json()["stream"] is False


async def test_stream_yields_typed_chunks_and_sends_stream_true(
    client: Any, gw: MeshAPIGateway
) -> None:
    async with client.chat.completions.stream(model=MODEL, messages=user("hi there")) as stream:
        chunks = [chunk async for chunk in stream]

    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == []  # the usage chunk always ends the stream
    assert chunks[-1].usage is not None
    sent = gw.last_request(path="/v1/chat/completions")
    assert sent.json()["stream"] is True
    assert sent.header("accept") == "text/event-stream"


async def test_text_stream_yields_only_the_text_deltas(client: Any) -> None:
    async with client.chat.completions.stream(model=MODEL, messages=user("hi there")) as stream:
        pieces = [piece async for piece in stream.text_stream()]

    assert pieces == ["You ", "said: ", "hi ", "there"]


async def test_get_final_completion_folds_the_stream_with_usage_and_cost(client: Any) -> None:
    async with client.chat.completions.stream(model=MODEL, messages=user("hi there")) as stream:
        final = await stream.get_final_completion()

    assert isinstance(final, ChatCompletionResponse)
    assert final.choices[0].message.content == "You said: hi there"
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.total_tokens == 6
    assert isinstance(final.model_extra, dict) and "cost" in final.model_extra
    assert final._request_id == stream.request_id


async def test_plain_iteration_without_a_context_manager_keeps_working(client: Any) -> None:
    params = ChatCompletionParams(model=MODEL, messages=[ChatMessage(role="user", content="yo")])
    text = ""
    async for chunk in client.chat.completions.stream(params):
        for choice in chunk.choices:
            text += choice.delta.content or ""

    assert text == "You said: yo"


async def test_create_returns_a_tool_call_with_arguments_from_the_schema(client: Any) -> None:
    reply = await client.chat.completions.create(
        model=MODEL,
        messages=user("What is the weather in Paris?"),
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )

    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


async def test_stream_folds_tool_call_argument_fragments_into_one_call(client: Any) -> None:
    tool = Tool(
        function=ToolFunction(
            name="get_weather",
            parameters=WEATHER_TOOL["function"]["parameters"],
        )
    )
    params = ChatCompletionParams(
        model=MODEL,
        messages=[ChatMessage(role="user", content="get weather for Paris")],
        tools=[tool],
    )

    async with client.chat.completions.stream(params) as stream:
        final = await stream.get_final_completion()

    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


async def test_a_tool_result_round_trip_with_dict_messages(client: Any) -> None:
    first = await client.chat.completions.create(
        model=MODEL, messages=user("get weather in Paris"), tools=[WEATHER_TOOL]
    )
    call = first.choices[0].message.tool_calls[0]

    second = await client.chat.completions.create(
        model=MODEL,
        tools=[WEATHER_TOOL],
        messages=[
            *user("get weather in Paris"),
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.function.name,
                            "arguments": call.function.arguments,
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call.id, "content": "sunny, 24C"},
        ],
    )

    assert second.choices[0].message.content == "The tool returned: sunny, 24C"


async def test_with_raw_response_gives_status_headers_and_the_parsed_result(
    client: Any,
) -> None:
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=user("hi"))

    assert isinstance(raw, RawResponse)
    assert raw.status == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.headers["x-mesh-version"] == "2026-08"
    assert isinstance(raw.parsed, ChatCompletionResponse)
    assert raw.parse() is raw.parsed
    assert raw.request_id == raw.parsed._request_id == raw.headers["x-request-id"]


async def test_request_id_is_private_and_absent_from_model_dump(client: Any) -> None:
    reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert reply._request_id is not None and reply._request_id.startswith("req_")
    assert "_request_id" not in reply.model_dump()
    assert "request_id" not in reply.model_dump()
    assert "_request_id" not in reply.model_dump_json()
    assert ChatCompletionResponse.model_validate(reply.model_dump())._request_id is None
