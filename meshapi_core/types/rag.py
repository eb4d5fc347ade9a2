"""RAG: file upload, embedding and semantic search (protocol.md §2.11, §6.4)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import _null_as

__all__ = [
    "BulkEmbedRequest",
    "BulkEmbedResponse",
    "BulkEmbedResult",
    "InitUploadRequest",
    "InitUploadResponse",
    "RagFileListResponse",
    "RagFileStatus",
    "SearchRequest",
    "SearchResponse",
    "SearchResult",
    "UploadFileParams",
]


class InitUploadRequest(RequestModel):
    """The body of `POST /v1/files`: announce a file and get a signed upload URL (§6.4).

    With `embed=True` the gateway starts embedding the file once the upload is ready.
    """

    file_name: str
    mime_type: str
    embed: bool | None = None
    metadata: dict[str, Any] | None = None
    """Key/value tags; `SearchRequest.filter` matches them by equality."""


class UploadFileParams(RequestModel):
    """The argument of `rag.upload_file`: the file's name, type and bytes (§2.11).

    Never sent as JSON: `rag.upload_file` sends an `InitUploadRequest` built from it, then
    PUTs `content` to the signed URL.
    """

    file_name: str
    mime_type: str
    content: bytes
    embed: bool | None = None
    metadata: dict[str, Any] | None = None


class BulkEmbedRequest(RequestModel):
    """The body of `POST /v1/files/embed`: embed 1 to 100 uploaded files (§6.4).

    With `wait=True` the call returns once embedding has finished.
    """

    file_ids: list[str] = Field(min_length=1, max_length=100)
    wait: bool | None = None
    metadata: dict[str, Any] | None = None


class SearchRequest(RequestModel):
    """The body of `POST /v1/files/search` (§2.11, §6.4).

    Returns the `top_k` nearest chunks of the caller's embedded files (only `file_ids` when
    given), with no score threshold. `filter` matches file metadata by key equality;
    `date_from` / `date_to` (epoch seconds) bound the file's `created_at`.
    """

    query: str = Field(min_length=1)
    # §2.11 gives the default 5. A non-None default is always sent (§1.5); that is the
    # gateway's own default, so sending it changes nothing. A count below 1 can only be a
    # mistake, hence the bound.
    top_k: int = Field(default=5, ge=1)
    file_ids: list[str] | None = None
    filter: dict[str, Any] | None = None
    date_from: int | None = None
    date_to: int | None = None


class InitUploadResponse(ResultModel):
    """Where to PUT the file's bytes: `signed_url` is absolute and is itself the credential."""

    file_id: str
    signed_url: str
    expires_at: str
    """ISO-8601."""


class RagFileStatus(ResultModel):
    """A RAG file and its upload and embedding state (§2.11, §6.4).

    `upload_status` goes `pending` → `ready` (or `failed`); `embedding_status` goes
    `not_started` → `pending` → `processing` → `ready` (or `failed`, with
    `last_error_code`). Timestamps are ISO-8601 strings.
    """

    file_id: str
    upload_status: str
    file_name: str
    file_type: str
    mime_type: str
    embedding_status: str
    created_at: str
    updated_at: str
    size_bytes: int | None = None
    asset_url: str | None = None
    signed_url: str | None = None
    signed_url_expires_at: str | None = None
    total_tokens: int | None = None
    total_cost_usd: float | None = None
    """A JSON number: the one money field that is not a decimal string (§1.5)."""
    last_error_code: str | None = None
    metadata: dict[str, Any] | None = None


class RagFileListResponse(ResultModel):
    """A page of files, newest first; you are done when `offset + len(files) >= total`."""

    files: list[RagFileStatus]
    total: int
    limit: int
    offset: int


class BulkEmbedResult(ResponseModel):
    """The outcome for one file id; a file that cannot be embedded is `failed` with `error`."""

    file_id: str
    embedding_status: str
    chunk_count: int | None = None
    error: str | None = None


class BulkEmbedResponse(ResultModel):
    """The result of `rag.embed`: one result per requested file id."""

    results: list[BulkEmbedResult]


class SearchResult(ResponseModel):
    """One matching chunk: its `text`, the enclosing `parent_text`, and its file's details."""

    score: float
    text: str
    parent_text: str
    file_id: str | None = None
    file_name: str | None = None
    file_type: str | None = None
    mime_type: str | None = None
    chunk_index: int | None = None
    created_at: int | None = None
    """Epoch seconds (unlike the ISO strings of `RagFileStatus`)."""
    metadata: Annotated[dict[str, Any], _null_as(dict)] = Field(default_factory=dict)


class SearchResponse(ResultModel):
    """The result of `rag.search`: chunks sorted by `score`, highest first."""

    results: list[SearchResult]
