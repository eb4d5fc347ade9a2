"""What reaches the wire, and what aiohttp must not do behind the core's back.

Headers and URLs exactly as the core built them (compared with the httpx driver on the
same calls), redirects never followed, a caller's session defaults not changing the
protocol, and connections given back to the pool only when their body was read to the end.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

import meshapi
from meshapi import AuthenticationError, MeshAPIError, NotFoundError
from meshapi.testing import MeshAPIGateway, RawBytes, RecordedRequest, StallBetweenChunks
from meshapi_aiohttp import AsyncMeshAPI

from .conftest import NO_RETRY

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
CHAT = "/v1/chat/completions"
# §1.3: the headers a transport may add of its own; Content-Length and Connection are
# HTTP/1.1 framing (httpx sends `Connection: keep-alive`, aiohttp relies on the default).
TRANSPORT_OWNED = {"host", "user-agent", "accept-encoding", "content-length", "connection"}


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def shape(record: RecordedRequest) -> tuple[str, str]:
    """Method and path, with server-made template ids masked."""
    return record.method, re.sub(r"tmpl_[0-9a-f]+", "tmpl_*", record.raw_path)


def sdk_headers(record: RecordedRequest) -> dict[str, str]:
    headers = {name.lower(): value for name, value in record.headers}
    assert len(headers) == len(record.headers), "a header was sent twice"
    return {name: value for name, value in headers.items() if name not in TRANSPORT_OWNED}


async def _calls(client: Any, tag: str) -> None:
    """One call of each shape: JSON POST, GET, PATCH, DELETE, a stream, header removal."""
    await client.chat.completions.create(
        model=MODEL, messages=user("hi"), idempotency_key=f"{tag}-1"
    )
    await client.models.list()
    created = await client.templates.create(name="t", messages=user("{{x}}"))
    await client.templates.update(created.id, description="d")
    await client.templates.delete(created.id)
    async with client.chat.completions.stream(
        model=MODEL, messages=user("hi"), idempotency_key=f"{tag}-2"
    ) as stream:
        await stream.until_done()
    await client.models.list(extra_headers={"Accept": None, "X-Extra": "1"})


async def test_headers_are_sent_exactly_as_the_core_built_them(gw: MeshAPIGateway) -> None:
    async with meshapi.AsyncMeshAPI(base_url=gw.url, token=gw.token, retry=NO_RETRY) as ref:
        await _calls(ref, "httpx")
    reference = gw.requests
    gw.clear_requests()
    async with AsyncMeshAPI(base_url=gw.url, token=gw.token, retry=NO_RETRY) as client:
        await _calls(client, "aiohttp")
    ours = gw.requests

    assert [shape(r) for r in ours] == [shape(r) for r in reference]
    for mine, theirs in zip(ours, reference, strict=True):
        mine_headers, their_headers = sdk_headers(mine), sdk_headers(theirs)
        # Keys differ by construction (each client's own, or a fresh uuid4 per call).
        mine_key = mine_headers.pop("idempotency-key", None)
        their_key = their_headers.pop("idempotency-key", None)
        assert (mine_key is None) == (their_key is None)
        if mine is ours[-1]:
            # httpx puts its default `Accept: */*` back where the caller removed Accept.
            their_headers.pop("accept", None)
        assert mine_headers == their_headers, (mine.method, mine.path)
        assert mine.body == theirs.body
    get_models, no_accept = ours[1], ours[-1]
    assert not get_models.has_header("content-type")  # §1.3: never on GET or DELETE
    assert not ours[4].has_header("content-type")
    assert not no_accept.has_header("accept")  # removed by extra_headers, not re-added


async def test_path_ids_keep_the_cores_percent_encoding(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    client = make_client()

    with pytest.raises(NotFoundError):
        await client.templates.get("a/b?c d~é%2F")

    # The core's escapes arrive untouched: `%2F` is not a `/`, `%25` is not re-quoted.
    assert gw.last_request().raw_path == "/v1/templates/a%2Fb%3Fc%20d~%C3%A9%252F"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_not_followed(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway, status: int
) -> None:
    gw.add_fault(
        RawBytes(b"", status=status, content_type=None,
                 headers={"Location": gw.url + "/v1/models/free"}),
        path="/v1/models",
    )
    client = make_client()

    with pytest.raises(MeshAPIError) as caught:
        await client.models.list()

    assert (caught.value.status, caught.value.error_code) == (status, "http_error")
    assert [r.path for r in gw.requests] == ["/v1/models"]


async def test_a_callers_session_defaults_do_not_change_the_protocol(
    gw: MeshAPIGateway,
) -> None:
    body = json.dumps([{"id": "m/m", "name": "M", "is_free": True}]).encode()
    gw.add_fault(
        RawBytes(gzip.compress(body), content_type="application/json",
                 headers={"Content-Encoding": "gzip"}),
        path="/v1/models",
    )
    async with aiohttp.ClientSession(
        raise_for_status=True, auto_decompress=False, timeout=aiohttp.ClientTimeout(total=0.001)
    ) as session:
        client = AsyncMeshAPI(base_url=gw.url, token=gw.token, session=session, retry=NO_RETRY)
        # Decompressed although the session would not; its 1 ms total timeout is replaced
        # by the call's own.
        models = await client.models.list()
        assert [m.id for m in models] == ["m/m"]
        # A 401 is the SDK's error from the body, not aiohttp's raise_for_status.
        bad = AsyncMeshAPI(base_url=gw.url, token="rsk_wrong", session=session, retry=NO_RETRY)
        with pytest.raises(AuthenticationError) as caught:
            await bad.models.list()
        assert caught.value.error_code == "unauthorized"


async def test_cookies_set_by_the_gateway_are_not_sent_back(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    gw.add_fault(
        RawBytes(b"[]", content_type="application/json", headers={"Set-Cookie": "a=b; Path=/"}),
        path="/v1/models",
    )
    client = make_client()

    await client.models.list()
    await client.models.list()

    assert not gw.requests[-1].has_header("cookie")


# ------------------------------------------------------------------ connections released


async def test_a_stream_read_to_the_end_leaves_its_connection_for_reuse(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    client = make_client()

    async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as stream:
        await stream.until_done()
    await client.models.list()

    first, second = gw.requests
    assert first.connection == second.connection
    assert gw.connections.opened == 1


async def test_an_error_body_read_before_a_stream_leaves_its_connection_for_reuse(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    client = make_client()

    with pytest.raises(NotFoundError):
        async with client.chat.completions.stream(model="no/such-model", messages=user("hi")):
            pass
    await client.models.list()

    first, second = gw.requests
    assert first.connection == second.connection


async def test_an_abandoned_stream_closes_its_connection_instead_of_pooling_it(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    gw.add_fault(StallBetweenChunks(0.3, after=1), path=CHAT)
    client = make_client()

    async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as stream:
        async for _ in stream:
            break  # half-read: the rest of the body is still on the way

    stats = await gw.await_connections(open=0)
    assert stats.open == 0
    await client.models.list()
    assert gw.connections.opened == 2
    assert gw.requests[0].connection != gw.requests[1].connection


async def test_a_large_body_arrives_byte_for_byte(
    make_client: Callable[..., AsyncMeshAPI], gw: MeshAPIGateway
) -> None:
    # Above 1 MiB the body goes to aiohttp as a BytesIO (written in pieces): same bytes.
    text = "0123456789abcdef" * (3 * 1024 * 1024 // 16)
    client = make_client()

    reply = await client.chat.completions.create(model=MODEL, messages=user(text))

    record = gw.last_request(path=CHAT)
    assert record.header("content-length") == str(len(record.body))
    assert record.json()["messages"][0]["content"] == text
    assert reply.choices[0].message.content == f"You said: {text}"
