"""SSEDecoder: the WHATWG event-stream rules of protocol.md §3.2, fed three ways.

Every golden case is fed whole, one byte at a time and in random pieces, and must give
the same events each way (style.md habits 8 and 9). Hypothesis then checks that output
never depends on chunking and that arbitrary bytes give events or a `MeshAPIError`,
never any other exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshapi_core._errors import MeshAPIError, RemoteProtocolError
from meshapi_core.sse import (
    DEFAULT_MAX_EVENT_SIZE,
    DecoderStateError,
    ServerSentEvent,
    SSEDecoder,
)


def ev(
    data: str, event: str = "message", id: str | None = None, retry: int | None = None
) -> ServerSentEvent:
    return ServerSentEvent(event=event, data=data, id=id, retry=retry)


Outcome = tuple[list[ServerSentEvent], type[BaseException] | None]


def run(pieces: Iterable[bytes], max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> Outcome:
    """Feed the pieces, then end(); the events, and the class of the error that stopped it."""
    decoder = SSEDecoder(max_event_size)
    events: list[ServerSentEvent] = []
    try:
        for piece in pieces:
            events.extend(decoder.feed(piece))
        events.extend(decoder.end())
    except MeshAPIError as exc:
        return events, type(exc)
    return events, None


def whole(body: bytes) -> list[bytes]:
    return [body]


def bytewise(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


def split_at(body: bytes, cuts: Sequence[int]) -> list[bytes]:
    points = [0, *sorted(set(cuts)), len(body)]
    return [body[a:b] for a, b in pairwise(points)]


@st.composite
def chunkings(draw: st.DrawFn, body: bytes) -> list[bytes]:
    cuts = draw(st.lists(st.integers(0, len(body)), max_size=max(1, len(body))))
    return split_at(body, cuts)


# --------------------------------------------------------------------------------------
# Golden cases: (name, body, events). Each is checked whole, byte by byte, in pieces.
# --------------------------------------------------------------------------------------

GOLDEN: list[tuple[str, bytes, list[ServerSentEvent]]] = [
    ("gateway form", b'data: {"a":1}\n\n', [ev('{"a":1}')]),
    ("two events", b"data: a\n\ndata: b\n\n", [ev("a"), ev("b")]),
    ("bom stripped once", b"\xef\xbb\xbfdata: x\n\n", [ev("x")]),
    # A second BOM is data: it becomes part of the field name, an unknown field.
    ("second bom is data", b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n", [ev("y")]),
    ("bom inside data kept", b"data: \xef\xbb\xbfx\n\n", [ev("\ufeffx")]),
    ("bom not at start kept", b"data: a\n\n\xef\xbb\xbfdata: b\n\ndata: c\n\n", [ev("a"), ev("c")]),
    ("lf", b"data: a\n\n", [ev("a")]),
    ("crlf", b"data: a\r\n\r\n", [ev("a")]),
    ("cr", b"data: a\r\r", [ev("a")]),
    ("mixed line ends", b"data: a\rdata: b\r\ndata: c\n\r\n", [ev("a\nb\nc")]),
    ("lf cr is two line ends", b"data: a\n\rdata: b\n\n", [ev("a"), ev("b")]),
    ("cr cr lf", b"data: a\r\r\ndata: b\n\n", [ev("a"), ev("b")]),
    ("comment", b": keep-alive\n\ndata: a\n: between\n\n", [ev("a")]),
    ("comment only stream", b": keep-alive\n\n: again\n\n", []),
    ("no colon data is empty data", b"data\n\n", [ev("")]),
    ("no colon event resets to message", b"event: x\nevent\ndata: a\n\n", [ev("a")]),
    ("no space after colon", b"data:x\n\n", [ev("x")]),
    ("only one space stripped", b"data:  x\n\n", [ev(" x")]),
    ("tab not stripped", b"data:\tx\n\n", [ev("\tx")]),
    ("colon in value kept", b"data: a:b: c\n\n", [ev("a:b: c")]),
    ("empty data line", b"data:\n\n", [ev("")]),
    ("multi-line data", b"data: a\ndata:\ndata: b\n\n", [ev("a\n\nb")]),
    ("event type", b"event: meta\ndata: a\n\n", [ev("a", event="meta")]),
    ("event last wins", b"event: a\nevent: b\ndata: x\n\n", [ev("x", event="b")]),
    ("event type resets", b"event: a\ndata: x\n\ndata: y\n\n", [ev("x", "a"), ev("y")]),
    ("empty event is message", b"event:\ndata: x\n\n", [ev("x")]),
    ("event names are case-sensitive", b"Event: a\nDATA: b\ndata: x\n\n", [ev("x")]),
    ("id persists", b"id: 1\ndata: a\n\ndata: b\n\n", [ev("a", id="1"), ev("b", id="1")]),
    ("id replaced", b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n", [ev("a", id="1"), ev("b", id="2")]),
    (
        "id with nul ignored",
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [ev("a", id="1"), ev("b", id="1")],
    ),
    ("empty id", b"id: 1\ndata: a\n\nid\ndata: b\n\n", [ev("a", id="1"), ev("b", id="")]),
    ("id without data not dispatched", b"id: 7\n\ndata: a\n\n", [ev("a", id="7")]),
    ("retry digits", b"retry: 1500\ndata: a\n\n", [ev("a", retry=1500)]),
    (
        "retry persists",
        b"retry: 10\ndata: a\n\ndata: b\n\n",
        [ev("a", retry=10), ev("b", retry=10)],
    ),
    (
        "retry not digits ignored",
        b"retry: 1.5\ndata: a\n\nretry: -1\ndata: b\n\n",
        [ev("a"), ev("b")],
    ),
    ("retry unicode digits ignored", "retry: ١٢\ndata: a\n\n".encode(), [ev("a")]),
    ("retry empty ignored", b"retry:\ndata: a\n\nretry\ndata: b\n\n", [ev("a"), ev("b")]),
    ("retry with space inside ignored", b"retry: 1 2\ndata: a\n\n", [ev("a")]),
    ("unknown field ignored", b"foo: bar\ndata: a\nfoo\n\n", [ev("a")]),
    ("empty data not dispatched", b"event: x\n\ndata: a\n\n", [ev("a")]),
    ("blank lines only", b"\n\n\r\n\r\r", []),
    ("trailing event without blank line discarded", b"data: a\n\ndata: b\n", [ev("a")]),
    ("trailing partial line discarded", b"data: a\n\ndata: b", [ev("a")]),
    ("invalid utf-8 replaced", b"data: a\xffb\xc3\n\n", [ev("a\ufffdb\ufffd")]),
    ("truncated sequence replaced", b"data: \xe2\x82\ndata: x\n\n", [ev("\ufffd\nx")]),
    ("multibyte", "data: é€😀\n\n".encode(), [ev("é€😀")]),
    (
        "u2028 u2029 u0085 are data",
        "data: a\u2028b\u2029c\u0085d\x0ce\n\n".encode(),
        [ev("a\u2028b\u2029c\u0085d\x0ce")],
    ),
    ("non-utf8 field name ignored", b"d\xffata: a\ndata: b\n\n", [ev("b")]),
    ("nul in data kept", b"data: a\x00b\n\n", [ev("a\x00b")]),
]


@pytest.mark.parametrize(("name", "body", "expected"), GOLDEN, ids=[case[0] for case in GOLDEN])
@pytest.mark.parametrize("chunker", [whole, bytewise], ids=["whole", "bytewise"])
def test_golden(
    name: str,
    body: bytes,
    expected: list[ServerSentEvent],
    chunker: Callable[[bytes], list[bytes]],
) -> None:
    assert run(chunker(body)) == (expected, None)


@pytest.mark.parametrize(("name", "body", "expected"), GOLDEN, ids=[case[0] for case in GOLDEN])
@given(data=st.data())
def test_golden_random_chunking(
    name: str, body: bytes, expected: list[ServerSentEvent], data: st.DataObject
) -> None:
    assert run(data.draw(chunkings(body))) == (expected, None)


def test_bom_split_across_feeds() -> None:
    assert run([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == ([ev("x")], None)
    assert run([b"\xef\xbb", b"\xbf", b"", b"data: x\n\n"]) == ([ev("x")], None)


def test_bom_prefix_that_is_not_a_bom_is_data() -> None:
    # EF BB then a non-BF byte: not a BOM, so the bytes start the first line.
    assert run([b"\xef", b"\xbbdata: x\n\ndata: y\n\n"]) == ([ev("y")], None)
    assert run([b"\xef\xbb"]) == ([], None)  # too short to decide, then the end


def test_cr_ending_one_read_and_lf_opening_the_next_are_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []  # the LF completes the CRLF; it is not a blank line
    assert decoder.feed(b"\r") == [ev("a")]
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [ev("b")]


def test_cr_then_empty_read_then_lf() -> None:
    assert run([b"data: a\r", b"", b"\n", b"\n"]) == ([ev("a")], None)


def test_line_is_dispatched_on_cr_without_waiting_for_the_next_read() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [ev("a")]


def test_multibyte_character_split_across_reads() -> None:
    body = "data: é€😀\n\n".encode()
    for cut in range(len(body) + 1):
        assert run([body[:cut], body[cut:]]) == ([ev("é€😀")], None)


def test_feed_accepts_bytearray_and_memoryview() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(bytearray(b"data: a\n")) == []
    assert decoder.feed(memoryview(b"\n")) == [ev("a")]  # type: ignore[arg-type]


def test_a_retry_too_long_for_an_int_is_ignored_not_a_crash() -> None:
    # Found by fuzz/fuzz_decoders.py: int() refuses more than 4300 digits (ValueError),
    # which escaped feed(). All digits, so WHATWG would record it; no delay is that long.
    body = b"retry: 7\n" + b"retry: " + b"1" * 5000 + b"\ndata: x\n\n"
    for pieces in (whole(body), bytewise(body)):
        assert run(pieces) == ([ev("x", retry=7)], None)


def test_events_are_frozen_values() -> None:
    event = ev("a")
    with pytest.raises(AttributeError):
        event.data = "b"  # type: ignore[misc]
    assert event == ServerSentEvent(data="a")


# --------------------------------------------------------------------------------------
# Usage errors
# --------------------------------------------------------------------------------------


def test_feed_after_end_is_a_usage_error() -> None:
    decoder = SSEDecoder()
    assert decoder.end() == []
    with pytest.raises(DecoderStateError):
        decoder.feed(b"data: a\n\n")
    with pytest.raises(DecoderStateError):
        decoder.end()


def test_usage_error_is_not_a_meshapi_error() -> None:
    assert not issubclass(DecoderStateError, MeshAPIError)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10"])
def test_max_event_size_must_be_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match="max_event_size"):
        SSEDecoder(bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# max_event_size
# --------------------------------------------------------------------------------------


def test_default_accepts_a_16_mib_line() -> None:
    payload = b"A" * (16 * 1024 * 1024)
    decoder = SSEDecoder()
    events = decoder.feed(b"data: " + payload + b"\n\n")
    assert len(events) == 1
    assert len(events[0].data) == len(payload)


def test_oversized_line_in_one_read_raises() -> None:
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(RemoteProtocolError, match="max_event_size") as info:
        decoder.feed(b"data: " + b"x" * 200 + b"\n\n")
    assert info.value.error_code == "parse_error"
    assert info.value.status == 0


def test_oversized_incomplete_line_raises_before_it_ends() -> None:
    decoder = SSEDecoder(max_event_size=100)
    assert decoder.feed(b"data: " + b"x" * 50) == []
    assert decoder.feed(b"x" * 44) == []  # 100 bytes pending: still within the limit
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"x")  # no line end yet: the buffer must not grow without bound


def test_oversized_event_of_many_data_lines_raises() -> None:
    decoder = SSEDecoder(max_event_size=100)
    assert decoder.feed(b"data: 0123456789\n" * 6) == []  # 96 bytes of data lines
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"data: 0123456789\n")


def test_oversized_comment_line_raises_however_it_is_chunked() -> None:
    body = b": " + b"c" * 200 + b"\n\n"
    assert run(whole(body), max_event_size=100) == ([], RemoteProtocolError)
    assert run(bytewise(body), max_event_size=100) == ([], RemoteProtocolError)


def test_size_limit_resets_per_event() -> None:
    body = b"data: 0123456789\n\n" * 100
    assert run(whole(body), max_event_size=20) == ([ev("0123456789")] * 100, None)


def test_events_before_an_oversized_one_are_returned_first() -> None:
    decoder = SSEDecoder(max_event_size=20)
    assert decoder.feed(b"data: a\n\ndata: " + b"x" * 50) == [ev("a")]
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"\n\n")
    with pytest.raises(DecoderStateError):  # a failed decoder refuses further use
        decoder.feed(b"data: b\n\n")


def test_pending_error_is_raised_by_end_too() -> None:
    decoder = SSEDecoder(max_event_size=20)
    assert decoder.feed(b"data: a\n\ndata: " + b"x" * 50) == [ev("a")]
    with pytest.raises(RemoteProtocolError):
        decoder.end()


# --------------------------------------------------------------------------------------
# Linear time
# --------------------------------------------------------------------------------------


def test_ten_megabyte_event_in_1_kib_reads_is_scanned_once() -> None:
    # A decoder that rescanned its buffer on every read would search ~n²/2k bytes
    # (5·10^10 here); this one searches each byte once. `_scanned` counts the bytes
    # handed to the line-end search, so this is a deterministic check of linearity.
    size = 10 * 1024 * 1024
    body = b"data: " + b"x" * size + b"\n\n"
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for start in range(0, len(body), 1024):
        events.extend(decoder.feed(body[start : start + 1024]))
    assert [len(event.data) for event in events] == [size]
    assert decoder._scanned <= len(body)


def test_many_small_events_in_small_reads_are_scanned_once() -> None:
    body = b'data: {"k":"v"}\n\n' * 20_000
    decoder = SSEDecoder()
    count = 0
    for start in range(0, len(body), 7):
        count += len(decoder.feed(body[start : start + 7]))
    assert count == 20_000
    assert decoder._scanned <= len(body)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

# Pieces that make event streams interesting: every field, every line end, BOMs, split
# and invalid UTF-8, and the line separators that are *not* event-stream line ends.
_PIECES = st.sampled_from(
    [
        b"data:",
        b"data: ",
        b"event:",
        b"event: error",
        b"id:",
        b"id: 1",
        b"\x00",
        b"retry:",
        b"retry: 10",
        b":",
        b" ",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b"\xef\xbb\xbf",
        b"\xef",
        b"\xff",
        "é😀\u2028\u0085".encode(),
        b"x",
        b"[DONE]",
        b'{"a":1}',
    ]
)
_STREAMS = st.lists(st.one_of(_PIECES, st.binary(max_size=8)), max_size=40).map(b"".join)


@given(body=_STREAMS, data=st.data(), limit=st.sampled_from([8, 32, DEFAULT_MAX_EVENT_SIZE]))
def test_output_does_not_depend_on_chunking(body: bytes, data: st.DataObject, limit: int) -> None:
    expected = run(whole(body), max_event_size=limit)
    assert run(bytewise(body), max_event_size=limit) == expected
    assert run(data.draw(chunkings(body)), max_event_size=limit) == expected


@settings(max_examples=2000)
@given(body=st.one_of(st.binary(max_size=200), _STREAMS), limit=st.sampled_from([16, 1 << 20]))
def test_arbitrary_bytes_give_events_or_a_meshapi_error(body: bytes, limit: int) -> None:
    # run() lets anything but MeshAPIError escape, so any other exception fails here.
    for pieces in (whole(body), bytewise(body)):
        events, _ = run(pieces, max_event_size=limit)
        assert all(isinstance(event, ServerSentEvent) for event in events)


def _reference_decode(body: bytes) -> list[ServerSentEvent]:
    """A direct, slow transcription of the WHATWG algorithm, as an oracle."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    text_lines: list[bytes] = []
    line = bytearray()
    i = 0
    while i < len(body):
        byte = body[i]
        if byte in (0x0A, 0x0D):
            text_lines.append(bytes(line))
            line.clear()
            if byte == 0x0D and body[i + 1 : i + 2] == b"\n":
                i += 1
        else:
            line.append(byte)
        i += 1
    events: list[ServerSentEvent] = []
    data = ""
    event_type = ""
    last_id: str | None = None
    retry: int | None = None
    for raw in text_lines:
        decoded = raw.decode("utf-8", "replace")
        if decoded == "":
            if data:
                events.append(
                    ev(
                        data[:-1] if data.endswith("\n") else data,
                        event_type or "message",
                        last_id,
                        retry,
                    )
                )
            data = ""
            event_type = ""
            continue
        if decoded.startswith(":"):
            continue
        name, colon, value = decoded.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id" and "\x00" not in value:
            last_id = value
        elif name == "retry" and value and all("0" <= c <= "9" for c in value):
            retry = int(value)
    return events


@given(body=_STREAMS)
def test_matches_a_direct_transcription_of_the_spec(body: bytes) -> None:
    assert run(whole(body)) == (_reference_decode(body), None)
