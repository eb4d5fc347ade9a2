"""Fixtures for the gateway tests: a fresh gateway per test (it starts in milliseconds),
and an httpx client bound to it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from meshapi.testing import MeshAPIGateway


@pytest.fixture
def gw() -> Iterator[MeshAPIGateway]:
    with MeshAPIGateway() as gateway:
        yield gateway


@pytest.fixture
def client(gw: MeshAPIGateway) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=gw.url, headers={"Authorization": f"Bearer {gw.token}"}, timeout=10
    ) as http:
        yield http
