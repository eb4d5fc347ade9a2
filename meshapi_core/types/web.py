"""Web search through the gateway (protocol.md §7.1, tier P); a flat fee per search."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import _null_as

__all__ = ["WebSearchParams", "WebSearchResponse", "WebSearchResultItem"]


class WebSearchParams(RequestModel):
    """The body of `POST /v1/web/search` (§7.1).

    `max_results`, `search_depth` and `include_answer` are always sent (with their
    defaults when unset); `include_page_content` only when you set it.
    """

    query: str = Field(min_length=1, max_length=2000)
    model: str | None = None
    provider: Literal["native", "tavily", "tinyfish"] | None = None
    max_results: int = Field(default=5, ge=1, le=20)
    search_depth: Literal["basic", "advanced"] = "basic"
    include_domains: list[str] | None = None
    exclude_domains: list[str] | None = None
    include_answer: bool = False
    include_page_content: bool | None = None


class WebSearchResultItem(ResponseModel):
    """One search hit.

    `page_content` is None when the page text was not asked for, and `""` when it was
    but the page had none; `page_content_truncated` says the text was cut.
    """

    title: str
    url: str
    content: Annotated[str, _null_as(str)] = ""
    score: float | None = None
    published_date: str | None = None
    page_content: str | None = None
    page_content_truncated: Annotated[bool, _null_as(bool)] = False


class WebSearchResponse(ResultModel):
    """The result of `web.search`: the hits, and an `answer` when `include_answer` was set.

    `provider` is a plain string so a search engine added later still parses.
    `request_id` is the body's own field, kept as the gateway sent it (the response
    header's id is `_request_id`, as on every result).
    """

    query: str
    provider: str
    answer: str | None = None
    results: Annotated[list[WebSearchResultItem], _null_as(list)] = Field(default_factory=list)
    request_id: str | None = None
