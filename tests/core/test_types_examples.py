# ruff: noqa: E501  (the protocol examples below are copied verbatim, long lines included)
"""Every example body and stream of protocol.md parses into its model (§2.3, §3.5-§3.9, §4.1, §6).

The examples are copied verbatim from protocol.md. Each test also adds fields the SDK
does not know, at the top and nested, and checks that they survive and are readable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter

from meshapi_core.types import (
    ApiErrorEnvelope,
    BatchObject,
    ChatCompletionChunk,
    ChatCompletionResponse,
    CompareStreamEvent,
    ImageGenerationChunk,
    ModelCompareResult,
    ModelInfo,
    ModelPricing,
    ResponsesResponse,
    ResponsesStreamEvent,
    ResponsesUsage,
    SearchResponse,
    TemplateSummary,
    ToolCall,
    ToolCallChunk,
)

CHAT_RESPONSE = r"""{
  "id": "chatcmpl-9f2c1e",
  "object": "chat.completion",
  "created": 1767225600,
  "model": "openai/gpt-4o-mini",
  "choices": [
    {"index": 0,
     "message": {"role": "assistant", "content": null,
                 "tool_calls": [{"id": "call_a1", "type": "function",
                                 "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
     "finish_reason": "tool_calls"}
  ],
  "usage": {"prompt_tokens": 58, "completion_tokens": 17, "total_tokens": 75}
}
"""

ERROR_FRAME_SSE = r"""event: error
data: {"error":{"code":"gateway_timeout","message":"Upstream provider did not respond in time.","provider_error":{"provider":"openai","status":504,"message":"timeout"}},"request_id":"req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"}

"""

CHAT_STREAM_SSE = r"""data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[],"usage":{"prompt_tokens":58,"completion_tokens":17,"total_tokens":75},"cost":"0.0000189"}

data: [DONE]

"""

RESPONSES_STREAM_SSE = r"""event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_7d1","object":"response","created_at":1767225600,"model":"openai/o4-mini","status":"in_progress","output":[]}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","status":"in_progress","content":[]}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel"}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"lo"}

event: response.output_text.done
data: {"type":"response.output_text.done","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hello"}

event: response.completed
data: {"type":"response.completed","sequence_number":5,"response":{"id":"resp_7d1","object":"response","created_at":1767225600,"model":"openai/o4-mini","status":"completed","output":[{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Hello","annotations":[]}]}],"usage":{"input_tokens":12,"output_tokens":2,"total_tokens":14}}}

data: [DONE]

"""

COMPARE_SKIP_SSE = r"""event: meta
data: {"comparison_id":"cmp_3f9a1c0b7d2e4f6a8b1c","models":["openai/gpt-4o-mini","anthropic/claude-haiku-4.5"],"comparison_model":null,"skip_comparison":true}

event: model_chunk
data: {"model":"openai/gpt-4o-mini","delta":"Par","finish_reason":null}

event: model_chunk
data: {"model":"openai/gpt-4o-mini","delta":"is.","finish_reason":null}

event: model_chunk
data: {"model":"openai/gpt-4o-mini","delta":null,"finish_reason":"stop"}

event: model_stream_done
data: {"model":"openai/gpt-4o-mini","finish_reason":null,"usage":{"prompt_tokens":14,"completion_tokens":2,"total_tokens":16},"error":null}

event: model_stream_done
data: {"model":"anthropic/claude-haiku-4.5","finish_reason":null,"usage":null,"error":"Upstream provider did not respond in time.","error_code":"gateway_timeout"}

event: done
data: {"comparison_id":"cmp_3f9a1c0b7d2e4f6a8b1c","total_latency_ms":30412,"partial":true,"skip_comparison":true}

"""

COMPARE_SYNTHESIS_SSE = r"""event: meta
data: {"comparison_id":"cmp_8e21d0a4c6b3f9e7a512","models":["openai/gpt-4o-mini","google/gemini-2.5-flash"],"comparison_model":"openai/gpt-4o-mini","skip_comparison":false}

event: model_chunk
data: {"model":"google/gemini-2.5-flash","content":"Paris is the capital.","latency_ms":640,"error":null,"error_code":null,"usage":{"prompt_tokens":14,"completion_tokens":6,"total_tokens":20}}

event: model_chunk
data: {"model":"openai/gpt-4o-mini","content":"Paris.","latency_ms":812,"error":null,"error_code":null,"usage":{"prompt_tokens":14,"completion_tokens":2,"total_tokens":16}}

event: model_done
data: {"results":[{"model":"openai/gpt-4o-mini","content":"Paris.","latency_ms":812,"error":null,"error_code":null,"usage":{"prompt_tokens":14,"completion_tokens":2,"total_tokens":16},"request_id":"req_01JH7Z9A0B1C2D3E4F5G6H7J8K"},{"model":"google/gemini-2.5-flash","content":"Paris is the capital.","latency_ms":640,"error":null,"error_code":null,"usage":{"prompt_tokens":14,"completion_tokens":6,"total_tokens":20},"request_id":"req_01JH7Z9A0B1C2D3E4F5G6H7J8M"}]}

event: comparison_chunk
data: {"delta":"Both answers agree: Paris.","finish_reason":null}

event: comparison_chunk
data: {"delta":null,"finish_reason":"stop"}

event: done
data: {"comparison_id":"cmp_8e21d0a4c6b3f9e7a512","total_latency_ms":1420,"partial":false,"comparison_model":"openai/gpt-4o-mini","comparison_fallback_used":false}

"""

IMAGE_STREAM_SSE = r"""data: {"id":"img_3c9","object":"image.chunk","created":1767225600,"model":"openai/gpt-image-1","status":"processing","data":[]}

data: {"id":"img_3c9","object":"image.chunk","created":1767225605,"model":"openai/gpt-image-1","status":"processing","data":[]}

data: {"id":"img_3c9","object":"image.chunk","created":1767225611,"model":"openai/gpt-image-1","status":"completed","data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg==","revised_prompt":null}]}

data: [DONE]

"""

ERROR_ENVELOPE = r"""{
  "error": {
    "code": "rate_limit_exceeded",
    "message": "Rate limit exceeded: 60 requests per minute.",
    "details": [],
    "provider_error": null,
    "retry_after_seconds": 12
  },
  "request_id": "req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"
}
"""

TEMPLATE_SUMMARY = r"""{"id": "tmpl_5c0e", "name": "support-agent", "owner": "org_71a2", "is_global": false,
 "description": null, "system": "You are a support agent for {{company}}. Be concise.",
 "messages": null, "model": "openai/gpt-4o-mini", "params": {"temperature": 0.2},
 "variables": ["company"], "created_at": "2026-08-01T10:00:00Z", "updated_at": "2026-08-01T10:00:00Z"}
"""

BATCH_OBJECT = r"""{
  "id": "batch_0a91", "object": "batch", "endpoint": "/v1/chat/completions",
  "status": "completed", "created_at": 1767225600, "completed_at": 1767225671,
  "completion_window": "24h", "metadata": {"job": "nightly"},
  "request_counts": {"total": 2, "completed": 1, "failed": 1},
  "results": [
    {"custom_id": "req-1",
     "response": {"status_code": 200, "request_id": "req_01JH80A1B2C3D4E5F6G7H8J9KM",
                  "body": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1767225650,
                           "model": "openai/gpt-5-nano",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}}},
     "error": null},
    {"custom_id": "req-2", "response": null,
     "error": {"code": "model_not_found", "message": "Unknown model 'x/y'."}}
  ],
  "errors_detail": [{"custom_id": "req-2", "code": "model_not_found", "message": "Unknown model 'x/y'."}],
  "error_file_id": null
}
"""

SEARCH_RESPONSE = r"""{"results": [{"score": 0.8123, "text": "New hires complete onboarding in week one.",
  "parent_text": "Section 2. Onboarding. New hires complete onboarding in week one. ...",
  "file_id": "file_9b2", "file_name": "handbook.pdf", "file_type": "pdf",
  "mime_type": "application/pdf", "chunk_index": 3, "created_at": 1767225600,
  "metadata": {"team": "hr"}}]}
"""

MODELS_LIST = r"""[{"id": "openai/gpt-4o-mini", "name": "GPT-4o mini", "brand": "openai", "provider": "openai",
  "is_free": false, "context_length": 128000, "model_type": "text",
  "input_modalities": ["text", "image"], "output_modalities": ["text"],
  "supports_tools": true, "supports_structured_output": true, "is_composite": false,
  "pricing": {"pricing_unit": "per_1m_tokens", "input_usd_per_unit": "0.15", "output_usd_per_unit": "0.60",
              "prompt_usd_per_1m": "0.15", "completion_usd_per_1m": "0.60",
              "prompt_usd_per_1k": null, "completion_usd_per_1k": null, "discount_pct": "0"}}]
"""


def sse_frames(text: str) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(event name, JSON payload) of each frame of a well-formed example stream.

    Only good enough for the examples (one data line per event, LF line ends); the SDK's
    own SSE decoder is tested elsewhere. `[DONE]` ends the stream.
    """
    for block in text.strip().split("\n\n"):
        event: str | None = None
        data = ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
        if data.strip() == "[DONE]":
            return
        yield event, json.loads(data)


def with_unknown(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload plus fields a newer gateway might add."""
    return {**payload, "x_new_field": {"nested": [1, "two"]}, "x_flag": True}


def assert_unknown_kept(model: Any) -> None:
    assert model.model_extra["x_new_field"] == {"nested": [1, "two"]}
    assert model.x_new_field == {"nested": [1, "two"]}
    assert model.x_flag is True
    assert model.model_dump()["x_new_field"] == {"nested": [1, "two"]}


# --------------------------------------------------------------------------------------
# §2.3 chat completion
# --------------------------------------------------------------------------------------


def test_chat_response_example() -> None:
    response = ChatCompletionResponse.model_validate_json(CHAT_RESPONSE)
    assert response.id == "chatcmpl-9f2c1e"
    assert response.object == "chat.completion"
    assert response.created == 1767225600
    assert response.model == "openai/gpt-4o-mini"
    choice = response.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "tool_calls"
    assert choice.message is not None
    assert choice.message.role == "assistant"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert isinstance(call, ToolCall)
    assert (call.id, call.type, call.function.name) == ("call_a1", "function", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.total_tokens) == (58, 75)
    assert response.system_fingerprint is None


def test_chat_response_keeps_unknown_fields_at_every_level() -> None:
    payload = json.loads(CHAT_RESPONSE)
    payload["choices"][0] = with_unknown(payload["choices"][0])
    payload["choices"][0]["message"] = with_unknown(payload["choices"][0]["message"])
    payload["usage"] = with_unknown(payload["usage"])
    response = ChatCompletionResponse.model_validate(with_unknown(payload))
    assert_unknown_kept(response)
    assert_unknown_kept(response.choices[0])
    assert response.choices[0].message is not None
    assert_unknown_kept(response.choices[0].message)
    assert response.usage is not None
    assert_unknown_kept(response.usage)


def test_a_folded_chat_response_keeps_cost_as_an_extra_field() -> None:
    payload = {**json.loads(CHAT_RESPONSE), "cost": "0.0000189"}
    response = ChatCompletionResponse.model_validate(payload)
    assert response.model_extra is not None
    assert response.model_extra["cost"] == "0.0000189"
    assert getattr(response, "cost") == "0.0000189"  # noqa: B009 - an extra, not a field


# --------------------------------------------------------------------------------------
# §3.6 chat stream
# --------------------------------------------------------------------------------------


def test_chat_stream_example_chunks() -> None:
    chunks = [ChatCompletionChunk.model_validate(data) for _, data in sse_frames(CHAT_STREAM_SSE)]
    assert len(chunks) == 6
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert all(chunk.id == "chatcmpl-9f2c" and chunk.created == 1767225600 for chunk in chunks)
    first = chunks[0].choices[0]
    assert first.delta is not None
    assert (first.delta.role, first.delta.content, first.finish_reason) == ("assistant", "", None)

    fragments: list[ToolCallChunk] = []
    for chunk in chunks[1:4]:
        delta = chunk.choices[0].delta
        assert delta is not None and delta.tool_calls is not None
        fragments.extend(delta.tool_calls)
    assert [f.index for f in fragments] == [0, 0, 0]
    assert fragments[0].id == "call_a1" and fragments[1].id is None
    assert fragments[0].function is not None and fragments[0].function.name == "get_weather"
    arguments = "".join(f.function.arguments or "" for f in fragments if f.function)
    assert json.loads(arguments) == {"city": "Paris"}

    assert chunks[4].choices[0].finish_reason == "tool_calls"
    usage_chunk = chunks[5]
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None and usage_chunk.usage.total_tokens == 75
    assert usage_chunk.cost == "0.0000189"


def test_chat_chunks_keep_unknown_fields() -> None:
    _, data = next(iter(sse_frames(CHAT_STREAM_SSE)))
    data["choices"][0] = with_unknown(data["choices"][0])
    data["choices"][0]["delta"] = with_unknown(data["choices"][0]["delta"])
    chunk = ChatCompletionChunk.model_validate(with_unknown(data))
    assert_unknown_kept(chunk)
    assert_unknown_kept(chunk.choices[0])
    assert chunk.choices[0].delta is not None
    assert_unknown_kept(chunk.choices[0].delta)


def test_error_frame_example_is_an_error_envelope() -> None:
    ((event, data),) = list(sse_frames(ERROR_FRAME_SSE))
    assert event == "error"
    envelope = ApiErrorEnvelope.model_validate(data)
    assert envelope.error.code == "gateway_timeout"
    assert envelope.error.provider_error == {
        "provider": "openai",
        "status": 504,
        "message": "timeout",
    }
    assert envelope.request_id == "req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"


# --------------------------------------------------------------------------------------
# §3.7 responses stream
# --------------------------------------------------------------------------------------


def test_responses_stream_example_events() -> None:
    frames = list(sse_frames(RESPONSES_STREAM_SSE))
    events = [ResponsesStreamEvent.model_validate({**data, "event": name}) for name, data in frames]
    assert [e.type for e in events] == [
        "response.created",
        "response.output_item.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.completed",
    ]
    # §3.7: the gateway's event: lines equal `type`.
    assert all(e.event == e.type for e in events)
    # Event-specific fields are extras, readable as attributes.
    deltas = [getattr(e, "delta") for e in events if e.type == "response.output_text.delta"]  # noqa: B009
    assert "".join(deltas) == "Hello"
    assert getattr(events[4], "text") == "Hello"  # noqa: B009
    assert events[2].model_extra is not None
    assert events[2].model_extra["sequence_number"] == 2
    assert events[2].model_extra["item_id"] == "msg_1"
    assert getattr(events[1], "item")["type"] == "message"  # noqa: B009

    completed = events[-1]
    assert completed.response is not None
    response = ResponsesResponse.model_validate(completed.response)
    assert (response.id, response.object, response.status) == ("resp_7d1", "response", "completed")
    assert response.created_at == 1767225600
    assert response.output[0]["content"][0] == {
        "type": "output_text",
        "text": "Hello",
        "annotations": [],
    }
    assert response.usage == ResponsesUsage(input_tokens=12, output_tokens=2, total_tokens=14)


def test_responses_events_keep_unknown_fields() -> None:
    _, data = next(iter(sse_frames(RESPONSES_STREAM_SSE)))
    assert_unknown_kept(ResponsesStreamEvent.model_validate(with_unknown(data)))
    assert_unknown_kept(ResponsesResponse.model_validate(with_unknown(data["response"])))


# --------------------------------------------------------------------------------------
# §3.8 compare stream
# --------------------------------------------------------------------------------------


def _compare_events(text: str) -> list[CompareStreamEvent]:
    # The stream decoder sets `event` from the SSE event line (§3.3 step 5).
    return [
        CompareStreamEvent.model_validate({**data, "event": name})
        for name, data in sse_frames(text)
    ]


def test_compare_stream_example_with_skip_comparison() -> None:
    events = _compare_events(COMPARE_SKIP_SSE)
    assert [e.event for e in events] == [
        "meta",
        "model_chunk",
        "model_chunk",
        "model_chunk",
        "model_stream_done",
        "model_stream_done",
        "done",
    ]
    meta = events[0]
    assert meta.comparison_id == "cmp_3f9a1c0b7d2e4f6a8b1c"
    assert meta.models == ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"]
    assert meta.comparison_model is None and meta.skip_comparison is True
    assert "".join(e.delta or "" for e in events if e.event == "model_chunk") == "Paris."
    assert events[3].finish_reason == "stop"
    ok, failed = events[4], events[5]
    assert ok.usage == {"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16}
    assert ok.error is None
    # A per-model error is a string, and data (§3.8).
    assert failed.error == "Upstream provider did not respond in time."
    assert failed.error_code == "gateway_timeout"
    done = events[-1]
    assert (done.total_latency_ms, done.partial, done.skip_comparison) == (30412, True, True)
    assert done.data is None


def test_compare_stream_example_with_synthesis() -> None:
    events = _compare_events(COMPARE_SYNTHESIS_SSE)
    assert [e.event for e in events] == [
        "meta",
        "model_chunk",
        "model_chunk",
        "model_done",
        "comparison_chunk",
        "comparison_chunk",
        "done",
    ]
    first_answer = events[1]
    assert (first_answer.model, first_answer.content, first_answer.latency_ms) == (
        "google/gemini-2.5-flash",
        "Paris is the capital.",
        640,
    )
    results = events[3].results
    assert results is not None
    assert all(isinstance(r, ModelCompareResult) for r in results)
    assert [r.model for r in results] == ["openai/gpt-4o-mini", "google/gemini-2.5-flash"]
    assert results[0].request_id == "req_01JH7Z9A0B1C2D3E4F5G6H7J8K"
    assert results[0].usage is not None and results[0].usage.total_tokens == 16
    assert events[4].delta == "Both answers agree: Paris."
    done = events[-1]
    assert (done.partial, done.comparison_model, done.comparison_fallback_used) == (
        False,
        "openai/gpt-4o-mini",
        False,
    )


def test_compare_events_keep_unknown_fields_and_a_data_key() -> None:
    event = CompareStreamEvent.model_validate(
        with_unknown({"event": "model_chunk", "model": "a", "data": {"legacy": 1}})
    )
    assert_unknown_kept(event)
    assert event.data == {"legacy": 1}


# --------------------------------------------------------------------------------------
# §3.9 image stream
# --------------------------------------------------------------------------------------


def test_image_stream_example_chunks() -> None:
    chunks = [ImageGenerationChunk.model_validate(d) for _, d in sse_frames(IMAGE_STREAM_SSE)]
    assert [c.status for c in chunks] == ["processing", "processing", "completed"]
    assert all(c.object == "image.chunk" and c.id == "img_3c9" for c in chunks)
    assert chunks[0].data == [] and chunks[1].data == []
    (image,) = chunks[2].data
    assert image.revised_prompt is None
    assert image.image_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert_unknown_kept(ImageGenerationChunk.model_validate(with_unknown({"created": 1})))


# --------------------------------------------------------------------------------------
# §4.1 error envelope
# --------------------------------------------------------------------------------------


def test_error_envelope_example() -> None:
    envelope = ApiErrorEnvelope.model_validate_json(ERROR_ENVELOPE)
    assert envelope.error.code == "rate_limit_exceeded"
    assert envelope.error.message == "Rate limit exceeded: 60 requests per minute."
    assert envelope.error.details == []
    assert envelope.error.provider_error is None
    assert envelope.error.retry_after_seconds == 12
    assert envelope.error.param is None
    assert envelope.request_id == "req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"


# --------------------------------------------------------------------------------------
# §6 gateway extras
# --------------------------------------------------------------------------------------


def test_template_summary_example() -> None:
    template = TemplateSummary.model_validate_json(TEMPLATE_SUMMARY)
    assert (template.id, template.name, template.owner) == (
        "tmpl_5c0e",
        "support-agent",
        "org_71a2",
    )
    assert template.is_global is False
    assert template.system == "You are a support agent for {{company}}. Be concise."
    assert template.messages is None and template.description is None
    assert template.params == {"temperature": 0.2}
    assert template.variables == ["company"]
    assert template.created_at == template.updated_at == "2026-08-01T10:00:00Z"
    # §2.10: unknown fields such as team_id are kept.
    with_team = TemplateSummary.model_validate({**json.loads(TEMPLATE_SUMMARY), "team_id": "t1"})
    assert getattr(with_team, "team_id") == "t1"  # noqa: B009
    assert_unknown_kept(TemplateSummary.model_validate(with_unknown(json.loads(TEMPLATE_SUMMARY))))


def test_templates_list_is_a_bare_array() -> None:
    adapter = TypeAdapter(list[TemplateSummary])
    (template,) = adapter.validate_json(f"[{TEMPLATE_SUMMARY}]")
    assert template.name == "support-agent"


def test_batch_object_example() -> None:
    batch = BatchObject.model_validate_json(BATCH_OBJECT)
    assert (batch.id, batch.object, batch.status) == ("batch_0a91", "batch", "completed")
    assert batch.endpoint == "/v1/chat/completions"
    assert (batch.created_at, batch.completed_at, batch.completion_window) == (
        1767225600,
        1767225671,
        "24h",
    )
    assert batch.metadata == {"job": "nightly"}
    assert batch.request_counts is not None
    counts = batch.request_counts
    assert (counts.total, counts.completed, counts.failed) == (2, 1, 1)
    assert batch.results is not None and len(batch.results) == 2
    body = batch.results[0]["response"]["body"]
    assert ChatCompletionResponse.model_validate(body).choices[0].finish_reason == "stop"
    assert batch.results[1]["error"]["code"] == "model_not_found"
    assert batch.errors_detail == [
        {"custom_id": "req-2", "code": "model_not_found", "message": "Unknown model 'x/y'."}
    ]
    assert batch.error_file_id is None
    assert batch.input_file_id is None and batch.output_file_id is None
    assert_unknown_kept(BatchObject.model_validate(with_unknown(json.loads(BATCH_OBJECT))))


def test_search_response_example() -> None:
    response = SearchResponse.model_validate_json(SEARCH_RESPONSE)
    (result,) = response.results
    assert result.score == 0.8123
    assert result.text == "New hires complete onboarding in week one."
    assert result.parent_text.startswith("Section 2. Onboarding.")
    assert (result.file_id, result.file_name, result.file_type) == (
        "file_9b2",
        "handbook.pdf",
        "pdf",
    )
    assert (result.mime_type, result.chunk_index, result.created_at) == (
        "application/pdf",
        3,
        1767225600,
    )
    assert result.metadata == {"team": "hr"}
    payload = json.loads(SEARCH_RESPONSE)
    payload["results"][0] = with_unknown(payload["results"][0])
    assert_unknown_kept(SearchResponse.model_validate(with_unknown(payload)).results[0])


def test_models_list_example() -> None:
    adapter = TypeAdapter(list[ModelInfo])
    (model,) = adapter.validate_json(MODELS_LIST)
    assert (model.id, model.name, model.brand, model.provider) == (
        "openai/gpt-4o-mini",
        "GPT-4o mini",
        "openai",
        "openai",
    )
    assert model.is_free is False and model.is_composite is False
    assert model.context_length == 128000 and model.model_type == "text"
    assert model.input_modalities == ["text", "image"]
    assert model.output_modalities == ["text"]
    assert model.supports_tools is True and model.supports_structured_output is True
    assert model.supports_thinking is None
    pricing = model.pricing
    assert isinstance(pricing, ModelPricing)
    assert pricing.pricing_unit == "per_1m_tokens"
    # Money stays a decimal string (§1.5).
    assert (pricing.input_usd_per_unit, pricing.output_usd_per_unit) == ("0.15", "0.60")
    assert (pricing.prompt_usd_per_1m, pricing.completion_usd_per_1m) == ("0.15", "0.60")
    assert pricing.prompt_usd_per_1k is None and pricing.completion_usd_per_1k is None
    assert pricing.discount_pct == "0"
    assert pricing.image_usd_per_image is None  # legacy names stay declared
    payload = json.loads(MODELS_LIST)
    payload[0]["pricing"] = with_unknown(payload[0]["pricing"])
    (model,) = adapter.validate_python([with_unknown(payload[0])])
    assert_unknown_kept(model)
    assert_unknown_kept(model.pricing)
