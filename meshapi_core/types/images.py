"""Image generation: request, response, image item and stream chunk (protocol.md §2.6, §3.9)."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from typing import Annotated, Any, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import _null_as

__all__ = [
    "ImageGenerationChunk",
    "ImageGenerationParams",
    "ImageGenerationResponse",
    "ImageItem",
    "ImageUsage",
]


class ImageGenerationParams(RequestModel):
    """The body of `POST /v1/images/generations` (§2.6).

    `stream` is set by the method you call: `generate` refuses a params object whose
    `stream` is true, so leave it unset.
    """

    prompt: str
    model: str | None = None
    n: int | None = None
    size: str | None = None
    quality: str | None = None
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "webp"] | None = None
    stream: bool | None = None
    # Tier P additions (§2.6).
    aspect_ratio: str | None = None
    resolution: str | None = None
    output_compression: int | None = Field(default=None, ge=0, le=100)
    background: Literal["transparent", "opaque", "auto"] | None = None
    moderation: Literal["low", "auto"] | None = None
    partial_images: int | None = Field(default=None, ge=0, le=3)
    image: str | list[str] | None = None
    seed: int | None = Field(default=None, ge=-1, le=2**31 - 1)
    sequential_image_generation: Literal["auto", "disabled"] | None = None
    sequential_image_generation_options: dict[str, Any] | None = None
    guidance_scale: float | None = Field(default=None, ge=1, le=10)
    watermark: bool | None = None
    optimize_prompt_options: dict[str, Any] | None = None


class ImageItem(ResponseModel):
    """One generated image: a URL (possibly a `data:` URL) and/or base64 data.

    Use `image_bytes()` to get the image itself when it came inline.
    """

    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None

    def image_bytes(self) -> bytes:
        """The decoded image, from `b64_json` or from a `data:` URL.

        Returns:
            The image's bytes. `b64_json` wins when both are present.

        Raises:
            ValueError: the image is only at a remote URL (download it yourself: the SDK
                fetches nothing on its own), there is no image at all, or the inline
                data is not valid base64 / a well-formed `data:` URL.
        """
        if self.b64_json is not None:
            return _b64decode(self.b64_json)
        if self.url is None:
            raise ValueError("the image item carries neither b64_json nor url")
        if self.url[:5].lower() != "data:":
            raise ValueError(
                "the image is at a remote URL, not inline (no b64_json, no data: URL); "
                "fetch it with your own HTTP client"
            )
        # RFC 2397: data:[<mediatype>][;base64],<data>; the data is percent-encoded.
        header, comma, payload = self.url[5:].partition(",")
        if not comma:
            raise ValueError("malformed data: URL (no ',' before the data)")
        raw = urllib.parse.unquote_to_bytes(payload)
        if header.rsplit(";", 1)[-1].strip().lower() == "base64":
            return _b64decode(raw)
        return raw


def _b64decode(data: str | bytes) -> bytes:
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError) as exc:
        # binascii.Error is already a ValueError; restate it so the message says what
        # was being decoded.
        raise ValueError(f"the image data is not valid base64: {exc}") from exc


class ImageUsage(ResponseModel):
    """Token usage of an image generation."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    input_tokens_details: dict[str, Any] | None = None
    output_tokens_details: dict[str, Any] | None = None


class ImageGenerationResponse(ResultModel):
    """The result of `images.generate` (§2.6)."""

    created: int
    data: list[ImageItem]
    background: str | None = None
    output_format: str | None = None
    quality: str | None = None
    size: str | None = None
    usage: ImageUsage | None = None


class ImageGenerationChunk(ResultModel):
    """One item of `images.stream` (§3.9).

    The gateway sends keep-alive chunks (`status: "processing"`, empty `data`) while the
    image is made, then one `status: "completed"` chunk with the image in `data`.
    """

    created: int
    id: str | None = None
    object: Annotated[str, _null_as(lambda: "image.chunk")] = "image.chunk"
    model: str | None = None
    status: str | None = None
    data: Annotated[list[ImageItem], _null_as(list)] = Field(default_factory=list)
