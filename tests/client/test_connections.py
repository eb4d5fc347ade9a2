"""Connections: leaving a stream early, cancelling mid-stream, and failures never leave a
connection open; streams read to the end give theirs back for reuse.

Asserted with the gateway's TCP counts while the client is still alive (so nothing is
released by the client's own close). The server notices a close a moment after it
happens, so the counts are polled briefly (`connections_settle`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

from meshapi import APITimeoutError, MeshAPIError, Timeout
from meshapi.testing import (
    Fail,
    MeshAPIGateway,
    MidStreamError,
    ResetAfterChunks,
    StallBetweenChunks,
)

from ._harness import connections_settle, read_all, user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
CHAT = "/v1/chat/completions"
LONG_PROMPT = " ".join(f"word{n}" for n in range(40))


def no_open(stats: Any) -> bool:
    return bool(stats.open == 0)


@pytest.fixture
async def quiet(gw: MeshAPIGateway) -> MeshAPIGateway:
    """The gateway once connections of earlier tests are gone."""
    stats = await connections_settle(gw, no_open)
    assert stats.open == 0, f"connections left over from an earlier test: {stats}"
    return gw


def slow_stream(gw: MeshAPIGateway) -> None:
    """The next chat stream pauses after two events: the client leaves it mid-body."""
    gw.add_fault(StallBetweenChunks(seconds=2.0, after=2), path=CHAT)


async def test_breaking_out_of_a_stream_releases_its_connection(
    client: Any, quiet: MeshAPIGateway
) -> None:
    slow_stream(quiet)

    async with client.chat.completions.stream(model=MODEL, messages=user(LONG_PROMPT)) as s:
        async for _ in s:
            assert quiet.connections.open == 1
            break

    stats = await connections_settle(quiet, no_open)
    assert stats.open == 0
    assert stats.opened >= 1


async def test_closing_a_plainly_iterated_stream_releases_its_connection(
    client: Any, quiet: MeshAPIGateway
) -> None:
    slow_stream(quiet)
    stream = client.chat.completions.stream(model=MODEL, messages=user(LONG_PROMPT))

    async for _ in stream:
        break
    await stream.aclose()

    assert (await connections_settle(quiet, no_open)).open == 0


async def test_cancelling_a_task_mid_stream_releases_its_connection(
    client: Any, quiet: MeshAPIGateway, driver: str, anyio_backend: str
) -> None:
    slow_stream(quiet)  # two events, then the body stalls: the reader blocks mid-stream
    stalled = anyio.Event()
    received: list[Any] = []

    async def consume() -> None:
        async with client.chat.completions.stream(
            model=MODEL, messages=user(LONG_PROMPT)
        ) as stream:
            async for chunk in stream:
                received.append(chunk)
                if driver == "sync":
                    break  # a blocking read cannot be cancelled: leave and close instead
                if len(received) == 2:
                    stalled.set()  # the next read waits for the stalled body

    if driver == "sync":
        await consume()
    elif anyio_backend == "trio":
        import trio

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume)
            await stalled.wait()
            await trio.sleep(0.02)  # let the consumer enter its read
            nursery.cancel_scope.cancel()
    else:
        task = asyncio.ensure_future(consume())
        await stalled.wait()
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert len(received) == (1 if driver == "sync" else 2)
    assert (await connections_settle(quiet, no_open)).open == 0


async def test_a_cancel_scope_around_a_stream_releases_its_connection(
    client: Any, quiet: MeshAPIGateway, driver: str
) -> None:
    if driver == "sync":
        pytest.skip("a blocking read cannot be interrupted by a cancel scope")
    slow_stream(quiet)

    with anyio.move_on_after(0.3) as scope:
        async with client.chat.completions.stream(model=MODEL, messages=user(LONG_PROMPT)) as s:
            async for _ in s:
                pass

    assert scope.cancelled_caught
    assert (await connections_settle(quiet, no_open)).open == 0


async def test_streams_read_to_the_end_reuse_one_connection(
    client: Any, quiet: MeshAPIGateway
) -> None:
    before = quiet.connections.opened

    for n in range(6):
        async with client.chat.completions.stream(model=MODEL, messages=user(f"n {n}")) as s:
            await s.until_done()
    await client.chat.completions.create(model=MODEL, messages=user("and a plain call"))

    stats = quiet.connections
    assert stats.opened - before <= 2
    assert stats.open <= 1  # the pooled connection, kept for the next call
    connections = {r.connection for r in quiet.find_requests(path=CHAT)}
    assert len(connections) <= 2


async def test_text_stream_and_final_completion_read_to_the_end_too(
    client: Any, quiet: MeshAPIGateway
) -> None:
    before = quiet.connections.opened

    for _ in range(3):
        async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as s:
            _ = [piece async for piece in s.text_stream()]
        async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as s:
            await s.get_final_completion()

    assert quiet.connections.opened - before <= 2


@pytest.mark.parametrize(
    "fault",
    [ResetAfterChunks(2), MidStreamError(after=2), StallBetweenChunks(seconds=2.0, after=2)],
    ids=["reset", "error-frame", "idle-timeout"],
)
async def test_a_stream_that_fails_leaves_no_connection_open(
    make_client: Any, quiet: MeshAPIGateway, fault: Any
) -> None:
    client = make_client(timeout=Timeout(stream_idle=0.2))
    quiet.add_fault(fault, path=CHAT)

    stream = client.chat.completions.stream(model=MODEL, messages=user(LONG_PROMPT))

    with pytest.raises(MeshAPIError) as caught:
        await read_all(stream)

    if isinstance(fault, StallBetweenChunks):
        assert isinstance(caught.value, APITimeoutError)
    if not isinstance(fault, MidStreamError):
        assert (await connections_settle(quiet, no_open)).open == 0
        return
    # The gateway ends the body right after an error frame. A driver that already saw
    # that end may pool the connection instead of closing it: then the next call must
    # reuse it rather than open another.
    stats = await connections_settle(quiet, no_open, timeout=0.3)
    await client.models.list()
    after = quiet.connections
    assert after.open <= 1
    assert after.opened - stats.opened == (1 if stats.open == 0 else 0)


async def test_error_responses_on_stream_open_do_not_leak_connections(
    client: Any, quiet: MeshAPIGateway
) -> None:
    quiet.add_fault(Fail(404, code="model_not_found"), path=CHAT, times=5)

    for _ in range(5):
        with pytest.raises(MeshAPIError):
            async with client.chat.completions.stream(model=MODEL, messages=user("hi")):
                pass

    stats = await connections_settle(quiet, lambda s: s.open <= 1)
    assert stats.open <= 1


async def test_closing_the_client_closes_its_pooled_connections(
    make_client: Any, quiet: MeshAPIGateway
) -> None:
    client = make_client()
    await client.models.list()
    assert quiet.connections.open == 1

    await client.aclose()

    assert (await connections_settle(quiet, no_open)).open == 0
