"""Batches of inline chat-completion requests (protocol.md §2.8, §6.3)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import _null_as

__all__ = [
    "BatchListResponse",
    "BatchObject",
    "BatchRequestCounts",
    "BatchRequestItem",
    "CreateBatchParams",
]


class BatchRequestItem(RequestModel):
    """One request of a batch: a chat-completions body tagged with your `custom_id`.

    `method` and `url` are always sent. The gateway accepts only `POST` and
    `/v1/chat/completions` today (§6.3); they are plain strings rather than literals so
    that a gateway accepting more endpoints needs no SDK release.
    """

    custom_id: str
    """Your id for this request, unique within the batch; results carry it back."""
    body: dict[str, Any]
    """A chat-completions request body, for example `ChatCompletionParams(...).to_body()`."""
    method: str = "POST"
    url: str = "/v1/chat/completions"


class CreateBatchParams(RequestModel):
    """The body of `POST /v1/batches` (§2.8): at least one inline request."""

    requests: list[BatchRequestItem] = Field(min_length=1)
    completion_window: str | None = None
    """For example `"24h"`."""
    metadata: dict[str, Any] | None = None


class BatchRequestCounts(ResponseModel):
    """How many of a batch's requests exist, completed and failed."""

    total: Annotated[int, _null_as(int)] = 0
    completed: Annotated[int, _null_as(int)] = 0
    failed: Annotated[int, _null_as(int)] = 0


class BatchObject(ResultModel):
    """A batch and its lifecycle (§2.8, §6.3); unknown fields are kept.

    `status` goes `validating` → `in_progress` → `completed`, `failed` or `cancelled`.
    When `completed`, `results` holds one dict per request in request order, and failed
    items are also listed in `errors_detail`.
    """

    id: str
    object: Annotated[str, _null_as(lambda: "batch")] = "batch"
    status: str | None = None
    endpoint: str | None = None
    created_at: int | None = None
    request_counts: BatchRequestCounts | None = None
    metadata: Annotated[dict[str, Any], _null_as(dict)] = Field(default_factory=dict)
    completed_at: int | None = None
    cancelled_at: int | None = None
    completion_window: str | None = None
    model: str | None = None
    provider: str | None = None
    usage_synced: bool | None = None
    # §6.3: the entries' shapes are inferred, so they stay plain dicts.
    results: list[dict[str, Any]] | None = None
    errors_detail: list[dict[str, Any]] | None = None
    error_file_id: str | None = None
    # Legacy Files-API fields, always null (§2.8, §7.2).
    input_file_id: str | None = None
    output_file_id: str | None = None


class BatchListResponse(ResultModel):
    """A page of batches, newest first (cursor pagination: pass `last_id` as `after`)."""

    object: str
    data: list[BatchObject]
    has_more: bool
    first_id: str | None = None
    last_id: str | None = None
