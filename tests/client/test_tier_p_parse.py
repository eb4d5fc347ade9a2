"""`chat.completions.parse` on every driver (protocol.md §7.1, §5.4).

The gateway replies with JSON generated from the requested schema when the model supports
structured outputs, and in prose when it does not; a `JsonBody` fault stands in for a
model whose JSON has the wrong shape (or that refuses) on the first attempt.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any, Literal

import pydantic
import pytest
from typing_extensions import TypedDict

from meshapi import ChatCompletionParams, ChatMessage, MeshAPIError, StructuredOutputError
from meshapi.testing import JsonBody, MeshAPIGateway

from ._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
PROSE_MODEL = "meta-llama/llama-3.1-8b-instruct"
CHAT = "/v1/chat/completions"


class Address(pydantic.BaseModel):
    city: str
    kind: Literal["home", "work"]


class Person(pydantic.BaseModel):
    """Someone the model read about."""

    name: str
    age: int = pydantic.Field(ge=0)
    address: Address
    nickname: str | None = None


class PersonDict(TypedDict):
    name: str
    age: int


@dataclasses.dataclass
class PersonData:
    name: str
    age: int


def params(text: str = "Ada Lovelace is 36", model: str = MODEL) -> ChatCompletionParams:
    return ChatCompletionParams(model=model, messages=[ChatMessage(role="user", content=text)])


def completion(content: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


async def test_parse_into_a_pydantic_model(client: Any, gw: MeshAPIGateway) -> None:
    person = await client.chat.completions.parse(params(), response_format=Person)
    assert isinstance(person, Person)
    assert person.name == "Lovelace" and person.age == 36 and person.address.kind == "home"
    sent = gw.last_request(path=CHAT).json()
    assert sent["stream"] is False
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": Person.model_json_schema()},
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (PersonDict, {"name": "Lovelace", "age": 36}),
        (PersonData, PersonData(name="Lovelace", age=36)),
    ],
)
async def test_parse_into_a_typeddict_or_a_dataclass(
    client: Any, gw: MeshAPIGateway, spec: Any, expected: Any
) -> None:
    assert await client.chat.completions.parse(params(), response_format=spec) == expected
    assert gw.last_request(path=CHAT).json()["response_format"]["json_schema"]["name"] == (
        spec.__name__
    )


async def test_parse_with_raw_schemas_returns_plain_json(client: Any, gw: MeshAPIGateway) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    bare = await client.chat.completions.parse(params("Weather in Paris"), schema)
    assert bare == {"city": "Paris"}
    assert gw.last_request(path=CHAT).json()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema},
    }
    wrapper = {
        "type": "json_schema",
        "json_schema": {"name": "w", "schema": schema, "strict": True},
    }
    assert await client.chat.completions.parse(
        {"model": MODEL, "messages": user("Weather in Rome")}, response_format=wrapper
    ) == {"city": "Rome"}
    assert gw.last_request(path=CHAT).json()["response_format"] == wrapper


async def test_prose_points_at_supports_structured_output(client: Any, gw: MeshAPIGateway) -> None:
    info = await client.models.get(PROSE_MODEL)
    assert info.supports_structured_output is False
    with pytest.raises(StructuredOutputError) as caught:
        await client.chat.completions.parse(params(model=PROSE_MODEL), response_format=Person)
    error = caught.value
    assert isinstance(error, MeshAPIError)
    assert (error.status, error.error_code) == (0, "structured_output_parse_error")
    assert "likely does not support structured outputs" in str(error)
    assert "supports_structured_output" in str(error)
    assert isinstance(error.__cause__, json.JSONDecodeError)
    assert error.request_id == gw.last_request(path=CHAT).request_id
    assert len(gw.find_requests(path=CHAT)) == 1  # max_retries=0: no repair


async def test_a_wrong_shape_is_repaired_under_parse_n_keys(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(JsonBody(200, completion('{"name": "Ada"}')), path=CHAT)
    key = f"parse-{uuid.uuid4().hex[:12]}"
    person = await client.chat.completions.parse(
        params(), response_format=Person, max_retries=2, idempotency_key=key
    )
    assert person.age == 36
    first, second = gw.find_requests(path=CHAT)
    assert (first.idempotency_key, second.idempotency_key) == (key, f"{key}:parse-1")
    messages = second.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == '{"name": "Ada"}'
    assert "did not match the schema" in messages[2]["content"]


async def test_the_last_wrong_shape_is_raised_when_repairs_run_out(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(JsonBody(200, completion('{"age": -1}')), path=CHAT, times=2)
    with pytest.raises(StructuredOutputError) as caught:
        await client.chat.completions.parse(params(), response_format=Person, max_retries=1)
    assert "did not match the requested schema" in str(caught.value)
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)
    assert len(gw.find_requests(path=CHAT)) == 2


async def test_an_empty_reply_is_terminal(client: Any, gw: MeshAPIGateway) -> None:
    gw.add_fault(JsonBody(200, completion(None)), path=CHAT)
    with pytest.raises(StructuredOutputError) as caught:
        await client.chat.completions.parse(params(), response_format=Person, max_retries=3)
    assert "no text content" in str(caught.value)
    assert len(gw.find_requests(path=CHAT)) == 1


@pytest.mark.parametrize("max_retries", [-1, True, 1.5, "2"])
async def test_max_retries_is_checked_before_any_call(
    client: Any, gw: MeshAPIGateway, max_retries: Any
) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        await client.chat.completions.parse(params(), Person, max_retries=max_retries)
    with pytest.raises(TypeError, match="response_format"):
        await client.chat.completions.parse(params(), int)
    assert gw.find_requests(path=CHAT) == []


async def test_parse_with_raw_response(client: Any) -> None:
    raw = await client.chat.completions.with_raw_response.parse(params(), response_format=Person)
    assert raw.status == 200 and raw.request_id
    assert isinstance(raw.parsed, Person)
