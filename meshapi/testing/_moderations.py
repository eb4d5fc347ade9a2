"""Moderations (protocol.md §7.1): categories flagged by words from a fixed list.

An input is flagged in a category when it contains one of that category's words (whole
words, case-insensitively; for an image input, its URL's words count). A flagged
category scores `min(0.99, 0.6 + 0.2 × hits)`, any other `0.0001`. Every result carries
every category, so `categories` and `category_scores` always have the same keys.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from meshapi_core.types import ModerationParams, ModerationResponse

from ._context import RequestContext
from ._errors import GatewayError
from ._ids import new_id
from ._validation import check_params, detail, raise_validation
from ._wire import dump

__all__ = ["CATEGORY_WORDS", "create_moderation", "moderate_text"]

CATEGORY_WORDS: dict[str, frozenset[str]] = {
    "harassment": frozenset({"idiot", "loser", "stupid", "moron"}),
    "harassment/threatening": frozenset({"threaten", "hunt"}),
    "hate": frozenset({"hateful", "bigot", "slur"}),
    "hate/threatening": frozenset({"exterminate"}),
    "illicit": frozenset({"cocaine", "heroin", "meth", "counterfeit"}),
    "illicit/violent": frozenset({"bomb", "explosive"}),
    "self-harm": frozenset({"suicide", "self-harm"}),
    "self-harm/intent": frozenset({"overdose"}),
    "self-harm/instructions": frozenset({"noose"}),
    "sexual": frozenset({"nsfw", "porn", "explicit"}),
    "sexual/minors": frozenset({"underage"}),
    "violence": frozenset({"kill", "murder", "attack", "stab", "shoot"}),
    "violence/graphic": frozenset({"gore", "bloody", "dismember"}),
}
MODELS = ("omni-moderation-latest", "omni-moderation-2024-09-26", "text-moderation-latest")
_WORD = re.compile(r"[a-z][a-z-]*")


def moderate_text(text: str) -> dict[str, Any]:
    """The `ModerationResult` for one input's text."""
    words = _WORD.findall(text.lower())
    categories: dict[str, bool] = {}
    scores: dict[str, float] = {}
    for category, listed in CATEGORY_WORDS.items():
        hits = sum(1 for word in words if word in listed)
        categories[category] = hits > 0
        scores[category] = round(min(0.99, 0.6 + 0.2 * hits), 4) if hits else 0.0001
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
    }


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    texts = []
    for item in value:
        if isinstance(item, str):
            texts.append(item)
        elif item.get("type") == "text":
            texts.append(item.get("text") or "")
        else:
            texts.append((item.get("image_url") or {}).get("url") or "")
    return texts


def _model_name(model: str) -> str:
    name = model.removeprefix("openai/")
    if name not in MODELS:
        raise GatewayError(
            404, "model_not_found", f"Unknown moderation model '{model}'.", param="model"
        )
    return name


async def create_moderation(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/moderations."""
    body = ctx.json_body()
    problems = check_params(ModerationParams, body)
    value = body.get("input")
    if not problems and isinstance(value, list) and not value:
        problems.append(detail("too_short", ["input"], "List should have at least 1 item"))
    if not problems and isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                if item.get("type") == "text" and not isinstance(item.get("text"), str):
                    problems.append(detail("missing", ["input", index, "text"], "Field required"))
                if item.get("type") == "image_url" and not isinstance(item.get("image_url"), dict):
                    problems.append(
                        detail("missing", ["input", index, "image_url"], "Field required")
                    )
    raise_validation(problems)
    model = _model_name(body.get("model", "omni-moderation-latest"))
    return ctx.json(
        dump(
            ModerationResponse,
            {
                "id": new_id("modr-", 24),
                "model": model,
                "results": [moderate_text(text) for text in _texts(value)],
            },
        )
    )
