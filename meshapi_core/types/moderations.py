"""Moderations: classify text and images for policy categories (protocol.md §7.1, tier P)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import _null_as

__all__ = [
    "ModerationImageUrl",
    "ModerationInputItem",
    "ModerationParams",
    "ModerationResponse",
    "ModerationResult",
]


class ModerationImageUrl(RequestModel):
    """The `image_url` object of an image input: an http(s) or `data:` URL."""

    url: str


class ModerationInputItem(RequestModel):
    """One multimodal input: `{"type": "text", "text"}` or `{"type": "image_url", "image_url"}`."""

    type: Literal["text", "image_url"]
    text: str | None = None
    image_url: ModerationImageUrl | None = None


class ModerationParams(RequestModel):
    """The body of `POST /v1/moderations` (§7.1).

    `input` is one string, a list of strings, or a list of `ModerationInputItem`s; the
    result has one entry per input. `model` is always sent.
    """

    input: str | list[str] | list[ModerationInputItem]
    model: str = "omni-moderation-latest"


class ModerationResult(ResponseModel):
    """The verdict on one input: `flagged`, and per category a flag and a score in [0, 1]."""

    flagged: bool
    categories: Annotated[dict[str, bool], _null_as(dict)] = Field(default_factory=dict)
    category_scores: Annotated[dict[str, float], _null_as(dict)] = Field(default_factory=dict)


class ModerationResponse(ResultModel):
    """The result of `moderations.create`: one `ModerationResult` per input, in order."""

    id: str | None = None
    model: str | None = None
    results: Annotated[list[ModerationResult], _null_as(list)] = Field(default_factory=list)
