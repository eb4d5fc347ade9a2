"""Multi-model compare (protocol.md §2.7, §3.8, §6.2).

Every (deduplicated) model answers through the chat engine; a model that is unknown, of
the wrong kind, or failed by a `ModelFault` becomes a per-model `error` string plus
`error_code` and never fails the call. The judge writes a synthesis only when
`skip_comparison` is false and at least two models succeeded. Both stream shapes are
built from the same outcomes, so streamed and non-streamed compares agree.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from meshapi_core.types import CompareParams, CompareResponse, CompareStreamEvent

from ._catalogue import DEFAULT_JUDGE_MODEL
from ._chat import completion_body, resolve_model, upstream_failure, validate_messages
from ._context import RequestContext
from ._errors import GatewayError
from ._ids import new_id, new_request_id
from ._responder import Reply, count_tokens, respond, respond_text, split_words
from ._sse import SSEComment, SSEEvent, stream_sse
from ._templates import apply_template, merge_messages
from ._validation import Detail, check_params, detail, raise_validation, require_fields
from ._wire import dump

if TYPE_CHECKING:
    from ._state import GatewayState

__all__ = ["compare"]


@dataclass(frozen=True)
class ModelOutcome:
    """One model's answer, or its failure."""

    model: str
    reply: Reply | None
    latency_ms: int
    request_id: str
    response_body: dict[str, Any] | None = None
    error: str | None = None
    error_code: str | None = None

    def result(self) -> dict[str, Any]:
        """The `ModelCompareResult`."""
        return {
            "model": self.model,
            "content": self.reply.text if self.reply is not None else None,
            "latency_ms": self.latency_ms,
            "error": self.error,
            "error_code": self.error_code,
            "usage": self.reply.usage() if self.reply is not None else None,
            "request_id": self.request_id,
            "response_body": self.response_body,
        }


@dataclass(frozen=True)
class Judgement:
    """The synthesis, when there is one."""

    model: str | None
    reply: Reply | None
    fallback_used: bool


def _validate(body: Mapping[str, Any]) -> list[Detail]:
    problems = require_fields(
        body,
        {
            "models": list,
            "messages": list,
            "model_overrides": list,
            "comparison_model": str,
            "comparison_instructions": str,
            "temperature": float,
            "max_tokens": int,
            "stream": bool,
            "skip_comparison": bool,
            "template": str,
            "variables": dict,
        },
        required=("models", "messages"),
    )
    models = body.get("models")
    if isinstance(models, list):
        if not models:
            problems.append(detail("too_short", ["models"], "List should have at least 1 item"))
        for index, model in enumerate(models):
            if not isinstance(model, str):
                problems.append(
                    detail("string_type", ["models", index], "Input should be a valid string")
                )
    problems += validate_messages(
        body.get("messages"), allow_empty=body.get("template") is not None
    )
    for index, override in enumerate(body.get("model_overrides") or []):
        if not isinstance(override, dict) or not isinstance(override.get("model"), str):
            problems.append(
                detail("missing", ["model_overrides", index, "model"], "Field required")
            )
    if not problems:
        problems = check_params(CompareParams, body)
    return problems


def _dedupe(models: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(models))


def _answer(
    state: GatewayState,
    model_id: str,
    messages: list[dict[str, Any]],
    max_tokens: int | None,
) -> ModelOutcome:
    started = time.perf_counter()
    request_id = new_request_id()
    try:
        row, _ = resolve_model(state, model_id)
    except GatewayError as error:
        return ModelOutcome(model_id, None, 0, request_id, None, error.message, error.code)
    failure = upstream_failure(state, model_id)
    if failure is not None:
        return ModelOutcome(
            model_id,
            None,
            _elapsed(started, state),
            request_id,
            None,
            failure.message,
            failure.code,
        )
    reply = respond(messages, max_tokens=max_tokens)
    body = completion_body(
        row, reply, completion_id=new_id("chatcmpl-", 24), created=int(state.clock.now())
    )
    return ModelOutcome(model_id, reply, _elapsed(started, state), request_id, body)


def _elapsed(started: float, state: GatewayState) -> int:
    measured = int((time.perf_counter() - started) * 1000)
    return measured + state.timings.compare_model_latency_ms


def _judge(
    state: GatewayState,
    body: Mapping[str, Any],
    outcomes: Sequence[ModelOutcome],
) -> Judgement:
    if body.get("skip_comparison") is True:
        return Judgement(None, None, False)
    judge_id = body.get("comparison_model") or DEFAULT_JUDGE_MODEL
    successes = [o for o in outcomes if o.reply is not None]
    if len(successes) < 2:
        return Judgement(judge_id, None, True)
    row = state.catalogue.get(judge_id)
    if row is None or row.model_type != "text" or upstream_failure(state, judge_id) is not None:
        return Judgement(judge_id, None, True)
    instructions = body.get("comparison_instructions") or ""
    answers = [o.reply.text or "" for o in successes if o.reply is not None]
    prompt_tokens = count_tokens(instructions) + sum(count_tokens(a) for a in answers)
    text = f"Compared {len(successes)} answers. The first says: {answers[0]}"
    return Judgement(judge_id, respond_text(text, prompt_tokens=prompt_tokens), False)


async def compare(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/chat/compare."""
    body = ctx.json_body()
    raise_validation(_validate(body))
    started = time.perf_counter()
    rendered = apply_template(ctx, body.get("template"), body.get("variables"))
    messages = merge_messages(rendered, body["messages"])
    overrides: dict[str, Mapping[str, Any]] = {
        o["model"]: o for o in body.get("model_overrides") or [] if isinstance(o, Mapping)
    }
    models = _dedupe(body["models"])
    outcomes = []
    for model_id in models:
        override = overrides.get(model_id, {})
        model_messages = list(messages)
        if override.get("system_prompt"):
            model_messages.insert(0, {"role": "system", "content": override["system_prompt"]})
        max_tokens = override.get("max_tokens", body.get("max_tokens"))
        outcomes.append(_answer(ctx.state, model_id, model_messages, max_tokens))
    judgement = _judge(ctx.state, body, outcomes)
    comparison_id = new_id("cmp_", 20)
    total_ms = int((time.perf_counter() - started) * 1000)
    partial = any(o.reply is None for o in outcomes)
    skip = body.get("skip_comparison") is True
    if body.get("stream") is True:
        events = (
            _skip_events(comparison_id, models, outcomes, total_ms, partial)
            if skip
            else _judged_events(comparison_id, models, outcomes, judgement, total_ms, partial)
        )
        return await stream_sse(
            ctx.request, events, shaping=ctx.shaping, request_id=ctx.request_id, compare=True
        )
    if all(o.reply is None for o in outcomes):
        raise GatewayError(
            502,
            "all_models_failed",
            "Every model failed: " + "; ".join(f"{o.model}: {o.error}" for o in outcomes),
        )
    return ctx.json(
        dump(
            CompareResponse,
            {
                "comparison_id": comparison_id,
                "object": "chat.comparison",
                "created": int(ctx.state.clock.now()),
                "models": models,
                "results": [o.result() for o in outcomes],
                "comparison": judgement.reply.text if judgement.reply else None,
                "comparison_model": judgement.model,
                "comparison_usage": judgement.reply.usage() if judgement.reply else None,
                "total_latency_ms": total_ms,
                "partial": partial,
                "skip_comparison": skip,
                "comparison_fallback_used": judgement.fallback_used,
            },
        )
    )


def _event(name: str, payload: dict[str, Any]) -> SSEEvent:
    return SSEEvent(dump(CompareStreamEvent, payload), event=name)


async def _skip_events(
    comparison_id: str,
    models: list[str],
    outcomes: list[ModelOutcome],
    total_ms: int,
    partial: bool,
) -> AsyncIterator[SSEEvent | SSEComment]:
    yield _event(
        "meta",
        {
            "comparison_id": comparison_id,
            "models": models,
            "comparison_model": None,
            "skip_comparison": True,
        },
    )
    # Tokens of the models interleave, round-robin, as parallel upstream streams would.
    pending = {o.model: split_words(o.reply.text or "") for o in outcomes if o.reply is not None}
    finished: set[str] = set()
    while len(finished) < len(pending):
        for outcome in outcomes:
            pieces = pending.get(outcome.model)
            if pieces is None or outcome.model in finished:
                continue
            if pieces:
                yield _event(
                    "model_chunk",
                    {"model": outcome.model, "delta": pieces.pop(0), "finish_reason": None},
                )
            else:
                finished.add(outcome.model)
                assert outcome.reply is not None
                yield _event(
                    "model_chunk",
                    {
                        "model": outcome.model,
                        "delta": None,
                        "finish_reason": outcome.reply.finish_reason,
                    },
                )
    for outcome in outcomes:
        done: dict[str, Any] = {
            "model": outcome.model,
            "finish_reason": None,
            "usage": outcome.reply.usage() if outcome.reply is not None else None,
            "error": outcome.error,
        }
        if outcome.error_code is not None:
            done["error_code"] = outcome.error_code
        yield _event("model_stream_done", done)
    yield _event(
        "done",
        {
            "comparison_id": comparison_id,
            "total_latency_ms": total_ms,
            "partial": partial,
            "skip_comparison": True,
        },
    )


async def _judged_events(
    comparison_id: str,
    models: list[str],
    outcomes: list[ModelOutcome],
    judgement: Judgement,
    total_ms: int,
    partial: bool,
) -> AsyncIterator[SSEEvent | SSEComment]:
    yield _event(
        "meta",
        {
            "comparison_id": comparison_id,
            "models": models,
            "comparison_model": judgement.model,
            "skip_comparison": False,
        },
    )
    for outcome in sorted(outcomes, key=lambda o: o.latency_ms):
        yield _event(
            "model_chunk",
            {
                "model": outcome.model,
                "content": outcome.reply.text if outcome.reply is not None else None,
                "latency_ms": outcome.latency_ms,
                "error": outcome.error,
                "error_code": outcome.error_code,
                "usage": outcome.reply.usage() if outcome.reply is not None else None,
            },
        )
    yield _event("model_done", {"results": [o.result() for o in outcomes]})
    if judgement.reply is not None:
        for piece in split_words(judgement.reply.text or ""):
            yield _event("comparison_chunk", {"delta": piece, "finish_reason": None})
        yield _event(
            "comparison_chunk", {"delta": None, "finish_reason": judgement.reply.finish_reason}
        )
    yield _event(
        "done",
        {
            "comparison_id": comparison_id,
            "total_latency_ms": total_ms,
            "partial": partial,
            "comparison_model": judgement.model,
            "comparison_fallback_used": judgement.fallback_used,
        },
    )
