"""`meshapi rag`: upload (with --embed --wait), search, list, embed."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Run, ok

FAST = ("--poll-interval", "0.05")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    handbook = tmp_path / "handbook.txt"
    handbook.write_text("New hires complete onboarding in week one.\n", encoding="utf-8")
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\nLunch is at noon.\n", encoding="utf-8")
    return handbook, notes


def test_upload_embed_wait_then_search(run: Run, tmp_path: Path) -> None:
    handbook, notes = _files(tmp_path)
    result = ok(
        run(
            "rag",
            "upload",
            str(handbook),
            str(notes),
            "--embed",
            "--wait",
            "--metadata",
            "team=hr",
            "--json",
            *FAST,
        )
    )
    statuses = json.loads(result.stdout)
    assert [s["file_name"] for s in statuses] == ["handbook.txt", "notes.md"]
    assert all(s["upload_status"] == "ready" for s in statuses)
    assert all(s["embedding_status"] == "ready" for s in statuses)
    assert statuses[0]["metadata"] == {"team": "hr"}
    assert statuses[1]["mime_type"] == "text/markdown"

    ids = [s["file_id"] for s in statuses]
    found = json.loads(
        ok(run("rag", "search", "when is onboarding", "--file-id", ids[0], "--json")).stdout
    )
    assert found["results"]
    assert found["results"][0]["file_id"] == ids[0]
    human = ok(run("rag", "search", "onboarding", "-k", "1")).stdout
    assert "handbook.txt #0" in human or "notes.md #0" in human

    listed = json.loads(ok(run("rag", "list", "--json")).stdout)
    assert set(ids) <= {f["file_id"] for f in listed["files"]}
    assert "files" in ok(run("rag", "list")).stdout


def test_upload_without_embed_then_embed(run: Run, tmp_path: Path) -> None:
    handbook, _ = _files(tmp_path)
    statuses = json.loads(ok(run("rag", "upload", str(handbook), "--wait", "--json", *FAST)).stdout)
    assert statuses[0]["upload_status"] == "ready"
    assert statuses[0]["embedding_status"] == "not_started"
    file_id = statuses[0]["file_id"]
    response = json.loads(ok(run("rag", "embed", file_id, "file_nope", "--wait", "--json")).stdout)
    by_id = {r["file_id"]: r for r in response["results"]}
    assert by_id[file_id]["embedding_status"] == "ready"
    assert by_id["file_nope"]["embedding_status"] == "failed"
    table = ok(run("rag", "embed", file_id)).stdout
    assert file_id in table


def test_human_upload_output(run: Run, tmp_path: Path) -> None:
    handbook, _ = _files(tmp_path)
    result = ok(run("rag", "upload", str(handbook)))
    assert "uploaded handbook.txt as file_" in result.stderr
    assert "handbook.txt" in result.stdout
    assert run("rag", "upload", str(tmp_path / "missing.txt")).exit_code == 2
