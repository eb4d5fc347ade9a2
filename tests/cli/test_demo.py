"""`scripts/demo.py`, the quick start: a streamed chat and a live compare through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import CLEAN_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_cli_against_the_local_gateway() -> None:
    env = {key: value for key, value in os.environ.items() if key not in CLEAN_ENV}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--fast"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "$ meshapi chat 'Write a haiku about Python.'" in out
    assert "You said: Write a haiku about Python." in out
    assert "$ meshapi compare 'What is the capital of France?'" in out
    assert "openai/gpt-4o-mini" in out and "anthropic/claude-haiku-4.5" in out
    assert "synthesis" in out
    assert "tokens" in done.stderr  # the chat's --usage line


def test_demo_shell_wrapper_installs_the_cli_extra() -> None:
    script = (ROOT / "scripts" / "demo").read_text(encoding="utf-8")
    assert 'MESHAPI_EXTRAS="${MESHAPI_EXTRAS:-cli}"' in script
    assert (
        subprocess.run(["bash", "-n", str(ROOT / "scripts" / "demo")], check=False).returncode == 0
    )
