"""`meshapi chat`: one-shot streaming, --json, piped stdin, sessions, templates."""

from __future__ import annotations

import json

from meshapi.testing import MeshAPIGateway

from .conftest import Run, last_body, ok

CHAT = "/v1/chat/completions"


def test_streams_the_reply_to_stdout(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("chat", "hello there", "-m", "openai/gpt-4o-mini"))
    assert result.stdout == "You said: hello there\n"
    body = last_body(gateway, CHAT)
    assert body["stream"] is True
    assert body["model"] == "openai/gpt-4o-mini"
    assert body["messages"] == [{"role": "user", "content": "hello there"}]


def test_options_reach_the_request(run: Run, gateway: MeshAPIGateway) -> None:
    ok(run("chat", "hi", "--system", "be brief", "--temperature", "0.5", "--max-tokens", "7"))
    body = last_body(gateway, CHAT)
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert body["temperature"] == 0.5
    assert body["max_tokens"] == 7
    assert "model" not in body  # no -m: the key's default model


def test_json_prints_the_final_completion(run: Run) -> None:
    result = ok(run("chat", "hello", "--json"))
    completion = json.loads(result.stdout)
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["message"]["content"] == "You said: hello"
    assert completion["usage"] == {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}
    assert completion["cost"]  # from the usage chunk


def test_usage_line_goes_to_stderr(run: Run) -> None:
    result = ok(run("chat", "hello", "--usage", "-m", "openai/gpt-4o-mini"))
    assert result.stdout == "You said: hello\n"
    assert "4 tokens (1 in, 3 out)" in result.stderr
    assert "openai/gpt-4o-mini" in result.stderr
    assert "req_" in result.stderr


def test_reads_the_prompt_from_piped_stdin(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("chat", input="from a pipe\n"))
    assert result.stdout == "You said: from a pipe\n"


def test_piped_stdin_comes_before_the_prompt(run: Run, gateway: MeshAPIGateway) -> None:
    ok(run("chat", "summarise this", input="some notes\n"))
    assert last_body(gateway, CHAT)["messages"][-1]["content"] == "some notes\n\nsummarise this"


def test_no_prompt_at_all_is_a_usage_error(run: Run) -> None:
    result = run("chat", input="")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no prompt")


def test_session_keeps_history(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("chat", "-i", "-s", "sys", input="first\nsecond\n/exit\nnever sent\n"))
    assert result.stdout == "You said: first\nYou said: second\n"
    assert last_body(gateway, CHAT)["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "You said: first"},
        {"role": "user", "content": "second"},
    ]


def test_session_reset_and_help(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("chat", "-i", input="one\n/reset\n/help\ntwo\n"))  # EOF ends it
    assert "history cleared" in result.stderr
    assert "/exit" in result.stderr
    assert last_body(gateway, CHAT)["messages"] == [{"role": "user", "content": "two"}]


def test_session_survives_a_failed_turn(run: Run) -> None:
    result = ok(run("chat", "-i", "-m", "x/y", input="hi\n/exit\n"))
    assert "error: model_not_found: Unknown model 'x/y'." in result.stderr


def test_session_refuses_json(run: Run) -> None:
    assert run("chat", "-i", "--json", input="").exit_code == 2


def test_template_and_variables(run: Run, gateway: MeshAPIGateway) -> None:
    ok(run("templates", "create", "chat-tpl", "--system", "You work for {{company}}."))
    ok(run("chat", "hi", "--template", "chat-tpl", "--var", "company=Acme"))
    body = last_body(gateway, CHAT)
    assert body["template"] == "chat-tpl"
    assert body["variables"] == {"company": "Acme"}
    bad = run("chat", "hi", "--var", "no-equals-sign")
    assert bad.exit_code == 2


def test_local_runs_without_any_configuration(run: Run) -> None:
    result = ok(run("chat", "hi", "--local", connect=False))
    assert result.stdout == "You said: hi\n"
    result = ok(run("--local", "chat", "hi there", connect=False))
    assert result.stdout == "You said: hi there\n"
