"""`meshapi models`: the table with prices, the filters, --json."""

from __future__ import annotations

import json

from .conftest import Run, ok


def test_table_has_ids_and_prices(run: Run) -> None:
    out = ok(run("models")).stdout
    row = next(line for line in out.splitlines() if "openai/gpt-4o-mini " in line)
    assert "$0.15 / $0.60" in row
    assert "1M tok" in row
    assert "128,000" in row
    free_row = next(line for line in out.splitlines() if ":free" in line)
    assert "free" in free_row.split(":free", 1)[1]


def test_json_lists_models(run: Run) -> None:
    models = json.loads(ok(run("models", "--json")).stdout)
    assert isinstance(models, list) and models
    first = models[0]
    assert {"id", "name", "is_free"} <= first.keys()


def test_free_and_paid(run: Run) -> None:
    free = json.loads(ok(run("models", "--free", "--json")).stdout)
    paid = json.loads(ok(run("models", "--paid", "--json")).stdout)
    assert free and all(m["is_free"] for m in free)
    assert paid and not any(m["is_free"] for m in paid)
    assert run("models", "--free", "--paid").exit_code == 2


def test_search_and_type(run: Run) -> None:
    found = json.loads(ok(run("models", "--search", "CLAUDE", "--json")).stdout)
    assert found and all("claude" in m["id"] for m in found)
    embedding = json.loads(ok(run("models", "--type", "embedding", "--json")).stdout)
    assert embedding and all(m["model_type"] == "embedding" for m in embedding)
    out = ok(run("models", "--search", "no-such-model-anywhere")).stdout
    assert "0 models" in out
