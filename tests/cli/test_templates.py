"""`meshapi templates`: create, list, get, update, delete."""

from __future__ import annotations

import json
from pathlib import Path

from meshapi.testing import MeshAPIGateway

from .conftest import Run, last_body, ok


def test_crud_cycle(run: Run, gateway: MeshAPIGateway) -> None:
    created = json.loads(
        ok(
            run(
                "templates",
                "create",
                "support",
                "--system",
                "You help customers of {{company}}.",
                "--variable",
                "company",
                "-m",
                "openai/gpt-4o-mini",
                "--param",
                "temperature=0.2",
                "--message",
                "user:Hello {{company}}",
                "--json",
            )
        ).stdout
    )
    assert created["name"] == "support"
    assert last_body(gateway, "/v1/templates") == {
        "name": "support",
        "system": "You help customers of {{company}}.",
        "model": "openai/gpt-4o-mini",
        "variables": ["company"],
        "messages": [{"role": "user", "content": "Hello {{company}}"}],
        "params": {"temperature": 0.2},
    }
    template_id = created["id"]

    listed = json.loads(ok(run("templates", "list", "--json")).stdout)
    assert template_id in [t["id"] for t in listed]
    assert template_id in ok(run("templates", "list")).stdout

    shown = ok(run("templates", "get", template_id)).stdout
    assert "You help customers of {{company}}." in shown
    assert "message (user)" in shown

    updated = json.loads(
        ok(run("templates", "update", template_id, "--description", "bot", "--json")).stdout
    )
    assert updated["description"] == "bot"
    assert updated["system"] == created["system"]  # a partial PATCH
    assert ok(run("templates", "update", template_id, "--name", "support-2")).stdout.startswith(
        f"updated {template_id}"
    )

    assert ok(run("templates", "delete", template_id)).stdout.strip() == f"deleted {template_id}"
    gone = run("templates", "get", template_id)
    assert gone.exit_code == 1
    assert gone.stderr.startswith("error: not_found: ")


def test_from_file_with_overrides(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps({"name": "from-file", "system": "file system"}), encoding="utf-8")
    created = json.loads(
        ok(run("templates", "create", "--from-file", str(path), "-m", "m/x", "--json")).stdout
    )
    assert (created["name"], created["system"], created["model"]) == (
        "from-file",
        "file system",
        "m/x",
    )


def test_usage_errors(run: Run) -> None:
    assert run("templates", "create").exit_code == 2  # no name
    assert run("templates", "update", "tmpl_x").exit_code == 2  # nothing to update
    assert run("templates", "create", "n", "--message", "robot:hi").exit_code == 2
    duplicate = run("templates", "create", "dup")
    assert duplicate.exit_code == 0
    again = run("templates", "create", "dup")
    assert again.exit_code == 1
    assert again.stderr.startswith("error: conflict: ")
