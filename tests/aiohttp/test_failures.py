"""aiohttp's exceptions become the core's errors, with the right phase, and never escape.

Live faults on loopback for what a local server can produce (refused, reset before the
headers, reset mid-stream, a body cut short, a reset mid-upload), and the mapping table
itself for what it cannot (a connect timeout, TLS failures).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.http_exceptions import HttpProcessingError

from meshapi import (
    APIConnectionError,
    MeshAPIError,
    RetryPolicy,
    StreamInterruptedError,
)
from meshapi.testing import (
    MeshAPIGateway,
    RawBytes,
    ResetAfterBytes,
    ResetAfterChunks,
    ResetBeforeResponse,
    TinyPieces,
    TruncatedJson,
)
from meshapi_aiohttp import AsyncMeshAPI
from meshapi_aiohttp._failures import failure_from
from meshapi_core._outcomes import Phase

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


def assert_is_ours(error: BaseException) -> None:
    assert isinstance(error, MeshAPIError)
    assert not type(error).__module__.startswith("aiohttp")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# ------------------------------------------------------------------------------- connect


async def test_connection_refused_is_a_connection_error_while_connecting() -> None:
    client = AsyncMeshAPI(
        base_url=f"http://127.0.0.1:{free_port()}", token="rsk_x", retry=RetryPolicy(max_retries=0)
    )
    try:
        with pytest.raises(APIConnectionError) as caught:
            await client.models.list()
    finally:
        await client.aclose()

    error = caught.value
    assert_is_ours(error)
    assert (error.status, error.error_code) == (0, "connection_error")
    assert "while connecting" in str(error)
    assert isinstance(error.__cause__, aiohttp.ClientConnectorError)  # chained, not raised


async def test_connection_refused_is_retried_when_network_retries_are_on() -> None:
    # CONNECT is the one phase where even a POST without a key could be resent safely;
    # here the key is there anyway. Two attempts fail the same way, then it gives up.
    events: list[Any] = []
    client = AsyncMeshAPI(
        base_url=f"http://127.0.0.1:{free_port()}",
        token="rsk_x",
        retry=RetryPolicy(max_retries=2, backoff_base_ms=1, backoff_max_ms=2,
                          retry_on_network_error=True),
        logger=events.append,
    )
    try:
        with pytest.raises(APIConnectionError):
            await client.chat.completions.create(model=MODEL, messages=user("hi"))
    finally:
        await client.aclose()
    assert len(events) == 2


# ---------------------------------------------------------------------------------- read


async def test_a_reset_before_the_headers_is_a_read_failure_sent_once(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    # GET is one of the methods aiohttp would silently resend on a dropped connection;
    # ours does not, so the core's "one attempt" is one request on the wire.
    gw.add_fault(ResetBeforeResponse(), path="/v1/models")
    client = make_client()

    with pytest.raises(APIConnectionError) as caught:
        await client.models.list()

    assert_is_ours(caught.value)
    assert "while waiting for or reading the response" in str(caught.value)
    assert len(gw.find_requests(path="/v1/models")) == 1


@pytest.mark.parametrize("graceful", [False, True], ids=["rst", "fin"])
async def test_a_reset_mid_stream_is_stream_interrupted(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway, graceful: bool
) -> None:
    gw.add_fault(ResetAfterChunks(2, graceful=graceful), path=CHAT)
    client = make_client()
    received: list[Any] = []
    stream = client.chat.completions.stream(model=MODEL, messages=user("hi"))

    with pytest.raises(StreamInterruptedError) as caught:
        await read_into(stream, received)

    assert_is_ours(caught.value)
    assert (caught.value.status, caught.value.error_code) == (0, "stream_interrupted")
    assert caught.value.request_id == stream.request_id
    assert len(received) == 2  # what arrived was delivered, then the error


@pytest.mark.parametrize("count", [0, 1, 40, 120])
async def test_a_non_streaming_body_cut_short_is_a_connection_error(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway, count: int
) -> None:
    gw.add_fault((TinyPieces(16), ResetAfterBytes(count)), path=CHAT)
    client = make_client()

    with pytest.raises(MeshAPIError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert_is_ours(caught.value)
    assert caught.value.error_code == "connection_error"


async def test_a_reset_while_the_body_is_being_sent_is_a_send_failure() -> None:
    # A server that reads a little of a large upload and then resets: aiohttp reports
    # the same kind of error as a reset while waiting, the upload tracker tells them apart.
    async def reset_early(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(reset_early, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = AsyncMeshAPI(
        base_url=f"http://127.0.0.1:{port}", token="rsk_x", retry=RetryPolicy(max_retries=0)
    )
    try:
        with pytest.raises(APIConnectionError) as caught:
            await client.chat.completions.create(
                model=MODEL, messages=user("x" * (32 * 1024 * 1024))
            )
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()

    assert_is_ours(caught.value)
    assert "while sending the request" in str(caught.value)


# ------------------------------------------------------------------- nothing escapes, ever

FAULTS = [
    ResetBeforeResponse(),
    ResetAfterBytes(0),
    ResetAfterBytes(7),
    ResetAfterChunks(1),
    ResetAfterChunks(3, graceful=True),
    TruncatedJson(),
    RawBytes(b"data: {not json\n\n"),
    RawBytes([b"data: ", b"\xff\xfe\n\n"]),
    RawBytes(b"", status=200, content_type="application/json"),
]


async def _drive(client: AsyncMeshAPI, streaming: bool) -> AsyncIterator[None]:
    if streaming:
        async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as s:
            async for _ in s:
                yield None
    else:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))
        yield None


@pytest.mark.parametrize("streaming", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("fault", FAULTS, ids=[repr(f)[:40] for f in FAULTS])
async def test_no_aiohttp_exception_escapes(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway, fault: Any, streaming: bool
) -> None:
    gw.add_fault(fault, path=CHAT)
    client = make_client()

    try:
        async for _ in _drive(client, streaming):
            pass
    except MeshAPIError as error:
        assert_is_ours(error)
    # Any other exception (aiohttp's, asyncio's, OSError) fails the test by escaping.

    # The client is still usable afterwards.
    reply = await client.chat.completions.create(model=MODEL, messages=user("again"))
    assert reply.choices[0].message.content == "You said: again"


# ----------------------------------------------------------------------- the table itself

_KEY = ConnectionKey("h", 443, True, True, None, None, None)


def _connector_os_error() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(_KEY, OSError(111, "refused"))


TABLE: list[tuple[BaseException, Phase, Phase, bool]] = [
    # (exception, phase given by the caller, expected phase, timeout)
    (aiohttp.ConnectionTimeoutError("connect"), Phase.READ, Phase.CONNECT, True),
    (aiohttp.SocketTimeoutError("sock_read"), Phase.SEND, Phase.READ, True),
    (aiohttp.ServerTimeoutError("old aiohttp"), Phase.READ, Phase.READ, True),
    (_connector_os_error(), Phase.READ, Phase.CONNECT, False),
    (aiohttp.ClientConnectorDNSError(_KEY, OSError("dns")), Phase.READ, Phase.CONNECT, False),
    (aiohttp.ClientConnectorSSLError(_KEY, ssl.SSLError()), Phase.READ, Phase.CONNECT, False),
    (
        aiohttp.ClientConnectorCertificateError(_KEY, ssl.CertificateError("bad cert")),
        Phase.READ,
        Phase.CONNECT,
        False,
    ),
    (aiohttp.ServerFingerprintMismatch(b"a", b"b", "h", 443), Phase.READ, Phase.CONNECT, False),
    (aiohttp.InvalidURL("nope"), Phase.READ, Phase.CONNECT, False),
    (aiohttp.UploadAbortedError("not sent"), Phase.READ, Phase.SEND, False),
    (aiohttp.ClientPayloadError("cut"), Phase.SEND, Phase.READ, False),
    (HttpProcessingError(message="bad"), Phase.SEND, Phase.READ, False),
    (aiohttp.ServerDisconnectedError(), Phase.SEND, Phase.SEND, False),
    (aiohttp.ServerDisconnectedError(), Phase.READ, Phase.READ, False),
    (aiohttp.ClientOSError(104, "reset"), Phase.SEND, Phase.SEND, False),
    (aiohttp.ClientConnectionResetError("reset"), Phase.READ, Phase.READ, False),
    (aiohttp.ClientConnectionError("closed"), Phase.READ, Phase.READ, False),
    (asyncio.TimeoutError(), Phase.SEND, Phase.SEND, True),
    (ConnectionResetError(), Phase.READ, Phase.READ, False),
]


@pytest.mark.parametrize(("exc", "given", "phase", "timeout"), TABLE,
                         ids=[type(row[0]).__name__ + "-" + row[1].value for row in TABLE])
def test_the_mapping_table(exc: BaseException, given: Phase, phase: Phase, timeout: bool) -> None:
    failure = failure_from(exc, phase=given)

    assert (failure.phase, failure.timeout, failure.cause) == (phase, timeout, exc)
    error = failure.to_error()
    assert error.error_code == ("timeout" if timeout else "connection_error")
    assert error.__cause__ is exc
