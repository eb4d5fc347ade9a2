"""The auto-router's selection endpoint (protocol.md §7.1), by keyword rules.

The last user message's text picks a class, and the class a ranked list of catalogue
models; the first one not in `exclude_models` (and able to serve `api_type`) wins:

* code words (`code`, `python`, `function`, `bug`, `debug`, ...) → coding models;
* reasoning words (`prove`, `solve`, `math`, `why`, `step`, ...) → reasoning models, with
  `reasoning_effort: "medium"`;
* more than 200 words → long-context models;
* anything else → the cheap general models.

`api_type: "embeddings"` ranks the embedding models instead. If every candidate is
excluded, or the messages hold no text to classify (classification "fails"), the answer
is the default model with `auto_router.fallback_used: true` and a `fallback_reason`,
never an error. A flag-gated feature: a key with `router` disabled gets 403.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from meshapi_core.types import RouterSelectParams, RouterSelectResponse

from ._catalogue import DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDING_MODEL
from ._chat import validate_messages
from ._context import RequestContext
from ._features import require_feature
from ._responder import message_text
from ._validation import check_params, raise_validation
from ._wire import dump

__all__ = ["CANDIDATES", "router_select"]

CANDIDATES: dict[str, tuple[str, ...]] = {
    "code": ("anthropic/claude-sonnet-4.5", "openai/gpt-4.1", "deepseek/deepseek-chat"),
    "reasoning": ("openai/o4-mini", "google/gemini-2.5-pro", "openai/gpt-5-mini"),
    "long": ("google/gemini-2.5-pro", "openai/gpt-4.1", "google/gemini-2.5-flash"),
    "general": ("openai/gpt-4o-mini", "google/gemini-2.5-flash", "anthropic/claude-haiku-4.5"),
    "embeddings": (
        "openai/text-embedding-3-small",
        "openai/text-embedding-3-large",
        "google/gemini-embedding-001",
    ),
}
_CODE = re.compile(r"\b(code|python|javascript|function|bug|debug|compile|regex|sql)\b", re.I)
_REASONING = re.compile(r"\b(prove|proof|solve|math|why|step|logic|calculate)\b", re.I)


def classify(text: str) -> str:
    """The class of a prompt (see the module docstring)."""
    if "```" in text or _CODE.search(text):
        return "code"
    if _REASONING.search(text):
        return "reasoning"
    if len(text.split()) > 200:
        return "long"
    return "general"


def _serves(ctx: RequestContext, model_id: str, api_type: str) -> bool:
    row = ctx.state.catalogue.get(model_id)
    if row is None:
        return False
    if api_type == "embeddings":
        return row.model_type == "embedding"
    info = row.info()
    key = "supports_responses_api" if api_type == "responses" else "supports_completions_api"
    return bool(info[key])


async def router_select(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/router/select."""
    require_feature(ctx, "router")
    body = ctx.json_body()
    problems = check_params(RouterSelectParams, body)
    if not problems:
        problems = validate_messages(body["messages"], allow_empty=False)
    raise_validation(problems)
    api_type = body.get("api_type", "completions")
    excluded = set(body.get("exclude_models") or ())
    text = " ".join(
        message_text(m.get("content")) for m in body["messages"] if m.get("role") == "user"
    ).strip()
    default = DEFAULT_EMBEDDING_MODEL if api_type == "embeddings" else DEFAULT_CHAT_MODEL
    kind = "embeddings" if api_type == "embeddings" else classify(text) if text else None
    result: dict[str, Any]
    if kind is None:
        result = _fallback(default, "classification_failed")
    else:
        allowed = [
            m for m in CANDIDATES[kind] if m not in excluded and _serves(ctx, m, api_type)
        ]
        if allowed:
            result = {"model": allowed[0], "auto_router": {"fallback_used": False}}
            if kind == "reasoning":
                result["reasoning_effort"] = "medium"
        else:
            result = _fallback(default, "all_candidates_excluded")
    return ctx.json(dump(RouterSelectResponse, result))


def _fallback(default: str, reason: str) -> dict[str, Any]:
    return {
        "model": default,
        "auto_router": {"fallback_used": True, "fallback_reason": reason},
    }
