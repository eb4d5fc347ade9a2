"""The CLI in a real pseudo-terminal (pexpect): the interactive chat session, Ctrl-C,
the live compare view, and `meshapi gateway` in the foreground.

Each test spawns `python -m meshapi` as its own process, the way a user runs it, so
terminal detection, line editing, SIGINT and rich's Live redraws are the real ones.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Iterator

import pexpect
import pytest

from meshapi import MeshAPI
from meshapi.testing import GatewayTimings, MeshAPIGateway

from .conftest import CLEAN_ENV

TIMEOUT = 20
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CLEAN_ENV}
    env["TERM"] = "xterm-256color"
    return env


def _spawn(*args: str, dimensions: tuple[int, int] = (24, 120)) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "meshapi", *args],
        env=_env(),
        dimensions=dimensions,
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def _finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    status = child.exitstatus
    assert isinstance(status, int), child.signalstatus
    return status


@pytest.fixture(scope="module")
def slow_gateway() -> Iterator[MeshAPIGateway]:
    # 0.25 s between chat chunks: slow enough to press Ctrl-C in the middle of a reply.
    with MeshAPIGateway(timings=GatewayTimings(stream_chunk_delay=0.25)) as gw:
        yield gw


def _chat_messages(gw: MeshAPIGateway) -> list[dict[str, str]]:
    body = json.loads(gw.last_request(method="POST", path="/v1/chat/completions").body)
    messages: list[dict[str, str]] = body["messages"]
    return messages


@pytest.fixture(scope="module")
def gateway() -> Iterator[MeshAPIGateway]:
    with MeshAPIGateway() as gw:
        yield gw


def test_interactive_session_keeps_history(gateway: MeshAPIGateway) -> None:
    gw = gateway
    child = _spawn("chat", "-m", "openai/gpt-4o-mini", "--base-url", gw.url, "--token", gw.token)
    child.expect_exact("Chatting with openai/gpt-4o-mini")
    child.expect_exact("> ")
    child.sendline("first question")
    child.expect_exact("You said: first question")
    child.expect_exact("> ")
    child.sendline("second question")
    child.expect_exact("You said: second question")
    child.expect_exact("> ")
    # The second request carried the first turn: the session keeps its history.
    assert _chat_messages(gw) == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "You said: first question"},
        {"role": "user", "content": "second question"},
    ]
    child.sendline("/exit")
    assert _finish(child) == 0


def test_ctrl_c_cancels_the_reply_not_the_session(slow_gateway: MeshAPIGateway) -> None:
    gw = slow_gateway
    child = _spawn("chat", "--base-url", gw.url, "--token", gw.token)
    transcript = io.StringIO()
    child.logfile_read = transcript
    child.expect_exact("> ")
    child.sendline("one two three four five six seven eight nine ten")
    child.expect_exact("You ")  # the first fragment of a 12-word reply
    child.sendintr()
    child.expect_exact("(reply cancelled)")
    child.expect_exact("> ")
    # Ctrl-C at the prompt only clears the line.
    child.sendintr()
    child.expect_exact("> ")
    child.sendline("after")
    child.expect_exact("You said: after")
    child.expect_exact("> ")
    # The cancelled turn was dropped from the history.
    assert _chat_messages(gw) == [{"role": "user", "content": "after"}]
    child.sendeof()
    assert _finish(child) == 0
    # The cancelled reply never finished on screen.
    assert "You said: one two three four" not in ANSI.sub("", transcript.getvalue())


def test_live_compare_renders_every_column() -> None:
    models = ["openai/gpt-4o-mini", "google/gemini-2.5-flash"]
    child = _spawn(
        "compare", "hi", "-m", models[0], "-m", models[1], "--local", dimensions=(40, 200)
    )
    assert _finish(child) == 0
    screen = ANSI.sub("", child.before or "")
    lines = screen.replace("\r\n", "\n").split("\n")
    # Side by side: one line holds both column titles, another both answers.
    assert any(all(model in line for model in models) for line in lines), screen
    assert any(line.count("You said: hi") == 2 for line in lines), screen
    # It was live: the first frame (before any answer) was drawn, then the final one.
    assert "waiting…" in screen
    assert "synthesis · openai/gpt-4o-mini" in screen
    assert "cost (est.)" in screen


def test_gateway_runs_in_the_foreground() -> None:
    child = _spawn("gateway", "--port", "0")
    child.expect(r"MeshAPI local gateway on (http://127\.0\.0\.1:\d+)")
    url = child.match.group(1)
    child.expect(r"token: (rsk_\w+)")
    token = child.match.group(1)
    child.expect_exact("export MESHAPI_BASE_URL=")
    with MeshAPI(base_url=url, token=token) as client:
        assert client.models.list()
    child.sendintr()
    child.expect_exact("stopped")
    assert _finish(child) == 0


def test_ctrl_c_stops_a_one_shot_chat_with_status_130(slow_gateway: MeshAPIGateway) -> None:
    gw = slow_gateway
    child = _spawn("chat", "a b c d e f g h", "--base-url", gw.url, "--token", gw.token)
    child.expect_exact("You ")
    child.sendintr()
    assert _finish(child) == 130
    assert "Traceback" not in (child.before or "")


def test_gateway_reports_a_busy_port(gateway: MeshAPIGateway) -> None:
    child = _spawn("gateway", "--port", str(gateway.port))
    child.expect_exact(f"cannot listen on 127.0.0.1:{gateway.port}: Address already in use")
    assert _finish(child) == 1
