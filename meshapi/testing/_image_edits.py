"""Image edits (protocol.md §7.1): a real small PNG derived from the input and the request.

Rules:

* `image` (and `mask`, `reference_images`) is a `data:` URL, bare base64, or `{"url":
  ...}` holding either; a remote `http(s)` URL is 400 `invalid_request`, and so is
  anything that does not decode.
* The model must be an image model (else 400 `model_capability_not_supported`) that
  supports the operation (its `supports_image_*` flag); an operation it lacks is a
  FastAPI-style 422 `{"detail": "..."}`, as the real route answers.
* `edit`, `outpaint` and `mix` need a `prompt`, `inpaint` a `mask`, `mix` at least one
  reference image (422 `validation_error` otherwise).
* The output is `n` PNGs (default 1) whose colours come from a hash of the input image,
  the prompt and the operation: 16×16 pixels, or 16×`upscale_factor` for `upscale`.
  `response_format` is `b64_json` by default, `url` gives `data:` URLs;
  `remove_background` reports `background: "transparent"`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from meshapi_core.types import ImageEditParams, ImageGenerationResponse

from ._catalogue import DEFAULT_IMAGE_MODEL
from ._chat import resolve_model, upstream_failure
from ._context import RequestContext
from ._errors import GatewayError
from ._json import dumps
from ._png import png_for_prompt
from ._responder import count_tokens
from ._validation import check_params, detail, raise_validation
from ._wire import dump

__all__ = ["decode_image", "edit_image"]

NEEDS_PROMPT = frozenset({"edit", "outpaint", "mix"})
MAX_UPSCALE = 4


def decode_image(value: Any, field: str) -> bytes:
    """The bytes of an inline image (see the module docstring), or 400."""
    if isinstance(value, Mapping):
        value = value.get("url")
    if not isinstance(value, str) or not value:
        raise GatewayError(400, "invalid_request", f"{field} must be an image.", param=field)
    if value.lower().startswith(("http://", "https://")):
        raise GatewayError(
            400,
            "invalid_request",
            f"{field}: remote image URLs are not supported here; send a data URL or base64.",
            param=field,
        )
    payload = value
    if value[:5].lower() == "data:":
        header, comma, payload = value[5:].partition(",")
        if not comma or not header.lower().endswith(";base64"):
            raise GatewayError(
                400, "invalid_request", f"{field}: expected a base64 data URL.", param=field
            )
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise GatewayError(
            400, "invalid_request", f"{field} is not valid base64.", param=field
        ) from None
    if not data:
        raise GatewayError(400, "invalid_request", f"{field} is empty.", param=field)
    return data


def _unsupported(model: str, operation: str) -> web.Response:
    return web.Response(
        status=422,
        text=dumps({"detail": f"Model '{model}' does not support the '{operation}' operation."}),
        content_type="application/json",
    )


def _scale(value: Any) -> int:
    try:
        factor = float(str(value).lower().removesuffix("x"))
    except ValueError:
        raise_validation([detail("float_parsing", ["upscale_factor"], "Input should be 2 to 4")])
        raise AssertionError("unreachable") from None
    if not 1 < factor <= MAX_UPSCALE:
        raise_validation([detail("less_than_equal", ["upscale_factor"], "Input should be 2 to 4")])
    return int(factor)


async def edit_image(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/images/edits."""
    body = ctx.json_body()
    problems = check_params(ImageEditParams, body)
    if problems:
        raise_validation(problems)
    operation = body.get("operation", "edit")
    prompt = body.get("prompt", "")
    if operation in NEEDS_PROMPT and not prompt.strip():
        problems.append(detail("missing", ["prompt"], f"prompt is required for '{operation}'"))
    if operation == "inpaint" and body.get("mask") is None:
        problems.append(detail("missing", ["mask"], "mask is required for 'inpaint'"))
    if operation == "mix" and not body.get("reference_images"):
        problems.append(
            detail("missing", ["reference_images"], "reference_images are needed for 'mix'")
        )
    n = body.get("n", 1)
    n = n if isinstance(n, int) else 1
    if not 1 <= n <= 10:
        problems.append(detail("less_than_equal", ["n"], "Input should be between 1 and 10"))
    raise_validation(problems)
    model, _ = resolve_model(ctx.state, body["model"], kind="image", default=DEFAULT_IMAGE_MODEL)
    if not model.info().get(f"supports_image_{operation}"):
        return _unsupported(model.id, operation)
    source = decode_image(body["image"], "image")
    if body.get("mask") is not None:
        decode_image(body["mask"], "mask")
    for index, reference in enumerate(body.get("reference_images") or ()):
        decode_image(reference, f"reference_images.{index}")
    failure = upstream_failure(ctx.state, model.id)
    if failure is not None:
        raise failure
    size = 16 * (_scale(body.get("upscale_factor", 2)) if operation == "upscale" else 1)
    seed = hashlib.sha256(source).hexdigest()
    items = []
    for index in range(n):
        png = png_for_prompt(f"{seed}\0{operation}\0{prompt}\0{index}", width=size, height=size)
        image = base64.b64encode(png).decode("ascii")
        if body.get("response_format", "b64_json") == "url":
            items.append({"url": f"data:image/png;base64,{image}", "revised_prompt": None})
        else:
            items.append({"b64_json": image, "revised_prompt": None})
    tokens = count_tokens(prompt)
    return ctx.json(
        dump(
            ImageGenerationResponse,
            {
                "created": int(ctx.state.clock.now()),
                "data": items,
                "output_format": "png",
                "size": f"{size}x{size}",
                "background": "transparent" if operation == "remove_background" else "opaque",
                "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
            },
        )
    )
