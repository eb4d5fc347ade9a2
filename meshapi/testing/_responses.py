"""The Responses API (protocol.md §2.4, §3.7), on the same deterministic responder.

`input` (a string, or a list of message / function-call / function-call-output items) is
read as a chat conversation; `instructions` becomes a leading system message. The stream
sends the full OpenAI event sequence (created, in_progress, output_item.added,
content_part.added, output_text.delta..., output_text.done, content_part.done,
output_item.done, completed) with `event:` lines equal to `type`, then `[DONE]`.

`background: true` (tier P, §7.1) stores the response and answers at once with
`status: "queued"`; `_stored_responses.py` serves it afterwards (list and get).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from aiohttp import web

from meshapi_core.types import ResponsesParams, ResponsesResponse, ResponsesStreamEvent

from ._catalogue import DEFAULT_CHAT_MODEL, ModelRow
from ._chat import resolve_model, upstream_failure
from ._context import RequestContext
from ._errors import GatewayError
from ._ids import new_id
from ._responder import Reply, UnknownToolError, message_text, respond, split_arguments, split_words
from ._sse import DONE, SSEComment, SSEEvent, stream_sse
from ._stored_responses import background_view
from ._templates import apply_params, apply_template
from ._validation import check_params, detail, raise_validation, require_fields
from ._wire import dump

__all__ = ["create_response", "input_messages"]

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "input": (str, list),
    "model": str,
    "stream": bool,
    "template": str,
    "variables": dict,
    "instructions": str,
    "max_output_tokens": int,
    "temperature": float,
    "top_p": float,
    "seed": int,
    "tools": list,
    "tool_choice": (str, dict),
    "user": str,
    "background": bool,
}


def input_messages(value: Any, instructions: Any = None) -> list[dict[str, Any]]:
    """A Responses `input` as chat messages."""
    messages: list[dict[str, Any]] = []
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    if isinstance(value, str):
        messages.append({"role": "user", "content": value})
        return messages
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type", "message")
        if kind == "message" or "role" in item:
            messages.append(
                {"role": item.get("role", "user"), "content": message_text(item.get("content"))}
            )
        elif kind == "function_call_output":
            messages.append({"role": "tool", "content": str(item.get("output", ""))})
        elif kind == "function_call":
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": item.get("call_id"),
                            "type": "function",
                            "function": {
                                "name": item.get("name"),
                                "arguments": item.get("arguments", ""),
                            },
                        }
                    ],
                }
            )
    return messages


def _output_items(reply: Reply, ids: Mapping[str, str]) -> list[dict[str, Any]]:
    if reply.tool_call is not None:
        return [
            {
                "type": "function_call",
                "id": ids["item"],
                "call_id": reply.tool_call.id,
                "name": reply.tool_call.name,
                "arguments": reply.tool_call.arguments,
                "status": "completed",
            }
        ]
    return [
        {
            "type": "message",
            "id": ids["item"],
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": reply.text or "", "annotations": []}],
        }
    ]


def _response(
    model: ModelRow,
    reply: Reply | None,
    ids: Mapping[str, str],
    created: int,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    incomplete = reply is not None and reply.finish_reason == "length"
    status = "in_progress" if reply is None else "incomplete" if incomplete else "completed"
    response: dict[str, Any] = {
        "id": ids["response"],
        "object": "response",
        "created_at": created,
        "model": model.id,
        "status": status,
        "output": _output_items(reply, ids) if reply is not None else [],
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "parallel_tool_calls": True,
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "text": {"format": {"type": "text"}},
        "metadata": {},
    }
    if reply is not None:
        response["usage"] = {
            "input_tokens": reply.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": reply.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": reply.total_tokens,
        }
    return dump(ResponsesResponse, response)


async def create_response(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/responses."""
    body = ctx.json_body()
    problems = require_fields(body, _FIELDS, required=("input",))
    limit = body.get("max_output_tokens")
    if isinstance(limit, int) and limit < 1:
        problems.append(
            detail(
                "greater_than_equal",
                ["max_output_tokens"],
                "Input should be greater than or equal to 1",
            )
        )
    if not problems:
        problems = check_params(ResponsesParams, body)
    raise_validation(problems)
    rendered = apply_template(ctx, body.get("template"), body.get("variables"))
    params = apply_params(body, rendered)
    model_id = (
        body.get("model")
        if body.get("model") is not None
        else (rendered.model if rendered is not None else None)
    )
    model, chosen = resolve_model(ctx.state, model_id, default=DEFAULT_CHAT_MODEL)
    if not model.info()["supports_responses_api"]:
        raise GatewayError(
            400,
            "model_capability_not_supported",
            f"Model '{model.id}' does not support the Responses API.",
            param="model",
        )
    streaming = body.get("stream") is True
    background = body.get("background") is True
    if streaming and background:
        raise GatewayError(
            400,
            "invalid_request",
            "A background response cannot be streamed; poll GET /v1/responses/{id}.",
            param="background",
        )
    if streaming and not model.responses_streaming:
        raise GatewayError(
            501,
            "not_implemented",
            f"Streaming is not implemented for '{model.id}' on /v1/responses.",
        )
    failure = upstream_failure(ctx.state, model.id)
    if failure is not None:
        raise failure
    messages = [
        *(rendered.messages if rendered else []),
        *input_messages(body["input"], params.get("instructions")),
    ]
    tools = [
        t
        for t in params.get("tools") or []
        if isinstance(t, Mapping) and t.get("type") == "function"
    ]
    try:
        reply = respond(
            messages,
            max_tokens=params.get("max_output_tokens"),
            tools=tools,
            tool_choice=params.get("tool_choice"),
        )
    except UnknownToolError as exc:
        raise GatewayError(400, "invalid_request", str(exc), param="tool_choice") from exc
    ids = {
        "response": new_id("resp_", 24),
        "item": new_id("msg_" if reply.tool_call is None else "fc_", 24),
    }
    created = int(ctx.state.clock.now())
    headers = {"x-resolved-model-id": model.id} if chosen else {}
    if background:
        final = _response(model, reply, ids, created, body)
        record = ctx.state.stored_responses.create(ctx.owner, model.id, model.provider, final)
        return ctx.json(background_view(ctx, record), headers=headers)
    if streaming:
        ctx.extra_headers.update(headers)
        events = _events(model, reply, ids, created, body, ctx.state.timings.stream_chunk_delay)
        return await stream_sse(ctx.request, events, shaping=ctx.shaping, request_id=ctx.request_id)
    return ctx.json(_response(model, reply, ids, created, body), headers=headers)


def _sequenced(events: Iterator[dict[str, Any]]) -> Iterator[SSEEvent]:
    for number, payload in enumerate(events):
        payload = {"type": payload.pop("type"), "sequence_number": number, **payload}
        yield SSEEvent(dump(ResponsesStreamEvent, payload), event=payload["type"])


def _event_payloads(
    model: ModelRow, reply: Reply, ids: Mapping[str, str], created: int, body: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    final = _response(model, reply, ids, created, body)
    yield {"type": "response.created", "response": _response(model, None, ids, created, body)}
    yield {"type": "response.in_progress", "response": _response(model, None, ids, created, body)}
    item = dict(final["output"][0])
    item_id = ids["item"]
    if reply.tool_call is not None:
        yield {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "arguments": "", "status": "in_progress"},
        }
        for fragment in split_arguments(reply.tool_call.arguments):
            yield {
                "type": "response.function_call_arguments.delta",
                "item_id": item_id,
                "output_index": 0,
                "delta": fragment,
            }
        yield {
            "type": "response.function_call_arguments.done",
            "item_id": item_id,
            "output_index": 0,
            "name": reply.tool_call.name,
            "arguments": reply.tool_call.arguments,
        }
    else:
        text = reply.text or ""
        yield {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        }
        part = {"type": "output_text", "text": "", "annotations": []}
        yield {
            "type": "response.content_part.added",
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "part": part,
        }
        for piece in split_words(text):
            yield {
                "type": "response.output_text.delta",
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "delta": piece,
                "logprobs": [],
            }
        yield {
            "type": "response.output_text.done",
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        }
        yield {
            "type": "response.content_part.done",
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "part": {**part, "text": text},
        }
    yield {"type": "response.output_item.done", "output_index": 0, "item": item}
    terminal = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    yield {"type": terminal, "response": final}


async def _events(
    model: ModelRow,
    reply: Reply,
    ids: Mapping[str, str],
    created: int,
    body: Mapping[str, Any],
    delay: float,
) -> AsyncIterator[SSEEvent | SSEComment]:
    for event in _sequenced(_event_payloads(model, reply, ids, created, body)):
        if delay:
            await asyncio.sleep(delay)
        yield event
    yield DONE
