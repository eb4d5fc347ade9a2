"""Realtime sessions over every driver: `client.realtime.connect(model=...)` (§6.6).

Against the local gateway: the event flow, error events that leave the session usable,
the gateway's bad-key / unknown-model / idle-timeout closes, refused and stalled
upgrades, receive timeouts, and the client's own close. Against a scripted wsproto
server on a thread (`ScriptedServer`): what the gateway never does on its own (pings,
an abnormal close code, a TCP drop). Throughout: the key never shows.
"""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import anyio
import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Ping,
    Pong,
    Request,
    TextMessage,
)

import meshapi
from meshapi import (
    APIConnectionError,
    APITimeoutError,
    AsyncRealtimeResource,
    AsyncRealtimeSession,
    AuthenticationError,
    MeshAPIError,
    RealtimeError,
    RealtimeMessage,
    RealtimeResource,
    RealtimeSession,
    StreamInterruptedError,
    Timeout,
)
from meshapi.testing import Fail, MeshAPIGateway, StallBeforeHeaders

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-realtime-mini"
PATH = "/v1/realtime"
WAIT = 5.0  # generous bound on every receive, so a broken test fails instead of hanging

SESSION_UPDATE = {
    "type": "session.update",
    "session": {
        "type": "realtime",
        "output_modalities": ["audio"],
        "instructions": "You are a helpful assistant.",
        "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": 24000}},
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"},
        },
    },
}


async def expect(session: Any, kind: str) -> RealtimeMessage:
    """The next message, which must be of type `kind`."""
    message: RealtimeMessage = await session.receive(timeout=WAIT)
    assert message.type == kind, message
    return message


async def until(session: Any, kind: str) -> list[RealtimeMessage]:
    """Every message up to and including the first of type `kind`."""
    messages: list[RealtimeMessage] = []
    while not messages or messages[-1].type != kind:
        messages.append(await session.receive(timeout=WAIT))
    return messages


async def collect(session: Any, into: list[RealtimeMessage]) -> None:
    """Iterate the session to its end, keeping what it yields (also when it raises)."""
    async for message in session:
        into.append(message)


def texts_of(*things: object) -> list[str]:
    """Every text a user could see of these objects (and of the errors' causes)."""
    texts: list[str] = []
    for thing in things:
        texts += [repr(thing), str(thing)]
        if isinstance(thing, BaseException):
            texts += [str(arg) for arg in thing.args]
            cause = thing.__cause__ or thing.__context__
            if cause is not None:
                texts += texts_of(cause)
    return texts


def assert_no_key(token: str, *things: object) -> None:
    for text in texts_of(*things):
        assert token not in text, text


async def test_the_realtime_classes_are_exported(client: Any, driver: str) -> None:
    for name in (
        "RealtimeSession",
        "AsyncRealtimeSession",
        "RealtimeResource",
        "AsyncRealtimeResource",
    ):
        assert name in meshapi.__all__
    if driver == "sync":
        assert isinstance(client.realtime.wrapped, RealtimeResource)
    else:
        assert isinstance(client.realtime, AsyncRealtimeResource)
    assert RealtimeSession.__name__ == "RealtimeSession"
    assert AsyncRealtimeSession.__name__ == "AsyncRealtimeSession"


# ------------------------------------------------------------------------- the event flow


async def test_a_session_round_trip(client: Any, gw: MeshAPIGateway) -> None:
    async with client.realtime.connect(model=MODEL) as session:
        created = await expect(session, "session.created")  # §6.6: the very first frame
        assert created.event is not None and created.audio is None
        session_id = created.event["session"]["id"]

        await session.send(SESSION_UPDATE)
        updated = await expect(session, "session.updated")
        assert updated.event is not None
        assert updated.event["session"]["type"] == "realtime"
        assert updated.event["session"]["instructions"] == "You are a helpful assistant."

        pcm = bytes(range(256)) * 8  # 2048 bytes of "PCM16"
        await session.send_audio(pcm)
        await session.send({"type": "input_audio_buffer.commit"})
        await expect(session, "input_audio_buffer.committed")
        added = await expect(session, "conversation.item.added")
        assert added.event is not None
        assert f"{len(pcm)} bytes" in added.event["item"]["content"][0]["text"]

        await session.send({"type": "response.create"})
        messages = await until(session, "response.done")

    assert messages[0].type == "response.created"
    deltas = [m for m in messages if m.type == "response.output_text.delta"]
    done = next(m for m in messages if m.type == "response.output_text.done")
    assert deltas and done.event is not None
    assert "".join(m.event["delta"] for m in deltas if m.event) == done.event["text"]
    audio = [m for m in messages if m.type == "response.output_audio.delta"]
    assert audio
    for message in audio:
        assert message.event is not None and message.text is not None
        assert message.audio == base64.b64decode(message.event["delta"])
    assert sum(len(m.audio or b"") for m in audio) == 4800  # 100 ms of 24 kHz PCM16
    assert all(m.audio is None for m in messages if m not in audio)

    # What went out: JSON text frames only, the audio as base64 (binary frames are refused).
    sent = [m for m in gw.realtime_messages if m.session == session_id]
    assert [m.event["type"] for m in sent] == [
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "response.create",
    ]
    assert all(m.data is None for m in sent)
    assert base64.b64decode(sent[1].event["audio"]) == pcm


async def test_the_handshake_carries_the_key_in_the_query_only(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    session = await client.realtime.connect(model=MODEL)
    try:
        await expect(session, "session.created")
    finally:
        await session.aclose()
    request = gw.last_request(path=PATH)
    headers = {name.lower(): value for name, value in request.headers}
    assert headers["x-meshapi-sdk"] == f"python/{meshapi.__version__}"
    assert headers["sec-websocket-protocol"] == "openai-realtime"
    assert "authorization" not in headers
    assert "x-mesh-version" not in headers
    assert f"api_key={token}" in request.query_string
    assert "model=openai/gpt-realtime-mini" in request.query_string


async def test_sending_while_a_receive_waits(client: Any, driver: str) -> None:
    async with client.realtime.connect(model=MODEL) as session:
        await expect(session, "session.created")
        seen: list[str | None] = []
        if driver == "sync":
            blocking = session.wrapped  # a thread receives while this one sends

            def read_in_thread() -> None:
                for message in blocking:
                    seen.append(message.type)
                    if message.type == "response.done":
                        return

            reader = threading.Thread(target=read_in_thread)
            reader.start()
            time.sleep(0.1)
            blocking.send({"type": "response.create"})
            reader.join(WAIT)
        else:

            async def read() -> None:
                async for message in session:
                    seen.append(message.type)
                    if message.type == "response.done":
                        return

            with anyio.fail_after(WAIT):
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(read)
                    await anyio.sleep(0.1)
                    await session.send({"type": "response.create"})
    assert seen[0] == "response.created"
    assert seen[-1] == "response.done"


# --------------------------------------------------------------------------- error events


async def test_a_bad_key_is_an_error_event_then_the_close(
    make_client: Callable[..., Any],
) -> None:
    bad = "rsk_not_a_key_of_this_gateway"
    client = make_client(token=bad)
    async with client.realtime.connect(model=MODEL) as session:
        with pytest.raises(RealtimeError) as event:
            await session.receive(timeout=WAIT)
        # §6.6: the gateway closes with 1008 after the event, an abnormal close.
        with pytest.raises(StreamInterruptedError) as closed:
            await session.receive(timeout=WAIT)
        with pytest.raises(StreamInterruptedError):
            await session.send({"type": "response.create"})
    error = event.value
    assert error.code == error.error_code == "invalid_api_key"
    assert error.status == 0
    assert str(error).startswith("realtime[invalid_api_key]: ")
    assert error.request_id.startswith("req_")
    assert closed.value.error_code == "stream_interrupted"
    assert "1008" in str(closed.value)
    assert_no_key(bad, error, closed.value, session)


async def test_an_unknown_model_is_model_not_found(client: Any) -> None:
    async with client.realtime.connect(model="nobody/no-such-model") as session:
        with pytest.raises(RealtimeError) as event:
            await session.receive(timeout=WAIT)
        with pytest.raises(StreamInterruptedError):
            await session.receive(timeout=WAIT)
    assert event.value.code == "model_not_found"
    assert event.value.param == "model"


async def test_a_bad_event_is_an_error_and_the_session_stays_usable(client: Any) -> None:
    async with client.realtime.connect(model=MODEL) as session:
        await expect(session, "session.created")

        await session.send({"type": "no.such.event"})
        with pytest.raises(RealtimeError) as unknown:
            await session.receive(timeout=WAIT)
        assert unknown.value.code == "invalid_request_error"
        assert unknown.value.param == "type"

        await session.send({"type": "session.update", "session": {"instructions": "hi"}})
        with pytest.raises(RealtimeError) as missing:
            await session.receive(timeout=WAIT)
        assert missing.value.code == "missing_required_parameter"
        assert missing.value.param == "session.type"

        # Refused before any byte is sent: the session does not notice.
        with pytest.raises(TypeError):
            await session.send({"type": "x", "value": object()})
        with pytest.raises(TypeError):
            await session.send_audio("not bytes")

        await session.send(SESSION_UPDATE)
        await expect(session, "session.updated")


# ------------------------------------------------------------------------------ the ends


async def test_a_normal_close_by_the_gateway_ends_iteration(
    make_client: Callable[..., Any],
) -> None:
    with MeshAPIGateway(realtime_idle_timeout=0.3) as idle_gw:
        client = make_client(base_url=idle_gw.url, token=idle_gw.token)
        async with client.realtime.connect(model=MODEL) as session:
            received: list[RealtimeMessage] = []
            with pytest.raises(RealtimeError) as idle:  # iteration never swallows errors
                await collect(session, received)
            assert idle.value.code == "idle_timeout"
            assert [m.type for m in received] == ["session.created"]
            # Then the gateway's close (1000): iteration ends cleanly...
            assert [m async for m in session] == []
            # ...and receive() says the session is over.
            with pytest.raises(RealtimeError) as closed:
                await session.receive(timeout=WAIT)
            with pytest.raises(RealtimeError) as send_closed:
                await session.send({"type": "response.create"})
    assert closed.value.code == "connection_closed"
    assert "1000" in str(closed.value)
    assert send_closed.value.code == "connection_closed"


async def test_closing_is_idempotent_and_ends_the_session(client: Any, token: str) -> None:
    session = await client.realtime.connect(model=MODEL)
    await expect(session, "session.created")
    await session.aclose()
    await session.aclose()
    assert [m async for m in session] == []
    with pytest.raises(RealtimeError) as closed:
        await session.receive()
    assert closed.value.code == "connection_closed"
    assert "client closed" in str(closed.value)
    with pytest.raises(RealtimeError):
        await session.send_audio(b"\0\0")

    async with client.realtime.connect(model=MODEL) as entered:
        await expect(entered, "session.created")
    await entered.aclose()  # once more after the block: still fine
    assert_no_key(token, session, entered, closed.value)


async def test_a_receive_timeout_leaves_the_session_usable(client: Any) -> None:
    async with client.realtime.connect(model=MODEL) as session:
        await expect(session, "session.created")
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as waited:
            await session.receive(timeout=0.2)
        assert time.monotonic() - started < WAIT
        with pytest.raises(ValueError, match="timeout"):
            await session.receive(timeout=-1)
        await session.send({"type": "response.create"})
        await expect(session, "response.created")
    assert waited.value.error_code == "timeout"
    assert waited.value.status == 0
    assert "0.2 s" in str(waited.value)


# ---------------------------------------------------------------------- opening failures


async def test_a_refused_upgrade_is_mapped_with_the_key_redacted(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    gw.add_fault(Fail(401, code="unauthorized", message=f"the key {token} is not valid"), path=PATH)
    with pytest.raises(AuthenticationError) as refused:
        await client.realtime.connect(model=MODEL)
    error = refused.value
    assert error.status == 401
    assert error.error_code == "unauthorized"
    assert "***" in error.message
    assert error.request_id.startswith("req_")
    assert_no_key(token, error)


async def test_the_handshake_is_bounded_by_the_connect_timeout(
    client: Any, gw: MeshAPIGateway, token: str
) -> None:
    gw.add_fault(StallBeforeHeaders(3.0), path=PATH)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as stalled:
        await client.realtime.connect(model=MODEL, timeout=Timeout(connect=0.3))
    assert time.monotonic() - started < 2.5
    assert stalled.value.error_code == "timeout"
    assert stalled.value.status == 0
    assert_no_key(token, stalled.value)


async def test_an_unreachable_gateway_is_a_connection_error(
    make_client: Callable[..., Any], token: str
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(APIConnectionError) as failed:
        await client.realtime.connect(model=MODEL)
    assert failed.value.error_code == "connection_error"
    assert failed.value.status == 0
    assert_no_key(token, failed.value)


async def test_bad_arguments_fail_before_any_io(client: Any) -> None:
    with pytest.raises(ValueError, match="model"):
        client.realtime.connect(model="")
    with pytest.raises(ValueError, match="Authorization"):
        client.realtime.connect(model=MODEL, extra_headers={"Authorization": "Bearer x"})


# ------------------------------------------------------------- a scripted WebSocket server


class Peer:
    """The server side of one scripted connection (wsproto over a blocking socket)."""

    def __init__(self, conn: socket.socket, ws: WSConnection) -> None:
        self.conn = conn
        self.ws = ws
        self.notes: dict[str, Any] = {}  # what the script saw, for the test to check
        self._pending: deque[Event] = deque()

    def next_event(self) -> Event:
        while not self._pending:
            data = self.conn.recv(65536)
            self.ws.receive_data(data or None)
            self._pending.extend(self.ws.events())
        return self._pending.popleft()

    def send(self, event: Event) -> None:
        self.conn.sendall(self.ws.send(event))

    def close(self, code: int, reason: str = "") -> None:
        """Send a close frame, wait briefly for the client's answer, hang up."""
        self.send(CloseConnection(code=code, reason=reason))
        try:
            while not isinstance(self.next_event(), CloseConnection):
                pass
        except OSError:
            pass


@contextmanager
def scripted_server(
    script: Callable[[Peer], None], *, tls: ssl.SSLContext | None = None
) -> Iterator[dict[str, Any]]:
    """Serve one WebSocket connection on 127.0.0.1 with `script`, on a thread.

    Yields a dict with `url` (for `base_url`; https://localhost:… with `tls`, a server
    context); the thread adds what it saw: `request` (the upgrade), `peer` (its `notes`
    hold what the script recorded) or `tls_error`. It is complete after the block.
    """
    seen: dict[str, Any] = {}
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    seen["url"] = f"https://localhost:{port}" if tls else f"http://127.0.0.1:{port}"

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # the test ended without connecting
        conn.settimeout(WAIT)
        if tls is not None:
            try:
                conn = tls.wrap_socket(conn, server_side=True)
            except OSError as exc:
                seen["tls_error"] = exc
                conn.close()
                return
        with conn:
            peer = Peer(conn, WSConnection(ConnectionType.SERVER))
            request = peer.next_event()
            assert isinstance(request, Request)
            seen["request"] = request
            peer.send(AcceptConnection(subprotocol="openai-realtime"))
            seen["peer"] = peer
            script(peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        listener.close()
        thread.join(WAIT)


async def test_pings_are_answered_and_close_sends_1000(
    make_client: Callable[..., Any],
) -> None:
    def script(peer: Peer) -> None:
        peer.send(Ping(payload=b"still there?"))
        peer.notes["pong"] = peer.next_event()
        peer.send(TextMessage(data='{"type":"pong.seen"}'))
        close = peer.next_event()
        assert isinstance(close, CloseConnection)
        peer.notes["client_close"] = close.code
        peer.send(close.response())

    with scripted_server(script) as seen:
        client = make_client(base_url=seen["url"], token="rsk_scripted")
        session = await client.realtime.connect(model=MODEL)
        await expect(session, "pong.seen")
        await session.aclose()
    notes = seen["peer"].notes
    assert isinstance(notes["pong"], Pong)
    assert notes["pong"].payload == b"still there?"
    assert notes["client_close"] == 1000
    request: Request = seen["request"]
    assert request.subprotocols == ["openai-realtime"]
    assert "api_key=rsk_scripted" in request.target


async def test_an_abnormal_close_is_stream_interrupted(
    make_client: Callable[..., Any],
) -> None:
    def script(peer: Peer) -> None:
        peer.send(TextMessage(data='{"type":"session.created"}'))
        peer.close(1011, "upstream went away")

    with scripted_server(script) as seen:
        client = make_client(base_url=seen["url"], token="rsk_scripted")
        async with client.realtime.connect(model=MODEL) as session:
            received: list[RealtimeMessage] = []
            with pytest.raises(StreamInterruptedError) as broken:  # after the message
                await collect(session, received)
            with pytest.raises(StreamInterruptedError):
                await session.receive(timeout=WAIT)
    assert [m.type for m in received] == ["session.created"]
    assert broken.value.error_code == "stream_interrupted"
    assert broken.value.status == 0
    assert "1011" in str(broken.value)
    assert "upstream went away" in str(broken.value)


async def test_a_dropped_connection_is_stream_interrupted(
    make_client: Callable[..., Any],
) -> None:
    def script(peer: Peer) -> None:
        peer.send(TextMessage(data="not json"))
        peer.conn.shutdown(socket.SHUT_RDWR)  # no close frame: 1006

    with scripted_server(script) as seen:
        client = make_client(base_url=seen["url"], token="rsk_scripted")
        async with client.realtime.connect(model=MODEL) as session:
            first = await session.receive(timeout=WAIT)
            with pytest.raises(StreamInterruptedError) as dropped:
                await session.receive(timeout=WAIT)
            with pytest.raises(StreamInterruptedError):
                await session.send({"type": "response.create"})
    assert first.text == "not json" and first.event is None and first.audio is None
    assert "1006" in str(dropped.value)
    assert_no_key("rsk_scripted", dropped.value, session)


async def test_a_refused_subprotocol_fails_the_handshake(
    make_client: Callable[..., Any],
) -> None:
    # A server that accepts without echoing `openai-realtime` (§6.6: a handshake failure).
    seen: dict[str, Any] = {}
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(WAIT)
        with conn:
            peer = Peer(conn, WSConnection(ConnectionType.SERVER))
            seen["request"] = peer.next_event()
            peer.send(AcceptConnection())
            with suppress(OSError):
                peer.next_event()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        client = make_client(base_url=f"http://127.0.0.1:{listener.getsockname()[1]}")
        with pytest.raises(MeshAPIError, match="subprotocol"):
            await client.realtime.connect(model=MODEL)
    finally:
        listener.close()
        thread.join(WAIT)


# ------------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert path, key path)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", key, "-out", cert, "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def hello_and_close(peer: Peer) -> None:
    peer.send(TextMessage(data='{"type":"session.created"}'))
    peer.close(1000)


async def test_wss_verifies_the_certificate_by_default(
    make_client: Callable[..., Any], certificate: tuple[str, str], token: str
) -> None:
    with scripted_server(hello_and_close, tls=server_context(certificate)) as seen:
        client = make_client(base_url=seen["url"])
        with pytest.raises(APIConnectionError) as refused:
            await client.realtime.connect(model=MODEL)
    assert refused.value.error_code == "connection_error"
    assert "SSLCertVerificationError" in str(refused.value)
    assert_no_key(token, refused.value)


@pytest.fixture
def trust(certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Trust the test certificate the way httpx would: SSL_CERT_FILE."""
    from meshapi_httpx._net_sync import default_ssl_context

    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    default_ssl_context.cache_clear()  # it is built once per process
    yield
    default_ssl_context.cache_clear()


@pytest.mark.usefixtures("trust")
async def test_wss_runs_a_session_over_tls(
    make_client: Callable[..., Any], certificate: tuple[str, str]
) -> None:
    with scripted_server(hello_and_close, tls=server_context(certificate)) as seen:
        client = make_client(base_url=seen["url"])
        async with client.realtime.connect(model=MODEL) as session:
            await expect(session, "session.created")
            assert [m async for m in session] == []
    assert "tls_error" not in seen
