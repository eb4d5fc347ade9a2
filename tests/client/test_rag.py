"""RAG: init_upload, upload_file (the signed-URL PUT), get, list, list_all, embed, search."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from meshapi import (
    BulkEmbedRequest,
    InitUploadRequest,
    InitUploadResponse,
    MeshAPIError,
    PermissionDeniedError,
    RagFileListResponse,
    RagFileStatus,
    SearchRequest,
    UploadFileParams,
)
from meshapi.testing import Fail, MeshAPIGateway

pytestmark = pytest.mark.anyio

HANDBOOK = (
    b"New hires complete onboarding in week one.\n\n"
    b"The cafeteria opens at nine and closes at three."
)


async def wait_for(client: Any, file_id: str, field: str, value: str) -> RagFileStatus:
    with anyio.fail_after(3):
        while True:
            status = await client.rag.get(file_id)
            if getattr(status, field) == value:
                return status
            await anyio.sleep(0.02)


async def test_upload_file_puts_the_bytes_to_the_signed_url_without_authorization(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    init = await client.rag.upload_file(
        file_name="handbook.txt",
        mime_type="text/plain",
        content=HANDBOOK,
        metadata={"team": "hr"},
    )

    assert isinstance(init, InitUploadResponse)
    assert init.file_id.startswith("file_")
    post = gw.last_request(method="POST", path="/v1/files")
    assert post.header("authorization") == f"Bearer {token}"
    assert post.json() == {
        "file_name": "handbook.txt",
        "mime_type": "text/plain",
        "metadata": {"team": "hr"},
    }
    put = gw.last_request(method="PUT")
    assert init.signed_url.endswith(put.path + "?" + put.query_string)
    assert put.body == HANDBOOK
    assert put.header("content-type") == "text/plain"
    assert not put.has_header("authorization")
    assert not [name for name, _ in put.headers if name.lower().startswith("x-")]
    assert not put.has_header("idempotency-key")
    status = await wait_for(client, init.file_id, "upload_status", "ready")
    assert status.size_bytes == len(HANDBOOK)
    assert status.metadata == {"team": "hr"}


async def test_upload_file_accepts_an_upload_file_params_object(client: Any) -> None:
    init = await client.rag.upload_file(
        UploadFileParams(file_name="notes.md", mime_type="text/markdown", content=b"# Notes")
    )

    status = await wait_for(client, init.file_id, "upload_status", "ready")
    assert status.file_type == "md"


async def test_init_upload_creates_a_pending_record(client: Any) -> None:
    init = await client.rag.init_upload(
        InitUploadRequest(file_name="later.txt", mime_type="text/plain")
    )

    status = await client.rag.get(init.file_id)
    assert status.upload_status == "pending"
    assert status.embedding_status == "not_started"
    assert status._request_id is not None


async def test_a_failed_put_is_a_mapped_error(client: Any, gw: MeshAPIGateway) -> None:
    gw.add_fault(Fail(403, message="The signed upload URL has expired."), method="PUT")

    with pytest.raises(PermissionDeniedError) as caught:
        await client.rag.upload_file(file_name="x.txt", mime_type="text/plain", content=b"x")

    assert caught.value.status == 403 and caught.value.error_code == "forbidden"


async def test_a_put_answered_503_is_retried_as_an_idempotent_request(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(Fail(503), method="PUT")

    init = await client.rag.upload_file(file_name="x.txt", mime_type="text/plain", content=b"x")

    puts = gw.find_requests(method="PUT")
    assert len(puts) == 2 and puts[0].body == puts[1].body == b"x"
    assert (await wait_for(client, init.file_id, "upload_status", "ready")).size_bytes == 1


async def test_embed_with_wait_reports_each_file_inside_results(client: Any) -> None:
    init = await client.rag.upload_file(
        file_name="handbook.txt", mime_type="text/plain", content=HANDBOOK
    )
    await wait_for(client, init.file_id, "upload_status", "ready")

    result = await client.rag.embed(
        BulkEmbedRequest(file_ids=[init.file_id, "file_nope"], wait=True)
    )

    ready, missing = result.results
    assert (ready.file_id, ready.embedding_status) == (init.file_id, "ready")
    assert ready.chunk_count == 2
    assert (missing.embedding_status, bool(missing.error)) == ("failed", True)


async def test_search_finds_the_nearest_chunks_best_first(client: Any) -> None:
    init = await client.rag.upload_file(
        file_name="handbook.txt",
        mime_type="text/plain",
        content=HANDBOOK,
        metadata={"team": "hr"},
    )
    await wait_for(client, init.file_id, "upload_status", "ready")
    await client.rag.embed(file_ids=[init.file_id], wait=True)

    found = await client.rag.search(SearchRequest(query="onboarding for new hires", top_k=2))

    assert found.results[0].text == "New hires complete onboarding in week one."
    scores = [r.score for r in found.results]
    assert scores == sorted(scores, reverse=True)
    assert found.results[0].file_id == init.file_id
    assert found.results[0].metadata == {"team": "hr"}


async def test_list_pages_by_offset_newest_first(client: Any, gw: MeshAPIGateway) -> None:
    ids = [
        (await client.rag.init_upload(file_name=f"f{n}.txt", mime_type="text/plain")).file_id
        for n in range(3)
    ]

    page = await client.rag.list(limit=2)
    rest = await client.rag.list(limit=2, offset=2)

    assert isinstance(page, RagFileListResponse)
    assert [f.file_id for f in page.files] == ids[::-1][:2]
    assert page.total == 3 and (page.limit, page.offset) == (2, 0)
    assert [f.file_id for f in rest.files] == [ids[0]]
    assert gw.last_request(method="GET", path="/v1/files").query == {
        "limit": ["2"],
        "offset": ["2"],
    }


async def test_list_all_walks_every_page(client: Any, gw: MeshAPIGateway) -> None:
    ids = [
        (await client.rag.init_upload(file_name=f"f{n}.txt", mime_type="text/plain")).file_id
        for n in range(5)
    ]
    gw.clear_requests()

    listed = [f.file_id async for f in client.rag.list_all(limit=2)]

    assert listed == ids[::-1]
    assert len(gw.find_requests(method="GET", path="/v1/files")) == 3


async def test_get_of_an_unknown_file_is_an_error(client: Any) -> None:
    with pytest.raises(MeshAPIError) as caught:
        await client.rag.get("file_missing")

    assert caught.value.status == 404
