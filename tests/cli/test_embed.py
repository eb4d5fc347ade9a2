"""`meshapi embed`: one JSON array per input, or the whole response with --json."""

from __future__ import annotations

import json

from meshapi.testing import MeshAPIGateway

from .conftest import Run, last_body, ok


def test_one_vector_per_text(run: Run, gateway: MeshAPIGateway) -> None:
    lines = ok(run("embed", "hello world", "second text")).stdout.splitlines()
    vectors = [json.loads(line) for line in lines]
    assert len(vectors) == 2
    assert all(isinstance(v, list) and v and all(isinstance(x, float) for x in v) for v in vectors)
    assert last_body(gateway, "/v1/embeddings")["input"] == ["hello world", "second text"]


def test_json_model_dimensions_and_stdin(run: Run, gateway: MeshAPIGateway) -> None:
    result = ok(
        run(
            "embed",
            "--json",
            "-m",
            "openai/text-embedding-3-small",
            "--dimensions",
            "8",
            input="piped\n",
        )
    )
    response = json.loads(result.stdout)
    assert response["object"] == "list"
    assert len(response["data"]) == 1
    assert len(response["data"][0]["embedding"]) == 8
    body = last_body(gateway, "/v1/embeddings")
    assert body["input"] == "piped"
    assert body["dimensions"] == 8


def test_no_text(run: Run) -> None:
    assert run("embed", input="").exit_code == 2
