"""RAG files (protocol.md §2.11, §6.4): signed-URL upload, embedding, search, listing.

The signed URL points back at this server (`/_storage/uploads/{file_id}`), carries an
expiry and an HMAC signature, and is served without `Authorization`. Upload and embedding
progress are functions of the gateway clock, computed when observed. Text is split into
passages (blank-line separated, the `parent_text`) and chunks of at most ~40 words (the
`text`); search ranks chunks by the cosine of their content-word bags with the query's.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from meshapi_core.types import (
    BulkEmbedRequest,
    BulkEmbedResponse,
    InitUploadRequest,
    InitUploadResponse,
    RagFileListResponse,
    RagFileStatus,
    SearchRequest,
    SearchResponse,
)

from ._clock import GatewayClock
from ._context import RequestContext
from ._errors import GatewayError
from ._ids import new_id
from ._responder import count_tokens
from ._templates import iso_timestamp
from ._validation import (
    check_params,
    detail,
    query_int,
    raise_validation,
    require_fields,
)
from ._vectors import bag, cosine
from ._wire import dump

if TYPE_CHECKING:
    from ._state import GatewayTimings

__all__ = [
    "FileStore",
    "RagFile",
    "embed_files",
    "get_file",
    "init_upload",
    "list_files",
    "search_files",
    "upload_content",
]

UPLOAD_PATH = "/_storage/uploads/{file_id}"
EMBEDDING_USD_PER_1M = 0.02
_CHUNK_WORDS = 40

_FILE_TYPES = {
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/csv": "csv",
    "text/html": "html",
    "application/json": "json",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


def file_type(file_name: str, mime_type: str) -> str:
    """A short type name: from the extension, else the MIME type."""
    if "." in file_name:
        return file_name.rsplit(".", 1)[1].lower()
    return _FILE_TYPES.get(mime_type.split(";")[0].strip().lower(), "bin")


@dataclass(frozen=True)
class Chunk:
    """One searchable piece of a file."""

    index: int
    text: str
    parent_text: str
    words: Counter[str]


def chunk_text(text: str) -> list[Chunk]:
    """Passages split on blank lines, each cut into sentence groups of <= ~40 words."""
    chunks: list[Chunk] = []
    for passage in re.split(r"\n\s*\n", text):
        passage = passage.strip()
        if not passage:
            continue
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", passage) if s.strip()]
        current: list[str] = []
        for sentence in sentences:
            if current and count_tokens(" ".join([*current, sentence])) > _CHUNK_WORDS:
                chunks.append(_chunk(len(chunks), " ".join(current), passage))
                current = []
            current.append(sentence.strip())
        if current:
            chunks.append(_chunk(len(chunks), " ".join(current), passage))
    return chunks


def _chunk(index: int, text: str, parent: str) -> Chunk:
    return Chunk(index=index, text=text, parent_text=parent, words=bag(text))


@dataclass
class RagFile:
    """A file record; statuses are computed from the clock."""

    file_id: str
    owner: str
    file_name: str
    mime_type: str
    metadata: dict[str, Any]
    embed_on_upload: bool
    created: float
    sequence: int
    url_expires: float
    content: bytes | None = None
    uploaded: float | None = None
    embedding_started: float | None = None
    chunks: list[Chunk] = field(default_factory=list)


class FileStore:
    """RAG files by id, per owner."""

    def __init__(self, clock: GatewayClock, timings: GatewayTimings) -> None:
        self._clock = clock
        self._timings = timings
        self._lock = threading.Lock()
        self._items: dict[str, RagFile] = {}
        self._sequence = itertools.count()

    # ------------------------------------------------------------------------- lifecycle

    def upload_ready_at(self, record: RagFile) -> float | None:
        """When the upload becomes ready (or failed)."""
        if record.uploaded is None:
            return None
        return record.uploaded + self._timings.rag_upload

    def upload_status(self, record: RagFile, now: float) -> str:
        """pending, ready or failed."""
        ready_at = self.upload_ready_at(record)
        if ready_at is None or now < ready_at:
            return "pending"
        return "ready" if record.content else "failed"

    def embedding_start(self, record: RagFile) -> float | None:
        """When embedding started: explicitly, or automatically once the upload is ready."""
        if record.embedding_started is not None:
            return record.embedding_started
        ready_at = self.upload_ready_at(record)
        if record.embed_on_upload and ready_at is not None and record.content:
            return ready_at
        return None

    def embedding_times(self, record: RagFile) -> tuple[float, float, float] | None:
        """(started, processing from, finished), or None if embedding never started."""
        start = self.embedding_start(record)
        if start is None:
            return None
        processing = start + self._timings.rag_embedding_pending
        return start, processing, processing + self._timings.rag_embedding_processing

    def embedding_status(self, record: RagFile, now: float) -> str:
        """not_started, pending, processing, ready or failed."""
        times = self.embedding_times(record)
        if times is None or now < times[0]:
            return "not_started"
        if now < times[1]:
            return "pending"
        if now < times[2]:
            return "processing"
        return "ready" if record.chunks else "failed"

    def finish_embedding_now(self, record: RagFile, now: float) -> None:
        """Make embedding complete at `now` (`wait: true`)."""
        timings = self._timings
        record.embedding_started = (
            now - timings.rag_embedding_pending - timings.rag_embedding_processing
        )

    # ---------------------------------------------------------------------------- access

    def create(
        self, owner: str, file_name: str, mime_type: str, metadata: dict[str, Any], embed: bool
    ) -> RagFile:
        """A new pending file record."""
        now = self._clock.now()
        record = RagFile(
            file_id=new_id("file_", 24),
            owner=owner,
            file_name=file_name,
            mime_type=mime_type,
            metadata=metadata,
            embed_on_upload=embed,
            created=now,
            sequence=next(self._sequence),
            url_expires=now + self._timings.upload_url_ttl,
        )
        with self._lock:
            self._items[record.file_id] = record
        return record

    def find(self, file_id: str) -> RagFile | None:
        """Any file by id (the upload route has no owner)."""
        with self._lock:
            return self._items.get(file_id)

    def get(self, owner: str, file_id: str) -> RagFile:
        """An owner's file (404 otherwise)."""
        record = self.find(file_id)
        if record is None or record.owner != owner:
            raise GatewayError(404, "not_found", f"File {file_id!r} not found.")
        return record

    def newest_first(self, owner: str) -> list[RagFile]:
        """The owner's files, newest first."""
        with self._lock:
            files = [f for f in self._items.values() if f.owner == owner]
        return sorted(files, key=lambda f: f.sequence, reverse=True)

    def status(self, record: RagFile, now: float) -> dict[str, Any]:
        """The `RagFileStatus` wire object as of `now`."""
        upload = self.upload_status(record, now)
        embedding = self.embedding_status(record, now)
        moments = [record.created]
        ready_at = self.upload_ready_at(record)
        if record.uploaded is not None:
            moments.append(record.uploaded)
        if ready_at is not None and ready_at <= now:
            moments.append(ready_at)
        times = self.embedding_times(record)
        if times is not None:
            moments += [t for t in times if t <= now]
        tokens = sum(count_tokens(c.text) for c in record.chunks) if embedding == "ready" else None
        last_error = None
        if upload == "failed":
            last_error = "empty_file"
        elif embedding == "failed":
            last_error = "no_extractable_text"
        body: dict[str, Any] = {
            "file_id": record.file_id,
            "upload_status": upload,
            "file_name": record.file_name,
            "file_type": file_type(record.file_name, record.mime_type),
            "mime_type": record.mime_type,
            "embedding_status": embedding,
            "created_at": iso_timestamp(record.created),
            "updated_at": iso_timestamp(max(moments)),
            "size_bytes": len(record.content) if record.content is not None else None,
            "asset_url": None,
            "signed_url_expires_at": iso_timestamp(record.url_expires),
            "total_tokens": tokens,
            "total_cost_usd": round(tokens * EMBEDDING_USD_PER_1M / 1e6, 10)
            if tokens is not None
            else None,
            "last_error_code": last_error,
            "metadata": record.metadata,
        }
        if embedding == "ready":
            body["chunk_count"] = len(record.chunks)
        return dump(RagFileStatus, body)


def signature(key: bytes, file_id: str, expires: int) -> str:
    """The HMAC-SHA256 that makes a signed URL a credential."""
    return hmac.new(key, f"{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------------- routes


async def init_upload(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/files: create the record and return a signed upload URL on this server."""
    body = ctx.json_body()
    problems = require_fields(
        body,
        {"file_name": str, "mime_type": str, "embed": bool, "metadata": dict},
        required=("file_name", "mime_type"),
    )
    for name in ("file_name", "mime_type"):
        if isinstance(body.get(name), str) and not body[name].strip():
            problems.append(
                detail("string_too_short", [name], "String should have at least 1 character")
            )
    if not problems:
        problems = check_params(InitUploadRequest, body)
    raise_validation(problems)
    record = ctx.state.files.create(
        ctx.owner,
        body["file_name"],
        body["mime_type"],
        dict(body.get("metadata") or {}),
        body.get("embed") is True,
    )
    expires = int(record.url_expires)
    path = UPLOAD_PATH.format(file_id=quote(record.file_id, safe=""))
    signed = (
        f"{ctx.request.url.origin()}{path}?expires={expires}"
        f"&signature={signature(ctx.state.signing_key, record.file_id, expires)}"
    )
    return ctx.json(
        dump(
            InitUploadResponse,
            {
                "file_id": record.file_id,
                "signed_url": signed,
                "expires_at": iso_timestamp(record.url_expires),
            },
        )
    )


async def upload_content(ctx: RequestContext) -> web.StreamResponse:
    """PUT /_storage/uploads/{file_id}?expires=&signature=: no Authorization, URL is the key."""
    file_id = ctx.request.match_info["file_id"]
    record = ctx.state.files.find(file_id)
    if record is None:
        raise GatewayError(404, "not_found", "Upload target not found.")
    try:
        expires = int(ctx.request.query.get("expires", ""))
    except ValueError:
        raise GatewayError(403, "forbidden", "Invalid upload signature.") from None
    given = ctx.request.query.get("signature", "")
    expected = signature(ctx.state.signing_key, file_id, expires)
    if not hmac.compare_digest(given, expected):
        raise GatewayError(403, "forbidden", "Invalid upload signature.")
    if ctx.state.clock.now() > expires:
        raise GatewayError(403, "forbidden", "The signed upload URL has expired.")
    content = ctx.record.body
    text = content.decode("utf-8", errors="ignore").replace("\x00", "")
    record.content = content
    record.chunks = chunk_text(text)
    record.uploaded = ctx.state.clock.now()
    return web.Response(status=200)


async def get_file(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/files/{id}."""
    files = ctx.state.files
    record = files.get(ctx.owner, ctx.request.match_info["file_id"])
    return ctx.json(files.status(record, ctx.state.clock.now()))


async def list_files(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/files?limit=&offset=: newest first, offset pagination."""
    limit = query_int(ctx.request, "limit", 20, 1, 100)
    offset = query_int(ctx.request, "offset", 0, 0, 1_000_000_000)
    files = ctx.state.files
    everything = files.newest_first(ctx.owner)
    now = ctx.state.clock.now()
    page = [files.status(f, now) for f in everything[offset : offset + limit]]
    return ctx.json(
        dump(
            RagFileListResponse,
            {"files": page, "total": len(everything), "limit": limit, "offset": offset},
        )
    )


async def embed_files(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/files/embed: one result per id; unusable files fail inside `results`."""
    body = ctx.json_body()
    problems = require_fields(
        body, {"file_ids": list, "wait": bool, "metadata": dict}, required=("file_ids",)
    )
    ids = body.get("file_ids")
    if isinstance(ids, list):
        if not 1 <= len(ids) <= 100:
            problems.append(
                detail(
                    "too_long" if ids else "too_short",
                    ["file_ids"],
                    "List should have between 1 and 100 items",
                )
            )
        for index, value in enumerate(ids):
            if not isinstance(value, str):
                problems.append(
                    detail("string_type", ["file_ids", index], "Input should be a valid string")
                )
    if not problems:
        problems = check_params(BulkEmbedRequest, body)
    raise_validation(problems)
    files = ctx.state.files
    now = ctx.state.clock.now()
    wait = body.get("wait") is True
    extra_metadata = body.get("metadata") or {}
    results = []
    for file_id in ids or []:
        record = files.find(file_id)
        if record is None or record.owner != ctx.owner:
            results.append(
                {"file_id": file_id, "embedding_status": "failed", "error": "File not found."}
            )
            continue
        upload = files.upload_status(record, now)
        if upload != "ready":
            results.append(
                {
                    "file_id": file_id,
                    "embedding_status": "failed",
                    "error": f"Upload is not ready (upload_status={upload}).",
                }
            )
            continue
        record.metadata.update(extra_metadata)
        status = files.embedding_status(record, now)
        if status == "not_started":
            record.embedding_started = now
            status = files.embedding_status(record, now)
        if wait and status in ("pending", "processing"):
            files.finish_embedding_now(record, now)
            status = files.embedding_status(record, now)
        result: dict[str, Any] = {"file_id": file_id, "embedding_status": status}
        if status == "ready":
            result["chunk_count"] = len(record.chunks)
        elif status == "failed":
            result["error"] = "No extractable text in the file."
        results.append(result)
    return ctx.json(dump(BulkEmbedResponse, {"results": results}))


async def search_files(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/files/search: the nearest `top_k` chunks in scope, no score threshold."""
    body = ctx.json_body()
    problems = require_fields(
        body,
        {
            "query": str,
            "top_k": int,
            "file_ids": list,
            "filter": dict,
            "date_from": int,
            "date_to": int,
        },
        required=("query",),
    )
    if isinstance(body.get("query"), str) and not body["query"].strip():
        problems.append(
            detail("string_too_short", ["query"], "String should have at least 1 character")
        )
    top_k = body.get("top_k", 5)
    if isinstance(top_k, int) and not 1 <= top_k <= 100:
        problems.append(detail("less_than_equal", ["top_k"], "Input should be between 1 and 100"))
    if not problems:
        problems = check_params(SearchRequest, body)
    raise_validation(problems)
    files = ctx.state.files
    now = ctx.state.clock.now()
    scope = body.get("file_ids")
    wanted = set(scope) if isinstance(scope, list) else None
    metadata_filter = body.get("filter") or {}
    date_from, date_to = body.get("date_from"), body.get("date_to")
    query = bag(body["query"])
    scored: list[tuple[float, int, int, RagFile, Chunk]] = []
    for record in files.newest_first(ctx.owner):
        if wanted is not None and record.file_id not in wanted:
            continue
        if files.embedding_status(record, now) != "ready":
            continue
        if any(record.metadata.get(k) != v for k, v in metadata_filter.items()):
            continue
        created = int(record.created)
        if (date_from is not None and created < date_from) or (
            date_to is not None and created > date_to
        ):
            continue
        for chunk in record.chunks:
            scored.append((cosine(query, chunk.words), record.sequence, chunk.index, record, chunk))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    results = [
        {
            "score": round(score, 6),
            "text": chunk.text,
            "parent_text": chunk.parent_text,
            "file_id": record.file_id,
            "file_name": record.file_name,
            "file_type": file_type(record.file_name, record.mime_type),
            "mime_type": record.mime_type,
            "chunk_index": chunk.index,
            "created_at": int(record.created),
            "metadata": record.metadata,
        }
        for score, _, _, record, chunk in scored[:top_k]
    ]
    return ctx.json(dump(SearchResponse, {"results": results}))
