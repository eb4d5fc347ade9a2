"""meshapi_core is Sans-I/O: it never imports a network or event-loop library.

Three views of the same rule: what a fresh interpreter holds after importing every core
module; the same import with those libraries made unimportable; and a static read of the
sources for forbidden imports and for `time.sleep`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import meshapi_core

CORE_DIR = Path(meshapi_core.__file__).parent
DRIVER_LIBRARIES = ("httpx", "httpcore", "aiohttp", "anyio", "trio", "asyncio")
FORBIDDEN_IMPORTS = (*DRIVER_LIBRARIES, "socket", "ssl", "select", "threading")

IMPORT_EVERY_CORE_MODULE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import meshapi_core
    for info in pkgutil.walk_packages(meshapi_core.__path__, "meshapi_core."):
        importlib.import_module(info.name)
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_importing_the_core_loads_no_driver_library() -> None:
    code = IMPORT_EVERY_CORE_MODULE + textwrap.dedent(
        f"""
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {DRIVER_LIBRARIES!r})
        print(",".join(loaded))
        """
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_core_imports_with_driver_libraries_blocked() -> None:
    # A finder that refuses the driver libraries: an import hidden anywhere in the core
    # (even inside a function body run at import time) fails loudly.
    blocker = textwrap.dedent(
        f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {DRIVER_LIBRARIES!r}:
                    raise ImportError("blocked: " + name)
                return None
        sys.meta_path.insert(0, Block())
        """
    )
    result = _run(blocker + IMPORT_EVERY_CORE_MODULE + "print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _core_sources() -> list[Path]:
    return sorted(CORE_DIR.rglob("*.py"))


def test_no_core_module_imports_io_or_event_loop_modules() -> None:
    offenders: list[str] = []
    for path in _core_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN_IMPORTS:
                    offenders.append(f"{path.name}:{node.lineno} imports {name}")
    assert offenders == []


def test_no_core_module_sleeps() -> None:
    offenders: list[str] = []
    for path in _core_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "time"
                and any(alias.name == "sleep" for alias in node.names)
            ):
                offenders.append(f"{path.name}:{node.lineno} imports time.sleep")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "sleep"
                and isinstance(node.value, ast.Name)
                and node.value.id == "time"
            ):
                offenders.append(f"{path.name}:{node.lineno} calls time.sleep")
    assert offenders == []


def test_the_static_check_sees_every_core_module() -> None:
    # Guard against the checks above passing vacuously on an empty glob.
    names = {path.name for path in _core_sources()}
    assert {"__init__.py", "_errors.py", "_request.py"} <= names
