"""How every stream kind ends: cleanly, with an error frame, interrupted, or timed out.

Each failure is a MeshAPIError subclass (never a transport's exception), raised after
the items that arrived before it were delivered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from meshapi import (
    APITimeoutError,
    ChatCompletionChunk,
    MeshAPIError,
    ResponseParseError,
    StreamInterruptedError,
    Timeout,
)
from meshapi.testing import (
    KeepAliveComments,
    MeshAPIGateway,
    MidStreamError,
    OmitDone,
    RawBytes,
    ResetAfterChunks,
    StallBeforeHeaders,
    StallBetweenChunks,
    TinyPieces,
)

from ._harness import user

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-4o-mini"
OTHER_MODEL = "anthropic/claude-haiku-4.5"
CHAT = "/v1/chat/completions"

OpenStream = Callable[..., Any]

# Every stream kind: the path it posts to and how to open it (extra kwargs: options).
STREAM_KINDS: dict[str, tuple[str, OpenStream]] = {
    "chat": (
        CHAT,
        lambda c, **kw: c.chat.completions.stream(
            model=MODEL, messages=user("one two three four"), **kw
        ),
    ),
    "responses": (
        "/v1/responses",
        lambda c, **kw: c.responses.stream(model=MODEL, input="one two three four", **kw),
    ),
    "compare": (
        "/v1/chat/compare",
        lambda c, **kw: c.compare.stream(
            models=[MODEL, OTHER_MODEL], messages=user("one two"), skip_comparison=True, **kw
        ),
    ),
    "images": (
        "/v1/images/generations",
        lambda c, **kw: c.images.stream(model="openai/gpt-image-1", prompt="a dot", **kw),
    ),
}
each_kind = pytest.mark.parametrize("kind", list(STREAM_KINDS))


async def read_until_error(stream: Any) -> tuple[list[Any], Exception | None]:
    """Every item the stream delivers, and the exception that ended it (or None)."""
    items: list[Any] = []
    try:
        async with stream:
            async for item in stream:
                items.append(item)
    except Exception as exc:
        return items, exc
    return items, None


def chat_chunk_frame(content: str) -> bytes:
    chunk = {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


# ----------------------------------------------------------------------------- clean ends


@each_kind
async def test_every_stream_kind_reads_to_its_clean_end(client: Any, kind: str) -> None:
    _, open_stream = STREAM_KINDS[kind]

    items, error = await read_until_error(open_stream(client))

    assert error is None
    assert items


@each_kind
async def test_output_does_not_depend_on_how_the_bytes_are_split(
    client: Any, gw: MeshAPIGateway, kind: str
) -> None:
    path, open_stream = STREAM_KINDS[kind]
    whole, _ = await read_until_error(open_stream(client))
    gw.add_fault((TinyPieces(size=7), KeepAliveComments(count=2)), path=path)

    pieces, error = await read_until_error(open_stream(client))

    assert error is None
    strip = {
        "id",
        "created",
        "comparison_id",
        "sequence_number",
        "response",
        "latency_ms",
        "total_latency_ms",
        "item_id",
        "item",
        "request_id",
        "usage",
    }
    assert [item.model_dump(exclude=strip) for item in pieces] == [
        item.model_dump(exclude=strip) for item in whole
    ]


async def test_bytes_after_done_are_ignored(client: Any, gw: MeshAPIGateway) -> None:
    body = [chat_chunk_frame("Hi"), b"data: [DONE]\n\n", b"data: {broken\n\n"]
    gw.add_fault(RawBytes(body), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert error is None
    assert [i.choices[0].delta.content for i in items] == ["Hi"]


async def test_a_non_json_event_is_skipped_and_the_stream_goes_on(
    client: Any, gw: MeshAPIGateway
) -> None:
    body = [
        b"data: not json\n\n",
        chat_chunk_frame("Hi"),
        b"data: [1, 2]\n\n",
        chat_chunk_frame("!"),
        b"data: [DONE]\n\n",
    ]
    gw.add_fault(RawBytes(body), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert error is None
    assert all(isinstance(i, ChatCompletionChunk) for i in items)
    assert "".join(i.choices[0].delta.content for i in items) == "Hi!"


async def test_an_item_that_does_not_validate_is_a_parse_error(
    client: Any, gw: MeshAPIGateway
) -> None:
    body = [
        chat_chunk_frame("Hi"),
        b'data: {"object": "chat.completion.chunk"}\n\n',
        b"data: [DONE]\n\n",
    ]
    gw.add_fault(RawBytes(body), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert len(items) == 1
    assert isinstance(error, ResponseParseError)
    assert (error.status, error.error_code) == (0, "parse_error")


async def test_a_2xx_answer_that_is_not_an_event_stream_is_a_parse_error(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(RawBytes(b'{"ok": true}', content_type="application/json"), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert items == []
    assert isinstance(error, ResponseParseError)
    assert (error.status, error.error_code) == (200, "parse_error")


async def test_a_2xx_answer_holding_an_error_envelope_is_that_error(
    client: Any, gw: MeshAPIGateway
) -> None:
    envelope = {"error": {"code": "upstream_error", "message": "provider said no"}}
    gw.add_fault(
        RawBytes(json.dumps(envelope).encode(), content_type="application/json"), path=CHAT
    )

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert items == []
    assert isinstance(error, MeshAPIError)
    assert (error.status, error.error_code) == (200, "upstream_error")
    assert "provider said no" in str(error)


async def test_responses_api_frames_inside_a_chat_stream_are_skipped(
    client: Any, gw: MeshAPIGateway
) -> None:
    body = [
        b'data: {"type": "response.output_text.delta", "delta": "x"}\n\n',
        chat_chunk_frame("Hi"),
        b"data: [DONE]\n\n",
    ]
    gw.add_fault(RawBytes(body), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert error is None
    assert [i.choices[0].delta.content for i in items] == ["Hi"]


async def test_a_leading_bom_crlf_lines_and_invalid_utf8_are_decoded_per_the_spec(
    client: Any, gw: MeshAPIGateway
) -> None:
    frame = chat_chunk_frame("caf\u00e9").replace(b"\n\n", b"\r\n\r\n")
    broken = chat_chunk_frame("X").replace(b'"X"', b'"\xff"')
    body = [b"\xef\xbb\xbf" + frame[:30], frame[30:], broken, b"data: [DONE]\r\n\r\n"]
    gw.add_fault(RawBytes(body), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert error is None
    assert [i.choices[0].delta.content for i in items] == ["caf\u00e9", "\ufffd"]


async def test_a_data_line_of_over_16_mib_is_accepted(client: Any, gw: MeshAPIGateway) -> None:
    big = "x" * (16 * 1024 * 1024)  # §3.1: lines of at least 16 MiB (base64 images)
    gw.add_fault(RawBytes([chat_chunk_frame(big), b"data: [DONE]\n\n"]), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert error is None
    assert len(items[0].choices[0].delta.content) == len(big)


# ---------------------------------------------------------------------------- error frames


@each_kind
async def test_a_mid_stream_error_frame_raises_after_the_earlier_items(
    client: Any, gw: MeshAPIGateway, kind: str
) -> None:
    path, open_stream = STREAM_KINDS[kind]
    provider_error = {"provider": "openai", "status": 504, "message": "timeout"}
    gw.add_fault(MidStreamError(after=1, provider_error=provider_error), path=path)
    stream = open_stream(client)

    items, error = await read_until_error(stream)

    assert len(items) == 1
    assert isinstance(error, MeshAPIError)
    assert (error.status, error.error_code) == (0, "gateway_timeout")
    assert "did not respond in time" in str(error)
    assert error.provider_error == provider_error
    assert error.request_id == stream.request_id == gw.last_request(path=path).request_id


async def test_an_error_frame_first_raises_on_the_first_read(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(MidStreamError(after=0, code="upstream_error"), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert items == []
    assert isinstance(error, MeshAPIError) and error.error_code == "upstream_error"


async def test_a_string_error_frame_is_an_upstream_error(client: Any, gw: MeshAPIGateway) -> None:
    gw.add_fault(
        MidStreamError(after=2, event=None, frame={"error": "provider exploded"}), path=CHAT
    )

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert len(items) == 2
    assert isinstance(error, MeshAPIError)
    assert (error.error_code, str(error)) == ("upstream_error", "provider exploded")


# -------------------------------------------------------------------------- interruptions


@pytest.mark.parametrize(
    ("kind", "interrupted"),
    [("chat", True), ("compare", True), ("responses", False), ("images", False)],
)
async def test_a_missing_done_is_an_interruption_unless_the_kind_ended_anyway(
    client: Any, gw: MeshAPIGateway, kind: str, interrupted: bool
) -> None:
    # Responses end cleanly at EOF after response.completed, images after a chunk with
    # data (§3.4); chat needs [DONE] and compare its `done` event.
    path, open_stream = STREAM_KINDS[kind]
    gw.add_fault(OmitDone(), path=path)
    stream = open_stream(client)

    items, error = await read_until_error(stream)

    assert items
    if interrupted:
        assert isinstance(error, StreamInterruptedError)
        assert (error.status, error.error_code) == (0, "stream_interrupted")
        assert error.request_id == stream.request_id
    else:
        assert error is None


@each_kind
@pytest.mark.parametrize("graceful", [False, True], ids=["rst", "fin"])
async def test_a_connection_lost_mid_stream_is_an_interruption_with_the_request_id(
    client: Any, gw: MeshAPIGateway, kind: str, graceful: bool
) -> None:
    path, open_stream = STREAM_KINDS[kind]
    gw.add_fault(ResetAfterChunks(2, graceful=graceful), path=path)
    stream = open_stream(client)

    items, error = await read_until_error(stream)

    assert len(items) == 2
    assert isinstance(error, StreamInterruptedError)
    assert type(error).__module__.startswith("meshapi")
    assert (error.status, error.error_code) == (0, "stream_interrupted")
    assert stream.request_id is not None
    assert error.request_id == stream.request_id
    if not graceful:
        assert error.__cause__ is not None


# ------------------------------------------------------------------------------- timeouts


@pytest.mark.parametrize("kind", ["chat", "compare"])
async def test_the_idle_timeout_bounds_the_gap_between_chunks(
    make_client: Any, gw: MeshAPIGateway, kind: str
) -> None:
    path, open_stream = STREAM_KINDS[kind]
    client = make_client(timeout=Timeout(read=5, stream_idle=0.2))
    gw.add_fault(StallBetweenChunks(seconds=1.5, after=2), path=path)
    stream = open_stream(client)

    items, error = await read_until_error(stream)

    assert len(items) == 2
    assert isinstance(error, APITimeoutError)
    assert (error.status, error.error_code) == (0, "timeout")
    assert "idle" in str(error)
    assert len(gw.find_requests(path=path)) == 1  # never retried


async def test_a_per_call_idle_timeout_overrides_the_clients(
    client: Any, gw: MeshAPIGateway
) -> None:
    gw.add_fault(StallBetweenChunks(seconds=1.5, after=1), path=CHAT)

    items, error = await read_until_error(
        STREAM_KINDS["chat"][1](client, timeout=Timeout(stream_idle=0.2))
    )

    assert len(items) == 1
    assert isinstance(error, APITimeoutError) and "idle" in str(error)


async def test_the_read_timeout_bounds_the_time_to_response_headers(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(timeout=Timeout(read=0.2))
    gw.add_fault(StallBeforeHeaders(1.5), path=CHAT)
    stream = STREAM_KINDS["chat"][1](client)

    items, error = await read_until_error(stream)

    assert items == []
    assert isinstance(error, APITimeoutError)
    assert (error.status, error.error_code) == (0, "timeout")
    assert "waiting for or reading the response" in str(error)
    assert len(gw.find_requests(path=CHAT)) == 1


async def test_a_healthy_stream_may_outlast_the_read_timeout(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    # Nine events 50 ms apart take longer than `read`; each gap is well inside it.
    client = make_client(timeout=Timeout(read=0.3))
    gw.add_fault(StallBetweenChunks(seconds=0.05, after=1), path=CHAT)

    items, error = await read_until_error(STREAM_KINDS["chat"][1](client))

    assert error is None
    assert len(items) == 9


async def test_a_non_streaming_call_times_out_waiting_for_headers(
    make_client: Any, gw: MeshAPIGateway
) -> None:
    client = make_client(timeout=0.2)
    gw.add_fault(StallBeforeHeaders(1.5), path=CHAT)

    with pytest.raises(APITimeoutError) as caught:
        await client.chat.completions.create(model=MODEL, messages=user("hi"))

    assert (caught.value.status, caught.value.error_code) == (0, "timeout")
    assert caught.value.__cause__ is not None


# ------------------------------------------------------------------------------ lifecycle


async def test_closing_a_stream_that_never_started_sends_nothing(
    client: Any, gw: MeshAPIGateway
) -> None:
    stream = STREAM_KINDS["chat"][1](client)

    await stream.aclose()
    await stream.aclose()  # idempotent

    assert stream.request_id is None
    assert gw.requests == []


async def test_a_stream_goes_out_lazily_on_entry(client: Any, gw: MeshAPIGateway) -> None:
    stream = STREAM_KINDS["chat"][1](client)
    assert gw.requests == []

    async with stream:
        assert len(gw.requests) == 1
        assert stream.request_id == gw.requests[0].request_id
    await stream.aclose()  # after the block: still harmless
