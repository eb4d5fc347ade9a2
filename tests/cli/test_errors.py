"""Errors: one `error:` line on stderr, exit status 1 (2 for usage), tracebacks on --debug."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from meshapi.cli import main
from meshapi.testing import MeshAPIGateway

from .conftest import Run

LINE = re.compile(r"^error: (?P<code>[a-z_]+): (?P<message>.+) \(request (?P<rid>req_\w+)\)$")


def test_bad_token(run: Run, gateway: MeshAPIGateway) -> None:
    result = run("models", "--base-url", gateway.url, "--token", "rsk_wrong", connect=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    line = result.stderr.strip()
    match = LINE.match(line)
    assert match, line
    assert match["code"] == "unauthorized"
    assert "Traceback" not in result.stderr
    assert "rsk_wrong" not in result.stderr


def test_unknown_model(run: Run) -> None:
    result = run("chat", "hi", "-m", "x/y")
    assert result.exit_code == 1
    match = LINE.match(result.stderr.strip())
    assert match, result.stderr
    assert match["code"] == "model_not_found"
    assert match["message"] == "Unknown model 'x/y'."


def test_not_found(run: Run) -> None:
    result = run("batch", "get", "batch_nope")
    assert result.exit_code == 1
    assert LINE.match(result.stderr.strip())


def test_debug_adds_the_traceback(run: Run) -> None:
    result = run("chat", "hi", "-m", "x/y", "--debug")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: model_not_found: ")


def test_token_from_the_environment(run: Run, gateway: MeshAPIGateway) -> None:
    env = {"MESHAPI_TOKEN": gateway.token, "MESHAPI_BASE_URL": gateway.url}
    result = run("chat", "hi", connect=False, env=env)
    assert result.exit_code == 0
    # A flag wins over the environment.
    result = run("chat", "hi", "--token", "rsk_wrong", connect=False, env=env)
    assert result.exit_code == 1
    assert "unauthorized" in result.stderr


def test_missing_token_is_a_usage_error(run: Run) -> None:
    result = run("models", connect=False)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: no API key: set MESHAPI_TOKEN or pass --token (or try --local)"
    )


def test_local_with_an_explicit_gateway_is_a_usage_error(run: Run) -> None:
    result = run("models", "--local", "--base-url", "http://127.0.0.1:9", connect=False)
    assert result.exit_code == 2


def test_click_usage_errors_exit_2(run: Run) -> None:
    assert run("compare", "hi").exit_code == 2  # -m is required
    assert run("chat", "hi", "--temperature", "3").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_unreachable_gateway(run: Run) -> None:
    # Port 9 (discard) is closed on loopback: a connection error, after the retries.
    result = run("models", "--base-url", "http://127.0.0.1:9", "--token", "rsk_x", connect=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: connection_error: ")


def test_main_returns_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "meshapi" in capsys.readouterr().out
    assert main(["compare", "hi"]) == 2


def test_library_does_not_need_the_cli_extra() -> None:
    # With click and rich unavailable, `import meshapi` (and the local gateway) still
    # work, the CLI package is never imported by them, and `main()` explains what is
    # missing instead of raising ImportError.
    code = (
        "import sys\n"
        "sys.modules['click'] = None\n"
        "sys.modules['rich'] = None\n"
        "import meshapi, meshapi.testing\n"
        "assert 'meshapi.cli' not in sys.modules\n"
        "from meshapi.cli import main\n"
        "raise SystemExit(main(['models']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "pip install 'meshapi[cli]'" in done.stderr


def test_bad_local_stream_delay(run: Run) -> None:
    result = run("chat", "hi", "--local", connect=False, env={"MESHAPI_LOCAL_STREAM_DELAY": "x"})
    assert result.exit_code == 2
    assert "MESHAPI_LOCAL_STREAM_DELAY" in result.stderr
