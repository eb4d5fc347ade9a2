"""Compare: one prompt to several models, then a judge's synthesis (protocol.md §2.7, §3.8).

The semantics (fan-out, partial results, when a synthesis happens) are in §6.2.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import ChatMessage, _null_as

__all__ = [
    "CompareParams",
    "CompareResponse",
    "CompareStreamEvent",
    "ModelCompareResult",
    "ModelOverride",
    "TokenUsage",
]


class ModelOverride(RequestModel):
    """Per-model settings of a compare call; `system_prompt` becomes a leading system message."""

    model: str
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    system_prompt: str | None = None


class CompareParams(RequestModel):
    """The body of `POST /v1/chat/compare` (§2.7).

    The same `messages` go to every model in `models` in parallel (duplicates removed,
    order kept). Unless `skip_comparison` is true, a judge (`comparison_model`, or the
    gateway's default) then writes a synthesis when at least two models succeeded.
    `stream` and `skip_comparison` are always sent; `stream` is set by the method.
    """

    models: list[str] = Field(min_length=1)
    messages: list[ChatMessage]
    model_overrides: list[ModelOverride] | None = None
    comparison_model: str | None = None
    comparison_instructions: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    stream: bool = False
    skip_comparison: bool = False
    template: str | None = None
    variables: dict[str, str] | None = None
    # Tier P addition (§2.7).
    cache: bool | None = None


class TokenUsage(ResponseModel):
    """Token counts of one model's answer, or of the judge's synthesis; all optional."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


class ModelCompareResult(ResponseModel):
    """One model's outcome, in request order (§2.7, §6.2).

    A model that failed has `content` None, `error` (a message **string**) and
    `error_code`; one failing model never fails the call.
    """

    model: str
    """The requested model id."""
    latency_ms: int
    request_id: str
    """This model's own gateway request id."""
    content: str | None = None
    response_body: dict[str, Any] | None = None
    """The model's full chat-completion body."""
    error: str | None = None
    error_code: str | None = None
    usage: TokenUsage | None = None


class CompareResponse(ResultModel):
    """The result of `compare.create` (§2.7).

    `partial` is true when at least one model failed. `comparison_fallback_used` is true
    when a synthesis was asked for but no judge text was produced.
    """

    comparison_id: str
    object: str
    created: int
    models: list[str]
    results: list[ModelCompareResult]
    total_latency_ms: int
    partial: Annotated[bool, _null_as(bool)] = False
    skip_comparison: Annotated[bool, _null_as(bool)] = False
    comparison_fallback_used: Annotated[bool, _null_as(bool)] = False
    comparison: str | None = None
    """The judge's synthesis text."""
    comparison_model: str | None = None
    comparison_usage: TokenUsage | None = None


class CompareStreamEvent(ResultModel):
    """One event of `compare.stream` (§3.8); every field is optional.

    `event` is the SSE event name: `meta`, `model_chunk`, `model_stream_done`,
    `model_done`, `comparison_chunk` or `done` (always last). Which other fields are set
    depends on the event. A per-model `error` is a string and is data, not a failure.
    `data` is kept for 0.1.x and is set only when a payload has a `data` key.
    """

    event: str | None = None
    delta: str | None = None
    content: str | None = None
    model: str | None = None
    comparison_id: str | None = None
    comparison_model: str | None = None
    models: list[str] | None = None
    latency_ms: int | None = None
    total_latency_ms: int | None = None
    finish_reason: str | None = None
    # §3.5/§3.8: on compare streams a string `error` is per-model data; an object
    # `error` is a fatal frame the stream decoder raises before any model sees it.
    error: str | None = None
    error_code: str | None = None
    # §3.8 says "usage (dict or null)", and 0.1.x typed it as a dict: keep it one.
    usage: dict[str, Any] | None = None
    results: list[ModelCompareResult] | None = None
    skip_comparison: bool | None = None
    partial: bool | None = None
    comparison_fallback_used: bool | None = None
    data: dict[str, Any] | None = None
