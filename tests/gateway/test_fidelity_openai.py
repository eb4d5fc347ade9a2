"""Fidelity: the official `openai` package, a client we did not write, against the gateway."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from meshapi.testing import MeshAPIGateway


@pytest.fixture
def oai(gw: MeshAPIGateway) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.token, max_retries=0) as client:
        yield client


def test_chat_create(oai: openai.OpenAI, gw: MeshAPIGateway) -> None:
    completion = oai.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": "hello there"}],
        max_tokens=10,
    )
    assert completion.choices[0].message.content == "You said: hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens == 6
    sent = gw.last_request(path="/v1/chat/completions")
    assert sent.header("authorization") == f"Bearer {gw.token}"


def test_chat_stream(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=[{"role": "user", "content": "stream this"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: stream this"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


def test_chat_stream_tool_call_helper(oai: openai.OpenAI) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    with oai.chat.completions.stream(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": "call get_weather for Paris"}],
        tools=tools,  # type: ignore[arg-type]
    ) as events:
        for _ in events:
            pass
        final = events.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather" and call.function.arguments == '{"city":"Paris"}'


def test_embeddings(oai: openai.OpenAI) -> None:
    # The openai package asks for base64 by default and decodes it itself.
    result = oai.embeddings.create(
        model="openai/text-embedding-3-small", input=["hello world", "bye"], dimensions=32
    )
    assert [len(item.embedding) for item in result.data] == [32, 32]
    assert abs(sum(x * x for x in result.data[0].embedding) - 1.0) < 1e-5


def test_responses_create_and_stream(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model="openai/gpt-4o-mini", input="hello")
    assert response.output_text == "You said: hello"
    with oai.responses.stream(model="openai/gpt-4o-mini", input="hello stream") as events:
        types = [event.type for event in events]
        final = events.get_final_response()
    assert final.output_text == "You said: hello stream"
    assert types[0] == "response.created" and types[-1] == "response.completed"
    raw = list(oai.responses.create(model="openai/gpt-4o-mini", input="x y", stream=True))
    assert (
        "".join(e.delta for e in raw if e.type == "response.output_text.delta") == "You said: x y"
    )


def test_errors_map_to_openai_exceptions(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="x/y", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=str(oai.base_url), api_key="rsk_wrong", max_retries=0).models.list()
