"""Fixtures of the behavioural suite: every test runs once per driver.

Driver ids and what they run:

* `sync`    — `MeshAPI` over `httpx.Client`, through the `Blocking` facade, on asyncio;
* `asyncio` — `AsyncMeshAPI` over `httpx.AsyncClient` under anyio's asyncio backend;
* `trio`    — the same client under anyio's trio backend;
* `aiohttp` — `meshapi_aiohttp.AsyncMeshAPI` on asyncio; skipped until it is importable.

Tests are `async def`, marked `anyio` (module-wide `pytestmark`), and take `client` (a
ready client) or `make_client(**kwargs)` (for clients with their own options). The
`anyio_backend` fixture is derived from the driver, so the combinations are exactly the
four above. One threaded `MeshAPIGateway` serves the whole session; every test gets a
fresh key (so templates, batches and files of other tests are invisible) and a gateway
without faults or earlier recorded requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from meshapi.testing import GatewayTimings, MeshAPIGateway

from ._harness import DRIVERS, FAST_RETRY, aiohttp_client_class, new_client

_AIOHTTP_MISSING = aiohttp_client_class() is None


def _driver_param(driver: str) -> Any:
    if driver == "aiohttp":
        return pytest.param(
            driver,
            id=driver,
            marks=pytest.mark.skipif(
                _AIOHTTP_MISSING, reason="meshapi_aiohttp.AsyncMeshAPI is not importable yet"
            ),
        )
    return pytest.param(driver, id=driver)


@pytest.fixture(params=[_driver_param(d) for d in DRIVERS])
def driver(request: pytest.FixtureRequest) -> str:
    """The driver under test: sync, asyncio, trio or aiohttp."""
    return str(request.param)


@pytest.fixture
def anyio_backend(driver: str) -> str:
    """trio for the trio driver; asyncio for the others (aiohttp is asyncio-only)."""
    return "trio" if driver == "trio" else "asyncio"


# Batches and RAG files move through their states in a fraction of a second, so tests
# that wait for them stay fast.
_FAST_TIMINGS = GatewayTimings(
    batch_validating=0.05,
    batch_in_progress=0.15,
    rag_upload=0.02,
    rag_embedding_pending=0.02,
    rag_embedding_processing=0.05,
    image_processing_interval=0.01,
)


@pytest.fixture(scope="session")
def gateway() -> Iterator[MeshAPIGateway]:
    with MeshAPIGateway(timings=_FAST_TIMINGS) as gw:
        yield gw


@pytest.fixture
def gw(gateway: MeshAPIGateway) -> Iterator[MeshAPIGateway]:
    """The session's gateway: no fault pending before or after the test, no old records."""
    gateway.clear_faults()
    gateway.clear_requests()
    yield gateway
    gateway.clear_faults()


@pytest.fixture
def token(gw: MeshAPIGateway) -> str:
    """A key of its own for this test: a fresh owner of templates, batches and files."""
    return gw.add_token()


@pytest.fixture
async def make_client(
    driver: str, gw: MeshAPIGateway, token: str
) -> AsyncIterator[Callable[..., Any]]:
    """Build clients of the driver under test; all of them are closed after the test.

    Defaults: the gateway's URL, this test's key, a 10 s timeout and retries that sleep
    about a millisecond (`FAST_RETRY`); any keyword overrides them (`max_retries=` drops
    the fast policy so that the alias is what counts).
    """
    clients: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", gw.url)
        kwargs.setdefault("token", token)
        kwargs.setdefault("timeout", 10.0)
        if "max_retries" not in kwargs:
            kwargs.setdefault("retry", FAST_RETRY)
        client = new_client(driver, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        await client.aclose()


@pytest.fixture
async def client(make_client: Callable[..., Any]) -> Any:
    """A client of the driver under test with the default test options."""
    return make_client()
