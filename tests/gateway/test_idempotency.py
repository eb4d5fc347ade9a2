"""Idempotency-Key: replay, conflicts, release on 429/5xx, execution counts (§5.4)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from meshapi.testing import GatewayTimings, MeshAPIGateway, ResetBeforeResponse

from ._helpers import stream, user

BODY = {"messages": user("pay once")}


def post(client: httpx.Client, key: str, body: object = BODY) -> httpx.Response:
    return client.post("/v1/chat/completions", json=body, headers={"Idempotency-Key": key})


def test_repeat_is_replayed_not_executed(gw: MeshAPIGateway, client: httpx.Client) -> None:
    first = post(client, "k-1")
    second = post(client, "k-1")
    assert second.status_code == 200 and second.content == first.content
    assert second.headers["x-request-id"] == first.headers["x-request-id"]
    assert (
        second.headers["idempotent-replayed"] == "true"
        and "idempotent-replayed" not in first.headers
    )
    assert gw.executions("k-1") == 1
    assert post(client, "k-2").headers["x-request-id"] != first.headers["x-request-id"]
    assert gw.execution_counts == {"k-1": 1, "k-2": 1}


def test_same_key_different_body_is_a_conflict(gw: MeshAPIGateway, client: httpx.Client) -> None:
    post(client, "k")
    r = post(client, "k", {"messages": user("something else")})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert post(client, "k").headers["idempotent-replayed"] == "true"  # the 409 was not stored
    assert gw.executions("k") == 1


def test_4xx_is_stored_but_5xx_and_429_release_the_key(
    gw: MeshAPIGateway, client: httpx.Client
) -> None:
    bad = {"model": "x/y", "messages": user("hi")}
    assert post(client, "bad", bad).status_code == 404
    assert post(client, "bad", bad).headers["idempotent-replayed"] == "true"
    assert gw.executions("bad") == 1
    for code in ("provider_not_available", "rate_limit_exceeded"):
        gw.fail_model("openai/gpt-4o-mini", code=code, times=1)
        key = f"transient-{code}"
        assert post(client, key).status_code in (429, 503)
        retried = post(client, key)
        assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
        assert gw.executions(key) == 2


def test_lost_response_is_replayed_on_retry(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(ResetBeforeResponse(run_handler=True), path="/v1/chat/completions")
    with pytest.raises(httpx.TransportError):
        post(client, "lost")
    retried = post(client, "lost")
    assert retried.status_code == 200 and retried.headers["idempotent-replayed"] == "true"
    assert gw.executions("lost") == 1


def test_streams_are_never_replayed(gw: MeshAPIGateway, client: httpx.Client) -> None:
    body = {**BODY, "stream": True}
    with client.stream(
        "POST", "/v1/chat/completions", json=body, headers={"Idempotency-Key": "s"}
    ) as r:
        r.read()
    again = client.post("/v1/chat/completions", json=body, headers={"Idempotency-Key": "s"})
    assert again.status_code == 409
    assert gw.executions("s") == 1
    _, _ = stream(client, "/v1/chat/completions", body)  # without a key: no deduplication


@pytest.mark.parametrize("key", [b"", b"has space", b"x" * 256, "emoji-\u2603".encode()])
def test_malformed_keys_are_400(client: httpx.Client, key: bytes) -> None:
    r = client.post("/v1/chat/completions", json=BODY, headers={"Idempotency-Key": key})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"


@pytest.fixture
def slow() -> Iterator[MeshAPIGateway]:
    with MeshAPIGateway(timings=GatewayTimings(upstream_latency=0.3)) as gw:
        yield gw


def test_concurrent_duplicate_waits_for_the_first(slow: MeshAPIGateway) -> None:
    results: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(
            base_url=slow.url, headers={"Authorization": f"Bearer {slow.token}"}
        ) as http:
            results.append(post(http, "concurrent"))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200, 200, 200]
    assert len({r.content for r in results}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 2
    assert slow.executions("concurrent") == 1


def test_keys_are_scoped_per_credential(gw: MeshAPIGateway, client: httpx.Client) -> None:
    post(client, "shared-key")
    other = gw.add_token()
    with httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {other}"}) as http:
        assert "idempotent-replayed" not in post(http, "shared-key").headers
    assert gw.executions("shared-key") == 2
