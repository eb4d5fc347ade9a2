"""Long-running fuzzing of everything that parses what the network sends. Not run in CI.

    .venv/bin/python fuzz/fuzz_decoders.py --minutes 10            # every target
    .venv/bin/python fuzz/fuzz_decoders.py --minutes 2 --target sse --target realtime

The CI suite holds the same invariants at 2,000 examples per property (tests/core,
tests/reliability). This runs them with larger inputs and no example budget, round robin
over the targets until the time is up, and prints how many examples each target ran and
every failure hypothesis found (shrunk, with the reproducing input). The exit status is 1
if anything was found.

The invariant everywhere is the one the SDK documents: whatever the bytes, a decoder
returns values or raises a `MeshAPIError` (the receive path's documented exception), and
its output does not depend on how the bytes were chunked. Anything else escaping
(`ValueError`, `IndexError`, `RecursionError`, a wsproto exception...) is a finding.

Failures are stored in hypothesis' example database under `.hypothesis/fuzz/`, so a
rerun tries them first.
"""

from __future__ import annotations

import argparse
import base64
import json
import struct
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request

from meshapi_core import MeshAPIError
from meshapi_core._error_mapping import error_from_response, parse_retry_after
from meshapi_core._kinds import StreamKind
from meshapi_core._realtime import RealtimeMessage, RealtimeProtocol, RealtimeState
from meshapi_core._realtime_url import realtime_url
from meshapi_core._streams import StreamDecoder
from meshapi_core.sse import ServerSentEvent, SSEDecoder
from meshapi_core.types.chat import ChatCompletionChunk
from meshapi_core.types.compare import CompareStreamEvent
from meshapi_core.types.images import ImageGenerationChunk
from meshapi_core.types.responses import ResponsesStreamEvent

ROOT = Path(__file__).resolve().parent.parent
ROUND = 2_000  # examples per target per round
TOKEN = "rsk_fuzz_S3cr3t+/=&?"

# -- strategies: larger than CI's, with the pathological shapes parsers trip on ----------

_huge = st.sampled_from([1, 2, 10, 127, 4301, 20_000]).flatmap(
    lambda n: st.sampled_from([b"1", b"9", b"[", b"{", b"\\", b"\xff", b"a", b"\r"]).map(
        lambda unit: unit * n
    )
)
_sse_pieces = st.sampled_from(
    [
        b"data:",
        b"data: ",
        b"event:",
        b"event: error",
        b"id:",
        b"id: 1",
        b"\x00",
        b"retry:",
        b"retry: ",
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
        b"[DONE]",
        b'{"a":1}',
        b'{"error":',
        b'"type":"response.completed"',
        b"\\u0065",
    ]
)
SSE_BODIES = st.lists(st.one_of(_sse_pieces, st.binary(max_size=32), _huge), max_size=80).map(
    b"".join
)

_keys = st.sampled_from(
    [
        "error",
        "code",
        "message",
        "type",
        "event",
        "data",
        "choices",
        "delta",
        "content",
        "id",
        "object",
        "model",
        "request_id",
        "retry_after_seconds",
        "details",
        "param",
        "provider_error",
        "b64_json",
        "index",
        "response",
        "usage",
        "models",
    ]
) | st.text(max_size=6)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=16)
    | st.sampled_from(
        [
            "response.completed",
            "response.failed",
            "error",
            "done",
            "chat.completion.chunk",
            "model_chunk",
        ]
    ),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=6),
    max_leaves=40,
)


@st.composite
def _frames(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from([None, "error", "done", "meta", "model_chunk", "message"]))
    text = draw(
        st.one_of(
            _json.map(lambda v: json.dumps(v, separators=(",", ":"))),
            st.sampled_from(["[DONE]", " [DONE]\t", "x", "{", "[" * 5000, "1" * 5000]),
        )
    )
    head = f"event: {name}\n".encode() if name else b""
    return (
        head
        + b"".join(
            b"data: " + line.encode("utf-8", "surrogatepass") + b"\n" for line in text.split("\n")
        )
        + b"\n"
    )


STREAM_BODIES = st.lists(st.one_of(_frames(), SSE_BODIES), max_size=10).map(b"".join)

ITEM_MODELS: dict[StreamKind, Any] = {
    StreamKind.CHAT: ChatCompletionChunk,
    StreamKind.RESPONSES: ResponsesStreamEvent,
    StreamKind.COMPARE: CompareStreamEvent,
    StreamKind.IMAGE: ImageGenerationChunk,
}

_header_names = st.sampled_from(
    ["content-type", "retry-after", "x-request-id", "x-mesh-routing-attempts"]
) | st.text(max_size=8)
_header_values = st.sampled_from(
    [
        "application/json",
        "application/problem+json; charset=utf-8",
        "text/html",
        "",
        "120",
        "1.5",
        "-1",
        "1e400",
        "9" * 5000,
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 +2359",
        "req_1",
    ]
) | st.text(max_size=60)
ERROR_BODIES = st.one_of(
    st.binary(max_size=2_000),
    _json.map(lambda v: json.dumps(v).encode()),
    _json.map(lambda v: json.dumps({"error": v, "detail": v, "request_id": v}).encode()),
    st.integers(1, 100_000).map(lambda d: b"[" * d + b"]" * d),
    st.integers(1, 10_000).map(lambda d: b'{"error":{"code":' + b"1" * d + b"}}"),
)


def _server_frame(opcode: int, payload: bytes, *, fin: bool, mask: bool) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    return head + (b"\0\0\0\0" if mask else b"") + payload


_ws_json = st.one_of(
    _json.map(json.dumps),
    st.builds(
        lambda kind, delta: json.dumps({"type": kind, "delta": delta}),
        st.sampled_from(["response.output_audio.delta", "response.audio.delta", "error"]),
        st.one_of(
            st.text(max_size=20),
            st.binary(max_size=20).map(lambda b: base64.b64encode(b).decode()),
            st.none(),
            _json,
        ),
    ),
    st.just(json.dumps({"type": "error", "error": {"code": TOKEN, "message": TOKEN}})),
)
_ws_payloads = st.one_of(
    st.binary(max_size=400),
    _ws_json.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(
        lambda code, reason: struct.pack("!H", code) + reason,
        st.integers(0, 65535),
        st.binary(max_size=130),
    ),
)
WS_STREAMS = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.builds(
            _server_frame,
            st.sampled_from([0x0, 0x1, 0x2, 0x8, 0x9, 0xA]),
            _ws_payloads,
            fin=st.booleans(),
            mask=st.just(False),
        ),
        st.builds(
            _server_frame, st.integers(0, 15), _ws_payloads, fin=st.booleans(), mask=st.booleans()
        ),
    ),
    max_size=16,
).map(b"".join)


# -- the targets ------------------------------------------------------------------------

COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


def _sse_run(pieces: list[bytes]) -> tuple[list[ServerSentEvent], str | None]:
    decoder = SSEDecoder(max_event_size=64 * 1024)
    events: list[ServerSentEvent] = []
    try:
        for piece in pieces:
            events.extend(decoder.feed(piece))
        decoder.end()
    except MeshAPIError as exc:
        # The class, not the text: a too-large message names the size reached when the
        # limit was crossed, which depends on where the read boundaries fell.
        return events, type(exc).__name__
    return events, None


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


@given(body=SSE_BODIES, cuts=st.lists(st.integers(0, 1 << 20), max_size=20))
def fuzz_sse(body: bytes, cuts: list[int]) -> None:
    _count("sse")
    whole = _sse_run([body])
    assert _sse_run(_split(body, cuts)) == whole
    if len(body) <= 4_000:  # one byte at a time is quadratic in the test, not the decoder
        assert _sse_run([body[i : i + 1] for i in range(len(body))]) == whole


def _stream_run(kind: StreamKind, pieces: list[bytes]) -> tuple[Any, ...]:
    decoder: StreamDecoder[Any] = StreamDecoder(kind, ITEM_MODELS[kind], request_id="req_h")
    items: list[Any] = []
    try:
        for piece in pieces:
            items.extend(decoder.feed(piece))
        items.extend(decoder.end())
    except MeshAPIError as exc:
        failure: tuple[Any, ...] | None = (type(exc), exc.error_code, exc.request_id)
    else:
        failure = None
    return [item.model_dump() for item in items], failure, decoder.done


@given(
    kind=st.sampled_from(list(StreamKind)),
    body=STREAM_BODIES,
    cuts=st.lists(st.integers(0, 1 << 20), max_size=20),
)
def fuzz_streams(kind: StreamKind, body: bytes, cuts: list[int]) -> None:
    _count("streams")
    # Compared as repr: a payload may hold NaN (Python's json accepts it), and NaN != NaN.
    assert repr(_stream_run(kind, _split(body, cuts))) == repr(_stream_run(kind, [body]))


@given(
    status=st.integers(100, 999) | st.integers(),
    headers=st.dictionaries(_header_names, _header_values, max_size=6),
    body=ERROR_BODIES,
    now=st.floats(),
)
def fuzz_error_mapping(status: int, headers: dict[str, str], body: bytes, now: float) -> None:
    _count("error_mapping")
    error = error_from_response(status, headers, body, now=now)
    assert isinstance(error, MeshAPIError) and error.status == status and error.error_code
    assert isinstance(error.request_id, str) and str(error) and repr(error)
    seconds = error.retry_after_seconds
    assert seconds is None or (type(seconds) is int and seconds >= 0)
    retry = parse_retry_after(headers.get("retry-after"), now=now)
    assert retry is None or (type(retry) is int and retry >= 0)


def _open_session() -> RealtimeProtocol:
    client = RealtimeProtocol(realtime_url("http://127.0.0.1:1", model="m/x", token=TOKEN))
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(client.initiate())
    assert any(isinstance(event, Request) for event in server.events())
    client.receive_data(server.send(AcceptConnection(subprotocol="openai-realtime")))
    assert client.state is RealtimeState.OPEN
    return client


def _no_secret(error: BaseException) -> None:
    text = " ".join(map(str, (error, repr(error), *error.args)))
    assert TOKEN not in text and "S3cr3t" not in text, text


@given(data=WS_STREAMS, chunk=st.integers(1, 512), eof=st.booleans())
def fuzz_realtime(data: bytes, chunk: int, eof: bool) -> None:
    _count("realtime")
    client = _open_session()
    for start in range(0, len(data), chunk):
        client.receive_data(data[start : start + chunk])
        client.data_to_send()
    if eof:
        client.receive_eof()
    for _ in range(len(data) + 3):
        try:
            item = client.next_message()
        except MeshAPIError as error:
            _no_secret(error)
            if client.state is RealtimeState.FAILED:
                break
            continue
        if not isinstance(item, RealtimeMessage):
            break
    try:
        client.send_event({"type": "x"})
    except MeshAPIError as error:
        _no_secret(error)
    client.close()


@given(
    answer=st.one_of(
        st.binary(max_size=600),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from(
                [
                    b"HTTP/1.1 101 Switching Protocols\r\n",
                    b"HTTP/1.1 401 No\r\n",
                    b"HTTP/1.1 429 Slow\r\ncontent-type: application/json\r\n",
                    b"HTTP/1.0 200 OK\r\n",
                ]
            ),
            st.binary(max_size=400),
        ),
    ),
    eof=st.booleans(),
)
def fuzz_realtime_handshake(answer: bytes, eof: bool) -> None:
    _count("realtime_handshake")
    client = RealtimeProtocol(realtime_url("http://127.0.0.1:1", model="m/x", token=TOKEN))
    client.initiate()
    try:
        client.receive_data(answer)
        if eof:
            client.receive_eof()
    except MeshAPIError as error:
        _no_secret(error)


TARGETS: dict[str, Callable[..., None]] = {
    "sse": fuzz_sse,
    "streams": fuzz_streams,
    "error_mapping": fuzz_error_mapping,
    "realtime": fuzz_realtime,
    "realtime_handshake": fuzz_realtime_handshake,
}


# -- the runner -------------------------------------------------------------------------


@dataclass
class Finding:
    target: str
    summary: str
    detail: str = field(repr=False)


def _configured(test: Callable[..., None], database: DirectoryBasedExampleDatabase) -> Any:
    return settings(
        max_examples=ROUND,
        deadline=None,
        database=database,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.reuse, Phase.generate, Phase.target, Phase.shrink, Phase.explain],
        print_blob=True,
    )(test)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    args = parser.parse_args(argv)
    names = args.target or list(TARGETS)
    database = DirectoryBasedExampleDatabase(str(ROOT / ".hypothesis" / "fuzz"))
    runners = {name: _configured(TARGETS[name], database) for name in names}
    findings: list[Finding] = []
    broken: set[str] = set()
    started = time.monotonic()
    deadline = started + args.minutes * 60
    rounds = 0
    while time.monotonic() < deadline and len(broken) < len(names):
        rounds += 1
        for name in names:
            if name in broken or time.monotonic() >= deadline:
                continue
            try:
                runners[name]()
            except Exception as exc:  # a falsified invariant: keep it, fuzz the others
                broken.add(name)
                detail = "".join(traceback.format_exception(exc))
                findings.append(Finding(name, f"{type(exc).__name__}: {exc}"[:300], detail))
                print(f"[fuzz] {name}: FOUND {type(exc).__name__}", file=sys.stderr, flush=True)
        elapsed = time.monotonic() - started
        print(
            f"[fuzz] round {rounds} done at {elapsed:.0f}s: {COUNTS}", file=sys.stderr, flush=True
        )
    elapsed = time.monotonic() - started
    print(f"\nfuzzed for {elapsed:.0f} s ({rounds} rounds of up to {ROUND} per target)")
    print(f"{'target':<20} {'examples':>10}  result")
    for name in names:
        result = "FOUND a failure" if name in broken else "no failure"
        print(f"{name:<20} {COUNTS.get(name, 0):>10}  {result}")
    print(f"{'total':<20} {sum(COUNTS.values()):>10}")
    for finding in findings:
        print(f"\n== {finding.target}: {finding.summary}\n{finding.detail}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
