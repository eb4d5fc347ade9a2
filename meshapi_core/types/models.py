"""The models catalogue: model info and pricing (protocol.md §2.9, §6.5)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel
from .chat import _Money, _null_as

__all__ = ["ListModelsParams", "ModelInfo", "ModelPricing", "ModelSearchParams", "ModelsPage"]


class ListModelsParams(RequestModel):
    """The query of `models.list` (§2.9): every filter is optional; None filters nothing.

    `free=True` keeps only free models and `free=False` only paid ones; `type` matches the
    model's `model_type` and `provider` its `provider` (both tier P).
    """

    free: bool | None = None
    type: Literal["text", "embedding", "image", "audio", "video"] | None = None
    provider: str | None = None


class ModelPricing(ResponseModel):
    """A model's prices. Every price is a **decimal string** (for example `"0.15"`) or None.

    Use `decimal.Decimal(price)` to compute with them. The 0.1.x names stay declared and
    are None on current responses, which use `pricing_unit` with `input_usd_per_unit` /
    `output_usd_per_unit`, and the `*_per_1m` prices for token-priced models.
    """

    # Money is a decimal string (§1.5). A bare JSON number from an older or relayed
    # catalogue row is read as its plain decimal text rather than failing the whole list.

    # Legacy (0.1.x) names: null on current responses.
    prompt_usd_per_1k: _Money = None
    completion_usd_per_1k: _Money = None
    image_usd_per_image: _Money = None
    discount_pct: _Money = None
    prompt_usd_per_1k_discounted: _Money = None
    completion_usd_per_1k_discounted: _Money = None

    # Current unit pricing: the unit is per_1m_tokens, per_second or per_1k_chars (or another).
    pricing_unit: str | None = None
    input_usd_per_unit: _Money = None
    output_usd_per_unit: _Money = None

    # Per-million-token prices; null for rows not priced by token.
    prompt_usd_per_1m: _Money = None
    completion_usd_per_1m: _Money = None
    long_context_input_usd_per_1m: _Money = None
    long_context_output_usd_per_1m: _Money = None
    cache_read_input_usd_per_1m: _Money = None
    cache_write_input_usd_per_1m: _Money = None
    cache_read_audio_input_usd_per_1m: _Money = None
    long_context_cache_read_input_usd_per_1m: _Money = None
    long_context_cache_write_input_usd_per_1m: _Money = None
    batch_input_usd_per_1m: _Money = None
    batch_output_usd_per_1m: _Money = None
    training_usd_per_1m: _Money = None
    fine_tuned_input_usd_per_1m: _Money = None
    fine_tuned_output_usd_per_1m: _Money = None
    audio_input_usd_per_1m: _Money = None
    audio_output_usd_per_1m: _Money = None
    transcription_usd_per_1m: _Money = None
    cached_audio_input_usd_per_1m: _Money = None
    cached_text_input_usd_per_1m: _Money = None
    cache_hit_usd_per_1m: _Money = None
    output_with_audio_usd_per_1m: _Money = None
    output_with_video_usd_per_1m: _Money = None

    # Other.
    image_input_usd_per_image: _Money = None
    image_output_usd_per_image: _Money = None
    image_output_size: str | None = None
    request_usd: _Money = None
    effective_date: str | None = None
    deprecated_date: str | None = None
    notes: str | None = None
    source_url: str | None = None


class ModelInfo(ResultModel):
    """One model of the catalogue (§2.9, §6.5); unknown fields are kept.

    `id` is `<brand>/<model>`, for example `openai/gpt-4o-mini`. `is_free` is true exactly
    when the prompt and completion prices are zero.
    """

    id: str
    name: str
    is_free: bool
    pricing: ModelPricing | None = None
    is_composite: Annotated[bool, _null_as(bool)] = False
    context_length: int | None = None
    description: str | None = None
    model_type: str | None = None
    """`text`, `embedding`, `image`, `audio` or `video`."""
    input_modalities: list[str] | None = None
    output_modalities: list[str] | None = None
    supports_thinking: bool | None = None
    supports_completions_api: bool | None = None
    supports_responses_api: bool | None = None
    # Tier P additions (§2.9).
    brand: str | None = None
    provider: str | None = None
    # The shape of a composite model's parts is not specified: kept as JSON values.
    composite_models: list[Any] | None = None
    # Capability flags (tier P).
    supports_realtime: bool | None = None
    supports_embeddings: bool | None = None
    supports_tools: bool | None = None
    supports_structured_output: bool | None = None
    supports_system_prompt: bool | None = None
    supports_batching: bool | None = None
    supports_background_response: bool | None = None
    supports_video_generation: bool | None = None
    supports_image_edit: bool | None = None
    supports_image_inpaint: bool | None = None
    supports_image_outpaint: bool | None = None
    supports_image_mix: bool | None = None
    supports_image_reframe: bool | None = None
    supports_image_upscale: bool | None = None
    supports_image_remove_background: bool | None = None
    supports_image_reference: bool | None = None
    # Limits (tier P).
    context_window: int | None = None
    standard_context_threshold: int | None = None
    realtime_session_max_tokens: int | None = None
    realtime_max_concurrent_per_owner: int | None = None


# --------------------------------------------------------------------------------------
# Catalogue search (tier P, protocol.md §7.1)
# --------------------------------------------------------------------------------------


class ModelSearchParams(RequestModel):
    """The query of `GET /v1/models/search` (§7.1); every filter is optional.

    `q` matches a substring of the id or the name. `input_modality`, `output_modality`
    and `brand` take one value or a list (sent as repeated query keys). Offset
    pagination: `limit` is echoed back, and the page is the last one when
    `offset + len(items) >= total`.
    """

    q: str | None = None
    free: bool | None = None
    discounted: bool | None = None
    input_modality: str | list[str] | None = None
    output_modality: str | list[str] | None = None
    brand: str | list[str] | None = None
    sort: Literal["brand", "name", "id", "context_length"] | None = None
    order: Literal["asc", "desc"] | None = None
    limit: int | None = Field(default=None, ge=1)
    offset: int | None = Field(default=None, ge=0)


class ModelsPage(ResultModel):
    """A page of `models.search`: the matching models and the brand facet."""

    total: int
    limit: int
    offset: int
    items: Annotated[list[ModelInfo], _null_as(list)] = Field(default_factory=list)
    brands: Annotated[list[str], _null_as(list)] = Field(default_factory=list)
    """The brands of the matching models (a facet list, for filter menus)."""
