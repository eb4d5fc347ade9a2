"""`client.videos` on every driver (protocol.md §7.1): submit, poll, wait, list."""

from __future__ import annotations

from typing import Any

import pytest

from meshapi import (
    APITimeoutError,
    CreateVideoGenerationResponse,
    ListVideoGenerationsParams,
    NotFoundError,
    VideoContentItem,
    VideoGenerationParams,
    VideoTaskListResponse,
    VideoTaskResponse,
)
from meshapi.testing import MeshAPIGateway

pytestmark = pytest.mark.anyio

MODEL = "bytedance/seedance-1-0-pro"


def prompt(text: str = "a cat surfing at sunset") -> VideoGenerationParams:
    return VideoGenerationParams(
        model=MODEL, content=[VideoContentItem(type="text", text=text)], duration=3
    )


async def test_generate_then_wait_until_it_succeeds(client: Any, gw: MeshAPIGateway) -> None:
    created = await client.videos.generate(prompt())
    assert isinstance(created, CreateVideoGenerationResponse) and created._request_id
    assert gw.last_request(path="/v1/video/generations").idempotency_key
    first = await client.videos.retrieve(created.id)
    assert isinstance(first, VideoTaskResponse) and not first.done
    seen: list[str] = []
    done = await client.videos.wait(
        created.id, poll_interval=0.05, on_progress=lambda task: seen.append(task.status)
    )
    assert done.status == "succeeded" and done.done
    assert done.content is not None and done.content.video_url
    assert done.usage is not None and done.usage.total_tokens == 1280 * 720 * 24 * 3 // 1024
    assert seen[-1] == "succeeded" and set(seen) <= {"queued", "running", "succeeded"}


async def test_a_failed_task_is_returned_by_wait(client: Any, gw: MeshAPIGateway) -> None:
    gw.fail_model(MODEL, code="upstream_error", message="render farm offline", times=1)
    created = await client.videos.generate(model=MODEL, content=[{"type": "text", "text": "x"}])
    failed = await client.videos.wait(created.id, poll_interval=0.05)
    assert failed.status == "failed" and failed.done
    assert failed.error is not None and failed.error.message == "render farm offline"


async def test_wait_gives_up_after_its_timeout(client: Any) -> None:
    created = await client.videos.generate(prompt())
    with pytest.raises(APITimeoutError) as caught:
        await client.videos.wait(created.id, poll_interval=0.02, timeout=0.05)
    assert caught.value.error_code == "timeout" and caught.value.status == 0
    assert created.id in str(caught.value)


@pytest.mark.parametrize(
    "kwargs", [{"poll_interval": 0}, {"poll_interval": True}, {"timeout": -1}, {"timeout": "5"}]
)
async def test_wait_checks_its_arguments(client: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"poll_interval|timeout"):
        await client.videos.wait("cgt-x", **kwargs)


async def test_an_unknown_task_is_not_found_from_a_non_json_404(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.videos.retrieve("cgt-does-not-exist")
    assert caught.value.error_code == "not_found" and caught.value.status == 404
    assert "cgt-does-not-exist" in str(caught.value)
    assert caught.value.request_id.startswith("req_")


async def test_list_and_list_all(client: Any, gw: MeshAPIGateway) -> None:
    ids = [(await client.videos.generate(prompt(f"clip {n}"))).id for n in range(3)]
    page = await client.videos.list(limit=2)
    assert isinstance(page, VideoTaskListResponse)
    assert [t.id for t in page.data] == ids[::-1][:2]
    assert (page.total, page.limit, page.offset, page.has_more) == (3, 2, 0, True)
    assert gw.last_request(path="/v1/video/generations").query == {"limit": ["2"]}
    filtered = await client.videos.list(ListVideoGenerationsParams(model=MODEL, offset=1))
    assert [t.id for t in filtered.data] == ids[::-1][1:]
    everything = [task.id async for task in client.videos.list_all(limit=1)]
    assert everything == ids[::-1]
