"""Auth and headers: keys, 401/403, x-request-id, x-mesh-version (§1.2-1.4, §5.8-5.9)."""

from __future__ import annotations

import httpx
import pytest

from meshapi.testing import MeshAPIGateway

from ._helpers import stream, user

ROUTES = [
    ("GET", "/v1/models", None),
    ("GET", "/v1/models/free", None),
    ("GET", "/v1/templates", None),
    ("GET", "/v1/batches", None),
    ("GET", "/v1/files", None),
    ("POST", "/v1/chat/completions", {"messages": user("hi")}),
    ("POST", "/v1/embeddings", {"input": "hi"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer rsk_not_a_known_key", "Basic abc", "Bearer"]
)
def test_every_route_needs_a_known_key(
    gw: MeshAPIGateway, method: str, path: str, body: object, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    r = httpx.request(method, gw.url + path, json=body, headers=headers)
    assert r.status_code == 401
    payload = r.json()
    assert payload["error"]["code"] == "unauthorized"
    assert payload["request_id"] == r.headers["x-request-id"]


def test_suspended_key_is_forbidden() -> None:
    with MeshAPIGateway(tokens=["rsk_ok"], suspended_tokens=["rsk_suspended"]) as gw:
        r = httpx.get(gw.url + "/v1/models", headers={"Authorization": "Bearer rsk_suspended"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        new = gw.add_token()
        assert httpx.get(
            gw.url + "/v1/models", headers={"Authorization": f"Bearer {new}"}
        ).is_success


def test_every_response_carries_request_id_and_version(client: httpx.Client) -> None:
    responses = [
        client.get("/v1/models"),
        client.get("/v1/nowhere"),  # 404 envelope
        client.delete("/v1/models"),  # 405 envelope
        client.post("/v1/chat/completions", json={}),  # 422 envelope
        httpx.get(str(client.base_url) + "/v1/models"),  # 401 envelope
    ]
    with client.stream(
        "POST", "/v1/chat/completions", json={"messages": user("x"), "stream": True}
    ) as s:
        s.read()
        responses.append(s)
    for r in responses:
        assert r.headers["x-request-id"].startswith("req_")
        assert len(r.headers["x-request-id"]) == 30  # req_ + 26-character ULID
        assert r.headers["x-mesh-version"] == "2026-08"
        if r.status_code >= 400:
            body = r.json()
            assert set(body) == {"error", "request_id"}
            assert body["request_id"] == r.headers["x-request-id"]
            assert body["error"]["code"] and body["error"]["message"]


@pytest.mark.parametrize("given", ["my-id", "a.b:c_d-9", "x" * 64])
def test_valid_caller_request_id_is_echoed(client: httpx.Client, given: str) -> None:
    assert (
        client.get("/v1/models", headers={"X-Request-Id": given}).headers["x-request-id"] == given
    )
    r = client.post("/v1/chat/completions", json={}, headers={"X-Request-Id": given})
    assert r.headers["x-request-id"] == given and r.json()["request_id"] == given
    _, _ = stream(client, "/v1/chat/completions", {"messages": user("a"), "stream": True})


@pytest.mark.parametrize("given", ["", "has space", "x" * 65, "bang!", "a/b"])
def test_invalid_caller_request_id_is_replaced(client: httpx.Client, given: str) -> None:
    rid = client.get("/v1/models", headers={"X-Request-Id": given}).headers["x-request-id"]
    assert rid != given and rid.startswith("req_")


@pytest.mark.parametrize("version", ["", "2025-01", "latest"])
def test_unknown_or_empty_api_version_is_rejected(client: httpx.Client, version: str) -> None:
    r = client.get("/v1/models", headers={"X-Mesh-Version": version})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_api_version"


def test_known_or_absent_api_version_is_served(client: httpx.Client) -> None:
    assert client.get("/v1/models", headers={"X-Mesh-Version": "2026-08"}).status_code == 200
    assert client.get("/v1/models").status_code == 200


def test_the_served_version_is_echoed() -> None:
    with MeshAPIGateway(api_versions=("2026-08", "2026-09")) as gw:
        headers = {"Authorization": f"Bearer {gw.token}"}
        newer = httpx.get(gw.url + "/v1/models", headers={**headers, "X-Mesh-Version": "2026-09"})
        assert newer.headers["x-mesh-version"] == "2026-09"
        baseline = httpx.get(gw.url + "/v1/models", headers=headers)
        assert baseline.headers["x-mesh-version"] == "2026-08"
