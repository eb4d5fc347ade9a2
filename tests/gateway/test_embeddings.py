"""Embeddings: deterministic, unit-norm, `dimensions` and base64 (protocol.md §2.5)."""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import httpx
import pytest

from meshapi_core.types import EmbeddingsResponse


def embed(client: httpx.Client, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/embeddings", json=body)
    assert r.status_code == 200, r.text
    EmbeddingsResponse.model_validate(r.json())
    return r.json()  # type: ignore[no-any-return]


def test_deterministic_unit_vectors_one_per_input(client: httpx.Client) -> None:
    body = embed(
        client,
        model="openai/text-embedding-3-small",
        input=["hello world", "other text", "hello world"],
    )
    vectors = [item["embedding"] for item in body["data"]]
    assert [item["index"] for item in body["data"]] == [0, 1, 2]
    assert all(len(v) == 1536 for v in vectors)
    assert vectors[0] == vectors[2] != vectors[1]
    for v in vectors:
        assert math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-9)
    assert body["usage"] == {"prompt_tokens": 6, "total_tokens": 6}
    assert body["model"] == "openai/text-embedding-3-small" and body["object"] == "list"


@pytest.mark.parametrize("dimensions", [1, 8, 256])
def test_dimensions_are_honoured(client: httpx.Client, dimensions: int) -> None:
    (item,) = embed(client, input="some words here", dimensions=dimensions)["data"]
    assert len(item["embedding"]) == dimensions
    assert math.isclose(sum(x * x for x in item["embedding"]), 1.0, rel_tol=1e-9)


def test_base64_is_little_endian_float32_of_the_same_vector(client: httpx.Client) -> None:
    floats = embed(client, input="base sixty four", dimensions=16)["data"][0]["embedding"]
    encoded = embed(client, input="base sixty four", dimensions=16, encoding_format="base64")[
        "data"
    ][0]["embedding"]
    decoded = struct.unpack("<16f", base64.b64decode(encoded))
    assert all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7) for a, b in zip(decoded, floats, strict=True)
    )


def test_token_array_inputs(client: httpx.Client) -> None:
    assert len(embed(client, input=[1, 2, 3])["data"]) == 1
    assert len(embed(client, input=[[1, 2], [3]])["data"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "validation_error"),
        ({"input": "x", "encoding_format": "hex"}, 422, "validation_error"),
        ({"input": "x", "dimensions": 0}, 422, "validation_error"),
        ({"input": "x", "dimensions": 99999}, 400, "invalid_request"),
        ({"input": "x", "model": "nobody/none"}, 404, "model_not_found"),
        ({"input": "x", "model": "openai/gpt-4o"}, 400, "model_capability_not_supported"),
    ],
)
def test_errors(client: httpx.Client, body: dict[str, Any], status: int, code: str) -> None:
    r = client.post("/v1/embeddings", json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code
