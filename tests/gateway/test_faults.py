"""Fault injection: each effect, as the client on the other end of the socket sees it."""

from __future__ import annotations

import asyncio
import email.utils
import json
import threading
import time
from typing import Any

import aiohttp
import httpx
import pytest

from meshapi.testing import (
    ExtraHeaders,
    Fail,
    Fault,
    HtmlPage,
    JsonBody,
    KeepAliveComments,
    MeshAPIGateway,
    MidStreamError,
    OmitDone,
    RawBytes,
    ResetAfterBytes,
    ResetAfterChunks,
    ResetBeforeResponse,
    RoutingHeaders,
    StallBeforeHeaders,
    StallBetweenChunks,
    TinyPieces,
    TruncatedJson,
    http_date,
)
from meshapi_core.sse import SSEDecoder

from ._helpers import parse_sse, sse_json, stream, user

CHAT = "/v1/chat/completions"
STREAM_BODY = {"messages": user("one two three four five"), "stream": True}


def read_until_failure(
    client: httpx.Client, body: dict[str, Any]
) -> tuple[bytes, Exception | None]:
    """Read a stream's raw bytes until it ends or breaks."""
    received = b""
    try:
        with client.stream("POST", CHAT, json=body) as response:
            for chunk in response.iter_raw():
                received += chunk
    except httpx.TransportError as exc:
        return received, exc
    return received, None


def test_fail_next_n_requests_then_succeed(gw: MeshAPIGateway, client: httpx.Client) -> None:
    handle = gw.add_fault(Fail(503), path=CHAT, times=2)
    statuses = [client.post(CHAT, json={"messages": user("x")}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert handle.hits == 2 and handle.exhausted and handle.remaining == 0
    error = None
    gw.add_fault(Fail(503), path=CHAT)
    error = client.post(CHAT, json={"messages": user("x")}).json()
    assert error["error"]["code"] == "provider_not_available"


@pytest.mark.parametrize(
    ("fault", "header", "body_seconds"),
    [
        (Fail(429, retry_after=7), "7", None),
        (Fail(429, body_retry_after=12), None, 12),
        (Fail(429, retry_after=3, body_retry_after=4), "3", 4),
        (Fail(503, retry_after="soon"), "soon", None),
    ],
)
def test_retry_after_header_and_body(
    gw: MeshAPIGateway,
    client: httpx.Client,
    fault: Fail,
    header: str | None,
    body_seconds: int | None,
) -> None:
    gw.add_fault(fault, path=CHAT)
    r = client.post(CHAT, json={"messages": user("x")})
    assert r.status_code == fault.status
    assert r.headers.get("retry-after") == header
    assert r.json()["error"].get("retry_after_seconds") == body_seconds
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_retry_after_as_http_date(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(Fail(429, retry_after=http_date(30)), path=CHAT)
    r = client.post(CHAT, json={"messages": user("x")})
    when = email.utils.parsedate_to_datetime(r.headers["retry-after"])
    assert 25 <= when.timestamp() - time.time() <= 31


def test_fail_with_details_code_and_provider_error(
    gw: MeshAPIGateway, client: httpx.Client
) -> None:
    details = ({"type": "literal_error", "loc": ["body", "x"], "msg": "bad"},)
    gw.add_fault(
        Fail(
            502,
            code="upstream_error",
            message="boom",
            details=details,
            provider_error={"provider": "openai", "status": 500, "message": "x"},
        ),
        path=CHAT,
    )
    error = client.post(CHAT, json={"messages": user("x")}).json()["error"]
    assert error["code"] == "upstream_error" and error["message"] == "boom"
    assert error["details"] == list(details) and error["provider_error"]["provider"] == "openai"


def test_html_error_page(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(HtmlPage(502), path=CHAT)
    r = client.post(CHAT, json={"messages": user("x")})
    assert r.status_code == 502 and r.headers["content-type"] == "text/html"
    assert r.text.startswith("<html>")
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert r.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize(
    "body",
    [
        {"detail": "Model not found"},
        {"detail": [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]},
        {"error": "plain text"},
        [1, 2],
    ],
)
def test_json_that_is_not_the_envelope(gw: MeshAPIGateway, client: httpx.Client, body: Any) -> None:
    gw.add_fault(JsonBody(404, body), path=CHAT)
    r = client.post(CHAT, json={"messages": user("x")})
    assert r.status_code == 404 and r.json() == body


def test_truncated_json(gw: MeshAPIGateway, client: httpx.Client) -> None:
    whole = client.get("/v1/models/openai/gpt-4o").content
    gw.add_fault(TruncatedJson(keep=40), path="/v1/models/*")
    r = client.get("/v1/models/openai/gpt-4o")
    assert r.status_code == 200 and r.content == whole[:40]
    assert r.headers["content-length"] == "40"
    with pytest.raises(json.JSONDecodeError):
        r.json()
    gw.add_fault(TruncatedJson(status=500), path="/v1/models/*")
    r = client.get("/v1/models/openai/gpt-4o")
    assert r.status_code == 500 and r.content == whole[: len(whole) // 2]


def test_reset_before_the_response(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(ResetBeforeResponse(), path=CHAT)
    with pytest.raises(httpx.TransportError):
        client.post(CHAT, json={"messages": user("x")}, headers={"Idempotency-Key": "never-ran"})
    assert gw.executions("never-ran") == 0
    assert client.post(CHAT, json={"messages": user("x")}).status_code == 200  # next one is fine


@pytest.mark.parametrize("graceful", [False, True])
def test_reset_after_k_stream_chunks(
    gw: MeshAPIGateway, client: httpx.Client, graceful: bool
) -> None:
    gw.add_fault(ResetAfterChunks(3, graceful=graceful), path=CHAT)
    received, error = read_until_failure(client, STREAM_BODY)
    assert error is not None
    if graceful:
        assert isinstance(error, httpx.RemoteProtocolError)  # the chunked body just stops
    assert len(parse_sse(received)) == 3


def test_reset_after_n_bytes_of_a_plain_body(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(ResetAfterBytes(25), path="/v1/models")
    with pytest.raises(httpx.TransportError):
        client.get("/v1/models")


def test_stall_before_headers(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(StallBeforeHeaders(1.0), path="/v1/models", times=1)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/models", timeout=0.3)
    gw.add_fault(StallBeforeHeaders(0.2), path="/v1/models", times=1)
    started = time.monotonic()
    assert client.get("/v1/models").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_stall_between_chunks(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(StallBetweenChunks(0.2, after=5), path=CHAT)
    decoder = SSEDecoder()
    arrivals: list[float] = []  # when each event arrived
    started = time.monotonic()
    with client.stream("POST", CHAT, json={"messages": user("hi"), "stream": True}) as r:
        for chunk in r.iter_raw():
            arrivals += [time.monotonic() - started] * len(decoder.feed(chunk))
    assert len(arrivals) == 7  # role, 3 words, finish, usage, [DONE]
    assert arrivals[4] < 0.2  # the first five are not held back
    assert arrivals[5] - arrivals[4] >= 0.19 and arrivals[6] - arrivals[5] >= 0.19


def test_tiny_pieces_keep_the_content(gw: MeshAPIGateway, client: httpx.Client) -> None:
    normal = client.get("/v1/models/openai/gpt-4o").content
    gw.add_fault(TinyPieces(1), path="/v1/models/*")
    assert client.get("/v1/models/openai/gpt-4o").content == normal
    _, reference = stream(client, CHAT, STREAM_BODY)
    gw.add_fault(TinyPieces(1), path=CHAT)
    reads: list[bytes] = []
    with client.stream("POST", CHAT, json=STREAM_BODY) as r:
        reads = list(r.iter_raw())
    assert len(reads) > 10  # really many small reads
    pieces = parse_sse(reads)  # fed to the decoder read by read
    assert [e.event for e in pieces] == [e.event for e in parse_sse(reference)]
    assert len(pieces) == len(parse_sse(reference)) and pieces[-1].data == "[DONE]"


def test_raw_bytes_verbatim(gw: MeshAPIGateway, client: httpx.Client) -> None:
    malformed = [b'data: {"a":1}\r\n\r\n', b"data: \xff\xfe not utf-8\n\n", b"event: x\ndata: half"]
    gw.add_fault(RawBytes(malformed), path=CHAT)
    r, raw = stream(client, CHAT, STREAM_BODY)
    assert raw == b"".join(malformed)
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert "content-length" not in r.headers
    events = parse_sse(raw)
    assert [e.data for e in events] == ['{"a":1}', "\ufffd\ufffd not utf-8"]


def test_raw_ten_megabyte_event(gw: MeshAPIGateway, client: httpx.Client) -> None:
    big = b"data: " + b"x" * (10 * 1024 * 1024) + b"\n\ndata: [DONE]\n\n"
    gw.add_fault(RawBytes(big), path=CHAT)
    _, raw = stream(client, CHAT, STREAM_BODY)
    assert raw == big
    events = parse_sse(raw)
    assert len(events[0].data) == 10 * 1024 * 1024 and events[1].data == "[DONE]"


def test_raw_bytes_chunks_count_for_shaping(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(
        (RawBytes([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]), ResetAfterChunks(2)), path=CHAT
    )
    received, error = read_until_failure(client, STREAM_BODY)
    assert error is not None and received == b"data: 1\n\ndata: 2\n\n"


def test_routing_and_extra_headers(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(
        (RoutingHeaders(attempts=3, fallback=True), ExtraHeaders({"x-cache": "HIT"})), path=CHAT
    )
    r = client.post(CHAT, json={"messages": user("x")})
    assert (
        r.headers["x-mesh-routing-attempts"] == "3"
        and r.headers["x-mesh-routing-fallback"] == "true"
    )
    assert r.headers["x-cache"] == "HIT"
    assert "x-mesh-routing-attempts" not in client.post(CHAT, json={"messages": user("x")}).headers


def test_mid_stream_error_frame(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(
        MidStreamError(
            after=2, provider_error={"provider": "openai", "status": 504, "message": "timeout"}
        ),
        path=CHAT,
    )
    r, raw = stream(client, CHAT, STREAM_BODY)
    events = sse_json(raw)
    assert len(events) == 3 and "[DONE]" not in [d for _, d in events]
    name, frame = events[-1]
    assert name == "error" and frame["error"]["code"] == "gateway_timeout"
    assert frame["error"]["provider_error"]["status"] == 504
    assert frame["request_id"] == r.headers["x-request-id"]


def test_mid_stream_error_custom_frame(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(MidStreamError(after=0, frame={"error": "plain string"}, event=None), path=CHAT)
    _, raw = stream(client, CHAT, STREAM_BODY)
    assert sse_json(raw) == [("message", {"error": "plain string"})]


def test_omit_done(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(OmitDone(), path=CHAT)
    _, raw = stream(client, CHAT, STREAM_BODY)
    events = sse_json(raw)
    assert events[-1][1] != "[DONE]" and "usage" in events[-1][1]
    gw.add_fault(OmitDone(), path="/v1/chat/compare")
    _, raw = stream(
        client,
        "/v1/chat/compare",
        {**STREAM_BODY, "models": ["openai/gpt-4o-mini"], "skip_comparison": True},
    )
    assert [n for n, _ in sse_json(raw)][-1] == "model_stream_done"


def test_keep_alive_comments(gw: MeshAPIGateway, client: httpx.Client) -> None:
    _, reference = stream(client, CHAT, STREAM_BODY)
    gw.add_fault(KeepAliveComments(count=2), path=CHAT)
    _, raw = stream(client, CHAT, STREAM_BODY)
    assert raw.count(b": keep-alive\n") == 2 * len(parse_sse(reference))
    assert len(parse_sse(raw)) == len(parse_sse(reference))


def test_matching_by_method_glob_and_predicate(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.faults.add(Fault(Fail(418), path="/v1/models/*", method="GET", times=None))
    gw.faults.add(
        Fault(
            Fail(409),
            path=CHAT,
            predicate=lambda r: r.json().get("model") == "openai/gpt-4o",
            times=None,
        )
    )
    assert client.get("/v1/models/openai/gpt-4o").status_code == 418
    assert client.get("/v1/models").status_code == 200  # the glob needs something after /models/
    assert (
        client.post(CHAT, json={"model": "openai/gpt-4o", "messages": user("x")}).status_code == 409
    )
    assert (
        client.post(CHAT, json={"model": "openai/gpt-4o-mini", "messages": user("x")}).status_code
        == 200
    )
    gw.clear_faults()
    assert client.get("/v1/models/openai/gpt-4o").status_code == 200


def test_first_added_fault_applies_first(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.add_fault(Fail(503), path=CHAT)
    gw.add_fault(Fail(429), path=CHAT)
    statuses = [client.post(CHAT, json={"messages": user("x")}).status_code for _ in range(3)]
    assert statuses == [503, 429, 200]


def test_inject_is_scoped_to_the_block(gw: MeshAPIGateway, client: httpx.Client) -> None:
    with gw.inject(Fail(500), path=CHAT, times=None) as handle:
        assert client.post(CHAT, json={"messages": user("x")}).status_code == 500
        assert client.post(CHAT, json={"messages": user("x")}).status_code == 500
    assert handle.hits == 2
    assert client.post(CHAT, json={"messages": user("x")}).status_code == 200
    assert gw.faults.pending == []


def test_faults_are_thread_safe(gw: MeshAPIGateway) -> None:
    errors: list[str] = []

    def worker(index: int) -> None:
        marker = f"worker-{index}"
        with httpx.Client(
            base_url=gw.url, headers={"Authorization": f"Bearer {gw.token}", "X-Request-Id": marker}
        ) as http:
            for _ in range(5):
                gw.add_fault(Fail(503), predicate=lambda r, m=marker: r.header("x-request-id") == m)
                first = http.post(CHAT, json={"messages": user("x")}).status_code
                second = http.post(CHAT, json={"messages": user("x")}).status_code
                if (first, second) != (503, 200):
                    errors.append(f"{marker}: {first} {second}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_model_fault_maps_code_to_status(gw: MeshAPIGateway, client: httpx.Client) -> None:
    with gw.failing_model("openai/gpt-4o", code="gateway_timeout") as handle:
        r = client.post(CHAT, json={"model": "openai/gpt-4o", "messages": user("x")})
        assert r.status_code == 504 and r.json()["error"]["code"] == "gateway_timeout"
        assert r.json()["error"]["provider_error"]["provider"] == "openai"
        # The gateway's own server-side fallback list routes around it.
        routed = client.post(
            CHAT,
            json={
                "model": "openai/gpt-4o",
                "models": ["anthropic/claude-haiku-4.5"],
                "messages": user("x"),
            },
        )
        assert routed.status_code == 200 and routed.json()["model"] == "anthropic/claude-haiku-4.5"
        assert routed.headers["x-mesh-routing-attempts"] == "2"
        assert routed.headers["x-mesh-routing-fallback"] == "true"
    assert handle.hits == 2
    assert (
        client.post(CHAT, json={"model": "openai/gpt-4o", "messages": user("x")}).status_code == 200
    )


def test_faults_apply_to_the_realtime_handshake(gw: MeshAPIGateway) -> None:
    gw.add_fault(Fail(503, retry_after=1), path="/v1/realtime")

    async def main() -> None:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect(
                    f"{gw.ws_url}/v1/realtime?api_key={gw.token}", protocols=("openai-realtime",)
                )
            assert caught.value.status == 503

    asyncio.run(main())
