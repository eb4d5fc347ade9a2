"""One version, everywhere: the distribution, `meshapi.__version__` and the SDK header."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import tomllib

import meshapi
import meshapi_core
from meshapi_core._config import SDK_HEADER_VALUE

ROOT = Path(__file__).resolve().parents[2]


def test_public_version_is_the_core_version() -> None:
    assert meshapi.__version__ == meshapi_core.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", meshapi.__version__)


def test_installed_distribution_reports_the_same_version() -> None:
    assert importlib.metadata.version("meshapi") == meshapi.__version__


def test_pyproject_reads_the_version_from_the_one_source() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    source = ROOT / pyproject["tool"]["hatch"]["version"]["path"]
    assert source.resolve() == Path(meshapi_core._version.__file__).resolve()


def test_sdk_header_carries_the_version() -> None:
    assert SDK_HEADER_VALUE == f"python/{meshapi.__version__}"
    assert meshapi.__version__ != "0.1.0"  # the 0.1.4 package's wrong report (§8.4)
