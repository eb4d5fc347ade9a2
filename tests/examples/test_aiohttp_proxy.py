"""examples/aiohttp_proxy.py: an aiohttp.web app that relays a model's reply as SSE.

The app runs on 127.0.0.1 (an AppRunner on a free port) against the local gateway, and is
requested with a plain httpx client, which knows nothing of the SDK; its SSE is parsed
with the core's decoder and the text compared with what the gateway's model replied.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web

import meshapi
from meshapi.testing import MeshAPIGateway, MidStreamError, StallBetweenChunks
from meshapi_core.sse import ServerSentEvent, SSEDecoder

from .conftest import load_example

pytestmark = pytest.mark.anyio

proxy = load_example("aiohttp_proxy")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # an aiohttp application


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest.fixture
async def proxy_url(gw: MeshAPIGateway) -> AsyncIterator[str]:
    runner, url = await serve(proxy.create_app(base_url=gw.url, token=gw.token))
    yield url
    await runner.cleanup()


async def fetch(url: str, **kwargs: Any) -> tuple[httpx.Response, list[ServerSentEvent]]:
    """Request the proxy and decode its body as SSE, fed in the pieces that arrived."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    async with httpx.AsyncClient(timeout=10) as http, http.stream(url=url, **kwargs) as response:
        async for piece in response.aiter_bytes():
            events.extend(decoder.feed(piece))
    events.extend(decoder.end())
    return response, events


def text_of(events: list[ServerSentEvent]) -> str:
    return "".join(json.loads(e.data)["text"] for e in events if e.event == "message")


async def expected_reply(gw: MeshAPIGateway, prompt: str, model: str) -> str:
    """What the gateway's model answers, asked directly (not through the proxy)."""
    async with meshapi.AsyncMeshAPI(base_url=gw.url, token=gw.token) as client:
        reply = await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}]
        )
    content = reply.choices[0].message.content if reply.choices[0].message else None
    assert isinstance(content, str)
    return content


async def test_the_proxy_streams_the_models_reply_as_sse(
    proxy_url: str, gw: MeshAPIGateway
) -> None:
    prompt = "Tell me about aiohttp, please."

    response, events = await fetch(proxy_url + "/chat", method="POST", json={"prompt": prompt})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert text_of(events) == await expected_reply(gw, prompt, proxy.DEFAULT_MODEL)
    assert len([e for e in events if e.event == "message"]) > 1  # relayed piece by piece
    done = events[-1]
    assert done.event == "done"
    streamed = gw.find_requests(path="/v1/chat/completions")[0]
    assert json.loads(done.data) == {"request_id": streamed.request_id, "finish_reason": "stop"}
    assert streamed.json()["stream"] is True


async def test_get_with_a_model_in_the_query(proxy_url: str, gw: MeshAPIGateway) -> None:
    model = "anthropic/claude-haiku-4.5"

    _, events = await fetch(
        proxy_url + "/chat", method="GET", params={"prompt": "hi", "model": model}
    )

    assert text_of(events) == await expected_reply(gw, "hi", model)
    assert gw.find_requests(path="/v1/chat/completions")[0].json()["model"] == model


async def test_an_error_before_the_stream_is_a_plain_http_error(gw: MeshAPIGateway) -> None:
    runner, url = await serve(proxy.create_app(base_url=gw.url, token="rsk_not_valid"))
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(url + "/chat", json={"prompt": "hi"})
    finally:
        await runner.cleanup()

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_an_error_mid_stream_is_an_error_event(proxy_url: str, gw: MeshAPIGateway) -> None:
    gw.add_fault(MidStreamError(after=2, code="gateway_timeout"), path="/v1/chat/completions")

    response, events = await fetch(proxy_url + "/chat", method="POST", json={"prompt": "hi"})

    assert response.status_code == 200  # the stream had begun: only in-band is left
    assert [e.event for e in events[:-1]] == ["message"] * (len(events) - 1)
    assert events[-1].event == "error"
    assert json.loads(events[-1].data)["error"]["code"] == "gateway_timeout"


async def test_a_bad_request_to_the_proxy_never_reaches_the_gateway(
    proxy_url: str, gw: MeshAPIGateway
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(proxy_url + "/chat", json={"model": "x"})

    assert response.status_code == 400
    assert gw.find_requests(path="/v1/chat/completions") == []


async def test_a_caller_leaving_early_releases_the_gateway_connection(
    proxy_url: str, gw: MeshAPIGateway
) -> None:
    gw.add_fault(StallBetweenChunks(0.2, after=1), path="/v1/chat/completions")
    async with httpx.AsyncClient(timeout=10) as http, http.stream(
        "POST", proxy_url + "/chat", json={"prompt": "a long enough question"}
    ) as response:
        async for _ in response.aiter_bytes():
            break  # hang up after the first piece

    # The proxy notices on its next write, closes the SDK stream, and with it the
    # half-read gateway connection (not returned to the shared session's pool).
    stats = await gw.await_connections(open=0, timeout=5)
    assert stats.open == 0


async def test_the_app_can_share_a_session_it_was_given(gw: MeshAPIGateway) -> None:
    async with aiohttp.ClientSession() as session:
        runner, url = await serve(
            proxy.create_app(base_url=gw.url, token=gw.token, session=session)
        )
        try:
            _, events = await fetch(url + "/chat", method="POST", json={"prompt": "hi"})
        finally:
            await runner.cleanup()
        assert not session.closed  # neither the app nor the SDK closed what it was lent
    assert text_of(events) == "You said: hi"
