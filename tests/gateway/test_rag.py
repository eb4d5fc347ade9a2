"""RAG: signed-URL upload on the same server, embedding, search, listing (§2.11, §6.4)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import (
    BulkEmbedResponse,
    InitUploadResponse,
    RagFileListResponse,
    RagFileStatus,
    SearchResponse,
)

HANDBOOK = (
    b"Section 1. Welcome to the company.\n\n"
    b"Section 2. Onboarding. New hires complete onboarding in week one.\n\n"
    b"Section 3. Holidays. Staff get twenty five days of leave."
)
RECIPES = b"Bread needs flour, water and salt.\n\nSoup needs stock and vegetables."


@pytest.fixture
def frozen() -> Iterator[tuple[MeshAPIGateway, httpx.Client]]:
    with (
        MeshAPIGateway(clock_speed=0) as gw,
        httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {gw.token}"}) as http,
    ):
        yield gw, http


def upload(client: httpx.Client, name: str, content: bytes, **fields: Any) -> str:
    init = client.post("/v1/files", json={"file_name": name, "mime_type": "text/plain", **fields})
    assert init.status_code == 200, init.text
    InitUploadResponse.model_validate(init.json())
    put = httpx.put(
        init.json()["signed_url"], content=content, headers={"Content-Type": "text/plain"}
    )
    assert put.is_success
    return init.json()["file_id"]  # type: ignore[no-any-return]


def status(client: httpx.Client, file_id: str) -> dict[str, Any]:
    body = client.get(f"/v1/files/{file_id}").json()
    RagFileStatus.model_validate(body)
    return body  # type: ignore[no-any-return]


def test_signed_url_upload_needs_no_authorization(gw: MeshAPIGateway, client: httpx.Client) -> None:
    init = client.post("/v1/files", json={"file_name": "h.txt", "mime_type": "text/plain"}).json()
    url = urlsplit(init["signed_url"])
    assert url.scheme == "http" and f"{url.hostname}:{url.port}" == gw.url.split("//")[1]
    assert isinstance(init["expires_at"], str)
    pending = status(client, init["file_id"])
    assert (pending["upload_status"], pending["embedding_status"]) == ("pending", "not_started")
    r = httpx.put(init["signed_url"], content=HANDBOOK)
    assert r.status_code == 200
    put = gw.last_request(method="PUT")
    assert not put.has_header("authorization") and put.body == HANDBOOK


def test_bad_signature_and_expiry(frozen: tuple[MeshAPIGateway, httpx.Client]) -> None:
    gw, client = frozen
    init = client.post("/v1/files", json={"file_name": "h.txt", "mime_type": "text/plain"}).json()
    tampered = init["signed_url"].replace("signature=", "signature=00")
    r = httpx.put(tampered, content=b"x")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    gw.clock.advance(gw.timings.upload_url_ttl + 1)
    r = httpx.put(init["signed_url"], content=b"x")
    assert r.status_code == 403 and "expired" in r.json()["error"]["message"]


def test_upload_then_embed_then_ready(frozen: tuple[MeshAPIGateway, httpx.Client]) -> None:
    gw, client = frozen
    file_id = upload(client, "handbook.txt", HANDBOOK, metadata={"team": "hr"})
    assert status(client, file_id)["upload_status"] == "pending"
    early = client.post("/v1/files/embed", json={"file_ids": [file_id]}).json()
    assert early["results"][0]["embedding_status"] == "failed" and early["results"][0]["error"]
    assert status(client, file_id)["embedding_status"] == "not_started"  # unchanged
    gw.clock.advance(gw.timings.rag_upload)
    ready = status(client, file_id)
    assert ready["upload_status"] == "ready" and ready["size_bytes"] == len(HANDBOOK)
    started = client.post("/v1/files/embed", json={"file_ids": [file_id, "file_unknown"]}).json()
    BulkEmbedResponse.model_validate(started)
    assert [r["embedding_status"] for r in started["results"]] == ["pending", "failed"]
    assert started["results"][1]["error"]
    gw.clock.advance(gw.timings.rag_embedding_pending)
    assert status(client, file_id)["embedding_status"] == "processing"
    gw.clock.advance(gw.timings.rag_embedding_processing)
    final = status(client, file_id)
    assert final["embedding_status"] == "ready" and final["total_tokens"] > 0
    assert isinstance(final["total_cost_usd"], float) and final["metadata"] == {"team": "hr"}


def test_embed_wait_and_auto_embed(client: httpx.Client) -> None:
    file_id = upload(client, "handbook.txt", HANDBOOK)
    time.sleep(0.15)  # the upload becomes ready within a fraction of a second in real time
    waited = client.post("/v1/files/embed", json={"file_ids": [file_id], "wait": True}).json()
    assert (
        waited["results"][0]["embedding_status"] == "ready"
        and waited["results"][0]["chunk_count"] == 3
    )
    auto = upload(client, "auto.txt", RECIPES, embed=True)
    deadline = time.monotonic() + 3
    while status(client, auto)["embedding_status"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status(client, auto)["embedding_status"] == "ready"


def test_empty_upload_fails(client: httpx.Client) -> None:
    file_id = upload(client, "empty.txt", b"")
    time.sleep(0.15)
    assert status(client, file_id)["upload_status"] == "failed"


def embed_now(client: httpx.Client, *file_ids: str) -> None:
    time.sleep(0.15)
    r = client.post("/v1/files/embed", json={"file_ids": list(file_ids), "wait": True}).json()
    assert all(x["embedding_status"] == "ready" for x in r["results"]), r


def test_search_ranks_shared_words_first_and_scopes(client: httpx.Client) -> None:
    handbook = upload(client, "handbook.txt", HANDBOOK, metadata={"team": "hr"})
    recipes = upload(client, "recipes.txt", RECIPES, metadata={"team": "kitchen"})
    embed_now(client, handbook, recipes)
    found = client.post(
        "/v1/files/search", json={"query": "when is onboarding?", "top_k": 3}
    ).json()
    SearchResponse.model_validate(found)
    top = found["results"][0]
    assert (
        "onboarding" in top["text"]
        and top["file_id"] == handbook
        and top["metadata"] == {"team": "hr"}
    )
    assert top["parent_text"].startswith("Section 2.")
    scores = [r["score"] for r in found["results"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    # Scoped to a file sharing no words: its best chunks still come back (no threshold).
    scoped = client.post(
        "/v1/files/search", json={"query": "onboarding", "file_ids": [recipes], "top_k": 5}
    ).json()
    assert {r["file_id"] for r in scoped["results"]} == {recipes} and len(scoped["results"]) == 2
    filtered = client.post(
        "/v1/files/search", json={"query": "bread", "filter": {"team": "hr"}}
    ).json()
    assert {r["file_id"] for r in filtered["results"]} == {handbook}
    future = client.post(
        "/v1/files/search", json={"query": "bread", "date_from": 4_000_000_000}
    ).json()
    assert future["results"] == []
    assert client.post("/v1/files/search", json={"query": ""}).status_code == 422


def test_list_pagination_newest_first(client: httpx.Client) -> None:
    ids = [upload(client, f"f{i}.txt", b"text") for i in range(5)]
    page = client.get("/v1/files", params={"limit": 2, "offset": 0}).json()
    RagFileListResponse.model_validate(page)
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 0
    seen: list[str] = []
    offset = 0
    while True:
        page = client.get("/v1/files", params={"limit": 2, "offset": offset}).json()
        seen += [f["file_id"] for f in page["files"]]
        offset += len(page["files"])
        if offset >= page["total"]:
            break
    assert seen == ids[::-1]
    assert client.get("/v1/files", params={"limit": 500}).status_code == 422


def test_validation(client: httpx.Client) -> None:
    r = client.post("/v1/files", json={"file_name": "x"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "mime_type"]
    assert client.post("/v1/files/embed", json={"file_ids": []}).status_code == 422
    assert client.get("/v1/files/file_nope").status_code == 404
