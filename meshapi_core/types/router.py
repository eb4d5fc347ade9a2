"""The auto-router: which model the gateway would pick for a conversation (§7.1, tier P)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import ChatMessage, _null_as

__all__ = ["AutoRouterMeta", "RouterSelectParams", "RouterSelectResponse"]


class RouterSelectParams(RequestModel):
    """The body of `POST /v1/router/select` (§7.1).

    `api_type` (always sent, default `"completions"`) is the API the chosen model must
    serve; `exclude_models` are never chosen unless the router had to fall back.
    """

    messages: list[ChatMessage] = Field(min_length=1)
    api_type: Literal["completions", "responses", "embeddings"] = "completions"
    exclude_models: list[str] | None = None


class AutoRouterMeta(ResponseModel):
    """How the choice was made: `fallback_used` means classification failed or found no
    allowed candidate, and the default model was returned instead (`fallback_reason`)."""

    fallback_used: Annotated[bool, _null_as(bool)] = False
    fallback_reason: str | None = None


class RouterSelectResponse(ResultModel):
    """The chosen model; never one of `exclude_models` unless `auto_router.fallback_used`."""

    model: str
    auto_router: AutoRouterMeta
    reasoning_effort: str | None = None
