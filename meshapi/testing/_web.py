"""Web search (protocol.md §7.1): deterministic results derived from the query.

`max_results` hits (fewer when the domain filters leave fewer domains) come from a fixed
list of domains (`include_domains` replaces it, `exclude_domains` removes from it), one
per domain, titled and described from the query, scored 0.95, 0.90, ... With
`include_answer` there is an `answer`; with `include_page_content` each hit has the page
text, cut to 500 characters (`page_content_truncated: true`) at `search_depth: "basic"`,
whole at `"advanced"`, and `""` for the PDF-like source whose text cannot be extracted.
A flag-gated feature: a key with `web_search` disabled gets 403.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from aiohttp import web

from meshapi_core.types import WebSearchParams, WebSearchResponse

from ._context import RequestContext
from ._features import require_feature
from ._validation import check_params, raise_validation
from ._wire import dump

__all__ = ["DOMAINS", "web_search"]

DOMAINS = (
    "en.wikipedia.org",
    "docs.python.org",
    "developer.mozilla.org",
    "news.ycombinator.com",
    "arxiv.org",
    "stackoverflow.com",
    "github.com",
    "medium.com",
    "reuters.com",
    "nature.com",
    "bbc.co.uk",
    "theverge.com",
    "nytimes.com",
    "britannica.com",
    "readthedocs.io",
    "towardsdatascience.com",
    "python.org",
    "mit.edu",
    "stanford.edu",
    "openai.com",
)
_NO_TEXT_DOMAINS = frozenset({"arxiv.org"})  # "PDFs": the page text cannot be extracted
BASIC_PAGE_LIMIT = 500


def _slug(query: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")[:60] or "result"


def _page_text(query: str, domain: str) -> str:
    sentence = f"{domain} on {query}: an overview, the key facts, and further reading. "
    return sentence * 12


def _hit(query: str, domain: str, rank: int, body: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha256(f"{query}\0{domain}".encode()).digest()
    day = 1 + digest[0] % 28
    month = 1 + digest[1] % 12
    hit: dict[str, Any] = {
        "title": f"{query.strip().capitalize()} - {domain}",
        "url": f"https://{domain}/{_slug(query)}",
        "content": f"What {domain} says about {query.strip()}.",
        "score": round(0.95 - 0.05 * rank, 2),
        "published_date": f"2026-{month:02d}-{day:02d}",
    }
    if body.get("include_page_content") is True:
        text = "" if domain in _NO_TEXT_DOMAINS else _page_text(query, domain)
        truncated = body.get("search_depth", "basic") == "basic" and len(text) > BASIC_PAGE_LIMIT
        hit["page_content"] = text[:BASIC_PAGE_LIMIT] if truncated else text
        hit["page_content_truncated"] = truncated
    return hit


async def web_search(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/web/search."""
    require_feature(ctx, "web_search")
    body = ctx.json_body()
    raise_validation(check_params(WebSearchParams, body))
    query: str = body["query"]
    include = body.get("include_domains")
    exclude = set(body.get("exclude_domains") or ())
    pool = [d for d in (include if include else DOMAINS) if d not in exclude]
    hits = [
        _hit(query, domain, rank, body)
        for rank, domain in enumerate(pool[: body.get("max_results", 5)])
    ]
    answer = None
    if body.get("include_answer") is True:
        answer = (
            f"Based on {len(hits)} sources, here is a summary about {query.strip()}."
            if hits
            else f"No sources were found about {query.strip()}."
        )
    return ctx.json(
        dump(
            WebSearchResponse,
            {
                "query": query,
                "provider": body.get("provider") or "native",
                "answer": answer,
                "results": hits,
                "request_id": ctx.request_id,
            },
        )
    )
