"""Structured outputs, `chat.completions.parse` (protocol.md §7.1, §5.4), in the core.

What `response_format` is sent for each kind of spec, how a reply is read (the three
failure messages, the chained cause), and the repair loop: the bad reply and a correction
turn appended, each retry keyed `<key>:parse-<n>`, an empty reply never retried.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pydantic
import pytest
from typing_extensions import TypedDict

from meshapi_core import MeshAPIError
from meshapi_core._config import MeshAPIConfig, RequestOptions
from meshapi_core._errors import StructuredOutputError
from meshapi_core._flows import Flow, HttpResponse, Send
from meshapi_core._operations import operation
from meshapi_core._retry import RetryPolicy
from meshapi_core._structured import (
    ParsedCompletion,
    parse_flow,
    read_reply,
    structured_format,
    validate_parse_retries,
)
from meshapi_core.types import ChatCompletionParams, ChatCompletionResponse

CONFIG = MeshAPIConfig.resolve(base_url="http://gw.test", token="rsk_t")


class Person(pydantic.BaseModel):
    """A person."""

    name: str
    age: int


class PersonDict(TypedDict):
    name: str
    age: int


@dataclasses.dataclass
class PersonData:
    name: str
    age: int


# ------------------------------------------------------------- the response_format sent


def test_a_pydantic_model_is_sent_as_its_json_schema_named_after_the_class() -> None:
    fmt = structured_format(Person)
    assert fmt.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": Person.model_json_schema()},
    }
    assert fmt.validate_json('{"name": "Ada", "age": 36}') == Person(name="Ada", age=36)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (PersonDict, {"name": "Ada", "age": 36}),
        (PersonData, PersonData(name="Ada", age=36)),
    ],
)
def test_typeddicts_and_dataclasses_go_through_a_type_adapter(spec: Any, expected: Any) -> None:
    fmt = structured_format(spec)
    schema = pydantic.TypeAdapter(spec).json_schema()
    assert fmt.response_format == {
        "type": "json_schema",
        "json_schema": {"name": spec.__name__, "schema": schema},
    }
    assert schema["required"] == ["name", "age"]
    assert fmt.validate_json('{"name": "Ada", "age": 36}') == expected
    with pytest.raises(pydantic.ValidationError):
        fmt.validate_json('{"name": "Ada"}')


def test_a_full_wrapper_dict_passes_through_unchanged() -> None:
    wrapper = {
        "type": "json_schema",
        "json_schema": {"name": "city", "schema": {"type": "object"}, "strict": True},
    }
    fmt = structured_format(wrapper)
    assert fmt.response_format == wrapper and fmt.name == "city"
    assert fmt.validate_json('{"anything": [1]}') == {"anything": [1]}  # plain JSON back
    assert structured_format({"type": "json_object"}).response_format == {"type": "json_object"}


def test_a_bare_schema_is_wrapped_with_the_name_response() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    fmt = structured_format(schema)
    assert fmt.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema},
    }


@pytest.mark.parametrize("spec", [int, list[int], "Person", 3, Person(name="a", age=1)])
def test_anything_else_is_a_type_error(spec: Any) -> None:
    with pytest.raises(TypeError, match="response_format"):
        structured_format(spec)


@pytest.mark.parametrize("value", [-1, True, 1.5, "2", None])
def test_max_retries_must_be_an_int_of_zero_or_more(value: Any) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        validate_parse_retries(value)
    assert validate_parse_retries(0) == 0 and validate_parse_retries(3) == 3


# -------------------------------------------------------------------- reading a reply


def completion(
    content: Any, *, tool_calls: Any = None, finish: str = "stop", model: str = "m/a"
) -> ChatCompletionResponse:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    result = ChatCompletionResponse.model_validate(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        }
    )
    result._request_id = "req_reply"
    return result


@pytest.mark.parametrize(
    "content",
    [
        '{"name": "Ada", "age": 36}',
        '```json\n{"name": "Ada", "age": 36}\n```',
        [{"type": "text", "text": '{"name": "Ada", '}, {"type": "text", "text": '"age": 36}'}],
    ],
)
def test_a_good_reply_parses(content: Any) -> None:
    value, problem = read_reply(completion(content), structured_format(Person))
    assert problem is None and value == Person(name="Ada", age=36)


def test_prose_says_the_model_likely_does_not_support_structured_outputs() -> None:
    _, problem = read_reply(
        completion("Sure! Ada is 36.", model="meta/small"), structured_format(Person)
    )
    assert problem is not None and problem.retryable
    error = problem.error
    assert isinstance(error, StructuredOutputError) and isinstance(error, MeshAPIError)
    assert (error.status, error.error_code) == (0, "structured_output_parse_error")
    assert error.request_id == "req_reply"
    assert "likely does not support structured outputs" in str(error)
    assert "supports_structured_output" in str(error)
    assert "meta/small" in str(error)
    assert isinstance(error.__cause__, json.JSONDecodeError)
    assert "Ada is 36" not in str(error)  # the reply stays out of the message


def test_json_of_the_wrong_shape_did_not_match_the_requested_schema() -> None:
    _, problem = read_reply(completion('{"name": "Ada"}'), structured_format(Person))
    assert problem is not None and problem.retryable
    assert "did not match the requested schema" in str(problem.error)
    assert "Person" in str(problem.error) and "age" in str(problem.error)
    assert isinstance(problem.error.__cause__, pydantic.ValidationError)
    assert problem.content == '{"name": "Ada"}'


@pytest.mark.parametrize(
    "reply",
    [
        completion(None, finish="content_filter"),
        completion(""),
        completion("   "),
        completion(
            None,
            finish="tool_calls",
            tool_calls=[{"id": "call_1", "function": {"name": "f", "arguments": "{}"}}],
        ),
    ],
)
def test_no_text_content_is_terminal(reply: ChatCompletionResponse) -> None:
    _, problem = read_reply(reply, structured_format(Person))
    assert problem is not None and not problem.retryable
    assert "no text content" in str(problem.error)
    assert problem.error.error_code == "structured_output_parse_error"


# ------------------------------------------------------------------------- the flow


def http(content: Any) -> HttpResponse:
    body = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "m/a",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }
    return HttpResponse(
        200,
        {"content-type": "application/json", "x-request-id": "req_1"},
        json.dumps(body).encode(),
        0.0,
    )


def failing(status: int) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, b"{}", 0.0)


def drive(flow: Flow[Any], answers: Iterator[HttpResponse]) -> tuple[Any, list[Any]]:
    sent: list[Any] = []
    reply: Any = None
    while True:
        try:
            effect = flow.send(reply)
        except StopIteration as stop:
            return stop.value, sent
        reply = None
        if isinstance(effect, Send):
            sent.append(effect.request)
            reply = next(answers)


def flow_for(max_retries: int, **options: Any) -> Flow[ParsedCompletion[Any]]:
    params = ChatCompletionParams(model="m/a", messages=[{"role": "user", "content": "Ada, 36"}])
    return parse_flow(
        CONFIG,
        operation("chat.completions.parse"),
        params,
        RequestOptions(**options),
        structured_format(Person),
        max_retries=max_retries,
        policy=RetryPolicy(backoff_base_ms=1),
        rng=lambda: 0.5,
        emit=lambda event: None,
    )


def test_the_request_carries_the_format_and_stream_false() -> None:
    result, [request] = drive(flow_for(0), iter([http('{"name": "Ada", "age": 36}')]))
    assert isinstance(result, ParsedCompletion)
    assert result.value == Person(name="Ada", age=36)
    assert result.completion._request_id == "req_1"
    body = json.loads(request.body)
    assert body["stream"] is False
    assert body["response_format"] == structured_format(Person).response_format
    assert body["messages"] == [{"role": "user", "content": "Ada, 36"}]


def test_without_retries_a_bad_reply_raises_after_one_call() -> None:
    with pytest.raises(StructuredOutputError) as caught:
        drive(flow_for(0), iter([http("no JSON here")]))
    assert "likely does not support structured outputs" in str(caught.value)


def test_a_repair_appends_the_bad_reply_and_a_correction_under_key_parse_n() -> None:
    answers = iter(
        [http("I think Ada is 36."), http('{"name": "Ada"}'), http('{"name": "Ada", "age": 36}')]
    )
    result, sent = drive(flow_for(2, idempotency_key="call-7"), answers)
    assert result.value == Person(name="Ada", age=36)
    keys = [request.headers["Idempotency-Key"] for request in sent]
    assert keys == ["call-7", "call-7:parse-1", "call-7:parse-2"]
    last = json.loads(sent[2].body)["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "user", "assistant", "user"]
    assert last[1]["content"] == "I think Ada is 36."
    assert "not valid JSON" in last[2]["content"]
    assert last[3]["content"] == '{"name": "Ada"}'
    assert "did not match the schema" in last[4]["content"] and "age" in last[4]["content"]
    assert all(json.loads(r.body)["response_format"]["type"] == "json_schema" for r in sent)


def test_a_generated_key_gets_the_same_suffixes() -> None:
    _, sent = drive(flow_for(1), iter([http("prose"), http('{"name": "A", "age": 1}')]))
    first, second = (request.headers["Idempotency-Key"] for request in sent)
    assert second == f"{first}:parse-1"


def test_exhausted_repairs_raise_the_last_problem() -> None:
    with pytest.raises(StructuredOutputError) as caught:
        drive(flow_for(1), iter([http("prose"), http('{"age": "old"}')]))
    assert "did not match the requested schema" in str(caught.value)


def test_an_empty_reply_is_never_retried() -> None:
    answers = iter([http(None)])
    with pytest.raises(StructuredOutputError) as caught:
        drive(flow_for(3), answers)
    assert "no text content" in str(caught.value)
    assert next(answers, None) is None


def test_transport_retries_keep_the_attempts_key() -> None:
    result, sent = drive(
        flow_for(1, idempotency_key="k"),
        iter([failing(503), http("prose"), failing(502), http('{"name": "A", "age": 1}')]),
    )
    assert result.value == Person(name="A", age=1)
    assert [r.headers["Idempotency-Key"] for r in sent] == ["k", "k", "k:parse-1", "k:parse-1"]
    assert sent[0] is sent[1] and sent[2] is sent[3]
