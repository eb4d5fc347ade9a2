"""The models routes (protocol.md §2.9, §6.5, §7.1): lists, filters, get-by-path, search.

`/v1/models/{id:path}` keeps `/` in the id; an unknown id answers FastAPI-style
`{"detail": "Model not found"}`, as the real route does, not the envelope.

`/v1/models/search` reads the catalogue only: `q` is a case-insensitive substring of the
id or the name; `free` and `discounted` (a `discount_pct` above 0) are booleans;
`input_modality`, `output_modality` and `brand` are repeated keys, each matching any of
its values. `sort` is `brand` (the default, then name), `name`, `id` or `context_length`
(models without one last), `order` `asc` (default) or `desc`; `limit` 1–100 (default
20, echoed), `offset` ≥ 0. `brands` is the facet: the brands of every model matching the
other filters (the brand filter itself left out, so a menu can offer the alternatives).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from aiohttp import web

from meshapi_core.types import ModelInfo, ModelsPage

from ._catalogue import ModelRow
from ._context import RequestContext
from ._errors import fastapi_not_found
from ._validation import query_bool, query_int, raise_validation
from ._wire import dump

__all__ = ["free_models", "get_model", "list_models", "paid_models", "search_models"]

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


SORTS = ("brand", "name", "id", "context_length")


def _literal(ctx: RequestContext, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = ctx.request.query.get(name, default)
    if value not in allowed:
        options = ", ".join(f"'{a}'" for a in allowed)
        raise_validation(
            [{"type": "literal_error", "loc": ["query", name], "msg": f"Input should be {options}"}]
        )
    return value


def _discounted(row: ModelRow) -> bool:
    try:
        return Decimal(row.discount_pct) > 0
    except InvalidOperation:
        return False


def _sort_key(sort: str) -> Callable[[ModelRow], tuple[object, ...]]:
    if sort == "brand":
        return lambda row: (row.brand, row.name.lower(), row.id)
    if sort == "name":
        return lambda row: (row.name.lower(), row.id)
    if sort == "id":
        return lambda row: (row.id,)
    return lambda row: (row.context_length or 0, row.id)


async def search_models(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/models/search (see the module docstring)."""
    query = ctx.request.query
    text = (query.get("q") or "").lower()
    free = query_bool(ctx.request, "free")
    discounted = query_bool(ctx.request, "discounted")
    inputs = set(query.getall("input_modality", []))
    outputs = set(query.getall("output_modality", []))
    brands = set(query.getall("brand", []))
    sort = _literal(ctx, "sort", SORTS, "brand")
    order = _literal(ctx, "order", ("asc", "desc"), "asc")
    limit = query_int(ctx.request, "limit", 20, 1, 100)
    offset = query_int(ctx.request, "offset", 0, 0, 1_000_000)
    facet_rows = [
        row
        for row in ctx.state.catalogue.rows
        if (not text or text in row.id.lower() or text in row.name.lower())
        and (free is None or row.is_free == free)
        and (discounted is None or _discounted(row) == discounted)
        and (not inputs or inputs & set(row.input_modalities))
        and (not outputs or outputs & set(row.output_modalities))
    ]
    rows = [row for row in facet_rows if not brands or row.brand in brands]
    if sort == "context_length":
        # Models without a context length go last in either order.
        known = sorted(
            (row for row in rows if row.context_length is not None),
            key=_sort_key(sort),
            reverse=order == "desc",
        )
        unknown = sorted((row for row in rows if row.context_length is None), key=_sort_key("id"))
        rows = known + unknown
    else:
        rows.sort(key=_sort_key(sort), reverse=order == "desc")
    page = rows[offset : offset + limit]
    return ctx.json(
        dump(
            ModelsPage,
            {
                "items": _infos(page),
                "total": len(rows),
                "limit": limit,
                "offset": offset,
                "brands": sorted({row.brand for row in facet_rows}),
            },
        )
    )
