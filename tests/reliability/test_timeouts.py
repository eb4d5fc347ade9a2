"""Timeouts (protocol.md §5.7), each proven with a stalling peer on every driver.

Each phase has its own bound and its own words in the message, whatever the driver:

| phase                        | bound                  | the message says                   |
|------------------------------|------------------------|------------------------------------|
| TCP connect                  | `Timeout.connect`      | "while connecting"                 |
| waiting for the headers      | `Timeout.read`         | "while waiting for or reading ..." |
| a gap between stream reads   | `Timeout.stream_idle`  | "stream idle timeout"              |
| the whole call               | `Timeout.total`        | "total deadline"                   |

Every one is an `APITimeoutError` with code `timeout` and status 0, and none is retried.
No timed assertions (design.md): every stall is several times its bound, so a bound that
did not fire would let the call succeed and fail the test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from meshapi import APITimeoutError, MeshAPIError, RetryPolicy, Timeout
from meshapi.testing import Fail, MeshAPIGateway, StallBeforeHeaders, StallBetweenChunks
from tests.client._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
REALTIME_MODEL = "openai/gpt-realtime-mini"
CHAT = "/v1/chat/completions"
LONG_PROMPT = " ".join(f"word{n}" for n in range(40))
HI = {"model": MODEL, "messages": user("hi")}
# Retries on, network errors included: a timeout must still never be resent.
EAGER = RetryPolicy(max_retries=3, backoff_base_ms=1, backoff_max_ms=5, retry_on_network_error=True)

CONNECT = "while connecting"
HEADERS = "while waiting for or reading the response"
IDLE = "stream idle timeout"
TOTAL = "total deadline"


def assert_timeout(error: BaseException, phase: str) -> None:
    assert isinstance(error, APITimeoutError), repr(error)
    assert (error.status, error.error_code) == (0, "timeout")
    assert phase in str(error), f"{phase!r} not in {str(error)!r}"


async def fails(call: Callable[[], Awaitable[Any]]) -> MeshAPIError:
    """Make the call (a blocking driver runs it right there) and return its MeshAPIError."""
    with pytest.raises(MeshAPIError) as caught:
        await call()
    return caught.value


async def read_stream(stream: Any, received: list[Any] | None = None) -> list[Any]:
    """Read a stream to its end, keeping each item in `received` as it arrives."""
    received = [] if received is None else received
    async with stream:
        async for item in stream:
            received.append(item)
    return received


async def stream_fails(stream: Any) -> MeshAPIError:
    return await fails(lambda: read_stream(stream))


# ------------------------------------------------------------------------------ connect


async def test_connect_is_bounded_on_calls_and_streams(
    make_client: Any, unresponsive_port: int
) -> None:
    client = make_client(
        base_url=f"http://127.0.0.1:{unresponsive_port}",
        timeout=Timeout(connect=0.3, read=10),
        retry=EAGER,
    )

    assert_timeout(await fails(client.models.list), CONNECT)
    assert_timeout(await fails(lambda: client.chat.completions.create(**HI)), CONNECT)
    assert_timeout(
        await stream_fails(client.chat.completions.stream(model=MODEL, messages=user("hi"))),
        CONNECT,
    )


async def test_connect_bounds_the_realtime_handshake(
    make_client: Any, unresponsive_port: int, token: str
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{unresponsive_port}")

    error = await fails(
        lambda: client.realtime.connect(model=REALTIME_MODEL, timeout=Timeout(connect=0.3))
    )

    assert_timeout(error, "timed out connecting")  # "... within 0.3 s (Timeout.connect)"
    assert token not in str(error)


# ------------------------------------------------------------------- time to headers


async def test_read_bounds_the_wait_for_headers_of_a_call(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(timeout=Timeout(connect=5, read=0.2), retry=EAGER)
    gw.add_fault(StallBeforeHeaders(3.0), path=CHAT)

    error = await fails(lambda: client.chat.completions.create(**HI))

    assert_timeout(error, HEADERS)
    assert len(gw.find_requests(path=CHAT)) == 1  # never retried


async def test_read_bounds_the_wait_for_headers_of_a_stream(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(timeout=Timeout(connect=5, read=0.2), retry=EAGER)
    gw.add_fault(StallBeforeHeaders(3.0), path=CHAT)

    error = await stream_fails(client.chat.completions.stream(model=MODEL, messages=user("hi")))

    assert_timeout(error, HEADERS)
    assert len(gw.find_requests(path=CHAT)) == 1


# ------------------------------------------------------------------- idle between chunks


async def test_stream_idle_bounds_the_gap_between_chunks(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(timeout=Timeout(connect=5, read=5, stream_idle=0.2), retry=EAGER)
    gw.add_fault(StallBetweenChunks(3.0, after=2), path=CHAT)
    stream = client.chat.completions.stream(model=MODEL, messages=user(LONG_PROMPT))
    received: list[Any] = []

    error = await fails(lambda: read_stream(stream, received))

    assert_timeout(error, IDLE)
    assert len(received) == 2  # what came before the stall was delivered
    assert error.request_id == stream.request_id
    assert len(gw.find_requests(path=CHAT)) == 1


async def test_a_healthy_stream_may_pause_longer_than_read(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    # The counterpart: `read` ends with the headers; without stream_idle, a pause of
    # twice `read` between chunks is no timeout.
    client = make_client(timeout=Timeout(connect=5, read=0.15))
    gw.add_fault(StallBetweenChunks(0.3, after=1), path=CHAT)

    received = await read_stream(client.chat.completions.stream(model=MODEL, messages=user("hi")))

    assert "".join(c.choices[0].delta.content or "" for c in received if c.choices) == (
        "You said: hi"
    )


# -------------------------------------------------------------------- total deadline


async def test_total_bounds_a_call_whose_headers_stall(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(timeout=Timeout(connect=5, read=5, total=0.3), retry=EAGER)
    gw.add_fault(StallBeforeHeaders(3.0), path=CHAT)

    error = await fails(lambda: client.chat.completions.create(**HI))

    assert_timeout(error, TOTAL)
    assert len(gw.find_requests(path=CHAT)) == 1


async def test_total_bounds_a_stream_that_keeps_talking(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    # Every gap (0.1 s) is far inside stream_idle and read: only the deadline can fire.
    client = make_client(timeout=Timeout(connect=5, read=5, stream_idle=2, total=0.6))
    gw.add_fault(StallBetweenChunks(0.1, after=1), path=CHAT)
    stream = client.chat.completions.stream(model=MODEL, messages=user(LONG_PROMPT))
    received: list[Any] = []

    error = await fails(lambda: read_stream(stream, received))

    assert_timeout(error, TOTAL)
    assert 0 < len(received) < 40


async def test_total_bounds_retries_and_their_sleeps(make_client: Any, gw: MeshAPIGateway) -> None:
    slow_retries = RetryPolicy(max_retries=5, backoff_base_ms=200, backoff_max_ms=200)
    client = make_client(timeout=Timeout(connect=5, read=5, total=0.5), retry=slow_retries)
    gw.add_fault(Fail(503), path=CHAT, times=None)

    error = await fails(lambda: client.chat.completions.create(**HI))

    assert_timeout(error, TOTAL)
    assert 1 <= len(gw.find_requests(path=CHAT)) < 6
