"""build_request: headers per protocol.md §1.3, URLs per §1.1/§1.6, bodies per §1.5."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from meshapi_core._config import (
    MESH_API_VERSION,
    SDK_HEADER_VALUE,
    MeshAPIConfig,
    RequestOptions,
    Timeout,
    validate_request_id,
)
from meshapi_core._operations import operation
from meshapi_core._queries import CursorPageQuery
from meshapi_core._request import (
    build_request,
    build_upload_request,
    encode_query,
    new_idempotency_key,
)
from meshapi_core.types import (
    ChatCompletionParams,
    ChatMessage,
    CompareParams,
    ListModelsParams,
)

TOKEN = "rsk_test_secret_token_value"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def config(**overrides: object) -> MeshAPIConfig:
    args: dict[str, object] = {"base_url": "https://proxy.internal/mesh/", "token": TOKEN}
    args.update(overrides)
    return MeshAPIConfig.resolve(**args)  # type: ignore[arg-type]


def chat() -> ChatCompletionParams:
    return ChatCompletionParams(
        model="openai/gpt-4o-mini", messages=[ChatMessage(role="user", content="hi")]
    )


def test_post_headers_and_body() -> None:
    req = build_request(config(), operation("chat.completions.create"), chat())
    assert req.method == "POST"
    assert req.url == "https://proxy.internal/mesh/v1/chat/completions"
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.headers["Accept"] == "application/json"
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-MeshAPI-SDK"] == SDK_HEADER_VALUE
    assert req.headers["X-Mesh-Version"] == MESH_API_VERSION == "2026-08"
    assert "X-Request-Id" not in req.headers
    assert UUID4.fullmatch(req.headers["Idempotency-Key"])
    assert req.idempotency_key == req.headers["Idempotency-Key"]
    assert json.loads(req.body or b"") == {
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
    }


def test_each_logical_call_gets_its_own_idempotency_key() -> None:
    op = operation("chat.completions.create")
    first = build_request(config(), op, chat())
    second = build_request(config(), op, chat())
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]


def test_caller_idempotency_key_is_used() -> None:
    req = build_request(
        config(),
        operation("chat.completions.create"),
        chat(),
        RequestOptions(idempotency_key="order-42:v1"),
    )
    assert req.headers["Idempotency-Key"] == "order-42:v1"


def test_get_has_no_body_no_content_type_no_idempotency_key() -> None:
    req = build_request(config(), operation("batches.get"), path_params={"batch_id": "batch_1"})
    assert req.method == "GET"
    assert req.body is None
    assert "Content-Type" not in req.headers
    assert "Idempotency-Key" not in req.headers
    assert req.url.endswith("/v1/batches/batch_1")


def test_stream_forces_the_flag_and_asks_for_event_stream() -> None:
    req = build_request(config(), operation("chat.completions.stream"), chat())
    assert req.headers["Accept"] == "text/event-stream"
    assert json.loads(req.body or b"")["stream"] is True
    assert req.streaming


def test_create_overrides_a_stream_true_params_object() -> None:
    params = chat()
    params.stream = True
    req = build_request(config(), operation("chat.completions.create"), params)
    assert json.loads(req.body or b"")["stream"] is False


def test_sent_defaults_are_always_serialised() -> None:
    params = CompareParams(models=["a/b", "c/d"], messages=[{"role": "user", "content": "x"}])
    body = json.loads(build_request(config(), operation("compare.stream"), params).body or b"")
    assert body["stream"] is True
    assert body["skip_comparison"] is False


def test_batches_cancel_sends_an_empty_json_object() -> None:
    from meshapi_core._queries import EmptyBody

    req = build_request(
        config(), operation("batches.cancel"), EmptyBody(), path_params={"batch_id": "b"}
    )
    assert req.body == b"{}"
    assert req.headers["Content-Type"] == "application/json"


def test_api_version_none_or_empty_omits_the_header() -> None:
    for value in (None, ""):
        req = build_request(config(api_version=value), operation("models.free"))
        assert "X-Mesh-Version" not in req.headers
    req = build_request(config(api_version="2026-09"), operation("models.free"))
    assert req.headers["X-Mesh-Version"] == "2026-09"


@pytest.mark.parametrize("bad", ["2026 08", "2026-08\r\nX: y", "\t"])
def test_api_version_that_is_not_a_label_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="api_version"):
        config(api_version=bad)


def test_request_id_is_sent_when_valid() -> None:
    req = build_request(
        config(), operation("models.free"), options=RequestOptions(request_id="trace.1:a-b_c")
    )
    assert req.headers["X-Request-Id"] == "trace.1:a-b_c"


@pytest.mark.parametrize(
    "bad", ["", "x" * 65, "has space", "bang!", "a/b", "q?", "line\nbreak", "emoji😀"]
)
def test_invalid_request_id_is_rejected_before_anything_is_built(bad: str) -> None:
    with pytest.raises(ValueError, match="request_id"):
        RequestOptions(request_id=bad)
    with pytest.raises(ValueError, match="request_id"):
        validate_request_id(bad)


def test_valid_request_id_boundaries() -> None:
    assert validate_request_id("x" * 64) == "x" * 64
    assert validate_request_id("A") == "A"


def test_extra_headers_apply_last_and_none_removes() -> None:
    req = build_request(
        config(),
        operation("chat.completions.create"),
        chat(),
        RequestOptions(extra_headers={"x-mesh-cache": "no-store", "x-mesh-version": None}),
    )
    assert req.headers["x-mesh-cache"] == "no-store"
    assert all(name.lower() != "x-mesh-version" for name in req.headers)


def test_extra_query_and_extra_body_are_merged() -> None:
    req = build_request(
        config(),
        operation("chat.completions.create"),
        chat(),
        RequestOptions(extra_query={"debug": True}, extra_body={"new_field": [1, 2]}),
    )
    assert req.url.endswith("/v1/chat/completions?debug=true")
    assert json.loads(req.body or b"")["new_field"] == [1, 2]


def test_query_encoding_rules() -> None:
    assert encode_query({"free": True, "x": None, "brand": ["openai", "google"]}) == (
        "free=true&brand=openai&brand=google"
    )
    assert encode_query({"q": "a b&c"}) == "q=a%20b%26c"
    req = build_request(config(), operation("models.list"), query=ListModelsParams())
    assert "?" not in req.url
    req = build_request(config(), operation("models.list"), query=ListModelsParams(free=False))
    assert req.url.endswith("/v1/models?free=false")
    req = build_request(
        config(), operation("batches.list"), query=CursorPageQuery(after="batch_9", limit=5)
    )
    assert req.url.endswith("/v1/batches?after=batch_9&limit=5")


def test_per_call_timeout_overrides_the_client_timeout() -> None:
    op = operation("models.free")
    assert build_request(config(timeout=5.0), op).timeout == Timeout(connect=5.0, read=5.0)
    req = build_request(config(), op, options=RequestOptions(timeout=Timeout(read=2.0)))
    assert req.timeout.read == 2.0


def test_wrong_params_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="ChatCompletionParams"):
        build_request(config(), operation("chat.completions.create"), CursorPageQuery())


def test_upload_request_carries_no_credentials() -> None:
    req = build_upload_request(
        "http://127.0.0.1:9/upload/file_1?sig=abc&exp=1",
        b"%PDF-1.4",
        mime_type="application/pdf",
        timeout=Timeout(),
    )
    assert req.method == "PUT"
    assert req.headers == {"Content-Type": "application/pdf"}
    assert req.body == b"%PDF-1.4"
    assert req.idempotent
    assert req.path == "/upload/file_1"


def test_generated_idempotency_keys_are_canonical_random_uuids() -> None:
    keys = [new_idempotency_key() for _ in range(2000)]
    assert len(set(keys)) == len(keys)
    for key in keys:
        parsed = uuid.UUID(key)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == key  # lower-case hex, dashes where uuid puts them
