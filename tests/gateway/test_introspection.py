"""Introspection: recorded requests and TCP connection counts."""

from __future__ import annotations

import time

import httpx

from meshapi.testing import MeshAPIGateway, StallBetweenChunks

from ._helpers import stream, user


def test_every_request_is_recorded_as_sent(gw: MeshAPIGateway, client: httpx.Client) -> None:
    before = time.time()
    r = client.post(
        "/v1/chat/completions?trace=1&trace=2",
        json={"messages": user("hi")},
        headers={"X-Custom": "Yes"},
    )
    httpx.get(gw.url + "/v1/models")  # rejected (401) requests are recorded too
    first, second = gw.requests
    assert (first.method, first.path, first.query) == (
        "POST",
        "/v1/chat/completions",
        {"trace": ["1", "2"]},
    )
    assert (
        first.header("x-custom") == "Yes" and first.header("AUTHORIZATION") == f"Bearer {gw.token}"
    )
    assert first.json() == {"messages": user("hi")} and first.body == r.request.content
    assert first.request_id == r.headers["x-request-id"]
    assert before <= first.time <= time.time()
    assert (second.method, second.has_header("authorization")) == ("GET", False)
    assert gw.find_requests(method="GET") == [second]
    assert gw.find_requests(path="/v1/chat/*") == [first]
    assert gw.last_request(path="/v1/models") == second
    gw.clear_requests()
    assert gw.requests == []


def test_connection_numbers_show_reuse(gw: MeshAPIGateway, client: httpx.Client) -> None:
    client.get("/v1/models")
    client.get("/v1/models")
    with httpx.Client(base_url=gw.url, headers=client.headers) as other:
        other.get("/v1/models")
    connections = [r.connection for r in gw.requests]
    assert connections[0] == connections[1] != connections[2]


def test_stream_read_to_the_end_leaves_a_reusable_connection(
    gw: MeshAPIGateway, client: httpx.Client
) -> None:
    stream(client, "/v1/chat/completions", {"messages": user("x"), "stream": True})
    opened = gw.connections.opened
    for _ in range(3):
        stream(client, "/v1/chat/completions", {"messages": user("x"), "stream": True})
    assert gw.connections.opened == opened  # no new TCP connection
    assert gw.connections.open == 1


def test_abandoned_stream_releases_its_connection(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(StallBetweenChunks(0.5, after=1), path="/v1/chat/completions")
    with client.stream(
        "POST", "/v1/chat/completions", json={"messages": user("a b c d"), "stream": True}
    ) as r:
        next(r.iter_raw())  # read one chunk, then walk away
    stats = gw.wait_for_connections(open=0, timeout=2)
    assert stats.open == 0 and stats.closed == stats.opened


def test_record_limit_keeps_the_newest() -> None:
    with MeshAPIGateway(max_recorded_requests=2) as gw:
        for _ in range(3):
            httpx.get(gw.url + "/v1/models")
        assert [r.index for r in gw.requests] == [1, 2]
