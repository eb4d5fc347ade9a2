"""§5.7 on aiohttp: each bound in its phase, and none where the protocol says none.

No timed assertions (design.md: speed is for benchmarks): the stalls are several times
the bounds, so each test is about *which* error, not how fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from meshapi import APITimeoutError, RetryPolicy, Timeout
from meshapi.testing import MeshAPIGateway, StallBeforeHeaders, StallBetweenChunks, TinyPieces
from meshapi_aiohttp import AsyncMeshAPI

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
CHAT = "/v1/chat/completions"


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def read_into(stream: Any, received: list[Any]) -> None:
    """Open a stream and collect its items until it ends or fails."""
    async with stream:
        async for item in stream:
            received.append(item)


async def test_stalled_headers_are_a_read_timeout(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    gw.add_fault(StallBeforeHeaders(2.0), path=CHAT)
    client = make_client(timeout=Timeout(connect=5, read=0.2))

    with pytest.raises(APITimeoutError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    error = caught.value
    assert (error.status, error.error_code) == (0, "timeout")
    assert "while waiting for or reading the response" in str(error)


async def test_stalled_headers_on_a_stream_are_a_read_timeout(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    gw.add_fault(StallBeforeHeaders(2.0), path=CHAT)
    client = make_client(timeout=Timeout(connect=5, read=0.2))

    with pytest.raises(APITimeoutError) as caught:
        async with client.chat.completions.stream(model=MODEL, messages=user("hi")):
            pass

    assert "while waiting for or reading the response" in str(caught.value)


async def test_a_non_streaming_body_slower_than_read_in_total_times_out(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    # Each gap (0.15 s) is under `read`, the whole body is not: `read` bounds the total.
    gw.add_fault(TinyPieces(8, delay=0.15), path=CHAT)
    client = make_client(timeout=Timeout(connect=5, read=0.5))

    with pytest.raises(APITimeoutError):
        await client.chat.completions.create(model=MODEL, messages=user("hello there"))


async def test_a_healthy_stream_may_pause_for_longer_than_read(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    # `read` ends when the headers arrive (§5.7); aiohttp's sock_read must not live on.
    gw.add_fault(StallBetweenChunks(0.35, after=1), path=CHAT)
    client = make_client(timeout=Timeout(connect=5, read=0.1))

    async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as stream:
        text = "".join([piece async for piece in stream.text_stream()])

    assert text == "You said: hi"


async def test_stream_idle_bounds_the_gap_between_reads(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    gw.add_fault(StallBetweenChunks(2.0, after=1), path=CHAT)
    client = make_client(timeout=Timeout(connect=5, read=5, stream_idle=0.2))
    received: list[Any] = []
    stream = client.chat.completions.stream(model=MODEL, messages=user("hi"))

    with pytest.raises(APITimeoutError) as caught:
        await read_into(stream, received)

    assert received  # the first chunk came before the stall
    assert caught.value.error_code == "timeout"
    assert "stream idle" in str(caught.value)
    assert caught.value.request_id == stream.request_id


async def test_total_is_a_deadline_for_a_stream_that_keeps_talking(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    # Every gap is short, so neither read nor stream_idle fires; only the deadline can.
    gw.add_fault(StallBetweenChunks(0.25, after=1), path=CHAT)
    client = make_client(timeout=Timeout(connect=5, read=5, stream_idle=1, total=0.5))

    stream = client.chat.completions.stream(
        model=MODEL, messages=user("a reply long enough to take a while")
    )

    with pytest.raises(APITimeoutError):
        await read_into(stream, [])


async def test_total_caps_the_wait_for_headers(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    gw.add_fault(StallBeforeHeaders(2.0), path=CHAT)
    client = make_client(timeout=Timeout(connect=5, read=5, total=0.3))

    with pytest.raises(APITimeoutError):
        await client.chat.completions.create(model=MODEL, messages=user("hi"))


async def test_a_stalled_upload_is_a_timeout() -> None:
    # aiohttp has no write timeout: a peer that stops reading a large body must still be
    # cut off, by the bound on the whole exchange (connect + read).
    release = asyncio.Event()

    async def stop_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        await release.wait()  # never reads again; the client's writes back up
        writer.close()

    server = await asyncio.start_server(stop_reading, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = AsyncMeshAPI(
        base_url=f"http://127.0.0.1:{port}",
        token="rsk_x",
        timeout=Timeout(connect=0.3, read=0.3),
        retry=RetryPolicy(max_retries=0),
    )
    try:
        with pytest.raises(APITimeoutError) as caught:
            await client.chat.completions.create(
                model=MODEL, messages=user("x" * (32 * 1024 * 1024))
            )
    finally:
        release.set()
        await client.aclose()
        server.close()
        await server.wait_closed()

    assert caught.value.error_code == "timeout"
