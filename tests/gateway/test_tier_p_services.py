"""The gateway's moderations, web search and router routes (protocol.md §7.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import ModerationResponse, RouterSelectResponse, WebSearchResponse

from ._helpers import user

# --------------------------------------------------------------------------- moderations


def moderate(client: httpx.Client, value: Any, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/moderations", json={"input": value, **body})
    assert response.status_code == 200, response.text
    ModerationResponse.model_validate(response.json())
    return response.json()  # type: ignore[no-any-return]


def test_words_from_the_list_flag_their_categories(client: httpx.Client) -> None:
    body = moderate(client, ["I will KILL you, idiot.", "What a lovely day."])
    assert body["id"].startswith("modr-") and body["model"] == "omni-moderation-latest"
    violent, calm = body["results"]
    assert violent["flagged"] is True and calm["flagged"] is False
    assert violent["categories"]["violence"] and violent["categories"]["harassment"]
    assert not violent["categories"]["sexual"]
    assert violent["category_scores"]["violence"] == 0.8
    assert calm["category_scores"]["violence"] == 0.0001
    assert set(violent["categories"]) == set(violent["category_scores"]) == set(calm["categories"])


def test_one_string_and_multimodal_items(client: httpx.Client) -> None:
    assert len(moderate(client, "hello")["results"]) == 1
    items = [
        {"type": "text", "text": "buy cocaine here"},
        {"type": "image_url", "image_url": {"url": "https://img.test/gore.png"}},
        {"type": "image_url", "image_url": {"url": "https://img.test/cat.png"}},
    ]
    results = moderate(client, items, model="omni-moderation-2024-09-26")["results"]
    assert [r["flagged"] for r in results] == [True, True, False]
    assert results[0]["categories"]["illicit"] and results[1]["categories"]["violence/graphic"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"input": []}, 422),
        ({}, 422),
        ({"input": [{"type": "text"}]}, 422),
        ({"input": "x", "model": "acme/moderator"}, 404),
    ],
)
def test_moderation_errors(client: httpx.Client, body: dict[str, Any], status: int) -> None:
    assert client.post("/v1/moderations", json=body).status_code == status


# ---------------------------------------------------------------------------- web search


def search(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/web/search", json=body)
    assert response.status_code == 200, response.text
    WebSearchResponse.model_validate(response.json())
    return response.json()  # type: ignore[no-any-return]


def test_search_results_are_deterministic(client: httpx.Client) -> None:
    first = search(client, query="python asyncio")
    second = search(client, query="python asyncio")
    assert first["results"] == second["results"] and len(first["results"]) == 5
    assert first["provider"] == "native" and first["answer"] is None
    assert [r["score"] for r in first["results"]] == [0.95, 0.9, 0.85, 0.8, 0.75]
    assert all("page_content" not in r for r in first["results"])
    assert first["request_id"].startswith("req_")
    assert search(client, query="rust ownership")["results"] != first["results"]


def test_search_options(client: httpx.Client) -> None:
    many = search(client, query="q", max_results=20, provider="tavily", include_answer=True)
    assert len(many["results"]) == 20 and many["provider"] == "tavily"
    assert "20 sources" in many["answer"]
    only = search(client, query="q", include_domains=["docs.python.org", "arxiv.org"])
    assert [r["url"].split("/")[2] for r in only["results"]] == ["docs.python.org", "arxiv.org"]
    without = search(client, query="q", exclude_domains=["en.wikipedia.org"])
    assert all("wikipedia" not in r["url"] for r in without["results"])
    none = search(client, query="q", include_domains=["a.test"], exclude_domains=["a.test"])
    assert none["results"] == []


def test_page_content_is_cut_at_basic_depth(client: httpx.Client) -> None:
    body = {"query": "q", "include_page_content": True, "max_results": 6}
    basic = search(client, **body)["results"]
    advanced = search(client, **body, search_depth="advanced")["results"]
    by_domain = {r["url"].split("/")[2]: r for r in basic}
    assert by_domain["arxiv.org"]["page_content"] == ""  # included, but there was none
    cut = by_domain["en.wikipedia.org"]
    assert len(cut["page_content"]) == 500 and cut["page_content_truncated"] is True
    whole = next(r for r in advanced if "wikipedia" in r["url"])
    assert len(whole["page_content"]) > 500 and whole["page_content_truncated"] is False


@pytest.mark.parametrize(
    "body",
    [{"query": ""}, {"query": "x" * 2001}, {"query": "q", "max_results": 21}, {"query": 1}],
)
def test_search_validation(client: httpx.Client, body: dict[str, Any]) -> None:
    assert client.post("/v1/web/search", json=body).status_code == 422


def test_flag_gated_features_answer_403_when_off(gw: MeshAPIGateway, client: httpx.Client) -> None:
    gw.disable_feature(gw.token, "web_search")
    gw.disable_feature(gw.token, "router")
    refused = client.post("/v1/web/search", json={"query": "q"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    routed = client.post("/v1/router/select", json={"messages": user("hi")})
    assert routed.status_code == 403
    gw.enable_feature(gw.token, "web_search")
    assert client.post("/v1/web/search", json={"query": "q"}).status_code == 200
    with pytest.raises(ValueError, match="unknown feature"):
        gw.disable_feature(gw.token, "teleport")


# -------------------------------------------------------------------------------- router


def select(client: httpx.Client, text: str | None, **body: Any) -> dict[str, Any]:
    messages = user(text) if text is not None else [{"role": "user", "content": None}]
    response = client.post("/v1/router/select", json={"messages": messages, **body})
    assert response.status_code == 200, response.text
    RouterSelectResponse.model_validate(response.json())
    return response.json()  # type: ignore[no-any-return]


def test_the_router_picks_by_keywords(client: httpx.Client) -> None:
    assert select(client, "Fix this Python bug")["model"] == "anthropic/claude-sonnet-4.5"
    reasoning = select(client, "Prove that there are infinitely many primes")
    assert reasoning["model"] == "openai/o4-mini" and reasoning["reasoning_effort"] == "medium"
    assert select(client, "word " * 201)["model"] == "google/gemini-2.5-pro"
    general = select(client, "Say hi")
    assert general["model"] == "openai/gpt-4o-mini"
    assert general["auto_router"] == {"fallback_used": False}
    embed = select(client, "anything", api_type="embeddings")
    assert embed["model"] == "openai/text-embedding-3-small"


def test_excluded_models_are_never_chosen_unless_falling_back(client: httpx.Client) -> None:
    picked = select(client, "Fix this Python bug", exclude_models=["anthropic/claude-sonnet-4.5"])
    assert picked["model"] == "openai/gpt-4.1"
    everything = [
        "openai/gpt-4o-mini",
        "google/gemini-2.5-flash",
        "anthropic/claude-haiku-4.5",
    ]
    fallback = select(client, "Say hi", exclude_models=everything)
    assert fallback["model"] == "openai/gpt-4o-mini"
    assert fallback["auto_router"] == {
        "fallback_used": True,
        "fallback_reason": "all_candidates_excluded",
    }


def test_nothing_to_classify_falls_back_instead_of_failing(client: httpx.Client) -> None:
    fallback = select(client, None)
    assert fallback["auto_router"]["fallback_used"] is True
    assert fallback["auto_router"]["fallback_reason"] == "classification_failed"


def test_router_validation(client: httpx.Client) -> None:
    assert client.post("/v1/router/select", json={"messages": []}).status_code == 422
    bad_type = client.post("/v1/router/select", json={"messages": user("x"), "api_type": "images"})
    assert bad_type.status_code == 422
