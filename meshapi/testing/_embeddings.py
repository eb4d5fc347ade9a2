"""Embeddings (protocol.md §2.5): deterministic, unit-norm, `dimensions` and base64 honoured.

Each input gets `embed(text, dimensions)` from `_vectors`; token arrays are read as their
numbers. Usage counts words, like the chat responder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from meshapi_core.types import EmbeddingsParams, EmbeddingsResponse

from ._catalogue import DEFAULT_EMBEDDING_MODEL
from ._chat import resolve_model, upstream_failure
from ._context import RequestContext
from ._errors import GatewayError
from ._responder import count_tokens
from ._validation import check_params, detail, raise_validation, require_fields
from ._vectors import embed, encode_base64
from ._wire import dump

__all__ = ["create_embeddings", "input_texts"]


def input_texts(value: Any) -> list[str] | None:
    """The texts to embed, one per input, or None if `input` has an unusable shape."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return None
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value) and value:
        return [" ".join(str(v) for v in value)]
    texts: list[str] = []
    for item in value:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, list) and all(isinstance(v, int) for v in item):
            texts.append(" ".join(str(v) for v in item))
        elif isinstance(item, Mapping) and item.get("type") in ("text", "image_url", "video_url"):
            kind = item["type"]
            if kind == "text":
                texts.append(str(item.get("text") or ""))
            else:
                url = item.get(kind)
                texts.append(str(url.get("url") if isinstance(url, Mapping) else url))
        else:
            return None
    return texts


async def create_embeddings(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/embeddings."""
    body = ctx.json_body()
    problems = require_fields(
        body,
        {"model": str, "dimensions": int, "encoding_format": str, "user": str},
        required=("input",),
    )
    texts = input_texts(body.get("input")) if "input" in body else []
    if body.get("input") is not None and texts is None:
        problems.append(
            detail("union_tag_invalid", ["input"], "Input should be a string or a list")
        )
    if isinstance(body.get("input"), list) and not body["input"]:
        problems.append(detail("too_short", ["input"], "List should have at least 1 item"))
    dimensions = body.get("dimensions")
    if isinstance(dimensions, int) and dimensions < 1:
        problems.append(
            detail(
                "greater_than_equal", ["dimensions"], "Input should be greater than or equal to 1"
            )
        )
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        problems.append(
            detail("literal_error", ["encoding_format"], "Input should be 'float' or 'base64'")
        )
    if not problems:
        problems = check_params(EmbeddingsParams, body)
    raise_validation(problems)
    assert texts is not None
    model, _ = resolve_model(
        ctx.state, body.get("model"), kind="embedding", default=DEFAULT_EMBEDDING_MODEL
    )
    failure = upstream_failure(ctx.state, model.id)
    if failure is not None:
        raise failure
    size = dimensions if isinstance(dimensions, int) else model.embedding_dimensions
    if size > model.embedding_dimensions:
        raise GatewayError(
            400,
            "invalid_request",
            f"dimensions must be at most {model.embedding_dimensions} for {model.id}.",
            param="dimensions",
        )
    data = []
    for index, text in enumerate(texts):
        vector = embed(text, size)
        data.append(
            {
                "object": "embedding",
                "index": index,
                "embedding": encode_base64(vector) if encoding == "base64" else vector,
            }
        )
    tokens = sum(count_tokens(t) for t in texts)
    return ctx.json(
        dump(
            EmbeddingsResponse,
            {
                "object": "list",
                "data": data,
                "model": model.id,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )
    )
