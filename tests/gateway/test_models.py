"""The models catalogue (protocol.md §2.9, §6.5)."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from meshapi_core.types import ModelInfo

REQUIRED_IDS = [
    "openai/gpt-4o-mini",
    "openai/gpt-4o",
    "anthropic/claude-sonnet-4.5",
    "anthropic/claude-haiku-4.5",
    "google/gemini-2.5-flash",
    "openai/o4-mini",
    "openai/text-embedding-3-small",
    "openai/gpt-image-1",
    "openai/gpt-realtime-mini",
    "openai/gpt-5-nano",
    "sarvam/bulbul:v2",
]


def _protocol_example_ids() -> set[str]:
    """Every `brand/model` id quoted in protocol.md's examples, if the file is at hand."""
    try:
        with open("/work/shared/protocol.md", encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return set()
    found = set(re.findall(r'"([a-z0-9-]+/[a-z0-9][A-Za-z0-9.:_-]*)"', text))
    found |= set(re.findall(r"`([a-z0-9-]+/[a-z0-9][A-Za-z0-9.:_-]*)`", text))
    return {
        i
        for i in found
        if not i.startswith(("v1/", "application/", "audio/", "text/"))
        and i != "x/y"
        and i != "a/b"
    }


def test_catalogue_has_the_real_ids(client: httpx.Client) -> None:
    ids = {m["id"] for m in client.get("/v1/models").json()}
    assert set(REQUIRED_IDS) <= ids
    assert _protocol_example_ids() <= ids


def test_every_model_validates_and_prices_are_decimal_strings(client: httpx.Client) -> None:
    models = client.get("/v1/models").json()
    assert isinstance(models, list) and models
    for raw in models:
        info = ModelInfo.model_validate(raw)
        assert info.id and info.name
        pricing = raw["pricing"]
        prices = [
            v for k, v in pricing.items() if k.endswith(("_per_unit", "_per_1m", "_per_image"))
        ]
        for price in prices:
            assert price is None or (isinstance(price, str) and Decimal(price) >= 0)
        assert pricing["prompt_usd_per_1k"] is None and pricing["completion_usd_per_1k"] is None
        numeric = [Decimal(p) for p in prices if p is not None]
        assert raw["is_free"] == all(p == 0 for p in numeric)


def test_free_and_paid_partition_the_catalogue(client: httpx.Client) -> None:
    everything = {m["id"] for m in client.get("/v1/models").json()}
    free = client.get("/v1/models/free").json()
    paid = client.get("/v1/models/paid").json()
    assert free and paid
    assert all(m["is_free"] for m in free) and not any(m["is_free"] for m in paid)
    assert {m["id"] for m in free} | {m["id"] for m in paid} == everything
    assert [m["id"] for m in client.get("/v1/models", params={"free": "true"}).json()] == [
        m["id"] for m in free
    ]
    assert [m["id"] for m in client.get("/v1/models", params={"free": "false"}).json()] == [
        m["id"] for m in paid
    ]


@pytest.mark.parametrize("model_type", ["text", "embedding", "image", "audio", "video"])
def test_type_filter(client: httpx.Client, model_type: str) -> None:
    models = client.get("/v1/models", params={"type": model_type}).json()
    assert models and all(m["model_type"] == model_type for m in models)


def test_provider_filter_and_bad_query(client: httpx.Client) -> None:
    models = client.get("/v1/models", params={"provider": "anthropic"}).json()
    assert models and all(m["provider"] == "anthropic" for m in models)
    bad = client.get("/v1/models", params={"free": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["loc"] == ["query", "free"]


@pytest.mark.parametrize(
    "model_id", ["openai/gpt-4o", "sarvam/bulbul:v2", "meta-llama/llama-3.3-70b-instruct:free"]
)
def test_get_keeps_slash_in_the_path(client: httpx.Client, model_id: str) -> None:
    r = client.get(f"/v1/models/{model_id}")
    assert r.status_code == 200 and r.json()["id"] == model_id


def test_unknown_model_is_a_fastapi_404(client: httpx.Client) -> None:
    r = client.get("/v1/models/nobody/nothing")
    assert r.status_code == 404
    assert r.json() == {"detail": "Model not found"}
    assert r.headers["x-request-id"].startswith("req_")
