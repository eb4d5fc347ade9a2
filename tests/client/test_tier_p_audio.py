"""`client.audio` on every driver (protocol.md §7.1, §1.6, §5.3, §5.4).

Speech's raw bytes (and the 2xx error envelope that must raise), the multipart uploads as
the gateway received them (booleans `true`/`false`, repeated `keyterms`, the `file` part),
retries that resend the same bytes under the same key, and the voices' token pagination.
"""

from __future__ import annotations

import email
import email.policy
import io
import uuid
import wave
from typing import Any

import pydantic
import pytest

from meshapi import (
    AudioTranslationsParams,
    InternalServerError,
    ListVoicesParams,
    NotFoundError,
    SpeechParams,
    TranscriptionParams,
    TranscriptionResponse,
    Voice,
    VoiceSettings,
    VoicesResponse,
)
from meshapi.testing import Fail, JsonBody, MeshAPIGateway, RecordedRequest

pytestmark = pytest.mark.anyio

SPEECH = "/v1/audio/speech"
TRANSCRIPTIONS = "/v1/audio/transcriptions"


def form_parts(record: RecordedRequest) -> list[tuple[str, str | None, str | None, bytes]]:
    """(name, filename, content type, payload) of each part the gateway received."""
    content_type = record.header("content-type") or ""
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + record.body,
        policy=email.policy.HTTP,
    )
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_filename(),
            part.get("Content-Type") if part.get_filename() else None,
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


def frames(audio: bytes) -> int:
    with wave.open(io.BytesIO(audio)) as reader:
        return reader.getnframes()


async def test_synthesize_returns_the_wav_bytes(client: Any, gw: MeshAPIGateway) -> None:
    audio = await client.audio.synthesize(SpeechParams(input="Hello world", voice="alloy"))
    assert isinstance(audio, bytes) and audio[:4] == b"RIFF"
    assert frames(audio) == len("Hello world") * 1200
    sent = gw.last_request(path=SPEECH)
    assert sent.header("accept") == "*/*"
    assert sent.header("content-type") == "application/json"
    assert sent.idempotency_key is not None
    assert sent.json() == {"input": "Hello world", "voice": "alloy"}
    faster = await client.audio.synthesize(
        input="Hello world", voice_settings=VoiceSettings(speed=2.0)
    )
    assert frames(faster) == frames(audio) // 2


async def test_synthesize_raises_a_2xx_error_envelope(client: Any, gw: MeshAPIGateway) -> None:
    envelope = {
        "error": {"code": "upstream_error", "message": "The TTS provider failed."},
        "request_id": "req_tts_1",
    }
    gw.add_fault(JsonBody(200, envelope), path=SPEECH)
    with pytest.raises(InternalServerError) as caught:
        await client.audio.synthesize(input="hi")
    error = caught.value
    assert (error.status, error.error_code) == (200, "upstream_error")
    assert str(error) == "The TTS provider failed." and error.request_id == "req_tts_1"


async def test_raw_speech_has_the_headers(client: Any) -> None:
    raw = await client.audio.with_raw_response.synthesize(input="hi")
    assert raw.status == 200 and raw.headers["content-type"] == "audio/wav"
    assert raw.request_id and raw.parsed[:4] == b"RIFF"


async def test_transcribe_uploads_multipart_and_round_trips_speech(
    client: Any, gw: MeshAPIGateway
) -> None:
    audio = await client.audio.synthesize(input="The quick brown fox")
    result = await client.audio.transcribe(
        audio,
        TranscriptionParams(
            model="openai/whisper-1",
            keyterms=["MeshAPI", "SDK"],
            diarize=True,
            tag_audio_events=False,
            temperature=0.25,
            with_timestamps=True,
        ),
        filename="fox.wav",
    )
    assert isinstance(result, TranscriptionResponse)
    assert result.text == "The quick brown fox" and result._request_id
    assert result.model_extra is not None and result.model_extra["keyterms"] == ["MeshAPI", "SDK"]
    sent = gw.last_request(path=TRANSCRIPTIONS)
    assert (sent.header("content-type") or "").startswith("multipart/form-data; boundary=")
    assert sent.header("accept") == "application/json"
    assert sent.idempotency_key is not None and sent.header("x-mesh-version")
    assert form_parts(sent) == [
        ("model", None, None, b"openai/whisper-1"),
        ("temperature", None, None, b"0.25"),
        ("tag_audio_events", None, None, b"false"),
        ("diarize", None, None, b"true"),
        ("with_timestamps", None, None, b"true"),
        ("keyterms", None, None, b"MeshAPI"),
        ("keyterms", None, None, b"SDK"),
        ("file", "fox.wav", "audio/wav", audio),
    ]


async def test_keyword_style_and_the_default_filename(client: Any, gw: MeshAPIGateway) -> None:
    result = await client.audio.transcribe(b"not really audio", model="openai/whisper-1")
    assert result.text.startswith("Transcribed audio ")
    [*_, file_part] = form_parts(gw.last_request(path=TRANSCRIPTIONS))
    assert file_part[:3] == ("file", "audio.mp3", "audio/mpeg")
    await client.audio.transcribe(
        b"x", {"model": "openai/whisper-1"}, filename="clip.bin", content_type="audio/x-raw"
    )
    [*_, custom] = form_parts(gw.last_request(path=TRANSCRIPTIONS))
    assert custom[:3] == ("file", "clip.bin", "audio/x-raw")


async def test_a_retried_upload_resends_the_same_bytes_and_key(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(Fail(503), path=TRANSCRIPTIONS, times=2)
    result = await client.audio.transcribe(b"abc", model="openai/whisper-1", filename="a.wav")
    assert result.text is not None
    attempts = gw.find_requests(path=TRANSCRIPTIONS)
    assert len(attempts) == 3
    assert len({(r.body, r.idempotency_key, r.header("content-type")) for r in attempts}) == 1


async def test_the_same_key_twice_is_a_replay_not_a_conflict(
    client: Any, gw: MeshAPIGateway
) -> None:
    key = f"upload-{uuid.uuid4().hex[:12]}"
    first = await client.audio.with_raw_response.transcribe(
        b"abc", model="openai/whisper-1", idempotency_key=key
    )
    again = await client.audio.with_raw_response.transcribe(
        b"abc", model="openai/whisper-1", idempotency_key=key
    )
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.parsed.text == first.parsed.text
    assert gw.executions(key) == 1


async def test_get_transcription_is_untyped_json(client: Any) -> None:
    audio = await client.audio.synthesize(input="keep this")
    created = await client.audio.transcribe(audio, model="openai/whisper-1", webhook=True)
    assert created.text is None  # delivered later
    transcription_id = created.model_extra["transcription_id"]
    stored = await client.audio.get_transcription(transcription_id)
    assert isinstance(stored, dict)
    assert stored["text"] == "keep this" and stored["transcription_id"] == transcription_id
    with pytest.raises(NotFoundError):
        await client.audio.get_transcription("tr_missing")
    with pytest.raises(ValueError, match="transcription_id"):
        await client.audio.get_transcription("")


async def test_both_translations(client: Any, gw: MeshAPIGateway) -> None:
    audio = await client.audio.synthesize(input="Bonjour")
    translated = await client.audio.translate(audio, filename="fr.wav")
    assert translated.text == "(translated to English) Bonjour"
    assert gw.last_request(path="/v1/audio/transcriptions/translate").idempotency_key
    standalone = await client.audio.audio_translate(
        audio, AudioTranslationsParams(model="openai/whisper-1", temperature=0.5), filename="fr.wav"
    )
    assert standalone.text == "(translated to English) Bonjour"
    parts = form_parts(gw.last_request(path="/v1/audio/translations"))
    assert ("temperature", None, None, b"0.5") in parts


async def test_upload_arguments_are_checked_before_any_request(
    client: Any, gw: MeshAPIGateway
) -> None:
    with pytest.raises(ValueError, match="bytes"):
        await client.audio.transcribe("a path, not bytes", model="openai/whisper-1")
    with pytest.raises(ValueError, match="filename"):
        await client.audio.translate(b"x", filename="")
    with pytest.raises(pydantic.ValidationError, match="temperature"):
        await client.audio.audio_translate(b"x", model="m", temperature=3)
    assert gw.find_requests(path=TRANSCRIPTIONS) == []


async def test_voices_paginate_by_token(client: Any, gw: MeshAPIGateway) -> None:
    first = await client.audio.list_voices(ListVoicesParams(page_size=4, include_total_count=True))
    assert isinstance(first, VoicesResponse) and first._request_id
    assert len(first.voices) == 4 and first.has_more is True and first.total_count == 15
    assert gw.last_request(path="/v1/audio/voices").query == {
        "page_size": ["4"],
        "include_total_count": ["true"],
    }
    second = await client.audio.list_voices(page_size=4, next_page_token=first.next_page_token)
    assert {v.voice_id for v in second.voices}.isdisjoint({v.voice_id for v in first.voices})
    everything = [voice async for voice in client.audio.list_all_voices(page_size=6)]
    assert len(everything) == 15 and all(isinstance(v, Voice) for v in everything)
    picked = await client.audio.list_voices(voice_ids=["alloy", "nova"])
    assert gw.last_request(path="/v1/audio/voices").query == {"voice_ids": ["alloy", "nova"]}
    assert {v.voice_id for v in picked.voices} == {"alloy", "nova"}
    assert picked.total_count is None  # not asked for: absent, not 0


async def test_get_voice(client: Any, gw: MeshAPIGateway) -> None:
    voice = await client.audio.get_voice("21m00Tcm4TlvDq8ikWAM")
    assert voice.name == "Rachel" and voice.labels["use_case"] == ["narration", "audiobook"]
    assert voice._request_id
    with pytest.raises(NotFoundError):
        await client.audio.get_voice("no such/voice")
    assert gw.last_request(path=None, method="GET").raw_path == "/v1/audio/voices/no%20such%2Fvoice"
