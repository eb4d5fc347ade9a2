"""Image generation (protocol.md §2.6, §3.9): a real small PNG, plain or pseudo-streamed.

The stream is the gateway's keep-alive pseudo-streaming: `processing` chunks with empty
`data` (and a keep-alive comment), then one `completed` chunk carrying the image, then
`[DONE]`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from meshapi_core.types import ImageGenerationChunk, ImageGenerationParams, ImageGenerationResponse

from ._catalogue import DEFAULT_IMAGE_MODEL
from ._chat import resolve_model, upstream_failure
from ._context import RequestContext
from ._ids import new_id
from ._png import png_for_prompt
from ._responder import count_tokens
from ._sse import DONE, SSEComment, SSEEvent, stream_sse
from ._validation import check_params, detail, raise_validation, require_fields
from ._wire import dump

__all__ = ["generate_images"]


def _items(prompt: str, n: int, response_format: str) -> list[dict[str, Any]]:
    items = []
    for index in range(n):
        image = base64.b64encode(png_for_prompt(f"{prompt}\0{index}")).decode("ascii")
        if response_format == "url":
            items.append({"url": f"data:image/png;base64,{image}", "revised_prompt": None})
        else:
            items.append({"b64_json": image, "revised_prompt": None})
    return items


async def generate_images(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/images/generations."""
    body = ctx.json_body()
    problems = require_fields(
        body,
        {
            "prompt": str,
            "model": str,
            "n": int,
            "size": str,
            "quality": str,
            "response_format": str,
            "output_format": str,
            "stream": bool,
        },
        required=("prompt",),
    )
    n = body.get("n", 1)
    if isinstance(n, int) and not 1 <= n <= 10:
        problems.append(detail("less_than_equal", ["n"], "Input should be between 1 and 10"))
    response_format = body.get("response_format", "b64_json")
    if response_format not in ("url", "b64_json"):
        problems.append(
            detail("literal_error", ["response_format"], "Input should be 'url' or 'b64_json'")
        )
    if not problems:
        problems = check_params(ImageGenerationParams, body)
    raise_validation(problems)
    model, _ = resolve_model(
        ctx.state, body.get("model"), kind="image", default=DEFAULT_IMAGE_MODEL
    )
    failure = upstream_failure(ctx.state, model.id)
    if failure is not None:
        raise failure
    prompt: str = body["prompt"]
    items = _items(prompt, n, response_format)
    created = int(ctx.state.clock.now())
    if body.get("stream") is True:
        return await stream_sse(
            ctx.request,
            _events(ctx, model.id, created, items),
            shaping=ctx.shaping,
            request_id=ctx.request_id,
        )
    tokens = count_tokens(prompt)
    return ctx.json(
        dump(
            ImageGenerationResponse,
            {
                "created": created,
                "data": items,
                "output_format": "png",
                "quality": body.get("quality", "high"),
                "size": body.get("size", "1024x1024"),
                "background": "opaque",
                "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
            },
        )
    )


async def _events(
    ctx: RequestContext, model: str, created: int, items: list[dict[str, Any]]
) -> AsyncIterator[SSEEvent | SSEComment]:
    image_id = new_id("img_", 12)
    timings = ctx.state.timings

    def chunk(status: str, data: list[dict[str, Any]]) -> SSEEvent:
        return SSEEvent(
            dump(
                ImageGenerationChunk,
                {
                    "id": image_id,
                    "object": "image.chunk",
                    "created": int(ctx.state.clock.now()) if status != "processing" else created,
                    "model": model,
                    "status": status,
                    "data": data,
                },
            )
        )

    for index in range(timings.image_processing_chunks):
        if index:
            yield SSEComment()
        yield chunk("processing", [])
        await asyncio.sleep(timings.image_processing_interval)
    yield chunk("completed", items)
    yield DONE
