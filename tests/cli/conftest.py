"""Fixtures for the CLI tests: one local gateway per module, and a CliRunner bound to it.

Commands run in-process through click's `CliRunner`, against that gateway (its URL and
key passed as `--base-url` / `--token`) or against `--local`. The environment is cleaned
so a developer's own MESHAPI_* settings or colour forcing cannot leak into a test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

from meshapi.cli._app import cli
from meshapi.testing import MeshAPIGateway

CLEAN_ENV: dict[str, str | None] = {
    "MESHAPI_TOKEN": None,
    "MESHAPI_BASE_URL": None,
    "MESHAPI_LOCAL_STREAM_DELAY": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "NO_COLOR": "1",
    # Wide enough that tables keep every column and model names stay whole.
    "COLUMNS": "160",
}

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def gateway() -> Iterator[MeshAPIGateway]:
    with MeshAPIGateway() as gw:
        yield gw


@pytest.fixture
def run(gateway: MeshAPIGateway) -> Run:
    """`run(*args, input=None, connect=True, env=None)`: invoke `meshapi` in-process.

    With `connect` the gateway's `--base-url` and `--token` go before the command;
    without it the arguments are used as given (for `--local`, env and error cases).
    """
    runner = CliRunner()

    def invoke(
        *args: str,
        input: str | None = None,
        connect: bool = True,
        env: dict[str, str | None] | None = None,
    ) -> Result:
        prefix: Sequence[str] = (
            ["--base-url", gateway.url, "--token", gateway.token] if connect else []
        )
        return runner.invoke(
            cli,
            [*prefix, *args],
            input=input,
            env={**CLEAN_ENV, **(env or {})},
            catch_exceptions=False,
        )

    return invoke


def last_body(gateway: MeshAPIGateway, path: str) -> Any:
    """The JSON body of the most recent POST to `path`."""
    return json.loads(gateway.last_request(method="POST", path=path).body)


def ok(result: Result) -> Result:
    """Assert a zero exit status, showing the output when it is not."""
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result
