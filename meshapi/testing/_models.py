"""The models routes (protocol.md §2.9, §6.5): bare arrays, filters, and get-by-path.

`/v1/models/{id:path}` keeps `/` in the id; an unknown id answers FastAPI-style
`{"detail": "Model not found"}`, as the real route does, not the envelope.
"""

from __future__ import annotations

from aiohttp import web

from meshapi_core.types import ModelInfo

from ._catalogue import ModelRow
from ._context import RequestContext
from ._errors import fastapi_not_found
from ._validation import query_bool, raise_validation
from ._wire import dump

__all__ = ["free_models", "get_model", "list_models", "paid_models"]

MODEL_TYPES = ("text", "embedding", "image", "audio", "video")


def _infos(rows: list[ModelRow]) -> list[dict[str, object]]:
    return [dump(ModelInfo, row.info()) for row in rows]


async def list_models(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/models?free=&type=&provider=."""
    free = query_bool(ctx.request, "free")
    model_type = ctx.request.query.get("type")
    if model_type is not None and model_type not in MODEL_TYPES:
        raise_validation(
            [
                {
                    "type": "literal_error",
                    "loc": ["query", "type"],
                    "msg": "Input should be 'text', 'embedding', 'image', 'audio' or 'video'",
                }
            ]
        )
    provider = ctx.request.query.get("provider")
    rows = ctx.state.catalogue.filter(free=free, model_type=model_type, provider=provider)
    return ctx.json(_infos(rows))


async def free_models(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/models/free."""
    return ctx.json(_infos(ctx.state.catalogue.filter(free=True)))


async def paid_models(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/models/paid."""
    return ctx.json(_infos(ctx.state.catalogue.filter(free=False)))


async def get_model(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/models/{model_id:path}."""
    row = ctx.state.catalogue.get(ctx.request.match_info["model_id"])
    if row is None:
        return fastapi_not_found("Model not found")
    return ctx.json(dump(ModelInfo, row.info()))
