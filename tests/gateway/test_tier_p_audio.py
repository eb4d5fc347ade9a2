"""The gateway's audio routes (protocol.md §7.1): speech, transcription, translation, voices.

Multipart bodies here are built by httpx, not by meshapi_core, so the gateway's parser is
checked against an independent encoder.
"""

from __future__ import annotations

import hashlib
import io
import wave
from typing import Any

import httpx
import pytest

from meshapi.testing import MeshAPIGateway
from meshapi_core.types import TranscriptionResponse, Voice, VoicesResponse


def speak(client: httpx.Client, text: str, **body: Any) -> httpx.Response:
    return client.post("/v1/audio/speech", json={"input": text, **body})


def wav_frames(data: bytes) -> tuple[int, int, int, int]:
    with wave.open(io.BytesIO(data)) as audio:
        return (
            audio.getnframes(),
            audio.getframerate(),
            audio.getnchannels(),
            audio.getsampwidth(),
        )


def upload(
    client: httpx.Client,
    path: str,
    audio: bytes,
    fields: dict[str, str | list[str]],
    filename: str = "clip.wav",
) -> httpx.Response:
    return client.post(path, data=fields, files={"file": (filename, audio, "audio/wav")})


# ------------------------------------------------------------------------------ speech


def test_speech_is_a_real_wav_whose_length_follows_the_text(client: httpx.Client) -> None:
    short = speak(client, "Hello")
    longer = speak(client, "Hello world, again")
    assert short.status_code == 200 and short.headers["content-type"] == "audio/wav"
    assert short.content[:4] == b"RIFF" and short.content[8:12] == b"WAVE"
    assert wav_frames(short.content) == (5 * 1200, 24000, 1, 2)  # 50 ms per character
    assert wav_frames(longer.content)[0] == len("Hello world, again") * 1200
    assert short.headers["x-request-id"].startswith("req_")


def test_speech_is_deterministic_and_follows_voice_rate_and_speed(client: httpx.Client) -> None:
    first = speak(client, "Same text", voice="nova").content
    assert speak(client, "Same text", voice="nova").content == first
    assert speak(client, "Same text", voice="onyx").content != first
    slow_rate = speak(client, "Same text", speech_sample_rate=16000).content
    assert wav_frames(slow_rate)[:2] == (9 * 800, 16000)
    fast = speak(client, "Same text", voice_settings={"speed": 2.0}).content
    assert wav_frames(fast)[0] == 9 * 600


def test_streamed_speech_is_the_same_bytes_chunked(client: httpx.Client) -> None:
    whole = speak(client, "A somewhat longer sentence to stream in chunks.").content
    with client.stream(
        "POST",
        "/v1/audio/speech",
        json={"input": "A somewhat longer sentence to stream in chunks.", "stream": True},
    ) as response:
        assert "content-length" not in response.headers
        assert response.read() == whole


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"input": ""}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"input": "x", "voice": "nobody"}, 400, "invalid_request"),
        ({"input": "x", "model": "openai/whisper-1"}, 400, "model_capability_not_supported"),
        ({"input": "x", "model": "openai/gpt-4o"}, 400, "model_capability_not_supported"),
        ({"input": "x", "model": "acme/none"}, 404, "model_not_found"),
        ({"input": "x", "speech_sample_rate": 12345}, 422, "validation_error"),
    ],
)
def test_speech_errors(client: httpx.Client, body: dict[str, Any], status: int, code: str) -> None:
    response = client.post("/v1/audio/speech", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_a_failing_tts_upstream_is_an_error_envelope(
    gw: MeshAPIGateway, client: httpx.Client
) -> None:
    gw.fail_model("openai/gpt-4o-mini-tts", code="provider_not_available", times=1)
    response = speak(client, "hi")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "provider_not_available"


# ------------------------------------------------------------------------ transcription


def test_a_wav_made_by_speech_transcribes_back_to_its_text(client: httpx.Client) -> None:
    audio = speak(client, "The quick brown fox").content
    response = upload(client, "/v1/audio/transcriptions", audio, {"model": "openai/whisper-1"})
    assert response.status_code == 200, response.text
    body = TranscriptionResponse.model_validate(response.json())
    assert body.text == "The quick brown fox"
    assert response.json()["transcription_id"].startswith("tr_")


def test_other_audio_transcribes_to_a_line_derived_from_its_bytes(client: httpx.Client) -> None:
    audio = b"\xff\xfb\x90\x00 some mp3-ish bytes"
    response = upload(client, "/v1/audio/transcriptions", audio, {"model": "openai/whisper-1"})
    digest = hashlib.sha256(audio).hexdigest()[:12]
    assert response.json()["text"] == f"Transcribed audio {digest} ({len(audio)} bytes)."


def test_repeated_fields_booleans_and_timestamps(client: httpx.Client) -> None:
    audio = speak(client, "two words").content
    fields: dict[str, str | list[str]] = {
        "model": "openai/whisper-1",
        "keyterms": ["MeshAPI", "SDK"],  # httpx sends a list as repeated fields
        "with_timestamps": "true",
        "diarize": "true",
        "num_speakers": "2",
        "temperature": "0.5",
    }
    body = upload(client, "/v1/audio/transcriptions", audio, fields).json()
    assert body["keyterms"] == ["MeshAPI", "SDK"]
    assert [w["text"] for w in body["words"]] == ["two", "words"]
    assert body["words"][0]["speaker_id"] == "speaker_0"
    plain = upload(client, "/v1/audio/transcriptions", audio, {"model": "openai/whisper-1"})
    assert "words" not in plain.json() and "keyterms" not in plain.json()


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"model": "openai/whisper-1", "diarize": "True"}, ["body", "diarize"]),
        ({"model": "openai/whisper-1", "num_speakers": "2.0"}, ["body", "num_speakers"]),
        ({"model": "openai/whisper-1", "temperature": "1e-07"}, ["body", "temperature"]),
        ({"language_code": "en"}, ["body", "model"]),
    ],
)
def test_form_values_are_checked_strictly(
    client: httpx.Client, fields: dict[str, str | list[str]], loc: list[str]
) -> None:
    response = upload(client, "/v1/audio/transcriptions", b"audio", fields)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == loc


def test_bodies_that_are_not_form_uploads_are_refused(client: httpx.Client) -> None:
    no_file = client.post("/v1/audio/transcriptions", files={"model": (None, "openai/whisper-1")})
    assert no_file.status_code == 422
    assert no_file.json()["error"]["details"][0]["loc"] == ["body", "file"]
    as_json = client.post("/v1/audio/transcriptions", json={"model": "openai/whisper-1"})
    assert as_json.status_code == 400 and as_json.json()["error"]["code"] == "invalid_request"
    broken = client.post(
        "/v1/audio/transcriptions",
        content=b'--xyz\r\nContent-Disposition: form-data; name="model"\r\n\r\nm\r\n',
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code == 400 and "Malformed multipart" in broken.json()["error"]["message"]
    tts = upload(client, "/v1/audio/transcriptions", b"a", {"model": "openai/gpt-4o-mini-tts"})
    assert tts.json()["error"]["code"] == "model_capability_not_supported"


def test_transcriptions_are_stored_per_key(gw: MeshAPIGateway, client: httpx.Client) -> None:
    audio = speak(client, "kept for later").content
    created = upload(client, "/v1/audio/transcriptions", audio, {"model": "openai/whisper-1"})
    transcription_id = created.json()["transcription_id"]
    got = client.get(f"/v1/audio/transcriptions/{transcription_id}")
    assert got.status_code == 200
    assert got.json()["text"] == "kept for later" and got.json()["status"] == "completed"
    other = httpx.get(
        f"{gw.url}/v1/audio/transcriptions/{transcription_id}",
        headers={"Authorization": f"Bearer {gw.add_token()}"},
    )
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert client.get("/v1/audio/transcriptions/tr_nope").status_code == 404


def test_a_webhook_transcription_answers_without_text(client: httpx.Client) -> None:
    audio = speak(client, "delivered later").content
    fields = {"model": "openai/whisper-1", "webhook": "true"}
    body = upload(client, "/v1/audio/transcriptions", audio, fields).json()
    assert "text" not in body
    assert TranscriptionResponse.model_validate(body).text is None
    stored = client.get(f"/v1/audio/transcriptions/{body['transcription_id']}").json()
    assert stored["text"] == "delivered later"


def test_both_translation_routes(client: httpx.Client) -> None:
    audio = speak(client, "Bonjour").content
    translated = upload(client, "/v1/audio/transcriptions/translate", audio, {})
    assert translated.json()["text"] == "(translated to English) Bonjour"
    assert translated.json()["model"] == "sarvam/saaras:v3"
    standalone = upload(
        client, "/v1/audio/translations", audio, {"model": "openai/whisper-1", "temperature": "1"}
    )
    assert standalone.json()["text"] == "(translated to English) Bonjour"
    missing = upload(client, "/v1/audio/translations", audio, {})
    assert missing.status_code == 422
    hot = upload(
        client, "/v1/audio/translations", audio, {"model": "openai/whisper-1", "temperature": "3"}
    )
    assert hot.status_code == 422


# ------------------------------------------------------------------------------- voices


def test_voices_page_by_token_until_the_end(client: httpx.Client) -> None:
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"page_size": 4}
        if token:
            params["next_page_token"] = token
        body = client.get("/v1/audio/voices", params=params).json()
        page = VoicesResponse.model_validate(body)
        assert len(page.voices) <= 4 and "total_count" not in body
        seen += [v.voice_id for v in page.voices]
        pages += 1
        token = page.next_page_token
        if not page.has_more:
            assert token is None
            break
    assert pages == 4 and len(seen) == len(set(seen)) == 15


def test_voice_filters_sorting_and_total_count(client: httpx.Client) -> None:
    counted = client.get("/v1/audio/voices", params={"include_total_count": "true"}).json()
    assert counted["total_count"] == 15 and counted["has_more"] is True
    rachel = client.get("/v1/audio/voices", params={"search": "rachel"}).json()["voices"]
    assert [v["name"] for v in rachel] == ["Rachel"]
    assert isinstance(rachel[0]["labels"]["use_case"], list)
    cloned = client.get("/v1/audio/voices", params={"category": "cloned"}).json()["voices"]
    assert {v["category"] for v in cloned} == {"cloned"}
    picked = client.get(
        "/v1/audio/voices", params=[("voice_ids", "alloy"), ("voice_ids", "nova")]
    ).json()["voices"]
    assert {v["voice_id"] for v in picked} == {"alloy", "nova"}
    by_name = client.get(
        "/v1/audio/voices", params={"sort": "name", "sort_direction": "asc", "page_size": 100}
    ).json()["voices"]
    names = [v["name"] for v in by_name]
    assert names == sorted(names)
    assert client.get("/v1/audio/voices", params={"next_page_token": "bogus"}).status_code == 400
    assert client.get("/v1/audio/voices", params={"sort": "age"}).status_code == 422


def test_get_voice(client: httpx.Client) -> None:
    voice = Voice.model_validate(client.get("/v1/audio/voices/21m00Tcm4TlvDq8ikWAM").json())
    assert voice.name == "Rachel" and voice.labels["stability"] == 0.5
    missing = client.get("/v1/audio/voices/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
