"""Fixtures for the aiohttp driver's own tests: asyncio only, a fresh gateway per test.

The behavioural suite (`tests/client`) runs every shared test on this driver too; the
tests here cover what only this driver has: the caller's session, our session's life,
how aiohttp's exceptions map onto phases, and what aiohttp would otherwise add or do
behind the core's back (headers, redirects, hidden resends, half-read connections).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from meshapi import RetryPolicy
from meshapi.testing import MeshAPIGateway
from meshapi_aiohttp import AsyncMeshAPI

# No retries unless a test asks: a test about one attempt must see exactly one.
NO_RETRY = RetryPolicy(max_retries=0)


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp is asyncio-only."""
    return "asyncio"


@pytest.fixture
def gw() -> Iterator[MeshAPIGateway]:
    """A gateway of its own for each test (on its own thread; it starts in milliseconds)."""
    with MeshAPIGateway() as gateway:
        yield gateway


@pytest.fixture
async def make_client(gw: MeshAPIGateway) -> AsyncIterator[Callable[..., AsyncMeshAPI]]:
    """Build `meshapi_aiohttp.AsyncMeshAPI` clients for the gateway; closed after the test."""
    clients: list[AsyncMeshAPI] = []

    def make(**kwargs: Any) -> AsyncMeshAPI:
        kwargs.setdefault("base_url", gw.url)
        kwargs.setdefault("token", gw.token)
        kwargs.setdefault("timeout", 10.0)
        kwargs.setdefault("retry", NO_RETRY)
        client = AsyncMeshAPI(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        await client.aclose()
