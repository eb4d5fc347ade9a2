"""Embeddings: request and response (protocol.md §2.5)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel

__all__ = [
    "EmbeddingItem",
    "EmbeddingsParams",
    "EmbeddingsResponse",
    "EmbeddingsUsage",
    "ImageEmbeddingUrl",
    "MultimodalEmbeddingInput",
    "ProviderPreferences",
    "VideoEmbeddingUrl",
]


class ProviderPreferences(RequestModel):
    """Which upstream providers may serve the request, and how (`EmbeddingsParams.provider`)."""

    order: list[str] | None = None
    allow_fallbacks: bool | None = None
    require_parameters: bool | None = None
    data_collection: Literal["allow", "deny"] | None = None


class ImageEmbeddingUrl(RequestModel):
    """The `image_url` object of a multimodal embedding input."""

    url: str


class VideoEmbeddingUrl(RequestModel):
    """The `video_url` object of a multimodal embedding input."""

    url: str


class MultimodalEmbeddingInput(RequestModel):
    """One multimodal input (tier P): text, an image URL or a video URL, chosen by `type`."""

    type: Literal["text", "image_url", "video_url"]
    text: str | None = None
    image_url: ImageEmbeddingUrl | None = None
    video_url: VideoEmbeddingUrl | None = None


class EmbeddingsParams(RequestModel):
    """The body of `POST /v1/embeddings` (§2.5).

    `input` is a string, a list of strings, a token list, a list of token lists, or (tier
    P) a list of multimodal inputs; the response has one embedding per input, in order.
    With `encoding_format="base64"` each embedding is a base64 string of little-endian
    float32 values.
    """

    input: str | list[str] | list[int] | list[list[int]] | list[MultimodalEmbeddingInput]
    model: str | None = None
    dimensions: int | None = Field(default=None, ge=1)
    encoding_format: Literal["float", "base64"] | None = None
    input_type: str | None = None
    provider: str | ProviderPreferences | None = None
    user: str | None = Field(default=None, max_length=256)
    # Tier P additions (§2.5).
    instructions: str | None = None
    sparse_embedding: dict[str, Any] | None = None


class EmbeddingItem(ResponseModel):
    """One embedding: a list of floats, or a base64 string with `encoding_format="base64"`."""

    object: str
    index: int
    embedding: list[float] | str


class EmbeddingsUsage(ResponseModel):
    """Usage of an embeddings call; every field is optional."""

    prompt_tokens: int | None = None
    total_tokens: int | None = None
    byok_used: bool | None = None
    fallback_triggered: bool | None = None


class EmbeddingsResponse(ResultModel):
    """The result of `embeddings.create` (`object: "list"`, §2.5)."""

    object: str
    data: list[EmbeddingItem]
    model: str
    usage: EmbeddingsUsage | None = None
