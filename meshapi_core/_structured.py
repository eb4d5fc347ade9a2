"""Structured outputs: `chat.completions.parse` (protocol.md §7.1, §5.4).

Three pure pieces and one flow:

* `structured_format(spec)` turns what the caller asked for (a pydantic model class, a
  TypedDict or dataclass, or a raw JSON-schema dict) into the `response_format` sent and
  the validator its reply goes through;
* `read_reply(completion, fmt)` gets the parsed value out of a chat completion, or says
  why it cannot: no text at all (a refusal or a tool call: terminal), text that is not
  JSON (prose: the model likely ignores structured outputs), or JSON of the wrong shape;
* `correction_messages` is the repair turn a retry appends;
* `parse_flow` sends the request, reads the reply, and with `max_retries > 0` resends a
  corrected conversation under the idempotency key `<key>:parse-<n>` (§5.4).

Every failure is a `StructuredOutputError` (`structured_output_parse_error`, status 0) with
its cause chained. Messages never quote the reply: it is response content, which belongs
in the chained cause and the completion, not in text that ends up in logs.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import pydantic
from typing_extensions import is_typeddict

from ._config import MeshAPIConfig, RequestOptions
from ._errors import StructuredOutputError
from ._flows import Emit, Flow, HttpResponse, Rng, decode_result, unary_flow
from ._operations import Operation
from ._request import build_request
from ._retry import RetryPolicy
from .types import ChatCompletionParams, ChatCompletionResponse, ChatMessage

__all__ = [
    "ParsedCompletion",
    "ReplyProblem",
    "StructuredFormat",
    "correction_messages",
    "parse_flow",
    "read_reply",
    "structured_format",
    "validate_parse_retries",
]

T = TypeVar("T")
CODE = "structured_output_parse_error"
_WRAPPER_TYPES = frozenset({"json_schema", "json_object"})
# A reply wrapped in a Markdown code fence is still the JSON the schema asked for.
_FENCE = re.compile(r"\A\s*```[A-Za-z0-9_-]*[ \t]*\n(?P<body>.*?)\n?```\s*\Z", re.DOTALL)


@dataclasses.dataclass(frozen=True, slots=True)
class StructuredFormat:
    """What `parse` sends as `response_format`, and how it reads the reply.

    Attributes:
        response_format: the wire value, `{type: "json_schema", json_schema: {name,
            schema}}` (a caller's full wrapper dict as given).
        name: the schema's name (the class name, or `"response"`), for messages.
        validate_json: reply text -> the parsed value; raises `ValueError` for text that
            is not JSON and `pydantic.ValidationError` for JSON of the wrong shape.
    """

    response_format: dict[str, Any]
    name: str
    validate_json: Callable[[str], Any]


def _json_schema_format(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": dict(schema)}}


def _plain_json(text: str) -> Any:
    return json.loads(text)


def structured_format(spec: object) -> StructuredFormat:
    """The `response_format` and validator for what `parse(..., response_format=spec)` got.

    * a pydantic model class: its JSON schema, named after the class; the reply is
      validated into an instance;
    * a TypedDict or a dataclass: the same through a `pydantic.TypeAdapter`;
    * a dict: a full `{"type": "json_schema", ...}` wrapper (or `json_object`) passes
      through unchanged, any other dict is a bare JSON schema wrapped with the name
      `"response"`; the reply is returned as plain JSON.

    Raises:
        TypeError: anything else (before any request is made).
    """
    if isinstance(spec, type) and issubclass(spec, pydantic.BaseModel):
        model = spec
        return StructuredFormat(
            _json_schema_format(model.__name__, model.model_json_schema()),
            model.__name__,
            model.model_validate_json,
        )
    if isinstance(spec, type) and (is_typeddict(spec) or dataclasses.is_dataclass(spec)):
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(spec)
        return StructuredFormat(
            _json_schema_format(spec.__name__, adapter.json_schema()),
            spec.__name__,
            adapter.validate_json,
        )
    if isinstance(spec, Mapping):
        raw = dict(spec)
        if raw.get("type") in _WRAPPER_TYPES:
            inner = raw.get("json_schema")
            name = inner.get("name") if isinstance(inner, Mapping) else None
            return StructuredFormat(raw, name if isinstance(name, str) else "response", _plain_json)
        return StructuredFormat(_json_schema_format("response", raw), "response", _plain_json)
    raise TypeError(
        "response_format must be a pydantic model class, a TypedDict, a dataclass or a "
        f"JSON-schema dict, got {spec!r}"
    )


def validate_parse_retries(max_retries: object) -> int:
    """`parse`'s `max_retries`: an int >= 0, checked before any call (§7.1)."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
    return max_retries


# -- reading the reply ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ReplyProblem:
    """Why a reply could not be parsed.

    Attributes:
        error: the `StructuredOutputError` to raise, its cause already chained.
        retryable: whether a correction turn could help (not for an empty reply).
        content: the reply text, to send back in the correction turn.
        hint: what the correction turn tells the model.
    """

    error: StructuredOutputError
    retryable: bool
    content: str = ""
    hint: str = ""


def _reply_text(completion: ChatCompletionResponse) -> str | None:
    if not completion.choices:
        return None
    message = completion.choices[0].message
    if message is None or message.content is None:
        return None
    if isinstance(message.content, str):
        return message.content
    texts: list[str] = []
    for part in message.content:
        if isinstance(part, Mapping):
            text = part.get("text")
            if part.get("type") in ("text", "output_text") and isinstance(text, str):
                texts.append(text)
        else:
            text = getattr(part, "text", None)
            if isinstance(text, str):
                texts.append(text)
    return "".join(texts)


def _unfenced(text: str) -> str:
    match = _FENCE.match(text)
    return match.group("body") if match else text


def _problems(error: pydantic.ValidationError) -> str:
    items = error.errors(include_url=False, include_input=False)
    shown = [
        f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
        for item in items[:3]
    ]
    more = f" (and {len(items) - 3} more)" if len(items) > 3 else ""
    return "; ".join(shown) + more


def _error(
    message: str, completion: ChatCompletionResponse, cause: BaseException | None
) -> StructuredOutputError:
    error = StructuredOutputError(
        message, status=0, error_code=CODE, request_id=completion._request_id or ""
    )
    error.__cause__ = cause
    return error


def read_reply(
    completion: ChatCompletionResponse, fmt: StructuredFormat
) -> tuple[Any, ReplyProblem | None]:
    """The parsed value of a structured-output reply (§7.1).

    Returns:
        `(value, None)`, or `(None, problem)` when the reply is unusable: the problem is
        returned, not raised, so that the flow can decide whether to retry.
    """
    text = _reply_text(completion)
    model = completion.model or "the model"
    if text is None or not text.strip():
        finish = completion.choices[0].finish_reason if completion.choices else None
        message = completion.choices[0].message if completion.choices else None
        why = "it called a tool" if message is not None and message.tool_calls else "a refusal"
        return None, ReplyProblem(
            _error(
                f"{model} returned no text content to parse into {fmt.name} "
                f"({why}; finish_reason={finish!r}); an empty reply is not retried",
                completion,
                None,
            ),
            retryable=False,
        )
    body = _unfenced(text)
    try:
        json.loads(body)
    except ValueError as exc:
        return None, ReplyProblem(
            _error(
                f"{model} replied with text that is not JSON, so it cannot be parsed into "
                f"{fmt.name}: the model likely does not support structured outputs "
                f"(check ModelInfo.supports_structured_output, e.g. "
                f"client.models.get({model!r}).supports_structured_output)",
                completion,
                exc,
            ),
            retryable=True,
            content=text,
            hint="Your reply was not valid JSON.",
        )
    try:
        return fmt.validate_json(body), None
    except pydantic.ValidationError as exc:
        problems = _problems(exc)
        return None, ReplyProblem(
            _error(
                f"{model} replied with JSON that did not match the requested schema "
                f"{fmt.name}: {problems}",
                completion,
                exc,
            ),
            retryable=True,
            content=text,
            hint=f"Your JSON did not match the schema: {problems}.",
        )


def correction_messages(problem: ReplyProblem) -> list[ChatMessage]:
    """The bad reply and a user turn asking for a corrected one (appended on a retry)."""
    return [
        ChatMessage(role="assistant", content=problem.content),
        ChatMessage(
            role="user",
            content=(
                f"{problem.hint} Reply again with only a JSON value that matches the "
                "requested JSON schema, and no other text."
            ),
        ),
    ]


# -- the flow -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedCompletion(Generic[T]):
    """What `parse` got: the value, the completion it came from, and its HTTP response."""

    value: T
    completion: ChatCompletionResponse
    response: HttpResponse


def _whole(response: HttpResponse) -> HttpResponse:
    return response


def parse_flow(
    config: MeshAPIConfig,
    operation: Operation,
    params: ChatCompletionParams,
    options: RequestOptions,
    fmt: StructuredFormat,
    *,
    max_retries: int,
    policy: RetryPolicy,
    rng: Rng,
    emit: Emit,
) -> Flow[ParsedCompletion[Any]]:
    """A structured-output chat completion, repaired up to `max_retries` times (§7.1).

    The request is `params` with `stream: false` and `response_format` from `fmt`; each
    attempt goes through the transport retries of `unary_flow`. A reply that is prose or
    JSON of the wrong shape is, while `max_retries` allows, sent back with a correction
    turn as a new request keyed `<key>:parse-<n>` (§5.4); each such retry is billed. An
    empty reply is terminal. The client-side fallback chain never applies (§5.5).

    Raises:
        StructuredOutputError: the last reply could not be parsed.
        MeshAPIError: the HTTP call failed.
    """
    max_retries = validate_parse_retries(max_retries)
    params = params.model_copy(update={"response_format": fmt.response_format})
    request = build_request(config, operation, params, options)
    base_key = request.idempotency_key
    messages: Sequence[ChatMessage] = params.messages
    attempt = 0
    while True:
        response = yield from unary_flow(request, _whole, policy=policy, rng=rng, emit=emit)
        completion: ChatCompletionResponse = decode_result(operation, response)
        value, problem = read_reply(completion, fmt)
        if problem is None:
            return ParsedCompletion(value, completion, response)
        if not problem.retryable or attempt >= max_retries:
            raise problem.error
        attempt += 1
        messages = [*messages, *correction_messages(problem)]
        params = params.model_copy(update={"messages": messages})
        retry_options = dataclasses.replace(options, idempotency_key=f"{base_key}:parse-{attempt}")
        request = build_request(config, operation, params, retry_options)
