"""`meshapi compare`: the live columns (as rendered to a file), the judge, the table, --json."""

from __future__ import annotations

import json

from meshapi.testing import MeshAPIGateway

from .conftest import Run, last_body, ok

COMPARE = "/v1/chat/compare"
A, B = "openai/gpt-4o-mini", "google/gemini-2.5-flash"


def _line_with_all(text: str, *needles: str) -> str | None:
    for line in text.splitlines():
        if all(needle in line for needle in needles):
            return line
    return None


def test_columns_synthesis_and_table(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("compare", "hi there", "-m", A, "-m", B))
    out = result.stdout
    # The columns sit side by side: both titles on one line, both answers on another.
    assert _line_with_all(out, A, B)
    answers = _line_with_all(out, "You said: hi there")
    assert answers is not None and answers.count("You said: hi there") == 2
    assert f"synthesis · {A}" in out
    assert "Compared 2 answers." in out
    assert _line_with_all(out, "model", "latency", "tokens in/out", "cost (est.)")
    # 2 prompt and 4 completion tokens at $0.15 / $0.60 per 1M.
    assert _line_with_all(out, A, "ok", "2 / 4", "$0.0000027")
    body = last_body(gateway, COMPARE)
    assert body["models"] == [A, B]
    assert body["skip_comparison"] is False
    assert body["stream"] is True


def test_judge_and_instructions(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("compare", "hi", "-m", A, "-m", B, "--judge", B, "--instructions", "be fair"))
    assert f"synthesis · {B}" in result.stdout
    body = last_body(gateway, COMPARE)
    assert body["comparison_model"] == B
    assert body["comparison_instructions"] == "be fair"


def test_no_judge_streams_tokens_without_synthesis(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("compare", "hi", "-m", A, "-m", B, "--no-judge"))
    answers = _line_with_all(result.stdout, "You said: hi")
    assert answers is not None and answers.count("You said: hi") == 2
    assert "synthesis" not in result.stdout
    assert last_body(gateway, COMPARE)["skip_comparison"] is True
    assert run("compare", "hi", "-m", A, "--no-judge", "--judge", B).exit_code == 2


def test_a_failing_model_is_shown_not_fatal(run: Run) -> None:
    result = ok(run("compare", "hi", "-m", A, "-m", "x/y", "-m", B))
    out = result.stdout
    assert "Unknown model 'x/y'." in out
    assert _line_with_all(out, "x/y", "failed: model_not_found")
    assert "partial: some models" in out  # the caption wraps at the table width


def test_json_is_the_compare_response(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(run("compare", "hi", "-m", A, "-m", B, "--json"))
    response = json.loads(result.stdout)
    assert response["comparison_id"].startswith("cmp_")
    assert [r["model"] for r in response["results"]] == [A, B]
    assert all(r["content"] == "You said: hi" for r in response["results"])
    assert response["comparison"].startswith("Compared 2 answers.")
    assert last_body(gateway, COMPARE)["stream"] is False


def test_prompt_from_stdin_and_system(run: Run, gateway: MeshAPIGateway) -> None:
    ok(run("compare", "-m", A, "-m", B, "--system", "terse", input="piped question\n"))
    assert last_body(gateway, COMPARE)["messages"] == [
        {"role": "system", "content": "terse"},
        {"role": "user", "content": "piped question"},
    ]
