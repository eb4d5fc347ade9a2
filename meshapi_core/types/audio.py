"""Audio: speech, transcriptions, translations and voices (protocol.md §7.1, tier P).

Speech (`POST /v1/audio/speech`) is a JSON request whose result is raw audio bytes. The
transcription and translation endpoints are multipart uploads: their params models are the
form fields, sent beside the `file` part by the rules of §1.6 (booleans as `true`/`false`,
lists as repeated fields, numbers in decimal, `None` left out). The voices list is a GET
whose params are the query string, paginated by `next_page_token`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, JsonValue

from ._base import RequestModel, ResultModel
from .chat import _null_as

__all__ = [
    "AudioTranslationsParams",
    "ListVoicesParams",
    "PronunciationDictionaryLocator",
    "SpeechParams",
    "TranscriptionParams",
    "TranscriptionResponse",
    "TranscriptionTranslateParams",
    "Voice",
    "VoiceSettings",
    "VoicesResponse",
]


# --------------------------------------------------------------------------------------
# Speech
# --------------------------------------------------------------------------------------


class VoiceSettings(RequestModel):
    """How a voice speaks: stability, similarity boost, style, speaker boost and speed."""

    stability: float | None = None
    similarity_boost: float | None = None
    style: float | None = None
    use_speaker_boost: bool | None = None
    speed: float | None = None


class PronunciationDictionaryLocator(RequestModel):
    """A pronunciation dictionary (and optionally one version of it) to apply to speech."""

    pronunciation_dictionary_id: str
    version_id: str | None = None


class SpeechParams(RequestModel):
    """The body of `POST /v1/audio/speech` (§7.1): the text to speak, and how.

    Only `input` is required. The result of `audio.synthesize` is the raw audio bytes
    (their format follows `response_format` and the model); the remaining fields are
    provider knobs passed through as they are.
    """

    input: str
    model: str | None = None
    voice: str | None = None
    stream: bool | None = None
    response_format: str | None = None
    """For example `"wav"` or `"mp3"`; which formats exist depends on the model."""
    language_code: str | None = None
    voice_settings: VoiceSettings | None = None
    pronunciation_dictionary_locators: list[PronunciationDictionaryLocator] | None = None
    seed: int | None = None
    previous_text: str | None = None
    next_text: str | None = None
    previous_request_ids: list[str] | None = None
    next_request_ids: list[str] | None = None
    apply_text_normalization: str | None = None
    """For example `"auto"`, `"on"` or `"off"`."""
    apply_language_text_normalization: bool | None = None
    use_pvc_as_ivc: bool | None = None
    enable_logging: bool | None = None
    optimize_streaming_latency: int | None = None
    speaker: str | None = None
    target_language_code: str | None = None
    pitch: float | None = None
    pace: float | None = None
    loudness: float | None = None
    speech_sample_rate: int | None = None
    enable_preprocessing: bool | None = None


# --------------------------------------------------------------------------------------
# Transcription and translation (multipart form fields)
# --------------------------------------------------------------------------------------


class TranscriptionParams(RequestModel):
    """The form fields of `POST /v1/audio/transcriptions` (§7.1); the audio is the `file`.

    Only `model` is required. `keyterms` is sent as one repeated form field per term.
    `additional_formats` and `webhook_metadata` are passed as the provider takes them (a
    JSON string, or a dict the SDK writes as compact JSON).
    """

    model: str
    language_code: str | None = None
    temperature: float | None = None
    seed: int | None = None
    file_format: str | None = None
    additional_formats: str | list[dict[str, Any]] | None = None
    tag_audio_events: bool | None = None
    num_speakers: int | None = None
    diarize: bool | None = None
    diarization_threshold: float | None = None
    detect_speaker_roles: bool | None = None
    use_multi_channel: bool | None = None
    timestamps_granularity: str | None = None
    """For example `"none"`, `"word"` or `"character"`."""
    with_timestamps: bool | None = None
    cloud_storage_url: str | None = None
    source_url: str | None = None
    webhook: bool | None = None
    webhook_id: str | None = None
    webhook_metadata: str | dict[str, Any] | None = None
    entity_detection: str | list[str] | None = None
    entity_redaction: str | list[str] | None = None
    entity_redaction_mode: str | None = None
    no_verbatim: bool | None = None
    keyterms: list[str] | None = None
    debug_mode: bool | None = None


class TranscriptionTranslateParams(RequestModel):
    """The form fields of `POST /v1/audio/transcriptions/translate` (§7.1); all optional."""

    model: str | None = None
    prompt: str | None = None


class AudioTranslationsParams(RequestModel):
    """The form fields of `POST /v1/audio/translations` (§7.1), translating to English.

    A different endpoint from `audio.translate` (`/v1/audio/transcriptions/translate`).
    """

    model: str
    prompt: str | None = None
    response_format: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)


class TranscriptionResponse(ResultModel):
    """The text of a transcription or translation; provider extras (words, language) kept.

    `text` is None when the gateway answered without one (for example a webhook
    transcription that is delivered later).
    """

    text: str | None = None


# --------------------------------------------------------------------------------------
# Voices
# --------------------------------------------------------------------------------------


class ListVoicesParams(RequestModel):
    """The query of `GET /v1/audio/voices` (§7.1); every filter is optional.

    Token pagination: pass a page's `next_page_token` back to get the next page.
    `voice_ids` is sent as one repeated query key per id.
    """

    next_page_token: str | None = Field(default=None, min_length=1)
    page_size: int | None = Field(default=None, ge=1)
    search: str | None = None
    sort: str | None = None
    sort_direction: str | None = None
    """`"asc"` or `"desc"`."""
    voice_type: str | None = None
    category: str | None = None
    include_total_count: bool | None = None
    voice_ids: list[str] | None = None


class Voice(ResultModel):
    """One voice: its id and name, plus category, description, preview and labels.

    `labels` holds provider-defined values (strings, numbers, lists...), `{}` when absent.
    """

    voice_id: str
    name: str
    category: str | None = None
    description: str | None = None
    preview_url: str | None = None
    labels: Annotated[dict[str, JsonValue], _null_as(dict)] = Field(default_factory=dict)


class VoicesResponse(ResultModel):
    """A page of voices (token pagination).

    `has_more` and `total_count` are None when the gateway left them out, which is not
    the same as `False` / `0`: ask for `include_total_count=True` to get the count.
    """

    voices: list[Voice]
    has_more: bool | None = None
    total_count: int | None = None
    next_page_token: str | None = None
