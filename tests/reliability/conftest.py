"""Fixtures of the reliability suite: the behavioural suite's, plus what only it needs.

Every test runs once per driver (sync, asyncio, trio, aiohttp), exactly as in
`tests/client`: the fixtures below are that package's own (`driver`, `anyio_backend`,
`gateway`, `gw`, `token`, `make_client`, `client`), re-exported, so both suites build
clients the same way. This package adds

* `unresponsive_port`: a port on 127.0.0.1 that never completes a TCP handshake, for the
  connect timeout (the test stays on loopback);
* the fault matrix summary: `test_fault_matrix.py` records one outcome per (fault,
  driver) in `_matrix.RESULTS`, and the `pytest_terminal_summary` hook prints the table
  at the end of the run and writes it to a temporary file (never into the checkout).
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import Iterator

import pytest

from tests.client.conftest import (
    anyio_backend,
    client,
    driver,
    gateway,
    gw,
    make_client,
    token,
)

from . import _matrix

__all__ = [
    "anyio_backend",
    "client",
    "driver",
    "gateway",
    "gw",
    "make_client",
    "token",
    "unresponsive_port",
]


@pytest.fixture
def unresponsive_port() -> Iterator[int]:
    """A loopback port whose accept queue is full, so a connect to it hangs.

    `listen(0)` leaves room for one connection that nobody accepts; once a first client
    fills it, Linux drops every further SYN, so the next connect neither succeeds nor is
    refused: it waits until the client's connect timeout fires.
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(2):
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                with contextlib.suppress(BlockingIOError):  # in progress: fine
                    filler.connect(("127.0.0.1", port))
            yield port
        finally:
            for filler in fillers:
                filler.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault × driver table of this run, and where a copy was written."""
    if not _matrix.RESULTS:
        return
    table = _matrix.render()
    path = os.path.join(tempfile.gettempdir(), "meshapi_fault_matrix.md")
    with open(path, "w", encoding="utf-8") as out:
        out.write(table + "\n")
    terminalreporter.section("fault matrix (fault × driver → outcome)")
    terminalreporter.write_line(table)
    terminalreporter.write_line(f"(also written to {path})")
