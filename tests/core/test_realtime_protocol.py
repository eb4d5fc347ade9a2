"""The realtime WebSocket protocol (protocol.md §6.6), driven against an in-memory server.

The other end is a real wsproto SERVER connection: the client's bytes are fed to it and
its bytes to the client, with no socket in between. Every exchange that crosses the wire
runs twice, with the server's bytes delivered whole and one byte at a time, and every
exception provoked is searched for the API key.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import generate_accept_token

from meshapi_core import (
    APIConnectionError,
    AuthenticationError,
    InternalServerError,
    MeshAPIError,
    PermissionDeniedError,
    RateLimitError,
    RealtimeError,
    RemoteProtocolError,
    StreamInterruptedError,
    __version__,
)
from meshapi_core._realtime import (
    _TRANSITIONS,
    CONNECTION_CLOSED,
    DEFAULT_MAX_MESSAGE_SIZE,
    NEED_DATA,
    RealtimeMessage,
    RealtimeProtocol,
    RealtimeState,
    Signal,
)
from meshapi_core._realtime_url import SecretScrubber, realtime_url, redact_url

TOKEN = "rsk_live_S3cr3tK3y+/=&?%"
SECRET_SPELLINGS = (TOKEN, quote(TOKEN, safe=""), quote_plus(TOKEN), "S3cr3tK3y")
MODEL = "openai/gpt-realtime-mini"
URL = realtime_url("https://gw.example/mesh", model=MODEL, token=TOKEN)
TARGET = f"/mesh/v1/realtime?model={MODEL}&api_key={quote(TOKEN, safe='')}"

Feed = Callable[[RealtimeProtocol, bytes], None]


# -- helpers ---------------------------------------------------------------------------


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        for secret in SECRET_SPELLINGS:
            assert secret not in str(text), f"the key leaked into {text!r}"


def assert_clean(error: BaseException) -> None:
    """The key is in no part of the error a user or a log line could show."""
    parts: list[object] = [str(error), repr(error), *error.args]
    if isinstance(error, MeshAPIError):
        parts += [error.request_id, error.details, error.provider_error, error.param]
    assert_no_secret(*parts)


def whole(client: RealtimeProtocol, data: bytes) -> None:
    client.receive_data(data)


def bytewise(client: RealtimeProtocol, data: bytes) -> None:
    for i in range(len(data)):
        client.receive_data(data[i : i + 1])


@pytest.fixture(params=[whole, bytewise], ids=["whole", "bytewise"])
def feed(request: pytest.FixtureRequest) -> Feed:
    fn: Feed = request.param
    return fn


class Gateway:
    """The server end: a wsproto SERVER connection fed with the client's bytes."""

    def __init__(self) -> None:
        self.ws = WSConnection(ConnectionType.SERVER)
        self.request: Request | None = None

    def receive(self, data: bytes) -> list[Event]:
        self.ws.receive_data(data)
        return list(self.ws.events())

    def read_request(self, data: bytes) -> Request:
        [event] = self.receive(data)
        assert isinstance(event, Request)
        self.request = event
        return event

    def accept(self, subprotocol: str | None = "openai-realtime") -> bytes:
        return self.ws.send(
            AcceptConnection(subprotocol=subprotocol, extra_headers=[(b"x-request-id", b"req_ws")])
        )

    def send(self, *events: Event) -> bytes:
        return b"".join(self.ws.send(event) for event in events)

    def text(self, value: str | dict[str, Any]) -> bytes:
        data = value if isinstance(value, str) else json.dumps(value)
        return self.ws.send(TextMessage(data=data))

    def raw_101(self, extra: str = "") -> bytes:
        """A 101 written by hand, so it can choose what wsproto's server would not."""
        assert self.request is not None
        key = dict(self.request.extra_headers)[b"sec-websocket-key"]
        accept = generate_accept_token(key).decode()
        return (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
        ).encode()


def connect(feed: Feed = whole, **kwargs: Any) -> tuple[RealtimeProtocol, Gateway]:
    """A client whose handshake completed against a fresh gateway."""
    client = RealtimeProtocol(URL, **kwargs)
    gateway = Gateway()
    gateway.read_request(client.initiate())
    feed(client, gateway.accept())
    assert client.state is RealtimeState.OPEN
    return client, gateway


def state(client: RealtimeProtocol) -> RealtimeState:
    """The state, read through a call so mypy does not keep an earlier narrowing."""
    return client.state


def drain(client: RealtimeProtocol) -> list[RealtimeMessage]:
    """Every message available now; stops at NEED_DATA or CONNECTION_CLOSED."""
    messages: list[RealtimeMessage] = []
    while isinstance(item := client.next_message(), RealtimeMessage):
        messages.append(item)
    return messages


def server_frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = False) -> bytes:
    """One frame written by hand (what a broken server could send)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    return head + (b"\0\0\0\0" if mask else b"") + payload


# -- URL -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://api.meshapi.ai", "wss://api.meshapi.ai/v1/realtime"),
        ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/v1/realtime"),
        ("https://proxy.internal/mesh/", "wss://proxy.internal/mesh/v1/realtime"),
        ("HTTPS://proxy.internal/a/b", "wss://proxy.internal/a/b/v1/realtime"),
        ("wss://already.ws", "wss://already.ws/v1/realtime"),
    ],
)
def test_realtime_url_maps_the_scheme_and_keeps_the_prefix(base: str, expected: str) -> None:
    url = realtime_url(base, model="m", token="rsk_t")
    assert url == f"{expected}?model=m&api_key=rsk_t"


def test_realtime_url_percent_encodes_model_and_token_but_keeps_slash() -> None:
    url = realtime_url("https://h", model="openai/gpt realtime?x", token=TOKEN)
    assert url == (
        "wss://h/v1/realtime?model=openai/gpt%20realtime%3Fx"
        "&api_key=rsk_live_S3cr3tK3y%2B%2F%3D%26%3F%25"
    )


@pytest.mark.parametrize(
    ("base", "kwargs"),
    [
        ("https://h", {"model": "", "token": TOKEN}),
        ("https://h", {"model": "m", "token": ""}),
        ("ftp://h", {"model": "m", "token": TOKEN}),
        ("https://", {"model": "m", "token": TOKEN}),
        ("https://h?api_key=" + TOKEN, {"model": "m", "token": TOKEN}),
        ("https://user:pw@h", {"model": "m", "token": TOKEN}),
    ],
)
def test_realtime_url_rejects_bad_input_without_showing_the_key(
    base: str, kwargs: dict[str, str]
) -> None:
    with pytest.raises(ValueError) as info:
        realtime_url(base, **kwargs)
    assert_clean(info.value)


def test_realtime_url_names_an_empty_model() -> None:
    with pytest.raises(ValueError, match="model"):
        realtime_url("https://h", model="", token=TOKEN)


def test_redact_url_hides_every_api_key_value() -> None:
    assert redact_url(URL) == f"wss://gw.example/mesh/v1/realtime?model={MODEL}&api_key=***"
    assert (
        redact_url("ws://h/?api_key=a&x=1&api_key=b#f") == "ws://h/?api_key=***&x=1&api_key=***#f"
    )
    assert redact_url("no key here") == "no key here"


def test_the_scrubber_removes_every_spelling_of_the_key() -> None:
    scrub = SecretScrubber(URL).scrub
    text = f"raw {TOKEN} encoded {quote(TOKEN, safe='')} plus {quote_plus(TOKEN)} url {URL}"
    assert_no_secret(scrub(text))
    assert "S3cr3tK3y" not in repr(SecretScrubber(URL))


# -- handshake -------------------------------------------------------------------------


def test_the_upgrade_request_follows_section_6_6() -> None:
    client = RealtimeProtocol(URL)
    data = client.initiate()
    request = Gateway().read_request(data)
    headers = dict(request.extra_headers)

    assert request.target == TARGET
    assert request.host == "gw.example"
    assert request.subprotocols == ["openai-realtime"]
    assert b"\r\nSec-WebSocket-Protocol: openai-realtime\r\n" in data  # offered exactly
    assert headers[b"x-meshapi-sdk"] == f"python/{__version__}".encode()
    lowered = data.lower()
    assert b"authorization" not in lowered
    assert b"x-mesh-version" not in lowered
    assert client.state is RealtimeState.CONNECTING


def test_extra_headers_are_added_and_none_removes_the_sdk_header() -> None:
    client = RealtimeProtocol(URL, extra_headers={"X-Trace": "abc 1", "X-MeshAPI-SDK": None})
    headers = dict(Gateway().read_request(client.initiate()).extra_headers)
    assert headers[b"x-trace"] == b"abc 1"
    assert b"x-meshapi-sdk" not in headers


@pytest.mark.parametrize(
    "extra",
    [
        {"Authorization": "Bearer " + TOKEN},
        {"X-Mesh-Version": "2026-08"},
        {"Sec-WebSocket-Protocol": "other"},
        {"Host": "evil"},
        {"X-Ok": "line\r\nInjected: " + TOKEN},
        {"bad name": "v"},
    ],
)
def test_reserved_or_malformed_extra_headers_are_refused(extra: dict[str, str]) -> None:
    with pytest.raises(ValueError) as info:
        RealtimeProtocol(URL, extra_headers=extra)
    assert_clean(info.value)


@pytest.mark.parametrize(
    "url",
    [
        URL.replace("wss://", "https://"),
        "wss:///v1/realtime?api_key=" + TOKEN,
        "wss://h:99999/v1/realtime?api_key=" + TOKEN,
        "wss://h/v1/ré?api_key=" + TOKEN,
        URL + "#frag",
    ],
)
def test_a_bad_url_is_a_value_error_showing_the_url_redacted(url: str) -> None:
    with pytest.raises(ValueError) as info:
        RealtimeProtocol(url)
    assert_clean(info.value)


def test_max_message_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_message_size"):
        RealtimeProtocol(URL, max_message_size=0)
    assert DEFAULT_MAX_MESSAGE_SIZE >= 16 * 1024 * 1024


def test_acceptance_with_the_subprotocol_opens_and_delivers_session_created(feed: Feed) -> None:
    client = RealtimeProtocol(URL)
    gateway = Gateway()
    gateway.read_request(client.initiate())
    # §6.6: session.created is the first frame, often in the same read as the 101.
    feed(client, gateway.accept() + gateway.text({"type": "session.created", "session": {}}))

    assert client.state is RealtimeState.OPEN
    assert client.request_id == "req_ws"
    [message] = drain(client)
    assert message.type == "session.created"
    assert message.event == {"type": "session.created", "session": {}}
    assert message.audio is None
    assert client.next_message() is NEED_DATA


def test_messages_wait_until_the_handshake_is_answered(feed: Feed) -> None:
    client = RealtimeProtocol(URL)
    assert client.next_message() is NEED_DATA
    gateway = Gateway()
    gateway.read_request(client.initiate())
    answer = gateway.accept()
    feed(client, answer[:-1])
    assert state(client) is RealtimeState.CONNECTING
    assert client.next_message() is NEED_DATA
    feed(client, answer[-1:])
    assert state(client) is RealtimeState.OPEN


@pytest.mark.parametrize(
    "extra",
    ["", "Sec-WebSocket-Protocol: other\r\n"],
    ids=["missing", "wrong"],
)
def test_a_101_without_the_subprotocol_is_a_handshake_failure(feed: Feed, extra: str) -> None:
    client = RealtimeProtocol(URL)
    gateway = Gateway()
    gateway.read_request(client.initiate())
    with pytest.raises(RemoteProtocolError) as info:
        feed(client, gateway.raw_101(extra))
    assert "openai-realtime" in str(info.value) or "subprotocol" in str(info.value)
    assert info.value.status == 0
    assert_clean(info.value)
    assert client.state is RealtimeState.FAILED
    # The failed state refuses further use with the same error, and ignores bytes.
    client.receive_data(b"more")
    with pytest.raises(RemoteProtocolError) as again:
        client.next_message()
    assert str(again.value) == str(info.value)


def test_wsproto_server_accepting_without_subprotocol_is_refused() -> None:
    client = RealtimeProtocol(URL)
    gateway = Gateway()
    gateway.read_request(client.initiate())
    with pytest.raises(RemoteProtocolError, match="subprotocol"):
        client.receive_data(gateway.accept(subprotocol=None))


def refusal(status: int, body: bytes, content_type: str, *extra: tuple[bytes, bytes]) -> bytes:
    gateway = Gateway()
    gateway.read_request(RealtimeProtocol(URL).initiate())
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", b"req_header"),
        *extra,
    ]
    return gateway.send(
        RejectConnection(status_code=status, headers=headers, has_body=True),
        RejectData(data=body, body_finished=True),
    )


def refused(feed: Feed, answer: bytes, **kwargs: Any) -> MeshAPIError:
    client = RealtimeProtocol(URL, **kwargs)
    client.initiate()
    with pytest.raises(MeshAPIError) as info:
        feed(client, answer)
    assert client.state is RealtimeState.FAILED
    assert_clean(info.value)
    with pytest.raises(MeshAPIError):
        client.send_event({"type": "x"})
    return info.value


def test_a_refused_upgrade_maps_the_json_envelope_with_the_key_redacted(feed: Feed) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "unauthorized",
                "message": f"Invalid API key {TOKEN} for {URL}",
                "details": [{"msg": f"key {quote(TOKEN, safe='')}"}],
            },
            "request_id": "req_body",
        }
    ).encode()
    error = refused(feed, refusal(401, body, "application/json"))
    assert isinstance(error, AuthenticationError)
    assert error.status == 401
    assert error.error_code == "unauthorized"
    assert error.request_id == "req_body"
    assert str(error).startswith("Invalid API key ***")
    assert "api_key=***" in str(error)


def test_a_refused_upgrade_without_json_uses_the_status_code(feed: Feed) -> None:
    error = refused(feed, refusal(403, f"suspended key {TOKEN}".encode(), "text/plain"))
    assert isinstance(error, PermissionDeniedError)
    assert (error.status, error.error_code, error.request_id) == (403, "forbidden", "req_header")
    assert str(error) == "suspended key ***"


def test_a_refused_upgrade_with_an_html_5xx_is_a_parse_error(feed: Feed) -> None:
    error = refused(feed, refusal(502, b"<html>bad gateway</html>", "text/html"))
    assert isinstance(error, InternalServerError)
    assert (error.status, error.error_code) == (502, "parse_error")


def test_a_refused_upgrade_reads_retry_after(feed: Feed) -> None:
    answer = refusal(429, b"{}", "application/json", (b"retry-after", b"7"))
    error = refused(feed, answer)
    assert isinstance(error, RateLimitError)
    assert error.retry_after_seconds == 7


def test_an_http_date_retry_after_needs_the_clock() -> None:
    answer = refusal(
        429, b"{}", "application/json", (b"retry-after", b"Thu, 01 Jan 1970 00:01:40 GMT")
    )
    assert refused(whole, answer).retry_after_seconds is None
    assert refused(whole, answer, clock=lambda: 90.0).retry_after_seconds == 10


def test_a_refusal_whose_body_is_cut_short_is_still_mapped() -> None:
    answer = refusal(401, b'{"error": {"code": "unauthorized"}}', "application/json")
    client = RealtimeProtocol(URL)
    client.initiate()
    client.receive_data(answer[:-5])
    with pytest.raises(AuthenticationError) as info:
        client.receive_eof()
    assert info.value.status == 401
    assert_clean(info.value)


def test_an_informational_answer_other_than_101_is_a_refusal(feed: Feed) -> None:
    error = refused(feed, b"HTTP/1.1 100 Continue\r\n\r\n")
    assert (error.status, error.error_code) == (100, "http_error")


def test_eof_before_any_answer_is_a_connection_error() -> None:
    client = RealtimeProtocol(URL)
    client.initiate()
    client.receive_data(b"HTTP/1.1 1")
    with pytest.raises(APIConnectionError) as info:
        client.receive_eof()
    assert info.value.error_code == "connection_error"
    assert info.value.status == 0
    assert_clean(info.value)


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: wrong\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
        b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: \xff\r\n\r\n",
    ],
    ids=["not-http", "bad-accept", "no-upgrade", "non-ascii"],
)
def test_an_invalid_answer_to_the_upgrade_is_a_remote_protocol_error(
    feed: Feed, answer: bytes
) -> None:
    client = RealtimeProtocol(URL)
    client.initiate()
    with pytest.raises(RemoteProtocolError) as info:
        feed(client, answer)
    assert_clean(info.value)


# -- messages --------------------------------------------------------------------------


def test_send_event_is_one_compact_json_text_frame() -> None:
    client, gateway = connect()
    event = {"type": "session.update", "session": {"type": "realtime", "instructions": "é ☃"}}
    data = client.send_event(event)
    [frame] = gateway.receive(data)
    assert isinstance(frame, TextMessage)
    assert frame.message_finished
    assert json.loads(frame.data) == event
    assert frame.data == json.dumps(event, separators=(",", ":"))


def test_send_event_refuses_what_json_cannot_carry() -> None:
    client, _ = connect()
    with pytest.raises(TypeError):
        client.send_event(["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.send_event({"type": "x", "value": float("nan")})
    with pytest.raises(TypeError):
        client.send_event({"type": "x", "value": object()})


def test_send_audio_is_an_input_audio_buffer_append_text_frame() -> None:
    client, gateway = connect()
    pcm = bytes(range(256)) * 10
    [frame] = gateway.receive(client.send_audio(pcm))
    assert isinstance(frame, TextMessage)  # never a binary frame (§6.6)
    event = json.loads(frame.data)
    assert event == {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}
    assert base64.b64decode(event["audio"]) == pcm
    with pytest.raises(TypeError):
        client.send_audio("not bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["response.output_audio.delta", "response.audio.delta"])
def test_an_audio_delta_is_decoded_and_keeps_its_event(feed: Feed, kind: str) -> None:
    client, gateway = connect(feed)
    pcm = b"\x00\x01\xfe\xff" * 300
    event = {"type": kind, "response_id": "r1", "delta": base64.b64encode(pcm).decode()}
    feed(client, gateway.text(event))
    [message] = drain(client)
    assert message.audio == pcm
    assert message.event == event
    assert message.type == kind
    assert message.text == json.dumps(event)


def test_an_audio_delta_that_is_not_base64_raises_and_the_session_goes_on(feed: Feed) -> None:
    client, gateway = connect(feed)
    feed(client, gateway.text({"type": "response.output_audio.delta", "delta": "***"}))
    feed(client, gateway.text({"type": "response.done"}))
    with pytest.raises(RemoteProtocolError) as info:
        client.next_message()
    assert info.value.error_code == "parse_error"
    assert [m.type for m in drain(client)] == ["response.done"]


def test_a_binary_frame_is_audio_only(feed: Feed) -> None:
    client, gateway = connect(feed)
    feed(client, gateway.send(BytesMessage(data=b"\x01\x02\x03")))
    assert drain(client) == [RealtimeMessage(audio=b"\x01\x02\x03")]


@pytest.mark.parametrize("text", ["hello", "[1, 2]", "42", "null", '"str"', "{bad json", ""])
def test_text_that_is_not_a_json_object_is_text_only(feed: Feed, text: str) -> None:
    client, gateway = connect(feed)
    feed(client, gateway.text(text))
    [message] = drain(client)
    assert message == RealtimeMessage(text=text)
    assert message.type is None


@pytest.mark.parametrize("kind", [[], ["response.audio.delta"], {}, 1, None])
def test_an_event_whose_type_is_not_a_string_is_an_event_without_a_type(
    feed: Feed, kind: object
) -> None:
    # Found by fuzz/fuzz_decoders.py: an unhashable `type` raised TypeError out of
    # receive_data, from the lookup in the audio-delta event names.
    client, gateway = connect(feed)
    feed(client, gateway.text({"type": kind, "delta": "AAAA"}))
    [message] = drain(client)
    assert message.event == {"type": kind, "delta": "AAAA"}
    assert (message.type, message.audio) == (None, None)


def test_the_error_event_raises_realtime_error_and_the_session_stays_usable(feed: Feed) -> None:
    client, gateway = connect(feed)
    error_event = {
        "type": "error",
        "error": {"code": "insufficient_quota", "message": "Balance exhausted.", "param": "x"},
        "request_id": "req_evt",
    }
    feed(
        client,
        gateway.text({"type": "a"}) + gateway.text(error_event) + gateway.text({"type": "b"}),
    )

    # Order is kept: the message before the error comes first, the one after it after.
    assert client.next_message() == RealtimeMessage(text='{"type": "a"}', event={"type": "a"})
    with pytest.raises(RealtimeError) as info:
        client.next_message()
    error = info.value
    assert (error.code, error.error_code, error.param) == ("insufficient_quota",) * 2 + ("x",)
    assert error.request_id == "req_evt"
    assert error.status == 0
    assert str(error) == "realtime[insufficient_quota]: Balance exhausted."
    assert_clean(error)
    assert [m.type for m in drain(client)] == ["b"]

    [frame] = gateway.receive(client.send_event({"type": "response.create"}))
    assert isinstance(frame, TextMessage)
    assert client.state is RealtimeState.OPEN


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"type": "error"}, "realtime[unknown]: realtime error"),
        ({"type": "error", "error": "flat"}, "realtime[unknown]: realtime error"),
        (
            {"type": "error", "error": {"code": "", "message": ""}},
            "realtime[unknown]: realtime error",
        ),
        (
            {"type": "error", "error": {"message": f"bad key {TOKEN}"}},
            "realtime[unknown]: bad key ***",
        ),
    ],
)
def test_an_error_event_without_code_or_message_gets_the_defaults(
    event: dict[str, Any], expected: str
) -> None:
    client, gateway = connect()
    client.receive_data(gateway.text(event))
    with pytest.raises(RealtimeError) as info:
        client.next_message()
    assert str(info.value) == expected
    assert info.value.request_id == "req_ws"  # the handshake's id is the fallback
    assert_clean(info.value)


def test_a_ping_is_answered_with_a_pong(feed: Feed) -> None:
    client, gateway = connect(feed)
    feed(client, gateway.send(Ping(payload=b"are you there")))
    assert drain(client) == []
    assert gateway.receive(client.data_to_send()) == [Pong(payload=b"are you there")]
    assert client.data_to_send() == b""


def test_queued_replies_go_out_in_front_of_the_next_frame() -> None:
    client, gateway = connect()
    client.receive_data(gateway.send(Ping(payload=b"p")))
    events = gateway.receive(client.send_event({"type": "x"}))
    assert [type(e) for e in events] == [Pong, TextMessage]


def test_a_fragmented_text_message_is_reassembled(feed: Feed) -> None:
    client, gateway = connect(feed)
    event = {"type": "response.output_text.delta", "delta": "naïve ☃ " * 20}
    text = json.dumps(event, ensure_ascii=False)  # raw UTF-8, which the SDK must accept
    raw = text.encode()
    cut1, cut2 = raw.index("☃".encode()) + 1, len(raw) - 3  # splits inside a character
    # wsproto's server cannot split a character between frames, so they are written by hand.
    data = (
        server_frame(0x1, raw[:cut1], fin=False)
        + server_frame(0x9, b"ping in between")  # control frames may interleave (§5.4)
        + server_frame(0x0, raw[cut1:cut2], fin=False)
        + server_frame(0x0, raw[cut2:], fin=True)
    )
    feed(client, data)
    [message] = drain(client)
    assert message.text == text
    assert message.type == "response.output_text.delta"
    assert Pong(payload=b"ping in between") in gateway.receive(client.data_to_send())


def test_a_fragmented_binary_message_is_reassembled(feed: Feed) -> None:
    client, gateway = connect(feed)
    data = gateway.send(
        BytesMessage(data=b"abc", message_finished=False),
        BytesMessage(data=b"def", message_finished=False),
        BytesMessage(data=b"g", message_finished=True),
    )
    feed(client, data)
    assert drain(client) == [RealtimeMessage(audio=b"abcdefg")]


def test_a_message_of_16_mib_is_accepted() -> None:
    client, gateway = connect()
    pcm = bytes(range(256)) * (12 * 1024 * 1024 // 256)  # 12 MiB of audio
    delta = base64.b64encode(pcm).decode()
    assert len(delta) >= 16 * 1024 * 1024
    data = gateway.text({"type": "response.output_audio.delta", "delta": delta})
    for start in range(0, len(data), 1 << 20):
        client.receive_data(data[start : start + (1 << 20)])
    [message] = drain(client)
    assert message.audio == pcm
    big_binary = b"\x07" * (16 * 1024 * 1024 + 1)
    client.receive_data(gateway.send(BytesMessage(data=big_binary)))
    assert drain(client) == [RealtimeMessage(audio=big_binary)]


def test_a_message_over_max_message_size_fails_with_1009(feed: Feed) -> None:
    client, gateway = connect(feed, max_message_size=1000)
    feed(client, gateway.text("x" * 1000))
    assert drain(client) == [RealtimeMessage(text="x" * 1000)]  # exactly the cap fits
    feed(client, gateway.text("é" * 501))  # 501 characters, but 1002 bytes of UTF-8
    assert client.state is RealtimeState.FAILED
    with pytest.raises(StreamInterruptedError) as info:
        client.next_message()
    assert "1009" in str(info.value)
    assert client.close_code == 1009
    [close] = gateway.receive(client.data_to_send())
    assert close == CloseConnection(code=1009, reason="")


# -- closing ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [1000, 1001])
def test_a_normal_close_ends_cleanly_and_is_answered(feed: Feed, code: int) -> None:
    client, gateway = connect(feed)
    feed(
        client, gateway.text({"type": "response.done"}) + gateway.send(CloseConnection(code, "bye"))
    )

    assert client.state is RealtimeState.CLOSED
    assert (client.close_code, client.close_reason) == (code, "bye")
    assert [m.type for m in drain(client)] == ["response.done"]  # delivered before the end
    assert client.next_message() is CONNECTION_CLOSED
    assert client.next_message() is CONNECTION_CLOSED
    # RFC 6455 §5.5.1: the close frame is answered.
    assert gateway.receive(client.data_to_send()) == [CloseConnection(code=code, reason="bye")]

    closed = client.closed_error()
    assert isinstance(closed, RealtimeError)
    assert closed.code == "connection_closed"
    assert str(code) in str(closed)
    with pytest.raises(RealtimeError) as info:
        client.send_event({"type": "x"})
    assert info.value.code == "connection_closed"
    client.receive_data(b"late bytes")  # ignored
    client.receive_eof()
    assert client.close() == b""


@pytest.mark.parametrize(("code", "reason"), [(1011, "internal boom"), (1008, ""), (4000, "app")])
def test_an_abnormal_close_is_stream_interrupted_with_the_code(
    feed: Feed, code: int, reason: str
) -> None:
    client, gateway = connect(feed)
    feed(
        client,
        gateway.text({"type": "error", "error": {"code": "invalid_api_key"}})
        + gateway.send(CloseConnection(code, reason + " " + TOKEN if reason else None)),
    )
    assert client.state is RealtimeState.FAILED
    with pytest.raises(RealtimeError):  # the error event first, in order
        client.next_message()
    for _ in range(2):  # and the failure on every call after it
        with pytest.raises(StreamInterruptedError) as info:
            client.next_message()
        error = info.value
        assert (error.error_code, error.status) == ("stream_interrupted", 0)
        assert str(code) in str(error)
        if reason:
            assert reason in str(error)
        assert_clean(error)
    [reply] = gateway.receive(client.data_to_send())
    assert isinstance(reply, CloseConnection)
    assert reply.code == code
    with pytest.raises(StreamInterruptedError):
        client.send_audio(b"\0\0")
    assert_no_secret(client.close_reason)  # the reason echoed the key; the property hides it


def test_eof_without_a_close_frame_is_stream_interrupted_1006(feed: Feed) -> None:
    client, gateway = connect(feed)
    feed(client, gateway.text({"type": "a"}) + gateway.text("partial")[:-2])
    client.receive_eof()
    assert [m.type for m in drain_until_error(client)] == ["a"]
    with pytest.raises(StreamInterruptedError) as info:
        client.next_message()
    assert "1006" in str(info.value)
    assert client.close_code == 1006
    assert client.data_to_send() == b""  # nothing can be sent on a dead stream
    assert_clean(info.value)


def drain_until_error(client: RealtimeProtocol) -> Iterator[RealtimeMessage]:
    while True:
        try:
            item = client.next_message()
        except MeshAPIError:
            return
        if not isinstance(item, RealtimeMessage):
            return
        yield item


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (server_frame(0x3, b""), 1002),  # reserved opcode
        (server_frame(0x1, b"{}", mask=True), 1002),  # servers must not mask
        (server_frame(0x0, b"x"), 1002),  # continuation without a start
        (server_frame(0x1, b"\xff\xfe"), 1007),  # text that is not UTF-8
        (server_frame(0x9, b"x" * 126), 1002),  # control frame too long
        (b"\xc1\x00", 1002),  # reserved bit without an extension
    ],
)
def test_a_protocol_violation_is_stream_interrupted_and_closes(
    feed: Feed, frame: bytes, code: int
) -> None:
    client, gateway = connect(feed)
    feed(client, gateway.text({"type": "a"}) + frame)
    assert client.state is RealtimeState.FAILED
    assert [m.type for m in drain_until_error(client)] == ["a"]
    with pytest.raises(StreamInterruptedError) as info:
        client.next_message()
    assert str(code) in str(info.value)
    [close] = gateway.receive(client.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == code
    assert_clean(info.value)


def test_close_is_idempotent_and_completes_with_the_gateways_answer(feed: Feed) -> None:
    client, gateway = connect(feed)
    feed(client, gateway.text({"type": "unread"}))
    first = client.close()
    assert gateway.receive(first) == [CloseConnection(code=1000, reason="")]
    assert client.state is RealtimeState.CLOSING
    assert client.close() == b""
    # Messages not taken before close() are dropped; receive() then raises.
    assert client.next_message() is CONNECTION_CLOSED
    assert client.closed_error().code == "connection_closed"
    with pytest.raises(RealtimeError):
        client.send_event({"type": "x"})

    # The gateway may still send a little (ignored, no pong after our close), then answers.
    # (Written by hand: wsproto's server refuses to send data after a close frame arrived.)
    feed(client, server_frame(0x1, b'{"type": "late"}') + server_frame(0x9, b"p"))
    assert client.data_to_send() == b""
    feed(client, gateway.send(CloseConnection(code=1000)))
    assert state(client) is RealtimeState.CLOSED
    assert client.next_message() is CONNECTION_CLOSED
    assert client.close() == b""


def test_close_then_a_dropped_stream_is_still_a_clean_end() -> None:
    client, _ = connect()
    client.close(4001, "done")
    client.receive_eof()
    assert client.state is RealtimeState.CLOSED
    assert client.next_message() is CONNECTION_CLOSED


def test_close_flushes_a_queued_reply_first() -> None:
    client, gateway = connect()
    client.receive_data(gateway.send(Ping(b"p")))
    assert [type(e) for e in gateway.receive(client.close())] == [Pong, CloseConnection]


def test_close_before_the_handshake_sends_nothing() -> None:
    idle = RealtimeProtocol(URL)
    assert idle.close() == b""
    assert idle.state is RealtimeState.CLOSED
    connecting = RealtimeProtocol(URL)
    connecting.initiate()
    assert connecting.close() == b""
    connecting.receive_data(b"HTTP/1.1 101 ...")  # ignored once closed
    assert connecting.next_message() is CONNECTION_CLOSED


@pytest.mark.parametrize(
    ("code", "reason"),
    [(1006, ""), (999, ""), (5000, ""), (True, ""), (1000, "x" * 124), (1000, "\ud800")],
)
def test_close_refuses_codes_an_endpoint_may_not_send(code: int, reason: str) -> None:
    client, _ = connect()
    with pytest.raises(ValueError):
        client.close(code, reason)
    assert client.state is RealtimeState.OPEN


def test_close_never_raises_in_any_state() -> None:
    failed, gateway = connect()
    failed.receive_data(gateway.send(CloseConnection(1011)))
    assert failed.state is RealtimeState.FAILED
    failed.data_to_send()
    assert failed.close() == b""
    refused_client = RealtimeProtocol(URL)
    refused_client.initiate()
    with pytest.raises(MeshAPIError):
        refused_client.receive_data(b"HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n")
    assert refused_client.close() == b""


# -- misuse ----------------------------------------------------------------------------


def test_misuse_by_the_driver_is_a_runtime_error() -> None:
    client = RealtimeProtocol(URL)
    with pytest.raises(RuntimeError):
        client.receive_data(b"x")
    with pytest.raises(RuntimeError):
        client.send_event({"type": "x"})
    client.initiate()
    with pytest.raises(RuntimeError):
        client.initiate()
    with pytest.raises(RuntimeError):
        client.send_audio(b"")
    with pytest.raises(TypeError):
        client.receive_data("text")  # type: ignore[arg-type]


def test_reprs_never_show_the_key() -> None:
    client, gateway = connect()
    assert "api_key=***" in repr(client)
    assert "api_key=***" in client.url
    assert_no_secret(repr(client), client.url, str(client))
    client.receive_data(gateway.text({"type": "t", "x": "y" * 500}))
    [message] = drain(client)
    assert "…<" in repr(message)
    assert repr(RealtimeMessage(audio=b"abc")) == "RealtimeMessage(audio=<3 bytes>)"


def test_realtime_message_is_a_frozen_value() -> None:
    message = RealtimeMessage(text="{}", event={})
    assert message == RealtimeMessage(text="{}", event={})
    with pytest.raises(AttributeError):
        message.text = "x"  # type: ignore[misc]
    assert not hasattr(message, "__dict__")
    with pytest.raises(TypeError):
        RealtimeMessage("positional")  # type: ignore[call-arg]
    assert RealtimeMessage(event={"type": 3}).type is None


def test_the_transition_table_has_no_exit_from_terminal_states() -> None:
    sources = {state for state, _ in _TRANSITIONS}
    assert RealtimeState.CLOSED not in sources
    assert RealtimeState.FAILED not in sources
    assert set(_TRANSITIONS.values()) | sources == set(RealtimeState)
    assert {NEED_DATA, CONNECTION_CLOSED} == set(Signal)


# -- properties ------------------------------------------------------------------------

_json_texts = st.one_of(
    st.just('{"type":"session.created"}'),
    st.text(max_size=40),
    # Any JSON value as the `type`, strings or not (a list once escaped as TypeError).
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=6,
    ).map(lambda kind: json.dumps({"type": kind})),
    st.builds(
        lambda kind, delta: json.dumps({"type": kind, "delta": delta}),
        st.sampled_from(["response.output_audio.delta", "response.audio.delta"]),
        st.one_of(
            st.text(max_size=12),
            st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode()),
            st.none(),
        ),
    ),
    st.builds(
        lambda code, message, param: json.dumps(
            {"type": "error", "error": {"code": code, "message": message, "param": param}}
        ),
        st.one_of(st.none(), st.text(max_size=8)),
        st.one_of(st.none(), st.text(max_size=8), st.just(TOKEN)),
        st.one_of(st.none(), st.integers(), st.text(max_size=4)),
    ),
)
_payloads = st.one_of(
    st.binary(max_size=140),
    _json_texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(
        lambda code, reason: struct.pack("!H", code) + reason,
        st.integers(0, 65535),
        st.binary(max_size=8),
    ),
)
_frames = st.one_of(
    st.binary(max_size=24),  # plain garbage
    # Mostly well-formed frames of every opcode, so the parser gets past the header...
    st.builds(
        server_frame,
        st.sampled_from([0x0, 0x1, 0x2, 0x8, 0x9, 0xA]),
        _payloads,
        fin=st.booleans(),
    ),
    # ...and any opcode, masked or not.
    st.builds(server_frame, st.integers(0, 15), _payloads, fin=st.booleans(), mask=st.booleans()),
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frames=st.lists(_frames, max_size=8),
    chunk=st.integers(1, 64),
    eof=st.booleans(),
)
def test_arbitrary_bytes_after_the_handshake_give_messages_or_mesh_api_errors(
    frames: list[bytes], chunk: int, eof: bool
) -> None:
    client, _ = connect()
    data = b"".join(frames)
    for start in range(0, len(data), chunk):
        client.receive_data(data[start : start + chunk])  # never raises once open
        client.data_to_send()
    if eof:
        client.receive_eof()
    for _ in range(len(data) + 3):  # every raise is one item; more than that is a loop
        try:
            item = client.next_message()
        except MeshAPIError as error:
            assert_clean(error)
            if client.state is RealtimeState.FAILED:
                break
            continue
        if not isinstance(item, RealtimeMessage):
            break
    if eof:
        assert client.state in (RealtimeState.CLOSED, RealtimeState.FAILED)
    try:
        client.send_event({"type": "x"})
    except MeshAPIError as error:
        assert_clean(error)
        assert client.state is not RealtimeState.OPEN
    client.close()


@settings(max_examples=2000, deadline=None)
@given(
    answer=st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from(
                [
                    b"HTTP/1.1 101 Switching Protocols\r\n",
                    b"HTTP/1.1 401 No\r\n",
                    b"HTTP/1.0 200 OK\r\n",
                ]
            ),
            st.binary(max_size=120),
        ),
    ),
    eof=st.booleans(),
)
def test_arbitrary_answers_to_the_upgrade_open_or_raise_mesh_api_errors(
    answer: bytes, eof: bool
) -> None:
    client = RealtimeProtocol(URL)
    client.initiate()
    try:
        client.receive_data(answer)
        if eof:
            client.receive_eof()
    except MeshAPIError as error:
        assert_clean(error)
        assert client.state is RealtimeState.FAILED
    else:
        assert client.state in (RealtimeState.CONNECTING, RealtimeState.OPEN)
