"""Batches: inline requests, the clock-driven lifecycle, cancel, pagination (§2.8, §6.3)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import BatchListResponse, BatchObject

from ._helpers import user


def item(custom_id: str, text: str = "hi", **body: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "body": {"messages": user(text), **body}}


@pytest.fixture
def frozen() -> Iterator[tuple[MeshAPIGateway, httpx.Client]]:
    with (
        MeshAPIGateway(clock_speed=0) as gw,
        httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {gw.token}"}) as http,
    ):
        yield gw, http


def get(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    body = client.get(f"/v1/batches/{batch_id}").json()
    BatchObject.model_validate(body)
    return body  # type: ignore[no-any-return]


def test_lifecycle_on_an_advanced_clock(frozen: tuple[MeshAPIGateway, httpx.Client]) -> None:
    gw, client = frozen
    created = client.post(
        "/v1/batches",
        json={
            "requests": [item("a", "one"), item("b", model="x/y"), item("c", "three")],
            "completion_window": "24h",
            "metadata": {"job": "nightly"},
        },
    ).json()
    assert created["id"].startswith("batch_") and created["status"] == "validating"
    assert created["request_counts"] == {"total": 3, "completed": 0, "failed": 0}
    assert created["endpoint"] == "/v1/chat/completions" and created["metadata"] == {
        "job": "nightly"
    }
    time.sleep(0.05)
    assert get(client, created["id"])["status"] == "validating"  # frozen: nothing moves
    gw.clock.advance(gw.timings.batch_validating + gw.timings.batch_in_progress / 2)
    running = get(client, created["id"])
    assert running["status"] == "in_progress" and running["results"] is None
    assert running["request_counts"]["completed"] + running["request_counts"]["failed"] == 1
    gw.clock.advance(gw.timings.batch_in_progress)
    done = get(client, created["id"])
    assert done["status"] == "completed" and done["completed_at"] >= done["created_at"]
    assert done["request_counts"] == {"total": 3, "completed": 2, "failed": 1}
    assert [r["custom_id"] for r in done["results"]] == ["a", "b", "c"]
    first = done["results"][0]["response"]
    assert (
        first["status_code"] == 200
        and first["body"]["choices"][0]["message"]["content"] == "You said: one"
    )
    assert done["results"][1]["response"] is None
    assert done["errors_detail"] == [
        {"custom_id": "b", "code": "model_not_found", "message": "Unknown model 'x/y'."}
    ]


def test_completes_in_real_time_for_a_polling_client(client: httpx.Client) -> None:
    batch_id = client.post("/v1/batches", json={"requests": [item("a"), item("b")]}).json()["id"]
    deadline = time.monotonic() + 3
    seen = []
    while time.monotonic() < deadline:
        status = get(client, batch_id)["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "completed":
            break
        time.sleep(0.1)
    assert seen[-1] == "completed" and seen[0] == "validating"


def test_cancel(frozen: tuple[MeshAPIGateway, httpx.Client]) -> None:
    gw, client = frozen
    batch_id = client.post(
        "/v1/batches", json={"requests": [item(str(i)) for i in range(4)]}
    ).json()["id"]
    gw.clock.advance(gw.timings.batch_validating + gw.timings.batch_in_progress * 0.6)
    r = client.post(f"/v1/batches/{batch_id}/cancel", json={})
    cancelled = r.json()
    assert r.status_code == 200 and cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert [x["custom_id"] for x in cancelled["results"]] == ["0", "1"]  # finished ones kept
    gw.clock.advance(60)
    assert get(client, batch_id) == cancelled  # stays cancelled
    again = client.post(f"/v1/batches/{batch_id}/cancel", json={})
    assert again.status_code == 200 and again.json() == cancelled  # terminal: unchanged
    assert client.post("/v1/batches/batch_nope/cancel", json={}).status_code == 404
    assert client.get("/v1/batches/batch_nope").json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("requests", "loc"),
    [
        ([], ["body", "requests"]),
        ([{"custom_id": "a", "method": "GET", "body": {}}], ["body", "requests", 0, "method"]),
        ([{"custom_id": "a", "url": "/v1/embeddings", "body": {}}], ["body", "requests", 0, "url"]),
        ([item("a"), item("a")], ["body", "requests", 1, "custom_id"]),
        ([{"body": {}}], ["body", "requests", 0, "custom_id"]),
        ([{"custom_id": "a"}], ["body", "requests", 0, "body"]),
    ],
)
def test_invalid_batches_are_422(client: httpx.Client, requests: list[Any], loc: list[Any]) -> None:
    r = client.post("/v1/batches", json={"requests": requests})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert r.json()["error"]["details"][0]["loc"] == loc


def test_list_newest_first_with_cursor(client: httpx.Client) -> None:
    ids = [
        client.post("/v1/batches", json={"requests": [item("a")]}).json()["id"] for _ in range(5)
    ]
    page = client.get("/v1/batches", params={"limit": 2}).json()
    BatchListResponse.model_validate(page)
    assert [b["id"] for b in page["data"]] == ids[::-1][:2] and page["has_more"] is True
    assert page["first_id"] == ids[-1] and page["last_id"] == ids[-2]
    seen = [b["id"] for b in page["data"]]
    while page["has_more"]:
        page = client.get("/v1/batches", params={"limit": 2, "after": page["last_id"]}).json()
        seen += [b["id"] for b in page["data"]]
    assert seen == ids[::-1]
    assert client.get("/v1/batches").json()["data"][0]["id"] == ids[-1]
    assert client.get("/v1/batches", params={"limit": 101}).status_code == 422
    assert client.get("/v1/batches", params={"limit": 0}).status_code == 422
