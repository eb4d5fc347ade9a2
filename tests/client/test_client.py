"""The client object itself: which driver runs where, construction, lifecycle, and the
caller's own HTTP client."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from meshapi import AsyncMeshAPI, MeshAPI
from meshapi.testing import MeshAPIGateway

from ._harness import Blocking, aiohttp_client_class, connections_settle, new_client, user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"


def running_event_loop() -> str:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import trio

        trio.lowlevel.current_task()  # raises unless trio runs this code
        return "trio"
    return "asyncio"


async def test_each_driver_runs_its_own_client_on_its_own_event_loop(
    client: Any, driver: str
) -> None:
    expected_loop = {"sync": "asyncio", "asyncio": "asyncio", "trio": "trio", "aiohttp": "asyncio"}[
        driver
    ]
    assert running_event_loop() == expected_loop
    if driver == "sync":
        assert isinstance(client, Blocking) and type(client.wrapped) is MeshAPI
    elif driver == "aiohttp":
        assert type(client) is aiohttp_client_class()
    else:
        assert type(client) is AsyncMeshAPI

    reply = await client.chat.completions.create(model=MODEL, messages=user("hi"))
    assert reply.choices[0].message.content == "You said: hi"


async def test_no_token_anywhere_is_a_clear_error_at_construction(
    driver: str, gw: MeshAPIGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MESHAPI_TOKEN", raising=False)

    with pytest.raises(ValueError, match="MESHAPI_TOKEN"):
        new_client(driver, base_url=gw.url)


async def test_the_environment_supplies_base_url_and_token(
    driver: str, gw: MeshAPIGateway, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESHAPI_BASE_URL", gw.url)
    monkeypatch.setenv("MESHAPI_TOKEN", token)
    client = new_client(driver)
    try:
        assert await client.models.free()
    finally:
        await client.aclose()

    assert gw.last_request().header("authorization") == f"Bearer {token}"


async def test_the_token_never_shows_in_a_repr(client: Any, token: str) -> None:
    assert token not in repr(client)
    assert token not in repr(client.config)
    assert "***" in repr(client.config)


async def test_the_client_is_an_async_context_manager(
    driver: str, gw: MeshAPIGateway, token: str
) -> None:
    async with new_client(driver, base_url=gw.url, token=token) as client:
        assert await client.models.paid()

    assert (await connections_settle(gw, lambda s: s.open == 0)).open == 0


async def test_a_caller_owned_http_client_is_used_and_never_closed(
    driver: str, make_client: Any, gw: MeshAPIGateway
) -> None:
    seen: list[str] = []
    if driver == "sync":
        own: Any = httpx.Client(event_hooks={"request": [lambda r: seen.append(r.url.path)]})
        client = make_client(httpx_client=own)
    elif driver in ("asyncio", "trio"):

        async def hook(request: httpx.Request) -> None:
            seen.append(request.url.path)

        own = httpx.AsyncClient(event_hooks={"request": [hook]})
        client = make_client(async_httpx_client=own)
    else:
        import aiohttp

        own = aiohttp.ClientSession()
        client = make_client(session=own)
    try:
        await client.models.list()
        async with client.chat.completions.stream(model=MODEL, messages=user("hi")) as s:
            await s.until_done()
        await client.aclose()

        if driver == "aiohttp":
            assert not own.closed
        else:
            assert not own.is_closed
            assert seen == ["/v1/models", "/v1/chat/completions"]
    finally:
        if driver == "sync":
            own.close()
        elif driver == "aiohttp":
            await own.close()
        else:
            await own.aclose()
