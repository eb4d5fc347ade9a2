"""`client.moderations`, `client.web` and `client.router` on every driver (§7.1)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from meshapi import (
    ModerationInputItem,
    ModerationParams,
    ModerationResponse,
    PermissionDeniedError,
    RouterSelectParams,
    RouterSelectResponse,
    WebSearchParams,
    WebSearchResponse,
)
from meshapi.testing import MeshAPIGateway

from ._harness import user

pytestmark = pytest.mark.anyio


async def test_moderation_flags_listed_words(client: Any, gw: MeshAPIGateway) -> None:
    result = await client.moderations.create(
        ModerationParams(input=["I will kill you", "Have a nice day"])
    )
    assert isinstance(result, ModerationResponse) and result._request_id
    violent, calm = result.results
    assert violent.flagged and violent.categories["violence"]
    assert violent.category_scores["violence"] > 0.5
    assert not calm.flagged and not any(calm.categories.values())
    # The model is always sent, with its default.
    assert gw.last_request(path="/v1/moderations").json() == {
        "input": ["I will kill you", "Have a nice day"],
        "model": "omni-moderation-latest",
    }


async def test_moderation_of_one_string_and_of_images(client: Any) -> None:
    single = await client.moderations.create(input="hello")
    assert len(single.results) == 1 and single.model == "omni-moderation-latest"
    items = await client.moderations.create(
        input=[
            ModerationInputItem(type="text", text="so bloody and gory"),
            {"type": "image_url", "image_url": {"url": "https://img.test/cat.png"}},
        ]
    )
    assert [r.flagged for r in items.results] == [True, False]


async def test_web_search(client: Any, gw: MeshAPIGateway) -> None:
    result = await client.web.search(
        WebSearchParams(query="python asyncio", max_results=3, include_answer=True)
    )
    assert isinstance(result, WebSearchResponse)
    assert len(result.results) == 3 and result.answer and result.provider == "native"
    assert result.results[0].url.startswith("https://") and result.results[0].content
    assert result.results[0].page_content is None  # not asked for
    assert result.request_id == result._request_id  # the body's own field, kept
    assert gw.last_request(path="/v1/web/search").json() == {
        "query": "python asyncio",
        "max_results": 3,
        "search_depth": "basic",
        "include_answer": True,
    }
    pages = await client.web.search(
        query="python asyncio", include_page_content=True, search_depth="advanced"
    )
    assert all(r.page_content is not None for r in pages.results)
    assert not any(r.page_content_truncated for r in pages.results)
    assert gw.last_request(path="/v1/web/search").json()["include_page_content"] is True


async def test_web_search_arguments_are_checked_before_any_request(
    client: Any, gw: MeshAPIGateway
) -> None:
    with pytest.raises(pydantic.ValidationError, match="query"):
        await client.web.search(query="")
    with pytest.raises(pydantic.ValidationError, match="max_results"):
        await client.web.search(query="q", max_results=21)
    with pytest.raises(pydantic.ValidationError, match="provider"):
        await client.web.search(query="q", provider="bing")
    assert gw.find_requests(path="/v1/web/search") == []


async def test_flag_gated_routes_raise_permission_denied(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    gw.disable_feature(token, "web_search")
    gw.disable_feature(token, "router")
    with pytest.raises(PermissionDeniedError) as caught:
        await client.web.search(query="q")
    assert caught.value.error_code == "forbidden"
    with pytest.raises(PermissionDeniedError):
        await client.router.select(messages=user("hi"))


async def test_router_select(client: Any, gw: MeshAPIGateway) -> None:
    choice = await client.router.select(RouterSelectParams(messages=user("Fix my Python bug")))
    assert isinstance(choice, RouterSelectResponse) and choice._request_id
    assert choice.model == "anthropic/claude-sonnet-4.5"
    assert choice.auto_router.fallback_used is False
    assert gw.last_request(path="/v1/router/select").json() == {
        "messages": [{"role": "user", "content": "Fix my Python bug"}],
        "api_type": "completions",
    }
    other = await client.router.select(
        messages=user("Fix my Python bug"), exclude_models=["anthropic/claude-sonnet-4.5"]
    )
    assert other.model != "anthropic/claude-sonnet-4.5"


async def test_router_falls_back_rather_than_failing(client: Any) -> None:
    everything = ["openai/gpt-4o-mini", "google/gemini-2.5-flash", "anthropic/claude-haiku-4.5"]
    choice = await client.router.select(messages=user("hello"), exclude_models=everything)
    assert choice.auto_router.fallback_used is True
    assert choice.auto_router.fallback_reason == "all_candidates_excluded"
    with pytest.raises(pydantic.ValidationError, match="messages"):
        await client.router.select(messages=[])
