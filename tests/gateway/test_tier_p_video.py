"""The gateway's video tasks (protocol.md §7.1): queued → running → succeeded on its clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import (
    CreateVideoGenerationResponse,
    VideoTaskListResponse,
    VideoTaskResponse,
)

MODEL = "bytedance/seedance-1-0-pro"


@pytest.fixture
def frozen() -> Iterator[tuple[MeshAPIGateway, httpx.Client]]:
    with (
        MeshAPIGateway(clock_speed=0) as gw,
        httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {gw.token}"}) as http,
    ):
        yield gw, http


def submit(client: httpx.Client, prompt: str = "a cat surfing", **body: Any) -> str:
    response = client.post(
        "/v1/video/generations",
        json={"model": MODEL, "content": [{"type": "text", "text": prompt}], **body},
    )
    assert response.status_code == 200, response.text
    return CreateVideoGenerationResponse.model_validate(response.json()).id


def task(client: httpx.Client, task_id: str) -> dict[str, Any]:
    body = client.get(f"/v1/video/generations/{task_id}").json()
    VideoTaskResponse.model_validate(body)
    return body  # type: ignore[no-any-return]


def test_a_task_moves_along_the_gateway_clock(frozen: tuple[MeshAPIGateway, httpx.Client]) -> None:
    gw, client = frozen
    task_id = submit(client, resolution="1080p", duration=4, return_last_frame=True)
    assert task_id.startswith("cgt-")
    queued = task(client, task_id)
    assert queued["status"] == "queued" and "content" not in queued
    assert queued["created_at"] == queued["updated_at"]
    gw.clock.advance(gw.timings.video_queued)
    assert task(client, task_id)["status"] == "running"
    gw.clock.advance(gw.timings.video_running)
    done = task(client, task_id)
    assert done["status"] == "succeeded" and done["error"] is None
    assert (done["resolution"], done["duration"], done["framespersecond"]) == ("1080p", 4, 24)
    assert done["usage"]["completion_tokens"] == 1920 * 1080 * 24 * 4 // 1024
    assert done["content"]["last_frame_url"].endswith("-last.png")
    video = httpx.get(done["content"]["video_url"])  # served by the gateway, no auth
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    assert VideoTaskResponse.model_validate(done).done


def test_a_model_fault_makes_the_task_fail_later(
    frozen: tuple[MeshAPIGateway, httpx.Client],
) -> None:
    gw, client = frozen
    gw.fail_model(MODEL, code="upstream_error", message="GPU fell over", times=1)
    task_id = submit(client)
    assert task(client, task_id)["status"] == "queued"
    gw.clock.advance(gw.timings.video_queued + gw.timings.video_running)
    failed = task(client, task_id)
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "upstream_error", "message": "GPU fell over"}
    assert "content" not in failed


def test_an_unknown_task_is_a_404_that_is_not_json(
    gw: MeshAPIGateway, client: httpx.Client
) -> None:
    missing = client.get("/v1/video/generations/cgt-nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/plain")
    assert "cgt-nope" in missing.text and missing.headers["x-request-id"].startswith("req_")
    mine = submit(client)
    other = httpx.get(
        f"{gw.url}/v1/video/generations/{mine}",
        headers={"Authorization": f"Bearer {gw.add_token()}"},
    )
    assert other.status_code == 404


def test_list_is_newest_first_with_filters_and_offset_pages(
    frozen: tuple[MeshAPIGateway, httpx.Client],
) -> None:
    gw, client = frozen
    first = submit(client, "one")
    gw.clock.advance(5)
    second = submit(client, "two", model="google/veo-3")
    third = submit(client, "three")
    body = client.get("/v1/video/generations").json()
    page = VideoTaskListResponse.model_validate(body)
    assert [t.id for t in page.data] == [third, second, first]
    assert (page.total, page.limit, page.offset, page.has_more, page.object) == (
        3,
        20,
        0,
        False,
        "list",
    )
    assert {t.status for t in page.data} == {"succeeded", "queued"}
    paged = client.get("/v1/video/generations", params={"limit": 2, "offset": 1}).json()
    assert [t["id"] for t in paged["data"]] == [second, first] and paged["has_more"] is False
    assert client.get("/v1/video/generations", params={"limit": 1}).json()["has_more"] is True
    done = client.get("/v1/video/generations", params={"status": "succeeded"}).json()
    assert [t["id"] for t in done["data"]] == [first]
    veo = client.get("/v1/video/generations", params={"model": "google/veo-3"}).json()
    assert [t["id"] for t in veo["data"]] == [second]
    created = task(client, second)["created_at"]
    recent = client.get("/v1/video/generations", params={"created_after": created}).json()
    assert {t["id"] for t in recent["data"]} == {second, third}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model": MODEL, "content": []}, 422, "validation_error"),
        ({"model": MODEL, "content": [{"type": "text", "text": " "}]}, 422, "validation_error"),
        ({"content": [{"type": "text", "text": "x"}]}, 422, "validation_error"),
        (
            {"model": MODEL, "content": [{"type": "text", "text": "x"}], "resolution": "8k"},
            422,
            "validation_error",
        ),
        (
            {"model": "openai/gpt-4o", "content": [{"type": "text", "text": "x"}]},
            400,
            "model_capability_not_supported",
        ),
    ],
)
def test_submission_errors(
    client: httpx.Client, body: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/v1/video/generations", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_an_image_reference_alone_is_enough(client: httpx.Client) -> None:
    response = client.post(
        "/v1/video/generations",
        json={
            "model": MODEL,
            "content": [
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AA=="},
                    "role": "first_frame",
                }
            ],
        },
    )
    assert response.status_code == 200
