"""The Responses API: request, response and stream event (protocol.md §2.4 and §3.7)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import ConfigDict, Discriminator, Field, Tag

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import _null_as

__all__ = [
    "BuiltinTool",
    "ResponsesFunctionTool",
    "ResponsesListItem",
    "ResponsesListResponse",
    "ResponsesParams",
    "ResponsesResponse",
    "ResponsesStreamEvent",
    "ResponsesUsage",
]


class ResponsesFunctionTool(RequestModel):
    """A function tool of the Responses API: flat, `{type: "function", name, ...}` (§2.4)."""

    type: Literal["function"] = "function"
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    """A JSON-Schema of the arguments."""
    strict: bool | None = None


class BuiltinTool(RequestModel):
    """A built-in tool run by the provider, chosen by `type`; its other keys pass through.

    For example `BuiltinTool(type="file_search", vector_store_ids=["vs_1"])`.
    """

    # §2.4: "extra keys allowed" — a built-in tool's settings are the provider's, and
    # the SDK does not model them.
    model_config = ConfigDict(extra="allow")

    type: Literal[
        "image_generation",
        "web_search_preview",
        "web_search_preview_2025_03_11",
        "file_search",
        "computer_use_preview",
        "code_interpreter",
    ]


def _tool_kind(value: Any) -> str:
    # A tool without `type` is a function tool (its `type` defaults to "function"); any
    # other type is a built-in tool, so an unknown type is reported against the list of
    # built-in types rather than as "matches no member of the union".
    if isinstance(value, dict):
        kind = value.get("type", "function")
    else:
        kind = getattr(value, "type", None)
    return "function" if kind == "function" else "builtin"


_ResponsesTool: TypeAlias = Annotated[
    Annotated[ResponsesFunctionTool, Tag("function")] | Annotated[BuiltinTool, Tag("builtin")],
    Discriminator(_tool_kind),
]
"""A tool of `ResponsesParams.tools`: a function tool or a built-in tool."""


class ResponsesParams(RequestModel):
    """The body of `POST /v1/responses` (§2.4).

    `input` is a string or a list of input items. `stream` is always sent and is set by
    the method you call (`create` refuses a params object whose `stream` is true).
    """

    input: str | list[Any]
    model: str | None = None
    stream: bool = False
    template: str | None = None
    variables: dict[str, str] | None = None
    session_id: str | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    seed: int | None = None
    reasoning: dict[str, Any] | None = None
    """For example `{"effort": "medium"}`."""
    tools: list[_ResponsesTool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    user: str | None = Field(default=None, max_length=256)
    # Tier P additions (§2.4).
    background: bool | None = None
    text: dict[str, Any] | None = None
    timeout: float | None = Field(default=None, gt=0)
    """The gateway's upstream timeout in seconds (not the HTTP client timeout)."""
    previous_response_id: str | None = None
    instructions: str | None = None
    thinking: dict[str, Any] | None = None
    caching: dict[str, Any] | None = None
    store: bool | None = None
    include: list[str] | None = None
    expire_at: int | None = None
    max_tool_calls: int | None = Field(default=None, ge=1, le=10)
    context_management: dict[str, Any] | None = None
    plugins: list[dict[str, Any]] | None = None


class ResponsesUsage(ResponseModel):
    """Token counts of a response. Providers use either naming, so all are optional."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    input_tokens_details: dict[str, Any] | None = None
    output_tokens_details: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None
    classifier_tokens: int | None = None


class ResponsesResponse(ResultModel):
    """The result of `responses.create` (§2.4); unknown fields are kept.

    `output` is the list of output items as dicts: `{"type": "message", "content":
    [{"type": "output_text", "text": ...}], ...}`, `{"type": "reasoning", ...}` or a
    tool-call item.
    """

    # All A: the gateway sends them, but absent values read as the defaults below.
    id: str | None = None
    object: Annotated[str, _null_as(lambda: "response")] = "response"
    created_at: int | None = None
    model: str | None = None
    status: str | None = None
    """`completed`, `in_progress`, `failed` or `incomplete`."""
    output: Annotated[list[dict[str, Any]], _null_as(list)] = Field(default_factory=list)
    usage: ResponsesUsage | None = None
    error: dict[str, Any] | None = None
    incomplete_details: dict[str, Any] | None = None


class ResponsesStreamEvent(ResultModel):
    """One event of `responses.stream` (§3.7), for example `response.output_text.delta`.

    Event-specific fields (`delta`, `item_id`, `output_index`, `content_index`,
    `sequence_number`, `text`, `item`, ...) are kept as extra fields, readable as
    attributes and through `model_extra`.
    """

    event: str | None = None
    """The SSE event name (set by the stream decoder; equals `type` on this gateway)."""
    type: str | None = None
    response: dict[str, Any] | None = None
    usage: ResponsesUsage | None = None


# --------------------------------------------------------------------------------------
# Stored (background) responses (tier P, protocol.md §7.1)
# --------------------------------------------------------------------------------------


class ResponsesListItem(ResponseModel):
    """One stored response of `responses.list`; get its output with `responses.get(id)`."""

    id: str
    object: str | None = None
    model: str | None = None
    provider: str | None = None
    status: str | None = None
    created_at: int | None = None
    completed_at: int | None = None
    usage_synced: bool | None = None


class ResponsesListResponse(ResultModel):
    """A page of stored (background) responses, newest first.

    Cursor pagination: pass `last_id` as `after` while `has_more`.
    """

    object: Annotated[str, _null_as(lambda: "list")] = "list"
    data: Annotated[list[ResponsesListItem], _null_as(list)] = Field(default_factory=list)
    has_more: Annotated[bool, _null_as(bool)] = False
    first_id: str | None = None
    last_id: str | None = None
