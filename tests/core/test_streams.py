"""StreamDecoder: SSE events to typed items, error frames and clean ends (protocol.md §3.3–§3.9).

The example streams are protocol.md's, verbatim. Each is decoded whole, one byte at a
time and in random pieces, with the same result. Then every rule of §3.3 (order of
checks), §3.4 (how each stream ends) and §3.5 (error frames) is checked on each stream
kind, and hypothesis checks that arbitrary bytes give items or a `MeshAPIError`.
"""

# ruff: noqa: E501  (the example streams are quoted verbatim from protocol.md)

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshapi_core._errors import (
    InternalServerError,
    MeshAPIError,
    RateLimitError,
    RemoteProtocolError,
    ResponseParseError,
    StreamInterruptedError,
)
from meshapi_core._kinds import StreamKind
from meshapi_core._streams import StreamDecoder
from meshapi_core.sse import DecoderStateError
from meshapi_core.types import (
    ChatCompletionChunk,
    CompareStreamEvent,
    ImageGenerationChunk,
    ResponsesStreamEvent,
)
from meshapi_core.types._base import ResponseModel

MODELS: dict[StreamKind, type[ResponseModel]] = {
    StreamKind.CHAT: ChatCompletionChunk,
    StreamKind.RESPONSES: ResponsesStreamEvent,
    StreamKind.COMPARE: CompareStreamEvent,
    StreamKind.IMAGE: ImageGenerationChunk,
}
ALL_KINDS = list(MODELS)
HEADER_ID = "req_header"

# --------------------------------------------------------------------------------------
# protocol.md's example streams, verbatim
# --------------------------------------------------------------------------------------

ERROR_FRAME = rb"""event: error
data: {"error":{"code":"gateway_timeout","message":"Upstream provider did not respond in time.","provider_error":{"provider":"openai","status":504,"message":"timeout"}},"request_id":"req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"}

"""

CHAT_TOOL_CALL_STREAM = rb"""data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1767225600,"model":"openai/gpt-4o-mini","choices":[],"usage":{"prompt_tokens":58,"completion_tokens":17,"total_tokens":75},"cost":"0.0000189"}

data: [DONE]

"""

RESPONSES_STREAM = rb"""event: response.created
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

COMPARE_SKIP_STREAM = rb"""event: meta
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

COMPARE_SYNTHESIS_STREAM = rb"""event: meta
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

IMAGE_STREAM = rb"""data: {"id":"img_3c9","object":"image.chunk","created":1767225600,"model":"openai/gpt-image-1","status":"processing","data":[]}

data: {"id":"img_3c9","object":"image.chunk","created":1767225605,"model":"openai/gpt-image-1","status":"processing","data":[]}

data: {"id":"img_3c9","object":"image.chunk","created":1767225611,"model":"openai/gpt-image-1","status":"completed","data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg==","revised_prompt":null}]}

data: [DONE]

"""

EXAMPLES: list[tuple[str, StreamKind, bytes, int]] = [
    ("chat tool call", StreamKind.CHAT, CHAT_TOOL_CALL_STREAM, 6),
    ("responses", StreamKind.RESPONSES, RESPONSES_STREAM, 6),
    ("compare skip_comparison", StreamKind.COMPARE, COMPARE_SKIP_STREAM, 7),
    ("compare synthesis", StreamKind.COMPARE, COMPARE_SYNTHESIS_STREAM, 7),
    ("image", StreamKind.IMAGE, IMAGE_STREAM, 3),
]

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def decoder(kind: StreamKind, request_id: str | None = HEADER_ID) -> StreamDecoder[ResponseModel]:
    return StreamDecoder(kind, MODELS[kind], request_id=request_id)


Result = tuple[list[Any], MeshAPIError | None, bool]


def run(kind: StreamKind, pieces: Iterable[bytes], request_id: str | None = HEADER_ID) -> Result:
    """Feed the pieces, then end(): (items, the MeshAPIError that stopped it, done)."""
    dec = decoder(kind, request_id)
    items: list[Any] = []
    try:
        for piece in pieces:
            items.extend(dec.feed(piece))
        items.extend(dec.end())
    except MeshAPIError as exc:
        return items, exc, dec.done
    return items, None, dec.done


def normal(result: Result) -> tuple[object, ...]:
    """A comparable form of a result: item dumps and the error's identifying fields."""
    items, error, done = result
    dumped = [(type(item).__name__, item.model_dump()) for item in items]
    if error is None:
        return dumped, None, done
    fields = (type(error), error.error_code, str(error), error.status, error.request_id)
    return dumped, fields, done


def whole(body: bytes) -> list[bytes]:
    return [body]


def bytewise(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


def split_at(body: bytes, cuts: Sequence[int]) -> list[bytes]:
    points = [0, *sorted(set(cuts)), len(body)]
    return [body[a:b] for a, b in pairwise(points)]


def frame(payload: object, event: str | None = None) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


def chat_chunk(content: str = "hi", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        **extra,
    }


# A valid, non-terminal item for each kind, to put before an error or an end.
PLAIN: dict[StreamKind, bytes] = {
    StreamKind.CHAT: frame(chat_chunk()),
    StreamKind.RESPONSES: frame(
        {"type": "response.output_text.delta", "delta": "Hel"}, "response.output_text.delta"
    ),
    StreamKind.COMPARE: frame({"model": "a", "delta": "x", "finish_reason": None}, "model_chunk"),
    StreamKind.IMAGE: frame({"id": "img", "created": 1, "status": "processing", "data": []}),
}
DONE = b"data: [DONE]\n\n"
# What ends each kind cleanly.
CLEAN_END: dict[StreamKind, bytes] = {
    StreamKind.CHAT: DONE,
    StreamKind.RESPONSES: DONE,
    StreamKind.COMPARE: frame({"comparison_id": "cmp_1", "total_latency_ms": 1}, "done"),
    StreamKind.IMAGE: DONE,
}


def raised(kind: StreamKind, body: bytes, request_id: str | None = HEADER_ID) -> MeshAPIError:
    items, error, _ = run(kind, whole(body), request_id)
    assert error is not None, f"expected an error, got items {items!r}"
    return error


# --------------------------------------------------------------------------------------
# The example streams
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "body", "count"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_stream_decodes_and_ends_cleanly(
    name: str, kind: StreamKind, body: bytes, count: int
) -> None:
    items, error, done = run(kind, whole(body))
    assert error is None
    assert done
    assert len(items) == count
    assert all(type(item) is MODELS[kind] for item in items)
    assert all(item._request_id == HEADER_ID for item in items)
    assert normal(run(kind, bytewise(body))) == normal((items, error, done))


@pytest.mark.parametrize(("name", "kind", "body", "count"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
@given(data=st.data())
def test_example_stream_does_not_depend_on_chunking(
    name: str, kind: StreamKind, body: bytes, count: int, data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=30))
    assert normal(run(kind, split_at(body, cuts))) == normal(run(kind, whole(body)))


def test_chat_example_items() -> None:
    items, _, _ = run(StreamKind.CHAT, whole(CHAT_TOOL_CALL_STREAM))
    first_call = items[1].choices[0].delta.tool_calls[0]
    assert (first_call.index, first_call.id, first_call.function.name) == (
        0,
        "call_a1",
        "get_weather",
    )
    assert items[2].choices[0].delta.tool_calls[0].function.arguments == '{"city":'
    assert items[4].choices[0].finish_reason == "tool_calls"
    usage_chunk = items[5]
    assert usage_chunk.choices == []
    assert usage_chunk.usage.total_tokens == 75
    assert usage_chunk.cost == "0.0000189"


def test_responses_example_items_carry_event_and_extras() -> None:
    items, _, _ = run(StreamKind.RESPONSES, whole(RESPONSES_STREAM))
    assert [item.type for item in items] == [
        "response.created",
        "response.output_item.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.completed",
    ]
    assert [item.event for item in items] == [item.type for item in items]
    assert [item.delta for item in items[2:4]] == ["Hel", "lo"]  # extra fields kept
    assert items[5].response["usage"]["total_tokens"] == 14


def test_compare_skip_example_keeps_per_model_string_error_as_data() -> None:
    items, error, done = run(StreamKind.COMPARE, whole(COMPARE_SKIP_STREAM))
    assert error is None
    assert done
    assert [item.event for item in items] == [
        "meta",
        "model_chunk",
        "model_chunk",
        "model_chunk",
        "model_stream_done",
        "model_stream_done",
        "done",
    ]
    failed = items[5]
    assert failed.model == "anthropic/claude-haiku-4.5"
    assert failed.error == "Upstream provider did not respond in time."
    assert failed.error_code == "gateway_timeout"
    assert items[6].partial is True


def test_compare_synthesis_example() -> None:
    items, error, done = run(StreamKind.COMPARE, whole(COMPARE_SYNTHESIS_STREAM))
    assert (error, done) == (None, True)
    assert items[3].event == "model_done"
    assert [result.model for result in items[3].results] == [
        "openai/gpt-4o-mini",
        "google/gemini-2.5-flash",
    ]
    assert items[4].delta == "Both answers agree: Paris."
    assert items[6].comparison_fallback_used is False


def test_image_example() -> None:
    items, error, done = run(StreamKind.IMAGE, whole(IMAGE_STREAM))
    assert (error, done) == (None, True)
    assert [item.status for item in items] == ["processing", "processing", "completed"]
    assert items[2].data[0].image_bytes().startswith(b"\x89PNG")


# --------------------------------------------------------------------------------------
# §3.3 step 1: [DONE]
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [StreamKind.CHAT, StreamKind.RESPONSES, StreamKind.IMAGE])
@pytest.mark.parametrize(
    "done_frame",
    [
        DONE,
        b"data:[DONE]\n\n",
        b"data:  [DONE] \t\n\n",
        b"data: [DONE]\ndata:\n\n",
        b"data: \x0c[DONE]\r\n\r\n",
    ],
)
def test_done_ends_cleanly_with_ascii_whitespace_stripped(
    kind: StreamKind, done_frame: bytes
) -> None:
    items, error, done = run(kind, whole(PLAIN[kind] + done_frame))
    assert (len(items), error, done) == (1, None, True)


def test_done_with_unicode_whitespace_is_not_done() -> None:
    # U+00A0 is not ASCII whitespace (§3.3): the data is then not JSON and is skipped.
    items, error, done = run(StreamKind.CHAT, whole("data: [DONE]\u00a0\n\n".encode()))
    assert items == []
    assert isinstance(error, StreamInterruptedError)
    assert not done


@pytest.mark.parametrize("kind", [StreamKind.CHAT, StreamKind.RESPONSES, StreamKind.IMAGE])
def test_bytes_after_done_are_ignored(kind: StreamKind) -> None:
    dec = decoder(kind)
    assert len(dec.feed(PLAIN[kind] + DONE + PLAIN[kind])) == 1
    assert dec.done
    # Anything later, even an error frame or garbage, means nothing now.
    assert dec.feed(PLAIN[kind] + frame({"error": {"code": "x"}}) + b"\xff\xfe") == []
    assert dec.end() == []
    assert dec.feed(b"data: more\n\n") == []


# --------------------------------------------------------------------------------------
# §3.3 step 2: not JSON, or not an object
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize(
    "data", ["not json", "{broken", "[1,2]", '"a string"', "3", "null", "true", "", " {} x"]
)
def test_non_json_and_non_objects_are_skipped_and_logged(
    kind: StreamKind, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="meshapi"):
        items, error, done = run(
            kind, whole(f"data: {data}\n\n".encode() + PLAIN[kind] + CLEAN_END[kind])
        )
    assert error is None
    assert done
    assert len(items) == (2 if kind is StreamKind.COMPARE else 1)
    assert any(
        record.name == "meshapi" and record.levelno == logging.DEBUG for record in caplog.records
    )


# --------------------------------------------------------------------------------------
# §3.3 step 3 / §3.5: error frames
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_example_error_frame_raises_on_every_stream(kind: StreamKind) -> None:
    error = raised(kind, ERROR_FRAME)
    assert isinstance(error, InternalServerError)  # gateway_timeout's class (§8.3)
    assert error.status == 0
    assert error.error_code == "gateway_timeout"
    assert str(error) == "Upstream provider did not respond in time."
    assert error.provider_error == {"provider": "openai", "status": 504, "message": "timeout"}
    assert error.request_id == "req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"  # the frame's, over the header's
    assert error.details == []
    assert error.retry_after_seconds is None


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_object_error_without_event_name(kind: StreamKind) -> None:
    body = frame(
        {
            "error": {
                "code": "rate_limit_exceeded",
                "message": "slow down",
                "details": [{"loc": ["x"]}],
                "retry_after_seconds": 12,
                "param": "model",
            }
        }
    )
    error = raised(kind, body)
    assert isinstance(error, RateLimitError)
    assert (error.error_code, str(error), error.status) == ("rate_limit_exceeded", "slow down", 0)
    assert error.details == [{"loc": ["x"]}]
    assert error.retry_after_seconds == 12
    assert error.param == "model"
    assert error.request_id == HEADER_ID  # no request_id in the frame: the header's


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_b_event_error_reads_the_top_level(kind: StreamKind) -> None:
    error = raised(kind, frame({"code": "internal_error", "message": "boom"}, "error"))
    assert (error.error_code, str(error), error.status) == ("internal_error", "boom", 0)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_b_event_error_reads_an_object_error(kind: StreamKind) -> None:
    body = frame({"code": "ignored", "error": {"code": "forbidden", "message": "no"}}, "error")
    error = raised(kind, body)
    assert (error.error_code, str(error)) == ("forbidden", "no")


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("payload", [{}, {"anything": 1}, {"error": None}])
def test_b_event_error_with_nothing_useful_still_raises_with_defaults(
    kind: StreamKind, payload: dict[str, Any]
) -> None:
    error = raised(kind, frame(payload, "error"))
    assert (error.error_code, str(error), error.status) == ("upstream_error", "upstream error", 0)
    assert isinstance(error, InternalServerError)


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("data", ["not json", "[1]"])
def test_b_event_error_that_is_not_an_object_is_skipped_first(kind: StreamKind, data: str) -> None:
    # §3.3 order: step 2 (skip what is not a JSON object) comes before step 3. The
    # gateway closes the stream after an error frame, so the end is still an error.
    error = raised(kind, frame(data, "error"))
    assert isinstance(error, StreamInterruptedError)


@pytest.mark.parametrize("kind", [StreamKind.CHAT, StreamKind.RESPONSES, StreamKind.IMAGE])
def test_c_string_error_is_fatal_on_chat_responses_images(kind: StreamKind) -> None:
    error = raised(kind, frame({"error": "provider exploded", "code": "ignored"}))
    assert (error.error_code, str(error), error.status) == (
        "upstream_error",
        "provider exploded",
        0,
    )


def test_c_string_error_is_data_on_compare() -> None:
    body = frame(
        {"model": "m", "error": "timed out", "error_code": "gateway_timeout"}, "model_stream_done"
    )
    items, error, done = run(StreamKind.COMPARE, whole(body + CLEAN_END[StreamKind.COMPARE]))
    assert (error, done) == (None, True)
    assert (items[0].error, items[0].error_code) == ("timed out", "gateway_timeout")


def test_c_string_error_with_event_error_is_fatal_even_on_compare() -> None:
    error = raised(StreamKind.COMPARE, frame({"error": "boom"}, "error"))
    assert (error.error_code, str(error)) == ("upstream_error", "boom")


def test_object_error_is_fatal_on_compare() -> None:
    error = raised(
        StreamKind.COMPARE, frame({"model": "m", "error": {"code": "not_found"}}, "model_chunk")
    )
    assert (error.error_code, str(error)) == ("not_found", "upstream error")


def test_d_type_error_is_fatal_on_responses() -> None:
    body = frame({"type": "error", "code": "invalid_request", "message": "bad", "param": "input"})
    error = raised(StreamKind.RESPONSES, body)
    assert (error.error_code, str(error), error.param, error.status) == (
        "invalid_request",
        "bad",
        "input",
        0,
    )


@pytest.mark.parametrize("kind", [StreamKind.COMPARE, StreamKind.IMAGE])
def test_d_type_error_is_not_a_frame_elsewhere(kind: StreamKind) -> None:
    extra = {"created": 1} if kind is StreamKind.IMAGE else {"event": "model_chunk"}
    items, error, _ = run(kind, whole(frame({"type": "error", **extra}) + CLEAN_END[kind]))
    assert error is None
    assert items[0].type == "error"


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("error_value", [None, 3, [1], True])
def test_error_of_other_types_is_not_a_frame(kind: StreamKind, error_value: object) -> None:
    payloads = {
        StreamKind.CHAT: chat_chunk(),
        StreamKind.RESPONSES: {"type": "response.created"},
        StreamKind.COMPARE: {"model": "m"},
        StreamKind.IMAGE: {"created": 1},
    }
    body = frame({**payloads[kind], "error": error_value}) + CLEAN_END[kind]
    items, error, _ = run(kind, whole(body))
    if kind is StreamKind.COMPARE and error_value is not None:
        # CompareStreamEvent types `error` as a string: another type fails validation.
        assert isinstance(error, ResponseParseError)
        return
    assert error is None
    assert len(items) >= 1


def test_error_frame_defaults() -> None:
    error = raised(StreamKind.CHAT, frame({"error": {"code": "", "message": ""}}))
    assert (error.error_code, str(error)) == ("upstream_error", "upstream error")
    assert isinstance(error, InternalServerError)
    error = raised(
        StreamKind.CHAT,
        frame(
            {
                "error": {
                    "code": 5,
                    "message": 7,
                    "details": "x",
                    "provider_error": "y",
                    "retry_after_seconds": -1,
                    "param": 3,
                }
            }
        ),
    )
    assert (error.error_code, str(error), error.details, error.provider_error) == (
        "upstream_error",
        "upstream error",
        [],
        None,
    )
    assert (error.retry_after_seconds, error.param) == (None, None)
    error = raised(StreamKind.CHAT, frame({"error": {"retry_after_seconds": True}}))
    assert error.retry_after_seconds is None


def test_error_frame_request_id_precedence() -> None:
    body_with_id = frame({"error": {"code": "x"}, "request_id": "req_frame"})
    body_empty_id = frame({"error": {"code": "x"}, "request_id": ""})
    assert raised(StreamKind.CHAT, body_with_id).request_id == "req_frame"
    assert raised(StreamKind.CHAT, body_empty_id).request_id == HEADER_ID
    assert raised(StreamKind.CHAT, body_empty_id, request_id=None).request_id == ""


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_items_before_an_error_frame_stay_delivered(kind: StreamKind) -> None:
    dec = decoder(kind)
    items = dec.feed(PLAIN[kind] + PLAIN[kind] + ERROR_FRAME + PLAIN[kind])
    assert len(items) == 2  # delivered; the error comes with the next call
    assert dec.error_pending
    with pytest.raises(InternalServerError) as info:
        dec.feed(b"")
    assert info.value.error_code == "gateway_timeout"
    with pytest.raises(DecoderStateError):
        dec.feed(PLAIN[kind])


def test_pending_error_is_raised_by_end() -> None:
    dec = decoder(StreamKind.CHAT)
    assert len(dec.feed(PLAIN[StreamKind.CHAT] + ERROR_FRAME)) == 1
    with pytest.raises(InternalServerError):
        dec.end()


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_error_frame_first_raises_on_first_read(kind: StreamKind) -> None:
    dec = decoder(kind)
    assert not dec.error_pending
    with pytest.raises(MeshAPIError) as info:
        dec.feed(ERROR_FRAME + PLAIN[kind])
    assert info.value.error_code == "gateway_timeout"


# --------------------------------------------------------------------------------------
# §3.3 step 4: Responses frames on a chat stream
# --------------------------------------------------------------------------------------


def test_chat_skips_responses_frames() -> None:
    body = frame({"type": "response.output_text.delta", "delta": "x"}, "response.output_text.delta")
    items, error, done = run(StreamKind.CHAT, whole(body + PLAIN[StreamKind.CHAT] + body + DONE))
    assert (len(items), error, done) == (1, None, True)


def test_a_pure_responses_stream_yields_no_chat_chunks() -> None:
    items, error, done = run(StreamKind.CHAT, whole(RESPONSES_STREAM))
    assert (items, error, done) == ([], None, True)


def test_chat_type_that_is_not_a_responses_frame_is_validated() -> None:
    items, error, _ = run(StreamKind.CHAT, whole(frame(chat_chunk(type="responsefoo")) + DONE))
    assert error is None
    assert items[0].type == "responsefoo"


# --------------------------------------------------------------------------------------
# §3.3 step 5: validation and the event name
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        (StreamKind.CHAT, {"id": "x"}),  # no choices
        (StreamKind.CHAT, chat_chunk(created="yesterday")),
        (StreamKind.RESPONSES, {"type": 5}),
        (StreamKind.COMPARE, {"latency_ms": "slow"}),
        (StreamKind.IMAGE, {"status": "processing"}),  # no created
    ],
)
def test_validation_failure_is_parse_error(kind: StreamKind, payload: object) -> None:
    error = raised(kind, frame(payload))
    assert isinstance(error, ResponseParseError)
    assert (error.error_code, error.status, error.request_id) == ("parse_error", 0, HEADER_ID)
    assert MODELS[kind].__name__ in str(error)
    assert isinstance(error.__cause__, Exception)


def test_sse_event_name_wins_over_payload_event_key() -> None:
    body = (
        frame({"event": "other", "comparison_id": "cmp_1"}, "meta") + CLEAN_END[StreamKind.COMPARE]
    )
    items, error, _ = run(StreamKind.COMPARE, whole(body))
    assert error is None
    assert items[0].event == "meta"


def test_payload_event_key_kept_without_sse_name() -> None:
    body = frame({"event": "model_chunk", "model": "m", "delta": "x"})
    items, _, _ = run(StreamKind.COMPARE, whole(body))
    assert items[0].event == "model_chunk"


def test_payload_event_done_without_sse_name_ends_compare() -> None:
    items, error, done = run(StreamKind.COMPARE, whole(frame({"event": "done"})))
    assert (len(items), error, done) == (1, None, True)


def test_event_name_is_set_on_the_slow_path_too() -> None:
    # "error" inside a string value forces the slow path; the name must still win.
    body = frame(
        {"event": "x", "model": "m", "delta": 'an "error" here', "error": None}, "model_chunk"
    )
    items, _, _ = run(StreamKind.COMPARE, whole(body))
    assert items[0].event == "model_chunk"


def test_items_carry_request_id_set_after_construction() -> None:
    dec = StreamDecoder(StreamKind.CHAT, ChatCompletionChunk)
    assert dec.request_id is None
    dec.request_id = "req_late"  # the driver learns it when the headers arrive
    [item] = dec.feed(PLAIN[StreamKind.CHAT])
    assert item._request_id == "req_late"


# --------------------------------------------------------------------------------------
# JSON escapes cannot smuggle a frame past the fast path
# --------------------------------------------------------------------------------------


def test_escaped_error_key_is_still_an_error_frame() -> None:
    error = raised(StreamKind.CHAT, b'data: {"\\u0065rror":{"code":"x_code","message":"m"}}\n\n')
    assert (error.error_code, str(error)) == ("x_code", "m")


def test_escaped_responses_type_is_still_skipped_on_chat() -> None:
    body = b'data: {"type":"respons\\u0065.created","choices":[]}\n\n' + DONE
    assert run(StreamKind.CHAT, whole(body))[0] == []


def test_escaped_type_error_is_still_fatal_on_responses() -> None:
    error = raised(StreamKind.RESPONSES, b'data: {"\\u0074ype":"\\u0065rror","code":"c"}\n\n')
    assert error.error_code == "c"


def test_non_ascii_escapes_and_raw_utf8_take_the_fast_path_correctly() -> None:
    body = (
        frame(json.dumps(chat_chunk("é\u2028😀")))
        + frame(json.dumps(chat_chunk("é\u2028😀"), ensure_ascii=False))
        + DONE
    )
    items, error, _ = run(StreamKind.CHAT, whole(body))
    assert error is None
    assert [item.choices[0].delta.content for item in items] == ["é\u2028😀"] * 2


# --------------------------------------------------------------------------------------
# §3.4: how each stream must end
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("request_id", [HEADER_ID, None])
def test_eof_without_clean_end_is_stream_interrupted(
    kind: StreamKind, request_id: str | None
) -> None:
    error = raised(kind, PLAIN[kind], request_id)
    assert isinstance(error, StreamInterruptedError)
    assert (error.error_code, error.status, error.request_id) == (
        "stream_interrupted",
        0,
        request_id or "",
    )


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_empty_body_is_stream_interrupted(kind: StreamKind) -> None:
    assert isinstance(raised(kind, b""), StreamInterruptedError)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_truncated_final_event_is_stream_interrupted(kind: StreamKind) -> None:
    # The clean end without its blank line is discarded (§3.2), so it never happened.
    body = PLAIN[kind] + CLEAN_END[kind][:-1]
    assert isinstance(raised(kind, body), StreamInterruptedError)


def test_chat_needs_done_even_after_the_usage_chunk() -> None:
    body = CHAT_TOOL_CALL_STREAM.replace(DONE, b"")
    assert isinstance(raised(StreamKind.CHAT, body), StreamInterruptedError)


@pytest.mark.parametrize(
    "terminal", ["response.completed", "response.failed", "response.incomplete"]
)
def test_responses_eof_after_terminal_event_is_clean(terminal: str) -> None:
    body = PLAIN[StreamKind.RESPONSES] + frame({"type": terminal, "response": {}}, terminal)
    items, error, done = run(StreamKind.RESPONSES, whole(body))
    assert (len(items), error, done) == (2, None, True)


def test_responses_example_without_done_is_clean() -> None:
    items, error, done = run(StreamKind.RESPONSES, whole(RESPONSES_STREAM.replace(DONE, b"")))
    assert (len(items), error, done) == (6, None, True)


def test_responses_eof_after_other_events_is_interrupted() -> None:
    body = frame({"type": "response.created", "response": {}}, "response.created")
    assert isinstance(raised(StreamKind.RESPONSES, body), StreamInterruptedError)


def test_compare_without_done_event_is_interrupted() -> None:
    body = COMPARE_SKIP_STREAM[: COMPARE_SKIP_STREAM.index(b"event: done")]
    items, error, done = run(StreamKind.COMPARE, whole(body))
    assert len(items) == 6
    assert isinstance(error, StreamInterruptedError)
    assert not done


def test_compare_tolerates_done_marker() -> None:
    # A [DONE] neither ends a compare stream nor breaks it: `done` is the end (§3.4).
    body = DONE + COMPARE_SKIP_STREAM + DONE
    items, error, done = run(StreamKind.COMPARE, whole(body))
    assert (len(items), error, done) == (7, None, True)
    assert isinstance(
        raised(StreamKind.COMPARE, PLAIN[StreamKind.COMPARE] + DONE), StreamInterruptedError
    )


def test_compare_ignores_bytes_after_done_event() -> None:
    dec = decoder(StreamKind.COMPARE)
    items = dec.feed(COMPARE_SKIP_STREAM + ERROR_FRAME)
    assert len(items) == 7
    assert dec.done
    assert dec.end() == []


def test_image_eof_after_image_is_clean() -> None:
    items, error, done = run(StreamKind.IMAGE, whole(IMAGE_STREAM.replace(DONE, b"")))
    assert (len(items), error, done) == (3, None, True)


def test_image_eof_after_keepalives_only_is_interrupted() -> None:
    body = PLAIN[StreamKind.IMAGE] * 3
    assert isinstance(raised(StreamKind.IMAGE, body), StreamInterruptedError)


# --------------------------------------------------------------------------------------
# Usage and SSE-level errors
# --------------------------------------------------------------------------------------


def test_feed_after_end_is_a_usage_error() -> None:
    dec = decoder(StreamKind.CHAT)
    with pytest.raises(StreamInterruptedError):
        dec.end()
    with pytest.raises(DecoderStateError):
        dec.feed(DONE)
    with pytest.raises(DecoderStateError):
        dec.end()


def test_oversized_event_is_a_remote_protocol_error_with_the_request_id() -> None:
    dec = StreamDecoder(StreamKind.CHAT, ChatCompletionChunk, request_id="req_x", max_event_size=64)
    with pytest.raises(RemoteProtocolError) as info:
        dec.feed(b"data: " + b"x" * 100)
    assert (info.value.error_code, info.value.status, info.value.request_id) == (
        "parse_error",
        0,
        "req_x",
    )
    with pytest.raises(DecoderStateError):
        dec.feed(DONE)


def test_oversized_event_after_items_is_raised_next() -> None:
    dec = StreamDecoder(
        StreamKind.CHAT, ChatCompletionChunk, request_id="req_x", max_event_size=300
    )
    assert len(dec.feed(PLAIN[StreamKind.CHAT] + b"data: " + b"x" * 400)) == 1
    with pytest.raises(RemoteProtocolError) as info:
        dec.end()
    assert info.value.request_id == "req_x"


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
# Keys and values that steer §3.3: error frames, Responses frames, [DONE], event names.
_KEYS = st.sampled_from(
    [
        "error",
        "type",
        "code",
        "message",
        "request_id",
        "choices",
        "created",
        "model",
        "delta",
        "event",
        "data",
        "status",
        "id",
        "results",
        "usage",
        "content",
    ]
)
_VALUES = st.one_of(
    _JSON,
    st.sampled_from(
        [
            "response.created",
            "response.completed",
            "error",
            "done",
            "processing",
            [],
            {},
            {"code": "c", "message": "m"},
            [{"index": 0, "delta": {"content": "x"}}],
            [{"b64_json": "AAAA"}],
            1767225600,
        ]
    ),
)
_OBJECTS = st.dictionaries(_KEYS, _VALUES, max_size=5)


def _escape_ascii_letters(text: str, flags: list[bool]) -> str:
    """Spell some ASCII letters as \\u00XX escapes (still the same JSON)."""
    out = []
    in_string = False
    escaped = False
    for i, char in enumerate(text):
        if (
            in_string
            and not escaped
            and char.isascii()
            and char.isalpha()
            and flags[i % len(flags)]
        ):
            out.append(f"\\u{ord(char):04x}")
            continue
        if char == '"' and not escaped:
            in_string = not in_string
        escaped = char == "\\" and not escaped
        out.append(char)
    return "".join(out)


@st.composite
def _payloads(draw: st.DrawFn) -> str:
    obj = draw(st.one_of(_OBJECTS, _JSON))
    text = json.dumps(obj, ensure_ascii=draw(st.booleans()), separators=(",", ":"))
    if draw(st.booleans()):
        text = _escape_ascii_letters(text, draw(st.lists(st.booleans(), min_size=1, max_size=8)))
    return text


_EVENT_NAMES = st.sampled_from(
    [None, "error", "done", "meta", "model_chunk", "message", "response.completed"]
)


@st.composite
def _event_frames(draw: st.DrawFn) -> bytes:
    name = draw(_EVENT_NAMES)
    text = draw(st.one_of(_payloads(), st.sampled_from(["[DONE]", " [DONE] ", "x", ""])))
    return frame(text, name) if text else b"data:\n\n"


_BODIES = st.one_of(
    st.binary(max_size=120),
    st.lists(st.one_of(_event_frames(), st.binary(max_size=6)), max_size=6).map(b"".join),
)


@pytest.mark.parametrize("kind", ALL_KINDS)
@settings(max_examples=2000)
@given(body=_BODIES)
def test_arbitrary_bytes_give_items_or_a_meshapi_error(kind: StreamKind, body: bytes) -> None:
    # run() lets anything but MeshAPIError escape, so any other exception fails here.
    expected = normal(run(kind, whole(body)))
    assert normal(run(kind, bytewise(body))) == expected


@pytest.mark.parametrize("kind", ALL_KINDS)
@given(name=_EVENT_NAMES, text=_payloads())
def test_fast_path_gives_the_same_result_as_the_reference_reading(
    kind: StreamKind, name: str | None, text: str
) -> None:
    # The slow path is the literal reading of §3.3; feed() may take the fast path.
    via_feed = run(kind, [frame(text, name)])
    reference = decoder(kind)
    items: list[Any] = []
    error: MeshAPIError | None = None
    try:
        item = reference._decode_slowly(name or "message", text)
        if item is not None:
            item._request_id = HEADER_ID
            items.append(item)
    except MeshAPIError as exc:
        error = exc
    got_items, got_error, _ = via_feed
    assert [i.model_dump() for i in got_items] == [i.model_dump() for i in items]
    if error is None:
        assert got_error is None or isinstance(got_error, StreamInterruptedError) or reference.done
    else:
        assert got_error is not None
        assert (type(got_error), got_error.error_code, str(got_error), got_error.request_id) == (
            type(error),
            error.error_code,
            str(error),
            error.request_id,
        )
