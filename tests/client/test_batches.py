"""Batches: create, get, list, list_all pagination, cancel and wait with progress."""

from __future__ import annotations

from typing import Any

import pytest

from meshapi import (
    APITimeoutError,
    BatchListResponse,
    BatchObject,
    BatchRequestItem,
    CreateBatchParams,
    NotFoundError,
    UnprocessableEntityError,
)
from meshapi.testing import MeshAPIGateway

from ._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"


def batch_params(*prompts: str) -> CreateBatchParams:
    return CreateBatchParams(
        requests=[
            BatchRequestItem(custom_id=f"req-{n}", body={"model": MODEL, "messages": user(p)})
            for n, p in enumerate(prompts, 1)
        ],
        completion_window="24h",
        metadata={"job": "nightly"},
    )


async def test_create_returns_a_validating_batch_that_get_finds(client: Any) -> None:
    created = await client.batches.create(batch_params("one", "two"))

    assert isinstance(created, BatchObject)
    assert created.id.startswith("batch_")
    assert created.status == "validating"
    assert created.request_counts is not None and created.request_counts.total == 2
    fetched = await client.batches.get(created.id)
    assert fetched.id == created.id
    assert fetched.metadata == {"job": "nightly"}
    assert fetched._request_id is not None


async def test_wait_polls_to_completion_reporting_progress(client: Any) -> None:
    created = await client.batches.create(batch_params("one", "two"))
    seen: list[str] = []

    done = await client.batches.wait(
        created.id, poll_interval=0.02, on_progress=lambda batch: seen.append(batch.status)
    )

    assert done.status == "completed"
    assert seen[-1] == "completed"
    order = ["validating", "in_progress", "completed"]
    assert [order.index(status) for status in seen] == sorted(order.index(s) for s in seen)
    assert len(seen) >= 2
    assert [r["custom_id"] for r in done.results] == ["req-1", "req-2"]
    body = done.results[0]["response"]["body"]
    assert body["choices"][0]["message"]["content"] == "You said: one"
    assert done.completed_at is not None


async def test_wait_gives_up_after_its_timeout_with_a_timeout_error(client: Any) -> None:
    created = await client.batches.create(batch_params("one"))

    with pytest.raises(APITimeoutError) as caught:
        await client.batches.wait(created.id, poll_interval=0.5, timeout=0.01)

    assert caught.value.error_code == "timeout"
    assert created.id in str(caught.value)


async def test_cancel_stops_a_running_batch_and_is_harmless_once_terminal(
    client: Any, gw: MeshAPIGateway
) -> None:
    created = await client.batches.create(batch_params("one"))

    cancelled = await client.batches.cancel(created.id)
    again = await client.batches.cancel(created.id)

    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert again.status == "cancelled" and again.cancelled_at == cancelled.cancelled_at
    sent = gw.last_request(path=f"/v1/batches/{created.id}/cancel")
    assert sent.body == b"{}"
    assert sent.header("content-type") == "application/json"


async def test_list_is_newest_first_with_a_cursor(client: Any, gw: MeshAPIGateway) -> None:
    first = await client.batches.create(batch_params("a"))
    second = await client.batches.create(batch_params("b"))

    page = await client.batches.list(limit=1)
    rest = await client.batches.list(after=page.data[-1].id, limit=1)

    assert isinstance(page, BatchListResponse)
    assert [b.id for b in page.data] == [second.id]
    assert page.has_more is True
    assert [b.id for b in rest.data] == [first.id]
    assert rest.has_more is False
    sent = gw.last_request(path="/v1/batches", method="GET")
    assert sent.query == {"after": [second.id], "limit": ["1"]}


async def test_list_all_walks_every_page(client: Any, gw: MeshAPIGateway) -> None:
    created = [await client.batches.create(batch_params(str(n))) for n in range(5)]
    gw.clear_requests()

    listed = [batch.id async for batch in client.batches.list_all(limit=2)]

    assert listed == [b.id for b in reversed(created)]
    pages = gw.find_requests(method="GET", path="/v1/batches")
    assert len(pages) == 3
    assert "after" not in pages[0].query


async def test_get_of_an_unknown_batch_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.batches.get("batch_missing")

    assert caught.value.error_code == "not_found"


async def test_duplicate_custom_ids_are_a_gateway_validation_error(client: Any) -> None:
    item = BatchRequestItem(custom_id="same", body={"model": MODEL, "messages": user("x")})

    with pytest.raises(UnprocessableEntityError) as caught:
        await client.batches.create(requests=[item, item])

    assert caught.value.error_code == "validation_error"
    assert caught.value.details[0]["loc"][-1] == "custom_id"
