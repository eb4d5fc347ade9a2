"""`meshapi batch`: submit (with --wait), get, list, cancel, results as JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Run, ok

FAST = ("--poll-interval", "0.05")


@pytest.fixture
def requests_file(tmp_path: Path) -> Path:
    lines = [
        {
            "custom_id": "a",
            "body": {
                "model": "openai/gpt-4o-mini",
                "messages": [{"role": "user", "content": "one"}],
            },
        },
        {"messages": [{"role": "user", "content": "two"}]},  # a bare body
        {
            "custom_id": "c",
            "body": {"model": "x/y", "messages": [{"role": "user", "content": "three"}]},
        },
    ]
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    return path


def test_submit_wait_and_results(run: Run, requests_file: Path) -> None:
    result = ok(run("batch", "submit", str(requests_file), "--wait", "--json", *FAST))
    batch = json.loads(result.stdout)
    assert batch["status"] == "completed"
    assert batch["request_counts"] == {"total": 3, "completed": 2, "failed": 1}
    results = ok(run("batch", "results", batch["id"])).stdout.splitlines()
    entries = [json.loads(line) for line in results]
    assert [e["custom_id"] for e in entries] == ["a", "request-2", "c"]
    assert entries[0]["response"]["body"]["choices"][0]["message"]["content"] == "You said: one"
    assert entries[2]["error"]["code"] == "model_not_found"


def test_get_list_and_cancel(run: Run, requests_file: Path) -> None:
    created = json.loads(ok(run("batch", "submit", str(requests_file), "--json")).stdout)
    assert created["status"] == "validating"
    got = json.loads(ok(run("batch", "get", created["id"], "--json")).stdout)
    assert got["id"] == created["id"]
    listed = json.loads(ok(run("batch", "list", "--json", "--limit", "5")).stdout)
    assert created["id"] in [item["id"] for item in listed["data"]]
    table = ok(run("batch", "list")).stdout
    assert created["id"] in table
    cancelled = json.loads(ok(run("batch", "cancel", created["id"], "--json")).stdout)
    assert cancelled["status"] == "cancelled"
    human = ok(run("batch", "get", created["id"])).stdout
    assert "cancelled" in human


def test_results_before_completion(run: Run, requests_file: Path) -> None:
    created = json.loads(ok(run("batch", "submit", str(requests_file), "--json")).stdout)
    early = run("batch", "results", created["id"])
    assert early.exit_code == 1
    assert "add --wait" in early.stderr
    lines = ok(run("batch", "results", created["id"], "--wait", *FAST)).stdout.splitlines()
    assert len(lines) == 3


def test_submit_from_stdin_and_human_output(run: Run) -> None:
    line = json.dumps({"custom_id": "x", "body": {"messages": [{"role": "user", "content": "hi"}]}})
    result = ok(run("batch", "submit", "-", "--wait", *FAST, input=line + "\n"))
    assert "completed" in result.stdout
    assert "1/1 done" in result.stdout
    assert "submitted batch_" in result.stderr


def test_bad_lines_name_file_and_line(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"custom_id": "a", "body": {"messages": []}}\nnot json\n', encoding="utf-8")
    result = run("batch", "submit", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}:2: not JSON")
    path.write_text('{"custom_id": "a"}\n', encoding="utf-8")
    assert "needs custom_id and a body" in run("batch", "submit", str(path)).stderr
    path.write_text("\n", encoding="utf-8")
    assert "no requests" in run("batch", "submit", str(path)).stderr
