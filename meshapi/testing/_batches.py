"""Batches with inline requests (protocol.md §2.8, §6.3), on the gateway clock.

Each item is run through the chat engine when the batch is created (the replies are
deterministic, so running early changes nothing observable); what the clock controls is
when the results are *revealed*. A batch is `validating` for `batch_validating` seconds,
then `in_progress` while its items finish one by one, evenly spread over
`batch_in_progress` seconds, then `completed` with `results` inline. State is computed
when observed, so `gw.clock.advance()` takes effect on the next GET.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from meshapi_core.types import BatchListResponse, BatchObject, CreateBatchParams

from ._chat import completion_body, prepare_chat, run_chat
from ._clock import GatewayClock
from ._context import RequestContext
from ._errors import GatewayError
from ._ids import new_id, new_request_id
from ._validation import (
    Detail,
    check_params,
    detail,
    query_int,
    raise_validation,
    require_fields,
)
from ._wire import dump

if TYPE_CHECKING:
    from ._state import GatewayTimings

__all__ = ["Batch", "BatchStore", "cancel_batch", "create_batch", "get_batch", "list_batches"]

ENDPOINT = "/v1/chat/completions"


@dataclass(frozen=True)
class ItemOutcome:
    """What one batch item produced."""

    custom_id: str
    body: dict[str, Any] | None
    request_id: str | None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the item succeeded."""
        return self.error_code is None

    def result(self) -> dict[str, Any]:
        """The `results` entry."""
        if self.ok:
            return {
                "custom_id": self.custom_id,
                "response": {"status_code": 200, "request_id": self.request_id, "body": self.body},
                "error": None,
            }
        return {
            "custom_id": self.custom_id,
            "response": None,
            "error": {"code": self.error_code, "message": self.error_message},
        }

    def error_detail(self) -> dict[str, Any]:
        """The `errors_detail` entry."""
        return {"custom_id": self.custom_id, "code": self.error_code, "message": self.error_message}


@dataclass
class Batch:
    """A stored batch; its status is a function of the clock."""

    id: str
    owner: str
    created: float
    sequence: int
    outcomes: list[ItemOutcome]
    completion_window: str | None
    metadata: dict[str, Any]
    model: str | None
    validating: float
    in_progress: float
    cancelled: float | None = None

    @property
    def started(self) -> float:
        """When it leaves `validating`."""
        return self.created + self.validating

    @property
    def finished(self) -> float:
        """When it becomes `completed` (unless cancelled first)."""
        return self.started + self.in_progress

    def item_done_at(self, index: int) -> float:
        """When item `index` finishes."""
        return self.started + self.in_progress * (index + 1) / len(self.outcomes)

    def status(self, now: float) -> str:
        """validating, in_progress, completed or cancelled."""
        if self.cancelled is not None:
            return "cancelled"
        if now < self.started:
            return "validating"
        if now < self.finished:
            return "in_progress"
        return "completed"

    def view(self, now: float) -> dict[str, Any]:
        """The `BatchObject` as of `now`."""
        status = self.status(now)
        horizon = self.cancelled if self.cancelled is not None else now
        done = [
            outcome
            for index, outcome in enumerate(self.outcomes)
            if status != "validating" and self.item_done_at(index) <= horizon
        ]
        if status == "completed":
            done = list(self.outcomes)
        body: dict[str, Any] = {
            "id": self.id,
            "object": "batch",
            "endpoint": ENDPOINT,
            "status": status,
            "created_at": int(self.created),
            "completion_window": self.completion_window,
            "metadata": self.metadata,
            "model": self.model,
            "request_counts": {
                "total": len(self.outcomes),
                "completed": sum(1 for o in done if o.ok),
                "failed": sum(1 for o in done if not o.ok),
            },
            "in_progress_at": int(self.started) if status != "validating" else None,
            "completed_at": int(self.finished) if status == "completed" else None,
            "cancelled_at": int(self.cancelled) if self.cancelled is not None else None,
            "results": [o.result() for o in done] if status in ("completed", "cancelled") else None,
            "errors_detail": [o.error_detail() for o in done if not o.ok]
            if status in ("completed", "cancelled")
            else None,
            "error_file_id": None,
            "input_file_id": None,
            "output_file_id": None,
        }
        return dump(BatchObject, body)


class BatchStore:
    """Batches by id, per owner."""

    def __init__(self, clock: GatewayClock, timings: GatewayTimings) -> None:
        self._clock = clock
        self._timings = timings
        self._lock = threading.Lock()
        self._items: dict[str, Batch] = {}
        self._sequence = itertools.count()

    def add(
        self,
        owner: str,
        outcomes: list[ItemOutcome],
        *,
        completion_window: str | None,
        metadata: dict[str, Any],
        model: str | None,
    ) -> Batch:
        """Store a new batch, starting its clock now."""
        batch = Batch(
            id=new_id("batch_", 24),
            owner=owner,
            created=self._clock.now(),
            sequence=next(self._sequence),
            outcomes=outcomes,
            completion_window=completion_window,
            metadata=metadata,
            model=model,
            validating=self._timings.batch_validating,
            in_progress=self._timings.batch_in_progress,
        )
        with self._lock:
            self._items[batch.id] = batch
        return batch

    def get(self, owner: str, batch_id: str) -> Batch:
        """A batch of the owner's (404 otherwise)."""
        with self._lock:
            batch = self._items.get(batch_id)
        if batch is None or batch.owner != owner:
            raise GatewayError(404, "not_found", f"Batch {batch_id!r} not found.")
        return batch

    def newest_first(self, owner: str) -> list[Batch]:
        """The owner's batches, newest first."""
        with self._lock:
            batches = [b for b in self._items.values() if b.owner == owner]
        return sorted(batches, key=lambda b: b.sequence, reverse=True)

    def cancel(self, owner: str, batch_id: str) -> Batch:
        """Cancel a running batch; a terminal one is returned unchanged."""
        batch = self.get(owner, batch_id)
        now = self._clock.now()
        with self._lock:
            if batch.status(now) in ("validating", "in_progress"):
                batch.cancelled = now
        return batch


def _validate_create(body: dict[str, Any]) -> list[Detail]:
    problems = require_fields(
        body,
        {"requests": list, "completion_window": str, "metadata": dict},
        required=("requests",),
    )
    requests = body.get("requests")
    if not isinstance(requests, list):
        return problems
    if not requests:
        problems.append(
            detail("too_short", ["requests"], "List should have at least 1 item after validation")
        )
    seen: set[str] = set()
    for index, item in enumerate(requests):
        where: list[str | int] = ["requests", index]
        if not isinstance(item, dict):
            problems.append(detail("dict_type", where, "Input should be a valid dictionary"))
            continue
        problems += require_fields(
            item,
            {"custom_id": str, "method": str, "url": str, "body": dict},
            required=("custom_id", "body"),
            prefix=where,
        )
        custom_id = item.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                problems.append(
                    detail(
                        "value_error",
                        [*where, "custom_id"],
                        f"Value error, duplicate custom_id {custom_id!r}",
                    )
                )
            seen.add(custom_id)
        if item.get("method", "POST") != "POST":
            problems.append(detail("literal_error", [*where, "method"], "Input should be 'POST'"))
        if item.get("url", ENDPOINT) != ENDPOINT:
            problems.append(
                detail("literal_error", [*where, "url"], f"Input should be '{ENDPOINT}'")
            )
    if not problems:
        problems = check_params(CreateBatchParams, body)
    return problems


def _run_item(ctx: RequestContext, custom_id: str, body: dict[str, Any]) -> ItemOutcome:
    try:
        job = prepare_chat(ctx, body)
        reply, served, _ = run_chat(ctx.state, job)
    except GatewayError as error:
        return ItemOutcome(custom_id, None, None, error.code, error.message)
    completion = completion_body(
        served, reply, completion_id=new_id("chatcmpl-", 24), created=int(ctx.state.clock.now())
    )
    return ItemOutcome(custom_id, completion, new_request_id())


async def create_batch(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/batches."""
    body = ctx.json_body()
    raise_validation(_validate_create(body))
    outcomes = [_run_item(ctx, item["custom_id"], item["body"]) for item in body["requests"]]
    first_model = body["requests"][0]["body"].get("model")
    batch = ctx.state.batches.add(
        ctx.owner,
        outcomes,
        completion_window=body.get("completion_window"),
        metadata=dict(body.get("metadata") or {}),
        model=first_model if isinstance(first_model, str) else None,
    )
    return ctx.json(batch.view(ctx.state.clock.now()))


async def get_batch(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/batches/{id}."""
    batch = ctx.state.batches.get(ctx.owner, ctx.request.match_info["batch_id"])
    return ctx.json(batch.view(ctx.state.clock.now()))


async def cancel_batch(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/batches/{id}/cancel (body `{}`)."""
    batch = ctx.state.batches.cancel(ctx.owner, ctx.request.match_info["batch_id"])
    return ctx.json(batch.view(ctx.state.clock.now()))


async def list_batches(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/batches?after=&limit=: newest first, cursor pagination."""
    limit = query_int(ctx.request, "limit", 20, 1, 100)
    after = ctx.request.query.get("after")
    batches = ctx.state.batches.newest_first(ctx.owner)
    if after:
        ids = [b.id for b in batches]
        batches = batches[ids.index(after) + 1 :] if after in ids else []
    page = batches[:limit]
    now = ctx.state.clock.now()
    data = [b.view(now) for b in page]
    return ctx.json(
        dump(
            BatchListResponse,
            {
                "object": "list",
                "data": data,
                "has_more": len(batches) > limit,
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
            },
        )
    )
