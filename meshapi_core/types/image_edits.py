"""Image edits: edit, inpaint, outpaint, mix, reframe, upscale, remove a background.

`POST /v1/images/edits` (protocol.md §7.1, tier P) is a JSON request; its result is the
`ImageGenerationResponse` of image generation (§2.6).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from ._base import RequestModel

__all__ = ["ImageEditOperation", "ImageEditParams", "ImageRef"]


class ImageRef(RequestModel):
    """An input image as `{"url": ...}`: a `data:image/...;base64,...` URL or bare base64.

    Remote http(s) URLs are refused by the gateway (400): send the image inline. A plain
    string is accepted wherever an `ImageRef` is.
    """

    url: str


ImageEditOperation: TypeAlias = Literal[
    "edit", "inpaint", "outpaint", "mix", "reframe", "upscale", "remove_background"
]
"""What `images.edit` does to the image (§7.1)."""


class ImageEditParams(RequestModel):
    """The body of `POST /v1/images/edits` (§7.1).

    `image` (and `mask`, `reference_images`) is a data URL, bare base64, or an
    `ImageRef`. `prompt` and `operation` are always sent; `prompt` is needed for the
    `edit`, `outpaint` and `mix` operations. A model that cannot do the operation is
    refused by the gateway (422, or `model_capability_not_supported`).
    """

    model: str
    image: str | ImageRef
    prompt: str = ""
    operation: ImageEditOperation = "edit"
    mask: str | ImageRef | None = None
    reference_images: list[str | ImageRef] | None = None
    n: int | None = None
    size: str | None = None
    response_format: Literal["url", "b64_json"] | None = None
    background: str | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    upscale_factor: str | float | None = None
    quality_tier: str | None = None
    expand_factor: str | float | None = None
    mask_feather: int | None = None
