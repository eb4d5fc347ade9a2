"""Multipart uploads and raw-bytes results (protocol.md §1.6, §5.3, §5.4, §7.1).

The form rules of §1.6 (booleans `true`/`false`, lists repeated, decimal numbers, None left
out, a `file` part with its filename and a guessed type), a body built once and resent
byte-identical (boundary included), Idempotency-Key on multipart and raw-bytes POSTs, and
the decoding of speech's raw bytes (a 2xx JSON envelope raises) and of untyped JSON.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meshapi_core import MeshAPIError
from meshapi_core import _multipart as multipart
from meshapi_core._config import MeshAPIConfig, RequestOptions
from meshapi_core._errors import InternalServerError, ResponseParseError
from meshapi_core._flows import Flow, HttpResponse, Send, decode_result, unary_flow
from meshapi_core._multipart import FileUpload, encode_multipart, form_items, guess_content_type
from meshapi_core._operations import operation
from meshapi_core._request import build_request
from meshapi_core._retry import RetryPolicy
from meshapi_core.types import (
    AudioTranslationsParams,
    SpeechParams,
    TranscriptionParams,
    TranscriptionTranslateParams,
)

CONFIG = MeshAPIConfig.resolve(base_url="http://gw.test", token="rsk_t")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
AUDIO = b"RIFF\x00\x00\x00\x00WAVEfake audio \r\n--not-a-boundary\r\n bytes"


def parse(content_type: str, body: bytes) -> list[tuple[str, str | None, str | None, bytes]]:
    """(name, filename, content type, payload) per part, by the stdlib's MIME parser:
    an independent reading of what meshapi_core wrote."""
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body,
        policy=email.policy.HTTP,
    )
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        disposition = part.get("Content-Disposition")
        assert disposition is not None and disposition.startswith("form-data")
        parts.append(
            (
                part.get_param("name", header="content-disposition"),
                part.get_filename(),
                part.get("Content-Type") if part.get_filename() else None,
                part.get_payload(decode=True),
            )
        )
    return parts


def fields_of(content_type: str, body: bytes) -> list[tuple[str, str]]:
    parts = parse(content_type, body)
    return [(name, data.decode()) for name, filename, _, data in parts if not filename]


# ------------------------------------------------------------------------ form values


def test_booleans_lists_numbers_and_none_follow_the_query_rules() -> None:
    items = list(
        form_items(
            {
                "model": "openai/whisper-1",
                "diarize": True,
                "tag_audio_events": False,
                "num_speakers": 2,
                "temperature": 0.5,
                "tiny": 1e-07,
                "huge": 1e16,
                "seed": None,
                "keyterms": ["MeshAPI", None, "SDK"],
                "webhook_metadata": {"job": "a", "n": 1},
                "empty_list": [],
            }
        )
    )
    assert items == [
        ("model", "openai/whisper-1"),
        ("diarize", "true"),
        ("tag_audio_events", "false"),
        ("num_speakers", "2"),
        ("temperature", "0.5"),
        ("tiny", "0.0000001"),
        ("huge", "10000000000000000"),
        ("keyterms", "MeshAPI"),
        ("keyterms", "SDK"),
        ("webhook_metadata", '{"job":"a","n":1}'),
    ]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [["nested"]], object()])
def test_values_with_no_form_encoding_are_a_value_error_naming_the_field(value: Any) -> None:
    with pytest.raises(ValueError, match="weird"):
        list(form_items({"weird": value}))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_plain_decimal_and_exact(value: float) -> None:
    [(_, text)] = list(form_items({"x": value}))
    assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text), text
    assert float(text) == value


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("speech.wav", "audio/wav"),
        ("SONG.MP3", "audio/mpeg"),
        ("voice.m4a", "audio/mp4"),
        ("a.flac", "audio/flac"),
        ("a.ogg", "audio/ogg"),
        ("clip.webm", "audio/webm"),
        ("photo.png", "image/png"),
        ("noextension", "application/octet-stream"),
        ("data.unknownext", "application/octet-stream"),
    ],
)
def test_the_file_part_type_is_guessed_from_the_filename(filename: str, expected: str) -> None:
    assert guess_content_type(filename) == expected
    assert FileUpload(b"x", filename).content_type == expected


def test_file_uploads_are_checked() -> None:
    assert FileUpload(bytearray(b"ab"), "a.wav").content == b"ab"
    assert FileUpload(memoryview(b"ab"), "a.wav").content == b"ab"
    assert FileUpload(b"a", "a.wav", "audio/x-custom").content_type == "audio/x-custom"
    with pytest.raises(ValueError, match="bytes"):
        FileUpload("not bytes", "a.wav")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="filename"):
        FileUpload(b"a", "")


# ------------------------------------------------------------------------- the body


def test_the_body_parses_as_form_data_with_the_file_part_last() -> None:
    body, content_type = encode_multipart(
        {"model": "m", "keyterms": ["a", "b"], "diarize": True},
        FileUpload(AUDIO, "my talk.wav"),
        seed="key-1",
    )
    assert content_type.startswith("multipart/form-data; boundary=meshapi-")
    assert parse(content_type, body) == [
        ("model", None, None, b"m"),
        ("keyterms", None, None, b"a"),
        ("keyterms", None, None, b"b"),
        ("diarize", None, None, b"true"),
        ("file", "my talk.wav", "audio/wav", AUDIO),
    ]
    assert body.endswith(b"--\r\n")


def test_names_and_filenames_are_escaped_and_utf8_is_kept() -> None:
    body, content_type = encode_multipart(
        {"prompt": "café\r\nnext line"}, FileUpload(b"x", 'say "hi".mp3'), seed="s"
    )
    assert b'filename="say %22hi%22.mp3"' in body
    assert "café\r\nnext line".encode() in body
    [prompt, file_part] = parse(content_type, body)
    assert prompt[3].decode() == "café\r\nnext line"
    assert file_part[3] == b"x"


def test_the_same_call_builds_the_same_bytes_boundary_included() -> None:
    fields = {"model": "m", "temperature": 0.2}
    first = encode_multipart(fields, FileUpload(AUDIO, "a.wav"), seed="key-1")
    second = encode_multipart(dict(fields), FileUpload(AUDIO, "a.wav"), seed="key-1")
    assert first == second
    other_key = encode_multipart(fields, FileUpload(AUDIO, "a.wav"), seed="key-2")
    other_file = encode_multipart(fields, FileUpload(AUDIO + b"!", "a.wav"), seed="key-1")
    boundaries = {first[1], other_key[1], other_file[1]}
    assert len(boundaries) == 3


def test_a_boundary_found_in_the_content_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # Force the derived boundary to collide with the file's bytes: a new one is derived.
    monkeypatch.setattr(multipart, "_boundary", lambda seed, items, upload: f"b{len(seed)}")
    body, content_type = encode_multipart({}, FileUpload(b"xx\r\n--b1\r\nyy", "a.bin"), seed="k")
    assert content_type.endswith("boundary=b2")
    [(_, _, _, data)] = parse(content_type, body)
    assert data == b"xx\r\n--b1\r\nyy"


# --------------------------------------------------------------------- build_request


def transcribe_request(**options: Any) -> Any:
    params = TranscriptionParams(
        model="openai/whisper-1",
        keyterms=["MeshAPI", "SDK"],
        diarize=True,
        with_timestamps=False,
        num_speakers=2,
        temperature=0.0,
    )
    return build_request(
        CONFIG,
        operation("audio.transcribe"),
        params,
        RequestOptions(**options),
        upload=FileUpload(AUDIO, "talk.wav"),
    )


def test_a_transcription_is_a_multipart_post_with_an_idempotency_key() -> None:
    request = transcribe_request(extra_body={"extra_field": "x"}, request_id="rid-1")
    assert request.method == "POST"
    assert request.url == "http://gw.test/v1/audio/transcriptions"
    assert request.headers["Accept"] == "application/json"
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert UUID4.fullmatch(request.headers["Idempotency-Key"])
    assert request.idempotency_key == request.headers["Idempotency-Key"]
    assert request.headers["X-Mesh-Version"] and request.headers["X-Request-Id"] == "rid-1"
    assert list(request.headers)[:3] == ["Authorization", "Accept", "Content-Type"]
    assert fields_of(content_type, request.body) == [
        ("model", "openai/whisper-1"),
        ("temperature", "0.0"),
        ("num_speakers", "2"),
        ("diarize", "true"),
        ("with_timestamps", "false"),
        ("keyterms", "MeshAPI"),
        ("keyterms", "SDK"),
        ("extra_field", "x"),
    ]
    [*_, (name, filename, part_type, data)] = parse(content_type, request.body)
    assert (name, filename, part_type, data) == ("file", "talk.wav", "audio/wav", AUDIO)


def test_a_repeated_call_with_the_same_key_sends_the_same_bytes() -> None:
    # The gateway fingerprints method + path + body (§5.4): same key, same body, a replay.
    first = transcribe_request(idempotency_key="call-1")
    second = transcribe_request(idempotency_key="call-1")
    assert first.body == second.body
    assert first.headers == second.headers
    assert transcribe_request().body != transcribe_request().body


def test_retries_resend_the_built_body_unchanged() -> None:
    request = transcribe_request()
    ok = HttpResponse(200, {"content-type": "application/json"}, b'{"text":"hi"}', 0.0)
    fail = HttpResponse(503, {"content-type": "application/json"}, b"{}", 0.0)
    answers = iter([fail, fail, ok])
    flow: Flow[Any] = unary_flow(
        request,
        lambda response: decode_result(operation("audio.transcribe"), response),
        policy=RetryPolicy(),
        rng=lambda: 0.5,
    )
    sent: list[Any] = []
    reply: Any = None
    while True:
        try:
            effect = flow.send(reply)
        except StopIteration as stop:
            result = stop.value
            break
        reply = None
        if isinstance(effect, Send):
            sent.append((effect.request.headers.copy(), effect.request.body))
            reply = next(answers)
    assert result.text == "hi"
    assert len(sent) == 3 and all(attempt == sent[0] for attempt in sent)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("audio.translate", None),
        ("audio.translate", TranscriptionTranslateParams(prompt="p")),
        ("audio.audio_translate", AudioTranslationsParams(model="m", temperature=1.5)),
    ],
)
def test_every_upload_route_is_multipart(name: str, params: Any) -> None:
    request = build_request(CONFIG, operation(name), params, upload=FileUpload(b"a", "a.mp3"))
    content_type = request.headers["Content-Type"]
    parts = parse(content_type, request.body or b"")
    assert parts[-1] == ("file", "a.mp3", "audio/mpeg", b"a")
    assert "Idempotency-Key" in request.headers


def test_an_upload_needs_its_file() -> None:
    with pytest.raises(ValueError, match="file"):
        build_request(CONFIG, operation("audio.transcribe"), TranscriptionParams(model="m"))


def test_speech_is_a_json_post_accepting_any_type_with_an_idempotency_key() -> None:
    request = build_request(
        CONFIG, operation("audio.synthesize"), SpeechParams(input="hi", voice="alloy")
    )
    assert request.headers["Accept"] == "*/*"
    assert request.headers["Content-Type"] == "application/json"
    assert UUID4.fullmatch(request.headers["Idempotency-Key"])
    assert json.loads(request.body or b"") == {"input": "hi", "voice": "alloy"}


# ------------------------------------------------------------------------ decoding


def response(body: bytes, content_type: str | None = "audio/wav") -> HttpResponse:
    headers = {"x-request-id": "req_a"}
    if content_type is not None:
        headers["content-type"] = content_type
    return HttpResponse(200, headers, body, 0.0)


def envelopes() -> Iterator[tuple[str | None, bytes]]:
    body = json.dumps(
        {"error": {"code": "upstream_error", "message": "TTS failed"}, "request_id": "req_b"}
    ).encode()
    for content_type in ("application/json", "audio/mpeg", None):
        yield content_type, body
    yield "application/json", b"  \n" + body


@pytest.mark.parametrize(("content_type", "body"), list(envelopes()))
def test_a_2xx_json_envelope_instead_of_audio_raises(content_type: str | None, body: bytes) -> None:
    with pytest.raises(MeshAPIError) as caught:
        decode_result(operation("audio.synthesize"), response(body, content_type))
    error = caught.value
    assert isinstance(error, InternalServerError)  # classified by its code (§8.3)
    assert (error.status, error.error_code, str(error)) == (200, "upstream_error", "TTS failed")
    assert error.request_id == "req_b"


@pytest.mark.parametrize(
    "body",
    [b"RIFF....WAVEfmt ", b"", b'{"not": "an envelope"}', b'{"error": "a string"}', b"{broken"],
)
def test_anything_else_is_the_audio_itself(body: bytes) -> None:
    assert decode_result(operation("audio.synthesize"), response(body)) == body


def test_untyped_json_is_handed_back_parsed() -> None:
    body = b'{"transcription_id": "tr_1", "text": "hi", "words": [1, 2]}'
    result = decode_result(operation("audio.get_transcription"), response(body, "application/json"))
    assert result == {"transcription_id": "tr_1", "text": "hi", "words": [1, 2]}
    with pytest.raises(ResponseParseError) as caught:
        decode_result(operation("audio.get_transcription"), response(b"<html>", "text/html"))
    assert caught.value.error_code == "parse_error" and caught.value.status == 200
    assert caught.value.request_id == "req_a"
