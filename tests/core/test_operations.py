"""The endpoint table: every path slot routed, every field routed, nothing duplicated."""

from __future__ import annotations

import pytest

from meshapi_core._kinds import BodyEncoding, BodyKind, StreamKind
from meshapi_core._operations import OPERATIONS, Operation, operation
from meshapi_core._request import encode_path_id

TIER_S_ENDPOINTS = {
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/responses"),
    ("POST", "/v1/embeddings"),
    ("POST", "/v1/images/generations"),
    ("POST", "/v1/chat/compare"),
    ("POST", "/v1/batches"),
    ("GET", "/v1/batches"),
    ("GET", "/v1/batches/{batch_id}"),
    ("POST", "/v1/batches/{batch_id}/cancel"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/free"),
    ("GET", "/v1/models/paid"),
    ("POST", "/v1/templates"),
    ("GET", "/v1/templates"),
    ("GET", "/v1/templates/{template_id}"),
    ("PATCH", "/v1/templates/{template_id}"),
    ("DELETE", "/v1/templates/{template_id}"),
    ("POST", "/v1/files"),
    ("GET", "/v1/files"),
    ("GET", "/v1/files/{file_id}"),
    ("POST", "/v1/files/embed"),
    ("POST", "/v1/files/search"),
}

# §2.1 and §7.1, tier P.
TIER_P_ENDPOINTS = {
    ("GET", "/v1/responses"),
    ("GET", "/v1/responses/{response_id}"),
    ("POST", "/v1/images/edits"),
    ("GET", "/v1/models/search"),
    ("GET", "/v1/models/{model_id}"),
    ("POST", "/v1/audio/speech"),
    ("POST", "/v1/audio/transcriptions"),
    ("GET", "/v1/audio/transcriptions/{transcription_id}"),
    ("POST", "/v1/audio/transcriptions/translate"),
    ("POST", "/v1/audio/translations"),
    ("GET", "/v1/audio/voices"),
    ("GET", "/v1/audio/voices/{voice_id}"),
    ("POST", "/v1/video/generations"),
    ("GET", "/v1/video/generations"),
    ("GET", "/v1/video/generations/{task_id}"),
    ("POST", "/v1/moderations"),
    ("POST", "/v1/web/search"),
    ("POST", "/v1/router/select"),
}

ALL = sorted(OPERATIONS.values(), key=lambda op: op.name)


def test_every_tier_s_endpoint_is_described() -> None:
    described = {(op.method, op.path) for op in OPERATIONS.values()}
    assert described >= TIER_S_ENDPOINTS


def test_every_endpoint_is_tier_s_or_tier_p_and_every_one_is_described() -> None:
    described = {(op.method, op.path) for op in OPERATIONS.values()}
    assert described == TIER_S_ENDPOINTS | TIER_P_ENDPOINTS


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_every_path_slot_is_routed(op: Operation) -> None:
    # Each {name} is a path id the caller supplies; filling them all renders the path
    # with no slot left, and leaving one out is an error naming it.
    values = {name: f"id-{name}" for name in op.path_params}
    rendered = op.render_path(values)
    assert "{" not in rendered and "}" not in rendered
    for name in op.path_params:
        assert f"id-{name}" in rendered
        partial = {k: v for k, v in values.items() if k != name}
        with pytest.raises(ValueError, match=name):
            op.render_path(partial)


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_no_field_is_left_unrouted(op: Operation) -> None:
    # Every input goes to exactly one place: path slots, the query model, or the body
    # model. A field name used in two places would be ambiguous on the wire.
    path = set(op.path_params)
    query = set(op.query_model.model_fields) if op.query_model else set()
    body = set(op.body_model.model_fields) if op.body_model else set()
    assert not (path & query), path & query
    assert not (path & body), path & body
    assert not (query & body), query & body
    if op.method in ("GET", "DELETE"):
        assert op.body_model is None, "GET and DELETE carry no body (§1.3)"
    if op.query_model is not None:
        assert op.method == "GET"
    if op.stream is not None:
        assert op.body_model is not None and "stream" in op.body_model.model_fields
        assert op.stream_flag is True
    if (
        op.body_model is not None
        and "stream" in op.body_model.model_fields
        and op.body_kind is not BodyKind.BYTES
    ):
        # Speech (raw bytes) is the exception: its `stream` asks the provider for chunked
        # audio, and the result is the same bytes either way.
        assert op.stream_flag is not None, "the method decides stream, never the caller"
    if op.body_encoding is BodyEncoding.MULTIPART:
        assert op.method == "POST" and op.body_model is not None and op.stream is None


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_every_result_is_typed(op: Operation) -> None:
    # No body, raw bytes (speech) and untyped JSON (get_transcription) have no model.
    if op.body_kind in (BodyKind.EMPTY, BodyKind.BYTES, BodyKind.JSON_ANY):
        assert op.result_model is None
    else:
        assert op.result_model is not None


def test_streams_and_their_kinds() -> None:
    streams = {op.name: op.stream for op in OPERATIONS.values() if op.stream is not None}
    assert streams == {
        "chat.completions.stream": StreamKind.CHAT,
        "responses.stream": StreamKind.RESPONSES,
        "compare.stream": StreamKind.COMPARE,
        "images.stream": StreamKind.IMAGE,
    }
    assert operation("chat.completions.stream").accept == "text/event-stream"
    assert operation("chat.completions.create").accept == "application/json"


def test_tier_p_shapes() -> None:
    assert operation("audio.synthesize").body_kind is BodyKind.BYTES
    assert operation("audio.synthesize").accept == "*/*"
    assert operation("audio.get_transcription").body_kind is BodyKind.JSON_ANY
    multipart = {
        op.name for op in OPERATIONS.values() if op.body_encoding is BodyEncoding.MULTIPART
    }
    assert multipart == {"audio.transcribe", "audio.translate", "audio.audio_translate"}
    assert {op.name for op in OPERATIONS.values() if op.keep_slash} == {"models.get"}
    assert operation("models.get").render_path({"model_id": "openai/gpt-4o"}) == (
        "/v1/models/openai/gpt-4o"
    )
    assert operation("videos.retrieve").render_path({"task_id": "a/b"}) == (
        "/v1/video/generations/a%2Fb"
    )
    assert operation("audio.get_voice").render_path({"voice_id": "v 1"}) == (
        "/v1/audio/voices/v%201"
    )
    assert operation("chat.completions.parse").stream_flag is False


def test_a_multipart_operation_must_be_a_plain_post() -> None:
    with pytest.raises(ValueError, match="multipart"):
        Operation(
            name="x.upload",
            method="GET",
            path="/v1/x",
            body_encoding=BodyEncoding.MULTIPART,
        )


def test_idempotency_follows_the_method() -> None:
    assert not operation("chat.completions.create").idempotent
    assert operation("batches.get").idempotent
    assert operation("templates.update").idempotent
    assert operation("templates.delete").idempotent


def test_path_ids_are_percent_encoded() -> None:
    assert (
        operation("templates.get").render_path({"template_id": "a/b?c"})
        == "/v1/templates/a%2Fb%3Fc"
    )
    assert encode_path_id("openai/gpt-4o", name="model_id", keep_slash=True) == "openai/gpt-4o"
    assert encode_path_id("sarvam/bulbul:v2", name="x", keep_slash=True) == "sarvam/bulbul%3Av2"
    assert encode_path_id("é~._-", name="x") == "%C3%A9~._-"
    with pytest.raises(ValueError, match="template_id"):
        operation("templates.get").render_path({"template_id": ""})


def test_unknown_operation_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="no operation named"):
        operation("chat.completions.nope")
