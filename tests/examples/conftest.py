"""The examples, run against the local gateway.

Examples are scripts, not a package: tests load them from their files (`load_example`)
or run them as a user would (`run_example`, a subprocess with the gateway in the
environment), and check what they print or serve.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from meshapi.testing import MeshAPIGateway

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> ModuleType:
    """Import `examples/<name>.py` as a module (once per test session)."""
    module_name = f"_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run_example(
    name: str,
    args: Sequence[str],
    gw: MeshAPIGateway,
    *,
    with_token: bool = True,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `python examples/<name>.py args...` with MESHAPI_BASE_URL (and _TOKEN) set."""
    env = {**os.environ, "MESHAPI_BASE_URL": gw.url, "MESHAPI_TOKEN": gw.token}
    if not with_token:
        del env["MESHAPI_TOKEN"]
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def gw() -> Iterator[MeshAPIGateway]:
    """A gateway of its own for each test, on its own thread."""
    with MeshAPIGateway() as gateway:
        yield gateway
