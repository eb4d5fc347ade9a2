"""Stored (background) responses: `responses.create(background=True)`, list and get (§7.1).

A background create answers at once with `status: "queued"`; the response is then
`in_progress` after `timings.response_background_queued` gateway seconds and `completed`
(output, usage, `completed_at`) after `timings.response_background_running` more. The
reply itself is computed at create time (it is deterministic), the clock only reveals it.
Synchronous creates are not stored, so `GET /v1/responses/{id}` of one is 404, as the
protocol allows ("synchronous creates may not be retrievable").

`GET /v1/responses` lists the caller's stored responses newest first, with the cursor
pagination of batches: `after` (an id) and `limit` (1–100, default 20).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from meshapi_core.types import ResponsesListResponse, ResponsesResponse

from ._clock import GatewayClock
from ._context import RequestContext
from ._errors import GatewayError
from ._validation import query_int
from ._wire import dump

if TYPE_CHECKING:
    from ._state import GatewayTimings

__all__ = ["ResponseStore", "StoredResponse", "get_response", "list_responses"]


@dataclass
class StoredResponse:
    """A background response; what it shows is a function of the clock."""

    id: str
    owner: str
    model: str
    provider: str
    created: float
    sequence: int
    queued: float
    running: float
    final: dict[str, Any]

    @property
    def completed_at(self) -> float:
        """When it becomes `completed`."""
        return self.created + self.queued + self.running

    def status(self, now: float) -> str:
        """queued, in_progress, then the final status (completed or incomplete)."""
        if now < self.created + self.queued:
            return "queued"
        if now < self.completed_at:
            return "in_progress"
        return str(self.final.get("status") or "completed")

    def view(self, now: float) -> dict[str, Any]:
        """The `ResponsesResponse` as of `now`."""
        status = self.status(now)
        body = {**self.final, "status": status, "background": True}
        if status in ("queued", "in_progress"):
            body["output"] = []
            body.pop("usage", None)
            body["completed_at"] = None
        else:
            body["completed_at"] = int(self.completed_at)
        return body

    def item(self, now: float) -> dict[str, Any]:
        """The `ResponsesListItem` as of `now`."""
        status = self.status(now)
        done = status not in ("queued", "in_progress")
        return {
            "id": self.id,
            "object": "response",
            "model": self.model,
            "provider": self.provider,
            "status": status,
            "created_at": int(self.created),
            "completed_at": int(self.completed_at) if done else None,
            "usage_synced": done,
        }


class ResponseStore:
    """Background responses per owner, newest first."""

    def __init__(self, clock: GatewayClock, timings: GatewayTimings) -> None:
        self._clock = clock
        self._timings = timings
        self._lock = threading.Lock()
        self._items: dict[str, StoredResponse] = {}
        self._sequence = itertools.count()

    def create(
        self, owner: str, model: str, provider: str, final: dict[str, Any]
    ) -> StoredResponse:
        """Store the final form of a background response, queued from now."""
        record = StoredResponse(
            id=str(final["id"]),
            owner=owner,
            model=model,
            provider=provider,
            created=self._clock.now(),
            sequence=next(self._sequence),
            queued=self._timings.response_background_queued,
            running=self._timings.response_background_running,
            final=final,
        )
        with self._lock:
            self._items[record.id] = record
        return record

    def get(self, owner: str, response_id: str) -> StoredResponse | None:
        """The owner's stored response, or None."""
        with self._lock:
            record = self._items.get(response_id)
        return record if record is not None and record.owner == owner else None

    def for_owner(self, owner: str) -> list[StoredResponse]:
        """The owner's stored responses, newest first."""
        with self._lock:
            records = [r for r in self._items.values() if r.owner == owner]
        return sorted(records, key=lambda r: r.sequence, reverse=True)


def background_view(ctx: RequestContext, record: StoredResponse) -> dict[str, Any]:
    """A stored response as the `ResponsesResponse` the SDK parses."""
    return dump(ResponsesResponse, record.view(ctx.state.clock.now()))


async def get_response(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/responses/{response_id}."""
    response_id = ctx.request.match_info["response_id"]
    record = ctx.state.stored_responses.get(ctx.owner, response_id)
    if record is None:
        raise GatewayError(
            404,
            "not_found",
            f"Response '{response_id}' not found (only background responses are stored).",
        )
    return ctx.json(background_view(ctx, record))


async def list_responses(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/responses?after=&limit=: newest first, cursor pagination."""
    limit = query_int(ctx.request, "limit", 20, 1, 100)
    after = ctx.request.query.get("after")
    records = ctx.state.stored_responses.for_owner(ctx.owner)
    if after is not None:
        ids = [r.id for r in records]
        if after not in ids:
            raise GatewayError(
                400, "invalid_request", f"Unknown cursor 'after={after}'.", param="after"
            )
        records = records[ids.index(after) + 1 :]
    page = records[:limit]
    now = ctx.state.clock.now()
    return ctx.json(
        dump(
            ResponsesListResponse,
            {
                "object": "list",
                "data": [r.item(now) for r in page],
                "has_more": len(records) > len(page),
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
            },
        )
    )
