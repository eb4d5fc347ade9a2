"""Whose session: ours is created on first use and closed by aclose; the caller's never."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_aiohttp import AiohttpTransport, AsyncMeshAPI

from .conftest import NO_RETRY

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def transport_of(client: AsyncMeshAPI) -> AiohttpTransport:
    transport = client._transport
    assert isinstance(transport, AiohttpTransport)
    return transport


async def test_the_callers_session_is_used_and_never_closed(gw: MeshAPIGateway) -> None:
    # A default header only this session sends proves the requests went through it.
    async with aiohttp.ClientSession(headers={"X-Test-Session": "mine"}) as session:
        client = AsyncMeshAPI(base_url=gw.url, token=gw.token, session=session, retry=NO_RETRY)
        reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))
        await client.aclose()
        await client.aclose()  # idempotent, and still not ours to close

        assert reply.choices[0].message.content == "You said: hi"
        assert gw.last_request(path="/v1/chat/completions").header("x-test-session") == "mine"
        assert not session.closed
        assert transport_of(client).session is session
        # The session still works for its owner, and so does the client on it.
        async with session.get(gw.url + "/v1/models") as response:
            assert response.status == 401  # no key: the gateway answered, the session lives
        again = await client.models.list()
        assert again
    assert session.closed


async def test_our_session_is_created_on_first_use_and_closed_by_aclose(
    gw: MeshAPIGateway,
) -> None:
    client = AsyncMeshAPI(base_url=gw.url, token=gw.token, retry=NO_RETRY)
    transport = transport_of(client)
    assert transport.session is None  # nothing is created outside the loop's first call

    await client.chat.completions.create(model=MODEL, messages=user("hi"))
    session = transport.session
    assert session is not None and not session.closed

    await client.aclose()

    assert session.closed
    assert transport.session is None
    stats = await gw.await_connections(open=0)
    assert stats.open == 0
    with pytest.raises(RuntimeError, match="closed"):
        await client.models.list()


async def test_aclose_before_any_call_creates_nothing(gw: MeshAPIGateway) -> None:
    client = AsyncMeshAPI(base_url=gw.url, token=gw.token)

    await client.aclose()

    assert transport_of(client).session is None
    assert gw.connections.opened == 0


async def test_async_with_closes_our_session(gw: MeshAPIGateway) -> None:
    async with AsyncMeshAPI(base_url=gw.url, token=gw.token) as client:
        await client.models.list()
        session = transport_of(client).session
    assert session is not None and session.closed


async def test_session_must_be_an_aiohttp_session(gw: MeshAPIGateway) -> None:
    with pytest.raises(TypeError, match=r"aiohttp\.ClientSession"):
        AsyncMeshAPI(base_url=gw.url, token=gw.token, session=object())  # type: ignore[arg-type]


async def test_the_subclass_keeps_the_public_surface(
    make_client: Callable[..., AsyncMeshAPI],
) -> None:
    import meshapi

    client = make_client()
    assert isinstance(client, meshapi.AsyncMeshAPI)
    assert repr(client).startswith("AsyncMeshAPI(base_url=")
    assert "rsk_" not in repr(client.config)
