"""Response models: lenient, open, typed (protocol.md §1.5).

R fields are required (a missing one is a ValidationError, which the SDK reports as
`parse_error`); A fields take their default when absent (or null); O fields are None.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from pydantic import ValidationError

from meshapi_core.types import (
    ApiErrorBody,
    ApiErrorEnvelope,
    BatchListResponse,
    BatchObject,
    BulkEmbedResponse,
    BulkEmbedResult,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionResponse,
    CompareResponse,
    CompareStreamEvent,
    ContentPartImage,
    ContentPartText,
    EmbeddingsResponse,
    ImageGenerationChunk,
    ImageGenerationResponse,
    ImageItem,
    InitUploadResponse,
    ModelCompareResult,
    ModelInfo,
    ModelPricing,
    RagFileListResponse,
    RagFileStatus,
    ResponseModel,
    ResponsesResponse,
    ResponsesStreamEvent,
    SearchResponse,
    SearchResult,
    TemplateSummary,
    ToolCall,
    UsageInfo,
)
from meshapi_core.types._base import ResultModel

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg=="
)

USAGE = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
RESULT = {"model": "a/b", "latency_ms": 10, "request_id": "req_1"}
RAG_FILE = {
    "file_id": "file_1",
    "upload_status": "ready",
    "file_name": "a.pdf",
    "file_type": "pdf",
    "mime_type": "application/pdf",
    "embedding_status": "ready",
    "created_at": "2026-08-01T10:00:00Z",
    "updated_at": "2026-08-01T10:00:00Z",
}

# Each response model with a payload holding exactly its R fields (protocol.md §2, §3.6).
REQUIRED: list[tuple[type[ResponseModel], dict[str, Any]]] = [
    (
        ChatCompletionResponse,
        {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []},
    ),
    (ChatCompletionMessage, {"role": "assistant"}),
    (ToolCall, {"id": "call_1", "function": {"name": "f", "arguments": "{}"}}),
    (UsageInfo, USAGE),
    (ChatCompletionChunk, {"choices": []}),
    (EmbeddingsResponse, {"object": "list", "data": [], "model": "m"}),
    (ImageGenerationResponse, {"created": 1, "data": []}),
    (ImageGenerationChunk, {"created": 1}),
    (
        CompareResponse,
        {
            "comparison_id": "cmp_0",
            "object": "chat.comparison",
            "created": 1,
            "models": ["a/b"],
            "results": [RESULT],
            "total_latency_ms": 12,
        },
    ),
    (ModelCompareResult, RESULT),
    (BatchObject, {"id": "batch_1"}),
    (BatchListResponse, {"object": "list", "data": [], "has_more": False}),
    (ModelInfo, {"id": "a/b", "name": "B", "is_free": True}),
    (
        TemplateSummary,
        {"id": "t", "name": "n", "is_global": False, "created_at": "x", "updated_at": "y"},
    ),
    (InitUploadResponse, {"file_id": "f", "signed_url": "https://u", "expires_at": "x"}),
    (RagFileStatus, RAG_FILE),
    (RagFileListResponse, {"files": [RAG_FILE], "total": 1, "limit": 20, "offset": 0}),
    (BulkEmbedResult, {"file_id": "f", "embedding_status": "pending"}),
    (BulkEmbedResponse, {"results": []}),
    (SearchResult, {"score": 0.5, "text": "t", "parent_text": "p"}),
    (SearchResponse, {"results": []}),
    (ApiErrorBody, {"code": "not_found", "message": "m"}),
    (ApiErrorEnvelope, {"error": {"code": "not_found", "message": "m"}}),
]


@pytest.mark.parametrize(("model", "payload"), REQUIRED, ids=lambda v: getattr(v, "__name__", ""))
def test_r_fields_alone_are_enough(model: type[ResponseModel], payload: dict[str, Any]) -> None:
    model.model_validate(payload)
    model.model_validate_json(json.dumps(payload))


@pytest.mark.parametrize(("model", "payload"), REQUIRED, ids=lambda v: getattr(v, "__name__", ""))
def test_each_missing_r_field_is_a_validation_error(
    model: type[ResponseModel], payload: dict[str, Any]
) -> None:
    for field in payload:
        partial = {k: v for k, v in payload.items() if k != field}
        with pytest.raises(ValidationError) as info:
            model.model_validate(partial)
        assert (field,) in [tuple(e["loc"]) for e in info.value.errors()], field


def test_nested_r_fields_are_required_too() -> None:
    with pytest.raises(ValidationError) as info:
        ToolCall.model_validate({"id": "c", "function": {"name": "f"}})
    assert ("function", "arguments") in [tuple(e["loc"]) for e in info.value.errors()]
    with pytest.raises(ValidationError):
        ChatCompletionChunk.model_validate({"choices": [], "usage": {"prompt_tokens": 1}})
    with pytest.raises(ValidationError):
        EmbeddingsResponse.model_validate(
            {"object": "list", "model": "m", "data": [{"object": "embedding", "index": 0}]}
        )


def test_models_accept_only_objects() -> None:
    for bad in ([], "x", 1, None):
        with pytest.raises(ValidationError):
            ChatCompletionChunk.model_validate(bad)


# --------------------------------------------------------------------------------------
# Leniency of the stream items
# --------------------------------------------------------------------------------------


def test_a_minimal_chat_chunk_parses() -> None:
    chunk = ChatCompletionChunk.model_validate_json(b'{"choices":[{"delta":{"content":"hi"}}]}')
    assert (chunk.id, chunk.object, chunk.created, chunk.model) == (
        "",
        "chat.completion.chunk",
        0,
        "",
    )
    (choice,) = chunk.choices
    assert choice.index == 0
    assert choice.delta is not None and choice.delta.content == "hi"
    assert choice.finish_reason is None
    assert chunk.usage is None and chunk.cost is None


def test_chunk_fields_sent_as_null_read_as_their_defaults() -> None:
    chunk = ChatCompletionChunk.model_validate(
        {"id": None, "object": None, "created": None, "model": None, "choices": [{"index": None}]}
    )
    assert (chunk.id, chunk.object, chunk.created, chunk.model) == (
        "",
        "chat.completion.chunk",
        0,
        "",
    )
    assert chunk.choices[0].index == 0


def test_tool_call_delta_without_index_keeps_index_absent() -> None:
    # The accumulator must tell "no index" from index 0 (§3.6).
    chunk = ChatCompletionChunk.model_validate(
        {"choices": [{"delta": {"tool_calls": [{"id": "call_1", "function": {"arguments": "{"}}]}}]}
    )
    delta = chunk.choices[0].delta
    assert delta is not None and delta.tool_calls is not None
    (call,) = delta.tool_calls
    assert call.index is None and call.id == "call_1" and call.type is None
    assert call.function is not None and call.function.name is None


def test_compare_stream_event_is_all_optional() -> None:
    event = CompareStreamEvent.model_validate({})
    assert event.event is None and event.data is None and event.results is None
    assert ResponsesStreamEvent.model_validate({}).type is None


# --------------------------------------------------------------------------------------
# A defaults
# --------------------------------------------------------------------------------------


def test_a_fields_default_when_absent_and_when_null() -> None:
    for payload in (
        {},
        {"partial": None, "skip_comparison": None, "comparison_fallback_used": None},
    ):
        compare = CompareResponse.model_validate({**dict(REQUIRED)[CompareResponse], **payload})
        assert (compare.partial, compare.skip_comparison, compare.comparison_fallback_used) == (
            False,
            False,
            False,
        )
        assert compare.comparison is None and compare.comparison_usage is None
    batch = BatchObject.model_validate({"id": "batch_1", "object": None, "metadata": None})
    assert (batch.object, batch.metadata, batch.request_counts) == ("batch", {}, None)
    chunk = ImageGenerationChunk.model_validate({"created": 1, "object": None, "data": None})
    assert (chunk.object, chunk.data, chunk.status) == ("image.chunk", [], None)
    response = ResponsesResponse.model_validate({})
    assert (response.object, response.output, response.id, response.status) == (
        "response",
        [],
        None,
        None,
    )
    call = ToolCall.model_validate(
        {"id": "c", "type": None, "function": {"name": "f", "arguments": ""}}
    )
    assert call.type == "function"
    model = ModelInfo.model_validate({"id": "a/b", "name": "B", "is_free": False})
    assert (model.is_composite, model.pricing) == (False, None)
    result = SearchResult.model_validate(
        {"score": 1, "text": "t", "parent_text": "p", "metadata": None}
    )
    assert result.metadata == {}
    assert ApiErrorBody.model_validate({"code": "c", "message": "m", "details": None}).details == []


def test_mutable_defaults_are_not_shared() -> None:
    first = SearchResult.model_validate({"score": 1, "text": "t", "parent_text": "p"})
    second = SearchResult.model_validate({"score": 1, "text": "t", "parent_text": "p"})
    first.metadata["k"] = "v"
    assert second.metadata == {}
    a = ImageGenerationChunk.model_validate({"created": 1})
    a.data.append(ImageItem())
    assert ImageGenerationChunk.model_validate({"created": 1}).data == []


def test_template_owner_is_optional_but_read_when_sent() -> None:
    payload = dict(REQUIRED)[TemplateSummary]
    assert TemplateSummary.model_validate(payload).owner is None
    assert TemplateSummary.model_validate({**payload, "owner": "org_1"}).owner == "org_1"


def test_batch_list_holds_batch_objects() -> None:
    page = BatchListResponse.model_validate(
        {
            "object": "list",
            "data": [{"id": "batch_2"}, {"id": "batch_1"}],
            "has_more": True,
            "last_id": "batch_1",
        }
    )
    assert [b.id for b in page.data] == ["batch_2", "batch_1"]
    assert (page.has_more, page.first_id, page.last_id) == (True, None, "batch_1")


def test_embeddings_response_float_and_base64() -> None:
    response = EmbeddingsResponse.model_validate(
        {
            "object": "list",
            "model": "openai/text-embedding-3-small",
            "data": [
                {"object": "embedding", "index": 0, "embedding": [0.1, -2, 3]},
                {"object": "embedding", "index": 1, "embedding": "AACAPw=="},
            ],
            "usage": {"prompt_tokens": 4, "total_tokens": 4, "byok_used": False},
        }
    )
    assert response.data[0].embedding == [0.1, -2.0, 3.0]
    assert response.data[1].embedding == "AACAPw=="
    assert response.usage is not None and response.usage.byok_used is False
    assert response.usage.fallback_triggered is None


def test_rag_models() -> None:
    status = RagFileStatus.model_validate({**RAG_FILE, "total_cost_usd": 1, "size_bytes": 10})
    # The one money field that is a JSON number (§1.5).
    assert status.total_cost_usd == 1.0 and isinstance(status.total_cost_usd, float)
    assert status.metadata is None and status.last_error_code is None
    page = RagFileListResponse.model_validate(
        {"files": [RAG_FILE], "total": 1, "limit": 20, "offset": 0}
    )
    assert page.files[0].file_id == "file_1"
    embedded = BulkEmbedResponse.model_validate(
        {
            "results": [
                {"file_id": "f1", "embedding_status": "ready", "chunk_count": 4},
                {"file_id": "nope", "embedding_status": "failed", "error": "unknown file"},
            ]
        }
    )
    assert [r.error for r in embedded.results] == [None, "unknown file"]


def test_compare_response_results_are_typed() -> None:
    response = CompareResponse.model_validate(
        {
            **dict(REQUIRED)[CompareResponse],
            "results": [
                {**RESULT, "content": "Paris.", "usage": {"total_tokens": 5}},
                {**RESULT, "model": "c/d", "error": "timeout", "error_code": "gateway_timeout"},
            ],
            "partial": True,
            "comparison_fallback_used": True,
        }
    )
    assert [r.content for r in response.results] == ["Paris.", None]
    assert response.results[0].usage is not None
    assert (
        response.results[0].usage.total_tokens == 5
        and response.results[0].usage.prompt_tokens is None
    )
    assert response.results[1].error == "timeout"
    assert response.partial is True


# --------------------------------------------------------------------------------------
# Content parts in responses: known ones typed, anything else kept as a plain dict
# --------------------------------------------------------------------------------------


def test_unknown_content_parts_are_kept_as_dicts() -> None:
    message = ChatCompletionMessage.model_validate(
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Here:"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "refusal", "refusal": "no"},
                {"type": "text", "text": "odd", "annotations": []},
                {"no_type": True},
            ],
        }
    )
    assert isinstance(message.content, list)
    text, image, refusal, odd_text, untyped = message.content
    assert isinstance(text, ContentPartText) and text.text == "Here:"
    assert isinstance(image, ContentPartImage) and image.image_url.url.startswith("data:")
    assert refusal == {"type": "refusal", "refusal": "no"}
    # A known type with keys the strict part model does not declare is kept whole.
    assert odd_text == {"type": "text", "text": "odd", "annotations": []}
    assert untyped == {"no_type": True}


def test_message_content_may_be_a_string_or_null() -> None:
    assert (
        ChatCompletionMessage.model_validate({"role": "assistant", "content": "hi"}).content == "hi"
    )
    assert (
        ChatCompletionMessage.model_validate({"role": "assistant", "content": None}).content is None
    )


# --------------------------------------------------------------------------------------
# Money and the private request id
# --------------------------------------------------------------------------------------


def test_money_is_a_decimal_string_and_numbers_are_read_as_one() -> None:
    pricing = ModelPricing.model_validate(
        {"input_usd_per_unit": "0.15", "output_usd_per_unit": 0.6}
    )
    assert (pricing.input_usd_per_unit, pricing.output_usd_per_unit) == ("0.15", "0.6")
    chunk = ChatCompletionChunk.model_validate({"choices": [], "cost": 0})
    assert chunk.cost == "0"
    # Plain decimal text, the same from JSON bytes as from a Python float.
    tiny = ModelPricing.model_validate({"request_usd": 1e-07}).request_usd
    assert tiny == ModelPricing.model_validate_json('{"request_usd": 1e-7}').request_usd
    assert tiny == "0.0000001"
    with pytest.raises(ValidationError):
        ModelPricing.model_validate({"input_usd_per_unit": True})


def test_request_id_is_private() -> None:
    response = ChatCompletionResponse.model_validate(dict(REQUIRED)[ChatCompletionResponse])
    assert response._request_id is None
    assert "_request_id" not in response.model_dump()
    assert "request_id" not in response.model_dump()
    response._request_id = "req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"
    assert "_request_id" not in response.model_dump()
    assert "req_01" not in response.model_dump_json()
    # A body field named request_id (compare results) is an ordinary field.
    result = ModelCompareResult.model_validate(RESULT)
    assert result.request_id == "req_1"


def test_every_response_model_starts_without_a_request_id() -> None:
    # Only the models a call returns carry it (nested ones do not: see ResultModel).
    for model, payload in REQUIRED:
        instance = model.model_validate(payload)
        if not isinstance(instance, ResultModel):
            continue
        assert instance._request_id is None
        assert "_request_id" not in instance.model_dump()


# --------------------------------------------------------------------------------------
# ImageItem.image_bytes (§2.6)
# --------------------------------------------------------------------------------------


def test_image_bytes_from_b64_json() -> None:
    item = ImageItem(b64_json=base64.b64encode(PNG_1PX).decode())
    assert item.image_bytes() == PNG_1PX


def test_image_bytes_from_a_base64_data_url() -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    assert ImageItem(url=url).image_bytes() == PNG_1PX
    assert ImageItem(url=url.replace("data:", "DATA:", 1)).image_bytes() == PNG_1PX
    percent_encoded = url.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    assert ImageItem(url=percent_encoded).image_bytes() == PNG_1PX


def test_image_bytes_from_a_plain_data_url() -> None:
    assert ImageItem(url="data:image/svg+xml,%3Csvg%2F%3E").image_bytes() == b"<svg/>"
    assert ImageItem(url="data:,hi").image_bytes() == b"hi"


def test_image_bytes_prefers_b64_json() -> None:
    item = ImageItem(b64_json=base64.b64encode(b"inline").decode(), url="https://cdn/x.png")
    assert item.image_bytes() == b"inline"


@pytest.mark.parametrize(
    "item",
    [
        ImageItem(url="https://cdn.example/img.png"),
        ImageItem(url="http://cdn.example/img.png"),
        ImageItem(url="/relative/img.png"),
        ImageItem(),
        ImageItem(revised_prompt="a cat"),
        ImageItem(url="data:image/png;base64"),
        ImageItem(b64_json="not base64!"),
        ImageItem(b64_json="é"),
        ImageItem(url="data:image/png;base64,AAA"),
    ],
)
def test_image_bytes_raises_value_error_without_inline_data(item: ImageItem) -> None:
    with pytest.raises(ValueError, match=r"base64|remote URL|neither|data: URL"):
        item.image_bytes()


def test_image_generation_response() -> None:
    response = ImageGenerationResponse.model_validate(
        {
            "created": 1767225600,
            "data": [{"url": "https://cdn/x.png", "revised_prompt": "a cat, painted"}],
            "size": "1024x1024",
            "usage": {**USAGE, "input_tokens_details": {"text_tokens": 1}},
        }
    )
    assert response.data[0].url == "https://cdn/x.png"
    assert response.usage is not None and response.usage.input_tokens_details == {"text_tokens": 1}
    with pytest.raises(ValidationError):
        ImageGenerationResponse.model_validate(
            {"created": 1, "data": [], "usage": {"prompt_tokens": 1}}
        )
