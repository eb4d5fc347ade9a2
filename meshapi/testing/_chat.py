"""Chat completions (protocol.md §2.3, §3.6): the shared "run a chat" engine and its route.

`prepare_chat` turns a request body into a `ChatJob` (template applied, model resolved),
`run_chat` gets the deterministic reply (or the upstream failure a `ModelFault` asks for),
and the body/stream builders shape it. Compare and batches reuse the engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from meshapi_core.types import ChatCompletionChunk, ChatCompletionParams, ChatCompletionResponse

from ._catalogue import DEFAULT_CHAT_MODEL, ModelRow
from ._context import RequestContext
from ._errors import CODE_STATUS, GatewayError, default_message
from ._ids import new_id
from ._responder import Reply, UnknownToolError, respond, split_arguments, split_words
from ._sse import DONE, SSEComment, SSEEvent, stream_sse
from ._templates import apply_params, apply_template, merge_messages
from ._validation import Detail, check_params, detail, raise_validation, require_fields
from ._wire import dump

if TYPE_CHECKING:
    from ._state import GatewayState

__all__ = [
    "ChatJob",
    "chat_completions",
    "completion_body",
    "prepare_chat",
    "resolve_model",
    "run_chat",
    "upstream_failure",
]

ROLES = ("system", "user", "assistant", "tool")
REASONING_EFFORTS = ("high", "medium", "low", "none")

_CHAT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "messages": list,
    "model": str,
    "stream": bool,
    "template": str,
    "variables": dict,
    "session_id": str,
    "temperature": float,
    "top_p": float,
    "frequency_penalty": float,
    "presence_penalty": float,
    "max_tokens": int,
    "max_completion_tokens": int,
    "stop": (str, list),
    "seed": int,
    "tools": list,
    "tool_choice": (str, dict),
    "user": str,
    "models": list,
    "response_format": dict,
    "timeout": float,
    "cache": bool,
}


@dataclass(frozen=True)
class ChatJob:
    """One chat completion to run."""

    model: ModelRow
    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    stop: str | Sequence[str] | None = None
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: Any = None
    resolved_server_side: bool = False
    fallbacks: tuple[str, ...] = ()
    response_format: Mapping[str, Any] | None = None


def resolve_model(
    state: GatewayState,
    model_id: Any,
    *,
    kind: str = "text",
    default: str = DEFAULT_CHAT_MODEL,
) -> tuple[ModelRow, bool]:
    """The catalogue row for a request's `model`, and whether the gateway chose it.

    An absent model or `"auto"` resolves to the key's default. An unknown id is 404
    `model_not_found`; a model of the wrong kind (an embedding model for chat) is 400
    `model_capability_not_supported`.
    """
    chosen = model_id is None or model_id == "auto"
    wanted = default if chosen else model_id
    if not isinstance(wanted, str):
        raise_validation([detail("string_type", ["model"], "Input should be a valid string")])
    row = state.catalogue.get(wanted)
    if row is None:
        raise GatewayError(404, "model_not_found", f"Unknown model '{wanted}'.", param="model")
    if row.model_type != kind:
        raise GatewayError(
            400,
            "model_capability_not_supported",
            f"Model '{wanted}' does not support this operation.",
            param="model",
        )
    return row, chosen


def upstream_failure(state: GatewayState, model_id: str) -> GatewayError | None:
    """The error a pending `ModelFault` makes a call to `model_id` fail with, if any."""
    fault = state.model_faults.take(model_id)
    if fault is None:
        return None
    status = fault.status or CODE_STATUS.get(fault.code, 502)
    provider_error = (
        dict(fault.provider_error)
        if fault.provider_error is not None
        else {"provider": model_id.split("/", 1)[0], "status": status, "message": fault.code}
    )
    return GatewayError(
        status,
        fault.code,
        fault.message or default_message(fault.code),
        provider_error=provider_error,
    )


def validate_messages(messages: Any, *, allow_empty: bool) -> list[Detail]:
    """The checks the gateway applies to `messages`."""
    problems: list[Detail] = []
    if not isinstance(messages, list):
        return problems
    if not messages and not allow_empty:
        problems.append(
            detail("too_short", ["messages"], "List should have at least 1 item after validation")
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            problems.append(
                detail("model_type", ["messages", index], "Input should be a valid dictionary")
            )
            continue
        role = message.get("role")
        if role is None:
            problems.append(detail("missing", ["messages", index, "role"], "Field required"))
        elif role not in ROLES:
            problems.append(
                detail(
                    "literal_error",
                    ["messages", index, "role"],
                    "Input should be 'system', 'user', 'assistant' or 'tool'",
                )
            )
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            problems.append(
                detail(
                    "string_type", ["messages", index, "content"], "Input should be a valid string"
                )
            )
    return problems


def validate_response_format(value: Any) -> list[Detail]:
    """The gateway's checks of `response_format` (§7.1): a known type, and a json_schema
    wrapper with a `name` and a `schema` object."""
    if not isinstance(value, Mapping):
        return []
    kind = value.get("type")
    if kind not in ("text", "json_object", "json_schema"):
        return [
            detail(
                "literal_error",
                ["response_format", "type"],
                "Input should be 'text', 'json_object' or 'json_schema'",
            )
        ]
    if kind != "json_schema":
        return []
    wrapper = value.get("json_schema")
    if not isinstance(wrapper, Mapping):
        return [detail("missing", ["response_format", "json_schema"], "Field required")]
    problems: list[Detail] = []
    if not isinstance(wrapper.get("name"), str) or not wrapper["name"]:
        problems.append(
            detail("missing", ["response_format", "json_schema", "name"], "Field required")
        )
    if "schema" in wrapper and not isinstance(wrapper["schema"], Mapping):
        problems.append(
            detail(
                "dict_type",
                ["response_format", "json_schema", "schema"],
                "Input should be a valid dictionary",
            )
        )
    return problems


def prepare_chat(ctx: RequestContext, body: dict[str, Any]) -> ChatJob:
    """Validate a chat body, apply its template, resolve its model."""
    problems = require_fields(body, _CHAT_FIELDS, required=("messages",))
    problems += validate_response_format(body.get("response_format"))
    problems += validate_messages(
        body.get("messages"), allow_empty=body.get("template") is not None
    )
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        problems.append(
            detail(
                "literal_error",
                ["reasoning_effort"],
                "Input should be 'high', 'medium', 'low' or 'none'",
            )
        )
    if not problems:
        problems = check_params(ChatCompletionParams, body)
    raise_validation(problems)
    rendered = apply_template(ctx, body.get("template"), body.get("variables"))
    params = apply_params(body, rendered)
    model_id = body.get("model")
    if model_id is None and rendered is not None:
        model_id = rendered.model
    model, chosen = resolve_model(ctx.state, model_id)
    max_tokens = params.get("max_tokens", params.get("max_completion_tokens"))
    fallbacks = params.get("models")
    return ChatJob(
        model=model,
        messages=merge_messages(rendered, body.get("messages") or []),
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        stop=params.get("stop"),
        tools=params.get("tools"),
        tool_choice=params.get("tool_choice"),
        resolved_server_side=chosen,
        fallbacks=tuple(m for m in fallbacks or () if isinstance(m, str)),
        response_format=params.get("response_format"),
    )


def run_chat(state: GatewayState, job: ChatJob) -> tuple[Reply, ModelRow, int]:
    """The reply, the model that served it, and how many upstream attempts it took.

    A `ModelFault` on the model fails the call; with a server-side `models` list the
    gateway then tries each fallback in turn, as the real gateway's routing does.
    """
    candidates = [job.model.id, *[m for m in job.fallbacks if m != job.model.id]]
    last_error: GatewayError | None = None
    for attempt, model_id in enumerate(candidates, start=1):
        row = state.catalogue.get(model_id)
        if row is None:
            continue
        failure = upstream_failure(state, model_id)
        if failure is not None:
            last_error = failure
            continue
        try:
            reply = respond(
                job.messages,
                max_tokens=job.max_tokens,
                stop=job.stop,
                tools=job.tools,
                tool_choice=job.tool_choice,
                response_format=job.response_format,
                structured=row.supports_structured_output,
            )
        except UnknownToolError as exc:
            raise GatewayError(400, "invalid_request", str(exc), param="tool_choice") from exc
        return reply, row, attempt
    assert last_error is not None
    raise last_error


def _message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_call is not None:
        message["tool_calls"] = [
            {
                "id": reply.tool_call.id,
                "type": "function",
                "function": {"name": reply.tool_call.name, "arguments": reply.tool_call.arguments},
            }
        ]
    return message


def completion_body(
    model: ModelRow, reply: Reply, *, completion_id: str, created: int
) -> dict[str, Any]:
    """The `ChatCompletionResponse` body (no `cost`: non-streaming chat carries none)."""
    return dump(
        ChatCompletionResponse,
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model.id,
            "choices": [
                {
                    "index": 0,
                    "message": _message(reply),
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": reply.usage(),
        },
    )


def _chunk(
    completion_id: str,
    created: int,
    model: str,
    delta: dict[str, Any] | None,
    finish_reason: str | None = None,
) -> dict[str, Any]:
    choices = (
        [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        if delta is not None
        else []
    )
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": choices,
    }


async def chat_events(
    model: ModelRow,
    reply: Reply,
    *,
    completion_id: str,
    created: int,
    delay: float = 0.0,
) -> AsyncIterator[SSEEvent | SSEComment]:
    """The chat stream of §3.6: role, content or tool-call deltas, finish, usage, [DONE]."""

    def event(data: dict[str, Any]) -> SSEEvent:
        return SSEEvent(dump(ChatCompletionChunk, data))

    yield event(_chunk(completion_id, created, model.id, {"role": "assistant", "content": ""}))
    if reply.tool_call is not None:
        call = reply.tool_call
        yield event(
            _chunk(
                completion_id,
                created,
                model.id,
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                },
            )
        )
        for fragment in split_arguments(call.arguments):
            if delay:
                await asyncio.sleep(delay)
            yield event(
                _chunk(
                    completion_id,
                    created,
                    model.id,
                    {"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]},
                )
            )
    else:
        for piece in split_words(reply.text or ""):
            if delay:
                await asyncio.sleep(delay)
            yield event(_chunk(completion_id, created, model.id, {"content": piece}))
    yield event(_chunk(completion_id, created, model.id, {}, reply.finish_reason))
    usage_chunk = _chunk(completion_id, created, model.id, None)
    usage_chunk["usage"] = reply.usage()
    usage_chunk["cost"] = model.cost(reply.prompt_tokens, reply.completion_tokens)
    yield event(usage_chunk)
    yield DONE


def routing_headers(job: ChatJob, served: ModelRow, attempts: int) -> dict[str, str]:
    """Headers describing how the gateway resolved and routed a non-streaming call."""
    headers: dict[str, str] = {}
    if job.resolved_server_side:
        headers["x-resolved-model-id"] = served.id
        headers["x-auto-routed"] = "true"
    if job.fallbacks:
        headers["x-mesh-routing-attempts"] = str(attempts)
        headers["x-mesh-routing-fallback"] = "true" if served.id != job.model.id else "false"
    return headers


async def chat_completions(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/chat/completions, streaming or not according to the body's `stream`."""
    body = ctx.json_body()
    job = prepare_chat(ctx, body)
    reply, served, attempts = run_chat(ctx.state, job)
    completion_id = new_id("chatcmpl-", 24)
    created = int(ctx.state.clock.now())
    if body.get("stream") is True:
        if job.resolved_server_side:
            ctx.extra_headers.setdefault("x-resolved-model-id", served.id)
        events = chat_events(
            served,
            reply,
            completion_id=completion_id,
            created=created,
            delay=ctx.state.timings.stream_chunk_delay,
        )
        return await stream_sse(ctx.request, events, shaping=ctx.shaping, request_id=ctx.request_id)
    return ctx.json(
        completion_body(served, reply, completion_id=completion_id, created=created),
        headers=routing_headers(job, served, attempts),
    )
