"""Leaks: a thousand abandoned streams and a thousand failed requests leave nothing behind.

Per driver, 1,000 streams are abandoned early, split evenly across the ways a caller
can leave one (breaking out of the loop, an exception in the loop body, cancelling the
task, a cancel scope; a blocking client can only do the first two), and 1,000 requests
end in errors of several kinds. Afterwards:

* no connection is left open on either side: the gateway's TCP count (server side) and
  the client's pool (httpcore's connections, aiohttp's connector) hold nothing for an
  abandoned stream, and at most the one idle keep-alive connection after errors;
* the client's memory grew by less than `MEMORY_BOUND` bytes over the measured
  iterations, measured with tracemalloc after a warm-up (so caches, pools and lazy
  imports are paid for first), counting only allocations the gateway did not make: it
  runs in this process, on its own thread, and keeps records of its own.

Every stream stalls after its first event (the gateway pauses 30 s before the next), so
each one is really abandoned mid-body with the server still holding it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
import sniffio

from meshapi import MeshAPIError, RetryPolicy, Timeout
from meshapi.testing import (
    Fail,
    GatewayTimings,
    HtmlPage,
    MeshAPIGateway,
    MidStreamError,
    ResetBeforeResponse,
    StallBetweenChunks,
)
from tests.client._harness import Blocking, connections_settle, user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
CHAT = "/v1/chat/completions"
TOTAL = 1_000  # abandoned streams, and failed requests, per driver
WARM_UP = 40
# What 1,000 iterations may leave behind in the client: 768 bytes each. A leaked
# response, connection or stream object costs kilobytes (buffers, headers, the decoder),
# so one leak per iteration would show as megabytes. What does remain (~85 KB per 1,000
# streams) is pydantic-core's JSON string cache, which keeps each new stream id it
# parsed: it is bounded (16,384 strings, about 1.3 MB in all), so it is not a leak, but
# it is why the bound is not zero. The margin above that absorbs what tracemalloc cannot
# tell apart on a loaded machine: the in-process gateway's asyncio buffers are
# allocated in the same stdlib files a client uses.
MEMORY_BOUND = 768 * 1024
NO_RETRY = RetryPolicy(max_retries=0)


class Abandoned(Exception):
    """Raised from a loop body to leave a stream by an exception."""


@pytest.fixture(scope="module")
def gateway() -> Iterator[MeshAPIGateway]:
    """A gateway of this module's own that keeps only its last few request records."""
    with MeshAPIGateway(max_recorded_requests=16, timings=GatewayTimings()) as gw:
        yield gw


# -------------------------------------------------------------- ways to leave a stream


def open_stream(client: Any) -> Any:
    return client.chat.completions.stream(model=MODEL, messages=user("hello there"))


async def leave_by_break(client: Any) -> None:
    async with open_stream(client) as stream:
        async for _ in stream:
            break


async def leave_by_exception(client: Any) -> None:
    try:
        async with open_stream(client) as stream:
            async for _ in stream:
                raise Abandoned
    except Abandoned:
        pass


async def leave_by_task_cancellation(client: Any) -> None:
    """Cancel the consuming task while it waits for the stalled second event."""
    first = anyio.Event()

    async def consume() -> None:
        async with open_stream(client) as stream:
            async for _ in stream:
                first.set()

    if sniffio.current_async_library() == "trio":
        import trio

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume)
            await first.wait()
            nursery.cancel_scope.cancel()
        return
    task = asyncio.ensure_future(consume())
    await first.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def leave_by_cancel_scope(client: Any) -> None:
    """Cancel a scope around the stream; the next read is where it takes effect."""
    with anyio.CancelScope() as scope:
        async with open_stream(client) as stream:
            async for _ in stream:
                scope.cancel()
    assert scope.cancelled_caught


def ways_to_leave(driver: str) -> list[Callable[[Any], Awaitable[None]]]:
    if driver == "sync":  # a blocking read cannot be cancelled from outside
        return [leave_by_break, leave_by_exception]
    return [leave_by_break, leave_by_exception, leave_by_task_cancellation, leave_by_cancel_scope]


# ------------------------------------------------------------------- requests that fail


async def fail_404(client: Any) -> None:
    await client.chat.completions.create(model=MODEL, messages=user("hi"))


async def fail_on_stream_entry(client: Any) -> None:
    async with open_stream(client):
        pass


async def fail_mid_stream(client: Any) -> None:
    async with open_stream(client) as stream:
        async for _ in stream:
            pass


# (the fault every request of the kind meets, and the call)
FAILURES: list[tuple[Any, Callable[[Any], Awaitable[None]]]] = [
    (Fail(404, code="model_not_found"), fail_404),
    (HtmlPage(502), fail_404),
    (ResetBeforeResponse(), fail_404),
    (Fail(429, retry_after=1), fail_on_stream_entry),
    (MidStreamError(after=1), fail_mid_stream),
]


# ------------------------------------------------------------------------- measuring


# The gateway shares the process (on its own thread): what its handlers, its aiohttp
# server and its records allocate is not the client's. One frame per allocation is
# enough to tell (the server's request parsing is called from aiohttp/web_protocol.py,
# its records are made in meshapi/testing), and keeps tracing cheap.
_NOT_THE_CLIENT = [
    tracemalloc.Filter(False, "*/meshapi/testing/*"),
    tracemalloc.Filter(False, "*/aiohttp/web_*"),
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
]


def client_snapshot() -> tracemalloc.Snapshot:
    gc.collect()
    return tracemalloc.take_snapshot().filter_traces(_NOT_THE_CLIENT)


async def traced_growth(work: Awaitable[None]) -> tuple[int, str]:
    """Bytes the client still holds after `work` that it did not before, and the top sites."""
    tracemalloc.start(1)
    try:
        before = client_snapshot()
        await work
        after = client_snapshot()
    finally:
        tracemalloc.stop()
    diff = after.compare_to(before, "lineno")
    top = "; ".join(f"{stat.traceback[0]}: {stat.size_diff:+d} B" for stat in diff[:5])
    return sum(stat.size_diff for stat in diff), top


def client_pool(client: Any) -> tuple[int, int]:
    """(connections in use, idle connections) in the client's own pool."""
    target = client.wrapped if isinstance(client, Blocking) else client
    transport = target._transport
    if hasattr(transport, "session"):  # aiohttp: the connector of our session
        session = transport.session
        if session is None:
            return 0, 0
        connector = session.connector
        idle = sum(len(conns) for conns in connector._conns.values())
        return len(connector._acquired), idle
    pool = transport.client._transport._pool  # httpx -> httpcore's ConnectionPool
    connections = list(pool.connections)
    busy = sum(1 for c in connections if not c.is_idle())
    return busy, len(connections) - busy


async def run_many(client: Any, ways: list[Callable[[Any], Awaitable[None]]], count: int) -> None:
    for n in range(count):
        await ways[n % len(ways)](client)


def report(what: str, driver: str, grown: int, top: str, stats: Any, pool: tuple[int, int]) -> None:
    print(
        f"\n[leaks] {driver}: {what}: client memory {grown:+d} B "
        f"(bound {MEMORY_BOUND} B), gateway open={stats.open} opened={stats.opened}, "
        f"client pool busy={pool[0]} idle={pool[1]}; largest: {top}"
    )


# ------------------------------------------------------------------------------ tests


async def test_abandoned_streams_leave_no_connection_and_no_memory(
    make_client: Any, gw: MeshAPIGateway, driver: str
) -> None:
    client = make_client(timeout=Timeout(connect=5, read=5), retry=NO_RETRY)
    gw.add_fault(StallBetweenChunks(30.0, after=1), path=CHAT, times=None)
    ways = ways_to_leave(driver)
    await run_many(client, ways, WARM_UP)
    opened_before = gw.connections.opened

    grown, top = await traced_growth(run_many(client, ways, TOTAL))

    stats = await connections_settle(gw, lambda s: s.open == 0, timeout=5)
    pool = client_pool(client)
    report(f"{TOTAL} abandoned streams ({len(ways)} ways)", driver, grown, top, stats, pool)
    assert stats.opened - opened_before == TOTAL  # each stream had its own connection...
    assert stats.open == 0  # ...and every one of them is closed again, server side
    assert pool == (0, 0)  # nothing half-read went back to the client's pool
    assert grown < MEMORY_BOUND, top


async def test_failed_requests_leave_no_connection_and_no_memory(
    make_client: Any, gw: MeshAPIGateway, driver: str
) -> None:
    client = make_client(timeout=Timeout(connect=5, read=5), retry=NO_RETRY)
    per_kind = TOTAL // len(FAILURES)

    async def fail_each_way(count: int) -> None:
        for fault, call in FAILURES:
            with gw.inject(fault, path=CHAT, times=None):
                for _ in range(count):
                    with pytest.raises(MeshAPIError):
                        await call(client)

    await fail_each_way(WARM_UP // len(FAILURES))
    grown, top = await traced_growth(fail_each_way(per_kind))

    # The last failure closes its connection; the gateway sees that a moment later, so
    # wait until both sides agree (a loaded machine can take a while).
    stats = await connections_settle(
        gw, lambda s: s.open <= 1 and s.open == client_pool(client)[1], timeout=5
    )
    pool = client_pool(client)
    report(f"{per_kind * len(FAILURES)} failed requests", driver, grown, top, stats, pool)
    # A complete error response gives its connection back for reuse: at most the one
    # idle keep-alive connection remains, the same one on both sides.
    assert pool[0] == 0 and pool[1] <= 1
    assert stats.open == pool[1]
    assert grown < MEMORY_BOUND, top
