"""Audio (protocol.md §7.1): speech, transcriptions, translations and voices.

Deterministic rules a test can rely on:

* **Speech** answers a real WAV (PCM16 mono, `speech_sample_rate` or 24 kHz) with 50 ms
  of tone per character of `input` (divided by `voice_settings.speed`), so its length
  follows the text, and the text itself in the file's `LIST`/`INFO` comment chunk.
  `stream: true` sends the same bytes chunked. The voice must be one of the catalogue's.
* **Transcription** of a WAV made by speech is that WAV's text; of any other audio, a line
  derived from a hash of the bytes (`Transcribed audio <sha256[:12]> (<n> bytes).`). Each
  transcription is stored (`GET /v1/audio/transcriptions/{id}`); with `webhook=true` the
  POST answers at once without `text`, and the GET has it. `keyterms` are echoed back, and
  `with_timestamps` / `timestamps_granularity=word` add a `words` list.
* **Translations** (both routes) answer `(translated to English) <transcript>`.
* **Voices** are a fixed catalogue, filtered by `search`, `category`, `voice_type` and
  `voice_ids`, sorted by `name` or `created_at_unix`, in pages of `page_size` (default 10)
  with an opaque `next_page_token`; `total_count` only with `include_total_count=true`.

Uploads are multipart, parsed strictly (`_forms.py`): booleans must be `true`/`false`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from meshapi_core.types import SpeechParams, TranscriptionResponse, Voice, VoicesResponse

from ._catalogue import ModelRow
from ._chat import resolve_model, upstream_failure
from ._context import RequestContext
from ._errors import GatewayError
from ._forms import FormData, parse_form
from ._ids import new_id
from ._validation import check_params, detail, query_bool, query_int, raise_validation
from ._wav import describe_audio, speech_wav, wav_text
from ._wire import dump

__all__ = [
    "DEFAULT_SPEECH_MODEL",
    "VOICES",
    "TranscriptionStore",
    "audio_translations",
    "create_speech",
    "create_transcription",
    "get_transcription",
    "get_voice",
    "list_voices",
    "translate_transcription",
]

DEFAULT_SPEECH_MODEL = "openai/gpt-4o-mini-tts"
DEFAULT_TRANSLATE_MODEL = "sarvam/saaras:v3"
SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
TRANSLATION_PREFIX = "(translated to English) "


def _voice(
    voice_id: str,
    name: str,
    category: str,
    description: str,
    created: int,
    **labels: Any,
) -> dict[str, Any]:
    return {
        "voice_id": voice_id,
        "name": name,
        "category": category,
        "description": description,
        "preview_url": f"https://cdn.meshapi.test/voices/{voice_id}.mp3",
        "labels": labels,
        "created_at_unix": created,
    }


# The OpenAI voice names plus a few provider voices with opaque ids, so both id styles
# and every label value type (strings, lists, numbers, booleans) appear.
VOICES: tuple[dict[str, Any], ...] = (
    _voice("alloy", "Alloy", "premade", "Neutral and balanced.", 1700000000, gender="neutral"),
    _voice("ash", "Ash", "premade", "Clear and direct.", 1700000100, gender="male"),
    _voice("ballad", "Ballad", "premade", "Warm, for storytelling.", 1700000200, gender="male"),
    _voice("coral", "Coral", "premade", "Bright and friendly.", 1700000300, gender="female"),
    _voice("echo", "Echo", "premade", "Calm and even.", 1700000400, gender="male"),
    _voice("fable", "Fable", "premade", "Expressive narration.", 1700000500, accent="british"),
    _voice("nova", "Nova", "premade", "Energetic and young.", 1700000600, gender="female"),
    _voice("onyx", "Onyx", "premade", "Deep and authoritative.", 1700000700, gender="male"),
    _voice("sage", "Sage", "premade", "Soft and thoughtful.", 1700000800, gender="female"),
    _voice("shimmer", "Shimmer", "premade", "Light and airy.", 1700000900, gender="female"),
    _voice("verse", "Verse", "premade", "Versatile, conversational.", 1700001000, gender="male"),
    _voice(
        "21m00Tcm4TlvDq8ikWAM",
        "Rachel",
        "premade",
        "Calm American narrator.",
        1700001100,
        accent="american",
        age="young",
        use_case=["narration", "audiobook"],
        stability=0.5,
    ),
    _voice(
        "pNInz6obpgDQGcFmaJgB",
        "Adam",
        "premade",
        "Deep American voice.",
        1700001200,
        accent="american",
        age="middle aged",
        use_case=["narration"],
    ),
    _voice(
        "vc_cloned_demo_0001",
        "My Cloned Voice",
        "cloned",
        "A voice cloned from a sample.",
        1700001300,
        cloned=True,
        sample_count=3,
    ),
    _voice(
        "vc_generated_demo_01",
        "Generated Baritone",
        "generated",
        "A voice designed from a text prompt.",
        1700001400,
        prompt="a warm baritone",
    ),
)
_VOICES_BY_ID = {voice["voice_id"]: voice for voice in VOICES}
VOICE_TYPES = {"premade": "default", "cloned": "personal", "generated": "personal"}


# ----------------------------------------------------------------------------------- models


def _is_speech(row: ModelRow) -> bool:
    return "audio" in row.output_modalities


def _is_transcription(row: ModelRow) -> bool:
    return "audio" in row.input_modalities


def _audio_model(ctx: RequestContext, model_id: Any, *, speech: bool, default: str) -> ModelRow:
    row, _ = resolve_model(ctx.state, model_id, kind="audio", default=default)
    if (_is_speech(row) if speech else _is_transcription(row)) is False:
        what = "speech synthesis" if speech else "transcription"
        raise GatewayError(
            400,
            "model_capability_not_supported",
            f"Model '{row.id}' does not support {what}.",
            param="model",
        )
    failure = upstream_failure(ctx.state, row.id)
    if failure is not None:
        raise failure
    return row


# ----------------------------------------------------------------------------------- speech


async def create_speech(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/audio/speech: a WAV whose length follows `input`."""
    body = ctx.json_body()
    problems = check_params(SpeechParams, body)
    text = body.get("input")
    if isinstance(text, str) and not text.strip():
        problems.append(detail("string_too_short", ["input"], "Input must not be empty"))
    rate = body.get("speech_sample_rate", 24000)
    if isinstance(rate, int) and rate not in SAMPLE_RATES:
        problems.append(
            detail(
                "enum",
                ["speech_sample_rate"],
                f"Input should be one of {', '.join(map(str, SAMPLE_RATES))}",
            )
        )
    settings = body.get("voice_settings") or {}
    speed = settings.get("speed", 1.0) if isinstance(settings, Mapping) else 1.0
    if isinstance(speed, (int, float)) and not 0.25 <= speed <= 4:
        problems.append(
            detail("less_than_equal", ["voice_settings", "speed"], "Input should be 0.25 to 4")
        )
    raise_validation(problems)
    model = _audio_model(ctx, body.get("model"), speech=True, default=DEFAULT_SPEECH_MODEL)
    voice = body.get("voice", "alloy")
    if voice not in _VOICES_BY_ID:
        raise GatewayError(400, "invalid_request", f"Unknown voice '{voice}'.", param="voice")
    audio = speech_wav(str(text), voice=voice, sample_rate=rate, speed=float(speed))
    headers = {"x-resolved-model-id": model.id}
    if body.get("stream") is not True:
        return web.Response(body=audio, content_type="audio/wav", headers=headers)
    response = web.StreamResponse(headers={**headers, "Content-Type": "audio/wav"})
    await response.prepare(ctx.request)
    for start in range(0, len(audio), 8192):
        await response.write(audio[start : start + 8192])
    await response.write_eof()
    return response


# ---------------------------------------------------------------------------- transcription


@dataclass
class TranscriptionStore:
    """Stored transcriptions, per owner (`GET /v1/audio/transcriptions/{id}`)."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def put(self, owner: str, record: dict[str, Any]) -> None:
        """Store `record` under its `transcription_id`."""
        with self._lock:
            self._items[(owner, record["transcription_id"])] = record

    def get(self, owner: str, transcription_id: str) -> dict[str, Any] | None:
        """A stored record, or None."""
        with self._lock:
            record = self._items.get((owner, transcription_id))
            return dict(record) if record is not None else None


_TRANSCRIPTION_FIELDS = {
    "model": "str",
    "language_code": "str",
    "temperature": "float",
    "seed": "int",
    "file_format": "str",
    "additional_formats": "str",
    "tag_audio_events": "bool",
    "num_speakers": "int",
    "diarize": "bool",
    "diarization_threshold": "float",
    "detect_speaker_roles": "bool",
    "use_multi_channel": "bool",
    "timestamps_granularity": "str",
    "with_timestamps": "bool",
    "cloud_storage_url": "str",
    "source_url": "str",
    "webhook": "bool",
    "webhook_id": "str",
    "webhook_metadata": "str",
    "entity_detection": "str",
    "entity_redaction": "str",
    "entity_redaction_mode": "str",
    "no_verbatim": "bool",
    "keyterms": "str",
    "debug_mode": "bool",
}


def _form(ctx: RequestContext) -> FormData:
    return parse_form(ctx.request.headers.get("Content-Type"), ctx.record.body)


def _audio_bytes(ctx: RequestContext, form: FormData) -> bytes:
    part = form.file()
    if part is None:
        raise_validation([detail("missing", ["file"], "Field required")])
        raise AssertionError("unreachable")
    if not part.data:
        raise GatewayError(400, "invalid_request", "The uploaded audio file is empty.")
    return part.data


def transcript_of(audio: bytes) -> str:
    """What the emulator hears in `audio` (see the module docstring)."""
    text = wav_text(audio)
    return text if text is not None else describe_audio(audio)


def _words(text: str, *, diarize: bool) -> list[dict[str, Any]]:
    words = []
    clock = 0.0
    for word in text.split():
        duration = round(len(word) * 0.05, 3)
        item: dict[str, Any] = {
            "text": word,
            "type": "word",
            "start": round(clock, 3),
            "end": round(clock + duration, 3),
        }
        if diarize:
            item["speaker_id"] = "speaker_0"
        words.append(item)
        clock += duration + 0.05
    return words


async def create_transcription(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/audio/transcriptions (multipart)."""
    form = _form(ctx)
    fields = form.fields(_TRANSCRIPTION_FIELDS, lists=("keyterms",), required=("model",))
    audio = _audio_bytes(ctx, form)
    model = _audio_model(ctx, fields["model"], speech=False, default="openai/whisper-1")
    text = transcript_of(audio)
    record: dict[str, Any] = {
        "transcription_id": new_id("tr_", 24),
        "status": "completed",
        "model": model.id,
        "text": text,
        "language_code": fields.get("language_code", "en"),
        "language_probability": 0.99,
        "created_at": int(ctx.state.clock.now()),
    }
    if fields.get("with_timestamps") or fields.get("timestamps_granularity") in (
        "word",
        "character",
    ):
        record["words"] = _words(text, diarize=bool(fields.get("diarize")))
    if "keyterms" in fields:
        record["keyterms"] = fields["keyterms"]
    ctx.state.transcriptions.put(ctx.owner, record)
    if fields.get("webhook"):
        return ctx.json(
            dump(
                TranscriptionResponse,
                {
                    "message": "Request accepted; the transcript will be sent to your webhook.",
                    "request_id": ctx.request_id,
                    "transcription_id": record["transcription_id"],
                },
            )
        )
    return ctx.json(dump(TranscriptionResponse, record))


async def get_transcription(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/audio/transcriptions/{transcription_id}: untyped JSON."""
    transcription_id = ctx.request.match_info["transcription_id"]
    record = ctx.state.transcriptions.get(ctx.owner, transcription_id)
    if record is None:
        raise GatewayError(404, "not_found", f"Transcription '{transcription_id}' not found.")
    return ctx.json(record)


async def translate_transcription(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/audio/transcriptions/translate (multipart): model and prompt optional."""
    form = _form(ctx)
    fields = form.fields({"model": "str", "prompt": "str"})
    audio = _audio_bytes(ctx, form)
    model = _audio_model(ctx, fields.get("model"), speech=False, default=DEFAULT_TRANSLATE_MODEL)
    return ctx.json(
        dump(
            TranscriptionResponse,
            {
                "text": TRANSLATION_PREFIX + transcript_of(audio),
                "language_code": "en",
                "model": model.id,
            },
        )
    )


async def audio_translations(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/audio/translations (multipart): model required, temperature 0–2."""
    form = _form(ctx)
    fields = form.fields(
        {"model": "str", "prompt": "str", "response_format": "str", "temperature": "float"},
        required=("model",),
    )
    temperature = fields.get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        raise_validation(
            [detail("less_than_equal", ["temperature"], "Input should be between 0 and 2")]
        )
    audio = _audio_bytes(ctx, form)
    model = _audio_model(ctx, fields["model"], speech=False, default=DEFAULT_TRANSLATE_MODEL)
    return ctx.json(
        dump(
            TranscriptionResponse,
            {"text": TRANSLATION_PREFIX + transcript_of(audio), "model": model.id},
        )
    )


# ----------------------------------------------------------------------------------- voices

_TOKEN_PREFIX = "vpt_"


def _page_token(offset: int) -> str:
    return f"{_TOKEN_PREFIX}{offset}"


def _offset_of(token: str | None) -> int:
    if token is None:
        return 0
    digits = token[len(_TOKEN_PREFIX) :] if token.startswith(_TOKEN_PREFIX) else ""
    if not digits.isdigit():
        raise GatewayError(
            400, "invalid_request", "Invalid next_page_token.", param="next_page_token"
        )
    return int(digits)


def _public_voice(voice: Mapping[str, Any]) -> dict[str, Any]:
    return dump(Voice, voice)


async def list_voices(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/audio/voices: filter, sort, token pagination."""
    query = ctx.request.query
    page_size = query_int(ctx.request, "page_size", 10, 1, 100)
    include_total = query_bool(ctx.request, "include_total_count")
    search = (query.get("search") or "").lower()
    category = query.get("category")
    voice_type = query.get("voice_type")
    wanted_ids = query.getall("voice_ids", [])
    sort = query.get("sort", "created_at_unix")
    if sort not in ("name", "created_at_unix"):
        raise_validation(
            [
                {
                    "type": "literal_error",
                    "loc": ["query", "sort"],
                    "msg": "Input should be 'name' or 'created_at_unix'",
                }
            ]
        )
    direction = query.get("sort_direction", "desc" if sort == "created_at_unix" else "asc")
    if direction not in ("asc", "desc"):
        raise_validation(
            [
                {
                    "type": "literal_error",
                    "loc": ["query", "sort_direction"],
                    "msg": "Input should be 'asc' or 'desc'",
                }
            ]
        )
    voices = [
        v
        for v in VOICES
        if (not search or search in v["name"].lower() or search in v["description"].lower())
        and (category is None or v["category"] == category)
        and (voice_type is None or VOICE_TYPES.get(v["category"]) == voice_type)
        and (not wanted_ids or v["voice_id"] in wanted_ids)
    ]
    voices.sort(key=lambda v: v[sort], reverse=direction == "desc")
    offset = _offset_of(query.get("next_page_token"))
    page = voices[offset : offset + page_size]
    more = offset + page_size < len(voices)
    result: dict[str, Any] = {
        "voices": [_public_voice(v) for v in page],
        "has_more": more,
        "next_page_token": _page_token(offset + page_size) if more else None,
    }
    if include_total:
        result["total_count"] = len(voices)
    return ctx.json(dump(VoicesResponse, result))


async def get_voice(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/audio/voices/{voice_id}."""
    voice_id = ctx.request.match_info["voice_id"]
    voice = _VOICES_BY_ID.get(voice_id)
    if voice is None:
        raise GatewayError(404, "not_found", f"Voice '{voice_id}' not found.")
    return ctx.json(_public_voice(voice))
