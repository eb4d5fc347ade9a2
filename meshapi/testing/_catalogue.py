"""The model catalogue: real gateway ids, free and paid, with prices as decimal strings.

It holds every id used in protocol.md's examples plus the common ones. `is_free` is true
exactly when every price of the row is zero (§6.5). Prices are USD per 1M tokens for token
rows, per second for video, per 1k characters for speech. The emulator-only attributes
(embedding size, whether responses streaming is implemented) never go on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["DEFAULT_CHAT_MODEL", "Catalogue", "ModelRow", "default_catalogue", "format_usd"]

DEFAULT_CHAT_MODEL = "openai/gpt-4o-mini"
DEFAULT_EMBEDDING_MODEL = "openai/text-embedding-3-small"
DEFAULT_IMAGE_MODEL = "openai/gpt-image-1"
DEFAULT_REALTIME_MODEL = "openai/gpt-realtime-mini"
DEFAULT_JUDGE_MODEL = "openai/gpt-4o-mini"

_MILLION = Decimal(1_000_000)
IMAGE_OPERATIONS = (
    "edit",
    "inpaint",
    "outpaint",
    "mix",
    "reframe",
    "upscale",
    "remove_background",
    "reference",
)


def format_usd(value: Decimal) -> str:
    """A decimal USD amount as a plain string, no exponent: `Decimal("1.89E-5")` → `0.0000189`."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class ModelRow:
    """One catalogue entry."""

    id: str
    name: str
    model_type: str = "text"  # text, embedding, image, audio or video
    input_price: str | None = None  # per unit (see pricing_unit)
    output_price: str | None = None
    pricing_unit: str = "per_1m_tokens"
    context_length: int | None = 128_000
    input_modalities: tuple[str, ...] = ("text",)
    output_modalities: tuple[str, ...] = ("text",)
    description: str | None = None
    supports_tools: bool = False
    supports_structured_output: bool = False
    supports_thinking: bool = False
    supports_responses_api: bool = True
    supports_realtime: bool = False
    supports_batching: bool = True
    image_output_usd_per_image: str | None = None
    discount_pct: str = "0"
    # The images.edit operations an image model supports (§7.1), and whether it takes
    # reference images; each becomes a `supports_image_<operation>` flag.
    image_operations: tuple[str, ...] = ()
    # Emulator-only: not sent.
    embedding_dimensions: int = 0
    responses_streaming: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def brand(self) -> str:
        """The part of the id before `/`."""
        return self.id.split("/", 1)[0]

    @property
    def provider(self) -> str:
        """The upstream provider family (the brand, in this catalogue)."""
        return self.brand

    @property
    def is_free(self) -> bool:
        """True exactly when every price is zero."""
        prices = [self.input_price, self.output_price, self.image_output_usd_per_image]
        return all(p is None or Decimal(p) == 0 for p in prices)

    def token_prices(self) -> tuple[Decimal, Decimal]:
        """(input, output) USD per 1M tokens; zero for rows not priced by token."""
        if self.pricing_unit != "per_1m_tokens":
            return Decimal(0), Decimal(0)
        return Decimal(self.input_price or "0"), Decimal(self.output_price or "0")

    def cost(self, prompt_tokens: int, completion_tokens: int) -> str:
        """The decimal-string USD cost of a call (the chat usage chunk's `cost`)."""
        price_in, price_out = self.token_prices()
        total = (price_in * prompt_tokens + price_out * completion_tokens) / _MILLION
        return format_usd(total)

    def pricing(self) -> dict[str, Any]:
        """The `ModelPricing` object (§2.9): strings or null."""
        per_token = self.pricing_unit == "per_1m_tokens"
        pricing: dict[str, Any] = {
            "pricing_unit": self.pricing_unit,
            "input_usd_per_unit": self.input_price,
            "output_usd_per_unit": self.output_price,
            "prompt_usd_per_1m": self.input_price if per_token else None,
            "completion_usd_per_1m": self.output_price if per_token else None,
            "prompt_usd_per_1k": None,
            "completion_usd_per_1k": None,
            "image_usd_per_image": None,
            "image_output_usd_per_image": self.image_output_usd_per_image,
            "discount_pct": self.discount_pct,
            "prompt_usd_per_1k_discounted": None,
            "completion_usd_per_1k_discounted": None,
            "effective_date": "2026-01-01",
        }
        if per_token and self.input_price is not None and self.output_price is not None:
            half_in = Decimal(self.input_price) / 2
            half_out = Decimal(self.output_price) / 2
            pricing["batch_input_usd_per_1m"] = format_usd(half_in)
            pricing["batch_output_usd_per_1m"] = format_usd(half_out)
        return pricing

    def info(self) -> dict[str, Any]:
        """The `ModelInfo` wire object (§2.9, §6.5)."""
        text = self.model_type == "text"
        info: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "brand": self.brand,
            "provider": self.provider,
            "is_free": self.is_free,
            "is_composite": False,
            "composite_models": None,
            "context_length": self.context_length,
            "context_window": self.context_length,
            "description": self.description or f"{self.name} through the MeshAPI gateway.",
            "model_type": self.model_type,
            "input_modalities": list(self.input_modalities),
            "output_modalities": list(self.output_modalities),
            "supports_thinking": self.supports_thinking,
            "supports_completions_api": text,
            "supports_responses_api": text and self.supports_responses_api,
            "supports_realtime": self.supports_realtime,
            "supports_embeddings": self.model_type == "embedding",
            "supports_tools": self.supports_tools,
            "supports_structured_output": self.supports_structured_output,
            "supports_system_prompt": text,
            "supports_batching": text and self.supports_batching,
            "supports_background_response": text and self.supports_responses_api,
            "supports_video_generation": self.model_type == "video",
            "pricing": self.pricing(),
        }
        if self.model_type == "image":
            for operation in IMAGE_OPERATIONS:
                info[f"supports_image_{operation}"] = operation in self.image_operations
        info.update(self.extra)
        return info


def _chat(
    model_id: str,
    name: str,
    price_in: str,
    price_out: str,
    *,
    context: int = 128_000,
    vision: bool = True,
    thinking: bool = False,
    responses_streaming: bool = True,
    structured: bool = True,
    discount: str = "0",
) -> ModelRow:
    return ModelRow(
        id=model_id,
        name=name,
        input_price=price_in,
        output_price=price_out,
        context_length=context,
        input_modalities=("text", "image") if vision else ("text",),
        supports_tools=True,
        supports_structured_output=structured,
        discount_pct=discount,
        supports_thinking=thinking,
        responses_streaming=responses_streaming,
    )


_ROWS: tuple[ModelRow, ...] = (
    # Paid chat models.
    _chat("openai/gpt-4o-mini", "GPT-4o mini", "0.15", "0.60"),
    _chat("openai/gpt-4o", "GPT-4o", "2.50", "10.00"),
    _chat("openai/gpt-4.1", "GPT-4.1", "2.00", "8.00", context=1_047_576),
    _chat("openai/gpt-4.1-mini", "GPT-4.1 mini", "0.40", "1.60", context=1_047_576),
    _chat("openai/gpt-5", "GPT-5", "1.25", "10.00", context=400_000, thinking=True),
    _chat("openai/gpt-5-mini", "GPT-5 mini", "0.25", "2.00", context=400_000, thinking=True),
    _chat("openai/gpt-5-nano", "GPT-5 nano", "0.05", "0.40", context=400_000, thinking=True),
    _chat("openai/o4-mini", "o4-mini", "1.10", "4.40", context=200_000, thinking=True),
    _chat("openai/o3", "o3", "2.00", "8.00", context=200_000, thinking=True),
    _chat("anthropic/claude-sonnet-4.5", "Claude Sonnet 4.5", "3.00", "15.00", context=200_000),
    _chat("anthropic/claude-haiku-4.5", "Claude Haiku 4.5", "1.00", "5.00", context=200_000),
    _chat("anthropic/claude-opus-4.1", "Claude Opus 4.1", "15.00", "75.00", context=200_000),
    _chat("google/gemini-2.5-flash", "Gemini 2.5 Flash", "0.30", "2.50", context=1_048_576),
    _chat("google/gemini-2.5-pro", "Gemini 2.5 Pro", "1.25", "10.00", context=1_048_576),
    _chat("google/gemini-2.0-flash", "Gemini 2.0 Flash", "0.10", "0.40", context=1_048_576),
    _chat("mistral/mistral-large", "Mistral Large", "2.00", "6.00", vision=False),
    _chat("deepseek/deepseek-chat", "DeepSeek V3", "0.27", "1.10", vision=False, discount="50"),
    # Responses streaming is "not implemented" for this one, to exercise the 501 path.
    _chat(
        "deepseek/deepseek-r1",
        "DeepSeek R1",
        "0.55",
        "2.19",
        vision=False,
        thinking=True,
        responses_streaming=False,
    ),
    _chat("x-ai/grok-4", "Grok 4", "3.00", "15.00", context=256_000),
    _chat("meta-llama/llama-3.3-70b-instruct", "Llama 3.3 70B", "0.12", "0.30", vision=False),
    # No structured outputs: a `response_format` json_schema gets a prose reply (§7.1).
    _chat(
        "meta-llama/llama-3.1-8b-instruct",
        "Llama 3.1 8B",
        "0.02",
        "0.05",
        vision=False,
        structured=False,
    ),
    # Free chat models (ids with `:`).
    _chat("meta-llama/llama-3.3-70b-instruct:free", "Llama 3.3 70B (free)", "0", "0", vision=False),
    _chat("deepseek/deepseek-r1:free", "DeepSeek R1 (free)", "0", "0", vision=False),
    _chat("google/gemma-3-27b-it:free", "Gemma 3 27B (free)", "0", "0"),
    _chat("mistral/mistral-small-3.1:free", "Mistral Small 3.1 (free)", "0", "0"),
    # Embeddings.
    ModelRow(
        id="openai/text-embedding-3-small",
        name="Text Embedding 3 Small",
        model_type="embedding",
        input_price="0.02",
        output_price="0",
        context_length=8191,
        output_modalities=("embedding",),
        embedding_dimensions=1536,
    ),
    ModelRow(
        id="openai/text-embedding-3-large",
        name="Text Embedding 3 Large",
        model_type="embedding",
        input_price="0.13",
        output_price="0",
        context_length=8191,
        output_modalities=("embedding",),
        embedding_dimensions=3072,
    ),
    ModelRow(
        id="google/gemini-embedding-001",
        name="Gemini Embedding",
        model_type="embedding",
        input_price="0.15",
        output_price="0",
        context_length=2048,
        output_modalities=("embedding",),
        embedding_dimensions=3072,
    ),
    ModelRow(
        id="nomic-ai/nomic-embed-text-v1.5:free",
        name="Nomic Embed Text v1.5 (free)",
        model_type="embedding",
        input_price="0",
        output_price="0",
        context_length=8192,
        output_modalities=("embedding",),
        embedding_dimensions=768,
    ),
    # Images.
    ModelRow(
        id="openai/gpt-image-1",
        name="GPT Image 1",
        model_type="image",
        input_price="5.00",
        output_price="40.00",
        context_length=None,
        input_modalities=("text", "image"),
        output_modalities=("image",),
        image_output_usd_per_image="0.042",
        supports_responses_api=False,
        image_operations=("edit", "inpaint", "mix", "reference"),
    ),
    ModelRow(
        id="google/gemini-2.5-flash-image",
        name="Gemini 2.5 Flash Image",
        model_type="image",
        input_price="0.30",
        output_price="30.00",
        context_length=None,
        input_modalities=("text", "image"),
        output_modalities=("image", "text"),
        image_output_usd_per_image="0.039",
        supports_responses_api=False,
        image_operations=("edit", "mix", "reference"),
    ),
    ModelRow(
        id="black-forest-labs/flux-1.1-pro",
        name="FLUX 1.1 [pro]",
        model_type="image",
        input_price=None,
        output_price=None,
        pricing_unit="per_image",
        context_length=None,
        output_modalities=("image",),
        image_output_usd_per_image="0.04",
        supports_responses_api=False,
        image_operations=(
            "edit",
            "inpaint",
            "outpaint",
            "reframe",
            "upscale",
            "remove_background",
        ),
    ),
    # Audio.
    ModelRow(
        id="sarvam/bulbul:v2",
        name="Bulbul v2",
        model_type="audio",
        input_price="0.015",
        output_price="0",
        pricing_unit="per_1k_chars",
        context_length=None,
        output_modalities=("audio",),
        supports_responses_api=False,
    ),
    ModelRow(
        id="openai/gpt-4o-mini-tts",
        name="GPT-4o mini TTS",
        model_type="audio",
        input_price="0.60",
        output_price="12.00",
        context_length=None,
        output_modalities=("audio",),
        supports_responses_api=False,
    ),
    ModelRow(
        id="sarvam/saaras:v3",
        name="Saaras v3",
        model_type="audio",
        input_price="0.0001",
        output_price="0",
        pricing_unit="per_second",
        context_length=None,
        input_modalities=("audio",),
        supports_responses_api=False,
    ),
    ModelRow(
        id="openai/whisper-1",
        name="Whisper",
        model_type="audio",
        input_price="0.0001",
        output_price="0",
        pricing_unit="per_second",
        context_length=None,
        input_modalities=("audio",),
        supports_responses_api=False,
    ),
    # Video.
    ModelRow(
        id="bytedance/seedance-1-0-pro",
        name="Seedance 1.0 Pro",
        model_type="video",
        input_price="0",
        output_price="0.10",
        pricing_unit="per_second",
        context_length=None,
        input_modalities=("text", "image"),
        output_modalities=("video",),
        supports_responses_api=False,
    ),
    ModelRow(
        id="google/veo-3",
        name="Veo 3",
        model_type="video",
        input_price="0",
        output_price="0.40",
        pricing_unit="per_second",
        context_length=None,
        input_modalities=("text", "image"),
        output_modalities=("video",),
        supports_responses_api=False,
    ),
    # Realtime.
    ModelRow(
        id="openai/gpt-realtime-mini",
        name="GPT Realtime mini",
        input_price="0.60",
        output_price="2.40",
        input_modalities=("text", "audio"),
        output_modalities=("text", "audio"),
        supports_realtime=True,
        supports_responses_api=False,
        extra={"realtime_session_max_tokens": 4096, "realtime_max_concurrent_per_owner": 10},
    ),
    ModelRow(
        id="openai/gpt-realtime",
        name="GPT Realtime",
        input_price="4.00",
        output_price="16.00",
        input_modalities=("text", "audio"),
        output_modalities=("text", "audio"),
        supports_realtime=True,
        supports_responses_api=False,
        extra={"realtime_session_max_tokens": 4096, "realtime_max_concurrent_per_owner": 10},
    ),
)


class Catalogue:
    """Lookup and filtering over a fixed list of rows."""

    def __init__(self, rows: Iterable[ModelRow]) -> None:
        self._rows = list(rows)
        self._by_id = {row.id: row for row in self._rows}

    @property
    def rows(self) -> list[ModelRow]:
        """Every row, in catalogue order."""
        return list(self._rows)

    def get(self, model_id: str) -> ModelRow | None:
        """A row by exact id."""
        return self._by_id.get(model_id)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._by_id

    def filter(
        self,
        *,
        free: bool | None = None,
        model_type: str | None = None,
        provider: str | None = None,
    ) -> list[ModelRow]:
        """Rows matching every given filter (none given: all of them)."""
        return [
            row
            for row in self._rows
            if (free is None or row.is_free == free)
            and (model_type is None or row.model_type == model_type)
            and (provider is None or row.provider == provider)
        ]


def default_catalogue() -> Catalogue:
    """The built-in catalogue."""
    return Catalogue(_ROWS)
