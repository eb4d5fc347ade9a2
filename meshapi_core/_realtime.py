"""The realtime WebSocket protocol of one session: bytes in, bytes out (protocol.md §6.6).

Theory of operation
-------------------
`RealtimeProtocol` wraps a client `wsproto.WSConnection` and adds what the MeshAPI
realtime gateway asks for: the handshake of §6.6 (key in the query, subprotocol
`openai-realtime` offered and required back, `X-MeshAPI-SDK`, no `Authorization`), the
event codec of `_realtime_message`, and the close rules. It never does I/O: a driver
writes the bytes it returns and feeds it the bytes it reads.

A driver uses six verbs:

- `initiate() -> bytes`: the upgrade request, to write first.
- `receive_data(data)`: every chunk read from the stream; `b""` (or `receive_eof()`)
  means the peer closed the stream. All complete frames are processed at once: pings
  are answered, fragments reassembled, closes replied to, the state updated.
- `next_message()`: the next `RealtimeMessage`, `NEED_DATA` (read more) or
  `CONNECTION_CLOSED` (the session ended cleanly). Errors that arrived on the wire are
  raised *here*, in order: a message received before an error event is returned before
  the `RealtimeError` is raised, and nothing that came first is lost.
- `data_to_send() -> bytes`: automatic replies (pongs, the reply to the gateway's close
  frame, our close after a protocol violation). Flush it after every `receive_data`.
- `send_event(event)`, `send_audio(pcm)`, `close()` -> bytes: outgoing frames, each with
  any queued replies in front, so a driver that writes what they return loses nothing.

States (`RealtimeState`) and the inputs that move between them are data, in
`_TRANSITIONS`; a pair that is not in the table is a bug and raises. The terminal states
are CLOSED (clean: a 1000/1001 close by the gateway, or our own `close()`) and FAILED (a
refused upgrade, an abnormal close, a dropped stream or a protocol violation). Once
terminal, incoming bytes are ignored and every further `next_message()` gives the same
answer: `CONNECTION_CLOSED`, or a fresh copy of the failure.

Errors, following style.md habit 5:

- The peer's fault, raised only from the receive verbs: a refused upgrade is mapped like
  an HTTP error (§4.3, `_error_mapping.error_from_response`); a broken handshake is a
  `RemoteProtocolError`; after the handshake, an abnormal close, a stream that ends
  without a close frame (1006) or a framing violation is a `StreamInterruptedError`
  (code `stream_interrupted`, status 0, close code and reason in the message). wsproto's
  own exceptions never escape.
- Error events are `RealtimeError`s that leave the session usable (§6.6).
- The session being over is `RealtimeError("connection_closed")`, from `closed_error()`
  and from the send verbs.
- Driver mistakes (sending before the handshake completed, `initiate()` twice, feeding
  bytes before `initiate()`) are `RuntimeError`; bad arguments are `ValueError` or
  `TypeError`. No session user can reach these through the session API.

The URL holds the API key (§1.2, §6.6): it is shown only through `redact_url`, and every
text that goes into an exception passes through a `SecretScrubber` first.
"""

from __future__ import annotations

import copy
import enum
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import ProtocolError

from ._config import SDK_HEADER_VALUE
from ._error_mapping import error_from_response
from ._errors import MeshAPIError, RealtimeError, RemoteProtocolError, make_error
from ._realtime_message import (
    RealtimeMessage,
    decode_binary_message,
    decode_text_message,
    encode_audio_append,
    encode_event,
)
from ._realtime_url import SecretScrubber

__all__ = [
    "CONNECTION_CLOSED",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "NEED_DATA",
    "SUBPROTOCOL",
    "RealtimeMessage",
    "RealtimeProtocol",
    "RealtimeState",
    "Signal",
]

# §6.6: the client offers exactly this subprotocol and the gateway must echo it.
SUBPROTOCOL: Final = "openai-realtime"

# §6.6: "Frames of at least 16 MiB are accepted". Twice that, so a 16 MiB audio payload
# still fits once base64 and the JSON envelope have grown it by a third.
DEFAULT_MAX_MESSAGE_SIZE: Final = 32 * 1024 * 1024

# A refused upgrade's body is only read for its error message (cut to 500 characters
# by §4.3); a larger body is mapped from what came so far.
_MAX_REFUSAL_BODY = 64 * 1024

# §6.6: a normal close by the gateway is 1000 (normal) or 1001 (going away).
_NORMAL_CLOSE_CODES = frozenset({1000, 1001})

# RFC 6455 §7.4: the codes an endpoint may put in a close frame it sends.
_SENDABLE_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015)})

# RFC 6455 §5.5: a control frame payload is at most 125 bytes, 2 of them the code.
_MAX_CLOSE_REASON_BYTES = 123

# RFC 9110 §5.1 token, and a field value of visible ASCII with inner spaces/tabs only,
# so no header can smuggle a line break or carry bytes h11 would refuse.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"(?:[!-~]+(?:[ \t]+[!-~]+)*)?")

# Headers the caller may not set. wsproto writes the WebSocket ones itself (a second copy
# would break the handshake), a GET upgrade has no body, and §6.6 forbids the last two:
# the key travels only in the query, and the API version header is never sent here.
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "sec-websocket-accept",
        "content-length",
        "transfer-encoding",
        "authorization",
        "x-mesh-version",
    }
)


class RealtimeState(enum.Enum):
    """Where a `RealtimeProtocol` is in its life.

    IDLE: built, `initiate()` not called yet. CONNECTING: the upgrade request is out.
    OPEN: accepted; messages flow. CLOSING: we sent a close frame and wait for the
    gateway's. CLOSED: ended cleanly. FAILED: refused, or ended abnormally.
    """

    IDLE = "idle"
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"


class _Input(enum.Enum):
    INITIATE = "initiate"  # initiate() sent the upgrade request
    ACCEPTED = "accepted"  # 101 with the right subprotocol
    REFUSED = "refused"  # any other answer to the upgrade, or none
    LOCAL_CLOSE = "local_close"  # close() was called
    PEER_CLOSE = "peer_close"  # the gateway's close frame ended the session cleanly
    BROKEN = "broken"  # abnormal close code, EOF without close frame, protocol violation


_S = RealtimeState
# Every transition lives here (style.md habit 4). A close frame's code decides between
# PEER_CLOSE and BROKEN only while OPEN: once we have said goodbye ourselves, whatever
# ends the connection is the end we asked for.
_TRANSITIONS: Final[Mapping[tuple[RealtimeState, _Input], RealtimeState]] = {
    (_S.IDLE, _Input.INITIATE): _S.CONNECTING,
    (_S.IDLE, _Input.LOCAL_CLOSE): _S.CLOSED,
    (_S.CONNECTING, _Input.ACCEPTED): _S.OPEN,
    (_S.CONNECTING, _Input.REFUSED): _S.FAILED,
    (_S.CONNECTING, _Input.LOCAL_CLOSE): _S.CLOSED,
    (_S.OPEN, _Input.LOCAL_CLOSE): _S.CLOSING,
    (_S.OPEN, _Input.PEER_CLOSE): _S.CLOSED,
    (_S.OPEN, _Input.BROKEN): _S.FAILED,
    (_S.CLOSING, _Input.PEER_CLOSE): _S.CLOSED,
    (_S.CLOSING, _Input.BROKEN): _S.CLOSED,
}
_TERMINAL: Final = frozenset({_S.CLOSED, _S.FAILED})


class Signal(enum.Enum):
    """What `next_message()` returns when it has no message to give."""

    NEED_DATA = "need_data"
    CONNECTION_CLOSED = "connection_closed"


NEED_DATA: Final = Signal.NEED_DATA
"""No complete message yet: read from the stream and call `receive_data`."""

CONNECTION_CLOSED: Final = Signal.CONNECTION_CLOSED
"""The session ended cleanly: iteration stops; `receive()` raises `closed_error()`."""


@dataclass(slots=True)
class _Refusal:
    """A non-101 answer to the upgrade, collected until its body is complete."""

    status: int
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)


class RealtimeProtocol:
    """The client side of one realtime WebSocket session, without I/O.

    See the module docstring for the verbs and the order a driver calls them in. The
    object is not thread-safe: an async driver with separate reader and writer tasks
    must serialise calls into it (and its writes) with a lock.
    """

    def __init__(
        self,
        url: str,
        *,
        extra_headers: Mapping[str, str | None] | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Prepare a session for `url`; nothing is sent until `initiate()`.

        Args:
            url: The `ws://` or `wss://` URL from `realtime_url`, key in the query.
            extra_headers: Headers added to the upgrade request, applied last; a value of
                None removes a header the SDK would send (`X-MeshAPI-SDK`), as on HTTP
                (§1.3).
            max_message_size: The largest message (after reassembly, in bytes) accepted
                from the gateway. A larger one fails the session with close code 1009.
            clock: Returns the current epoch time; used only to turn an HTTP-date
                `Retry-After` on a refused upgrade into seconds (§4.4). Without it such a
                date is ignored (a delta-seconds value still counts).

        Raises:
            ValueError: for a URL that is not ws(s) with a host (the message shows the
                URL redacted), a reserved or malformed extra header, or a
                `max_message_size` that is not a positive int.
        """
        if not isinstance(url, str):
            raise ValueError(f"url must be a string, got {type(url).__name__}")
        # First, so that every message below can already be redacted.
        self._scrubber = SecretScrubber(url)
        self._shown_url = self._scrubber.scrub(url)
        host, target = _split_url(url, shown=self._shown_url)
        if (
            not isinstance(max_message_size, int)
            or isinstance(max_message_size, bool)
            or max_message_size < 1
        ):
            raise ValueError(f"max_message_size must be a positive int, got {max_message_size!r}")
        self._request = Request(
            host=host,
            target=target,
            subprotocols=[SUBPROTOCOL],
            extra_headers=_handshake_headers(extra_headers),
        )
        self._max_message_size = max_message_size
        self._clock = clock
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._state = RealtimeState.IDLE
        self._outbox = bytearray()
        self._inbox: deque[RealtimeMessage | MeshAPIError] = deque()
        self._failure: MeshAPIError | None = None
        self._refusal: _Refusal | None = None
        self._text_parts: list[str] = []
        self._binary_parts: list[bytes] = []
        self._message_size = 0
        self._request_id = ""
        self._close_code: int | None = None
        self._close_reason = ""
        self._closed_by_peer = False

    # -- what a driver reads -------------------------------------------------------------

    @property
    def state(self) -> RealtimeState:
        """The current state; see `RealtimeState`."""
        return self._state

    @property
    def url(self) -> str:
        """The URL with the key shown as `***`."""
        return self._shown_url

    @property
    def request_id(self) -> str:
        """The `x-request-id` of the 101 response, or `""` (before it, or without one)."""
        return self._request_id

    @property
    def close_code(self) -> int | None:
        """The close code that ended the session, once known (1006: no close frame)."""
        return self._close_code

    @property
    def close_reason(self) -> str:
        """The close frame's reason text (key redacted), `""` when there was none."""
        return self._close_reason

    def __repr__(self) -> str:
        return f"RealtimeProtocol(url={self._shown_url!r}, state={self._state.name})"

    # -- handshake -----------------------------------------------------------------------

    def initiate(self) -> bytes:
        """The HTTP/1.1 upgrade request (§6.6): write it first, then read the answer.

        It targets the URL's path and query, offers exactly `openai-realtime`, and
        carries `X-MeshAPI-SDK: python/<version>` plus the extra headers; no
        `Authorization` and no `X-Mesh-Version`.

        Returns:
            The request bytes. The state is CONNECTING afterwards.

        Raises:
            RuntimeError: if called twice.
        """
        if self._state is not RealtimeState.IDLE:
            raise RuntimeError(f"initiate() was already called (state {self._state.name})")
        data = self._ws.send(self._request)
        self._advance(_Input.INITIATE)
        return data

    # -- receiving -----------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes read from the stream; `b""` means the stream ended (EOF).

        During the handshake the answer to the upgrade is parsed; once accepted, every
        complete frame is processed: messages are queued for `next_message()`, pings
        and the gateway's close frame are answered into `data_to_send()`. Bytes that
        arrive once the session is CLOSED or FAILED are ignored.

        Args:
            data: The bytes, in any chunking (one byte at a time works).

        Raises:
            MeshAPIError: only while CONNECTING, when the upgrade failed; the state is
                FAILED afterwards and the driver should close the stream. A refusal is
                mapped like an HTTP error (§4.3: for example a 401 `AuthenticationError`
                with the envelope's code and message); an answer that is not a valid
                upgrade, or a 101 without the `openai-realtime` subprotocol, is a
                `RemoteProtocolError`; EOF before any answer is an `APIConnectionError`
                (`connection_error`).
            RuntimeError: before `initiate()`.
            TypeError: if `data` is not bytes-like.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        if self._state is RealtimeState.IDLE:
            raise RuntimeError("receive_data() before initiate()")
        if self._state in _TERMINAL:
            # Nothing left to learn; a driver may well read on until EOF after a close.
            return
        chunk = bytes(data) or None  # wsproto spells EOF as None
        if self._state is RealtimeState.CONNECTING:
            self._receive_handshake(chunk)
        else:
            try:
                self._ws.receive_data(chunk)
            except ProtocolError as exc:  # pragma: no cover - wsproto raises none once open
                self._violation(1002, str(exc))
                return
            self._process_events(eof=chunk is None)

    def receive_eof(self) -> None:
        """The stream ended: the same as `receive_data(b"")`."""
        self.receive_data(b"")

    def next_message(self) -> RealtimeMessage | Signal:
        """The next message, in the order the gateway sent them.

        Returns:
            A `RealtimeMessage`; `NEED_DATA` when none is complete yet (also before the
            handshake completed); `CONNECTION_CLOSED` once the session ended cleanly (the
            gateway's 1000/1001 close, or our own `close()`, after which messages still
            in flight are dropped), for this and every later call.

        Raises:
            RealtimeError: for an `error` event (§6.6), with its code, message, param
                and request id. The session stays usable: call again for what follows.
            RemoteProtocolError: for an audio delta whose `delta` is not base64; the
                session stays usable as well.
            StreamInterruptedError: once the session failed (close code other than
                1000/1001, EOF without a close frame: 1006, a protocol violation, an
                oversized message), after every message that arrived before it; raised
                again (a fresh copy) on every later call.
            MeshAPIError: after a failed handshake, the same error again.
        """
        if self._inbox:
            item = self._inbox.popleft()
            if isinstance(item, MeshAPIError):
                raise item
            return item
        if self._failure is not None:
            raise copy.copy(self._failure)
        if self._state in (RealtimeState.CLOSING, RealtimeState.CLOSED):
            return CONNECTION_CLOSED
        return NEED_DATA

    def closed_error(self) -> RealtimeError:
        """The error a `receive()` after the clean end raises (§6.6).

        Returns:
            A `RealtimeError` with code `connection_closed` naming who closed the session
            and, for the gateway, its close code and reason.
        """
        if self._closed_by_peer:
            reason = f": {self._close_reason}" if self._close_reason else ""
            detail = f"the gateway closed it with code {self._close_code}{reason}"
        else:
            detail = "the client closed it"
        return RealtimeError(
            "connection_closed",
            f"the realtime session is closed ({detail})",
            None,
            self._request_id,
        )

    def data_to_send(self) -> bytes:
        """The automatic replies queued since the last call (pongs, close replies).

        Returns:
            The bytes to write (`b""` when there are none); the queue is emptied.
        """
        data = bytes(self._outbox)
        self._outbox.clear()
        return data

    # -- sending -------------------------------------------------------------------------

    def send_event(self, event: Mapping[str, Any]) -> bytes:
        """One client event as a compact JSON text frame.

        Args:
            event: The event, for example `{"type": "response.create"}`.

        Returns:
            The bytes to write: queued replies, then the frame.

        Raises:
            RealtimeError: `connection_closed`, once the session is closing or closed.
            StreamInterruptedError: once the session failed (the failure again).
            RuntimeError: before the handshake completed.
            TypeError, ValueError: for an event JSON cannot encode.
        """
        self._check_can_send()
        return self._send_text(encode_event(event))

    def send_audio(self, pcm: bytes | bytearray | memoryview) -> bytes:
        """PCM16 audio as an `input_audio_buffer.append` event with base64 (§6.6).

        Always a text frame: the gateway answers binary frames from the client with an
        error event.

        Args:
            pcm: The audio bytes (24 kHz mono PCM16 for the default session format).

        Returns:
            The bytes to write: queued replies, then the frame.

        Raises:
            RealtimeError, StreamInterruptedError, RuntimeError: as `send_event`.
            TypeError: if `pcm` is not bytes-like.
        """
        self._check_can_send()
        return self._send_text(encode_audio_append(pcm))

    def close(self, code: int = 1000, reason: str = "") -> bytes:
        """Start the closing handshake; idempotent, and never raises for any state.

        While OPEN this queues a close frame and moves to CLOSING (messages not yet
        taken are dropped); the gateway's answering close frame, or EOF, then moves to
        CLOSED. Before the handshake completed there is nothing to send: the state is
        CLOSED at once. Afterwards it only flushes what is queued.

        Args:
            code: The close code (RFC 6455 §7.4): 1000 by default.
            reason: A short reason text, at most 123 bytes of UTF-8.

        Returns:
            The bytes to write (queued replies, then the close frame); `b""` on a second
            call.

        Raises:
            ValueError: for a code an endpoint may not send, or a reason too long (a
                programming error, checked whatever the state).
        """
        _check_close_arguments(code, reason)
        if self._state is RealtimeState.OPEN:
            self._outbox += self._ws.send(CloseConnection(code=code, reason=reason))
            self._close_code, self._close_reason = code, self._scrubber.scrub(reason)
            self._drop_pending()
            self._advance(_Input.LOCAL_CLOSE)
        elif self._state in (RealtimeState.IDLE, RealtimeState.CONNECTING):
            self._advance(_Input.LOCAL_CLOSE)
        return self.data_to_send()

    # -- internals -----------------------------------------------------------------------

    def _advance(self, what: _Input) -> None:
        try:
            self._state = _TRANSITIONS[(self._state, what)]
        except KeyError:  # pragma: no cover - a missing pair is a bug in this module
            raise RuntimeError(
                f"realtime protocol bug: no transition from {self._state.name} on {what.name}"
            ) from None

    def _check_can_send(self) -> None:
        if self._state is RealtimeState.OPEN:
            return
        if self._state in (RealtimeState.IDLE, RealtimeState.CONNECTING):
            raise RuntimeError("cannot send before the realtime handshake has completed")
        if self._failure is not None:
            raise copy.copy(self._failure)
        raise self.closed_error()

    def _send_text(self, text: str) -> bytes:
        return self.data_to_send() + self._ws.send(TextMessage(data=text))

    def _receive_handshake(self, chunk: bytes | None) -> None:
        """Parse the answer to the upgrade; raise (and go FAILED) if it is not a 101."""
        broken: str | None = None
        try:
            self._ws.receive_data(chunk)
        except (ProtocolError, UnicodeError) as exc:
            # h11's parse errors arrive as wsproto's RemoteProtocolError; a non-ASCII
            # Connection or Sec-WebSocket-Protocol value as a bare UnicodeDecodeError.
            broken = str(exc) or type(exc).__name__
        # Events parsed before a failure still count: a refusal's status line and body.
        self._process_events(eof=chunk is None)
        if self._state is not RealtimeState.CONNECTING:
            return
        if self._refusal is not None:
            if broken is not None or chunk is None:
                # A body cut short (or unparsable) is mapped from what arrived: the
                # status alone already says what happened.
                self._refuse()
            return
        if chunk is None:
            # No answer, or half a status line: h11 complains about the latter, but either
            # way the connection went away before the gateway answered (§6.6, §4.2).
            self._fail_handshake(
                make_error(
                    "the connection closed before the gateway answered the realtime upgrade",
                    status=0,
                    error_code="connection_error",
                    request_id=None,
                )
            )
        if broken is not None:
            self._fail_handshake(
                RemoteProtocolError(
                    "the answer to the realtime upgrade is not a valid WebSocket "
                    f"handshake: {self._scrubber.scrub(broken)}"
                )
            )

    def _process_events(self, *, eof: bool) -> None:
        for event in self._ws.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                self._on_data(event)
            elif isinstance(event, Ping):
                self._on_ping(event)
            elif isinstance(event, CloseConnection):
                self._on_close(event, eof=eof)
            elif isinstance(event, AcceptConnection):
                self._on_accept(event)
            elif isinstance(event, RejectConnection):
                self._on_refusal(event)
            elif isinstance(event, RejectData):
                self._on_refusal_data(event)
            # Pong: we never ping, so an unsolicited pong is ignored (RFC 6455 §5.5.3).
            if self._state in _TERMINAL:
                break  # what follows a terminal event no longer matters

    def _on_accept(self, event: AcceptConnection) -> None:
        headers = _header_dict(event.extra_headers)
        self._request_id = self._scrubber.scrub(headers.get("x-request-id", ""))
        if event.subprotocol != SUBPROTOCOL:
            # §6.6: choosing any other subprotocol, or none, is a handshake failure.
            chosen = "none" if event.subprotocol is None else repr(event.subprotocol)
            self._fail_handshake(
                RemoteProtocolError(
                    "realtime handshake failed: the gateway did not select the subprotocol "
                    f"{SUBPROTOCOL!r} (it selected {self._scrubber.scrub(chosen)})",
                    request_id=self._request_id,
                )
            )
        self._advance(_Input.ACCEPTED)

    def _on_refusal(self, event: RejectConnection) -> None:
        self._refusal = _Refusal(event.status_code, _header_dict(event.headers))
        if not event.has_body:  # a 1xx other than 101: nothing more will come
            self._refuse()

    def _on_refusal_data(self, event: RejectData) -> None:
        assert self._refusal is not None  # wsproto sends RejectConnection first
        body = self._refusal.body
        body += event.data[: _MAX_REFUSAL_BODY - len(body)]
        if event.body_finished or len(body) >= _MAX_REFUSAL_BODY:
            self._refuse()

    def _refuse(self) -> NoReturn:
        """§6.6 "Upgrade refused": status and body mapped by §4.3, key redacted."""
        assert self._refusal is not None
        headers = dict(self._refusal.headers)
        if self._clock is not None:
            now = self._clock()
        else:
            # No clock, no way to measure an HTTP-date: drop it rather than misread it.
            now = 0.0
            retry_after = headers.get("retry-after", "").strip()
            if retry_after and not (retry_after.isascii() and _is_decimal(retry_after)):
                del headers["retry-after"]
        mapped = error_from_response(
            self._refusal.status, headers, bytes(self._refusal.body), now=now
        )
        scrub = self._scrubber.scrub
        self._fail_handshake(
            make_error(
                scrub(mapped.message),
                status=mapped.status,
                error_code=scrub(mapped.error_code),
                request_id=scrub(mapped.request_id),
                details=_scrub_json(mapped.details, scrub),
                provider_error=_scrub_json(mapped.provider_error, scrub),
                retry_after_seconds=mapped.retry_after_seconds,
                param=scrub(mapped.param) if mapped.param is not None else None,
            )
        )

    def _fail_handshake(self, error: MeshAPIError) -> NoReturn:
        self._failure = error
        self._advance(_Input.REFUSED)
        raise copy.copy(error)

    def _on_data(self, event: TextMessage | BytesMessage) -> None:
        if self._state is not RealtimeState.OPEN:
            return  # CLOSING: close() said the caller wants no more messages
        if isinstance(event, TextMessage):
            self._message_size += _utf8_length(event.data)
        else:
            self._message_size += len(event.data)
        if self._message_size > self._max_message_size:
            self._violation(
                1009,
                f"a message is larger than max_message_size ({self._max_message_size} bytes)",
            )
            return
        # wsproto hands out fragments (and parts of frames) as they arrive; a message is
        # complete at message_finished (RFC 6455 §5.4).
        if isinstance(event, TextMessage):
            self._text_parts.append(event.data)
        else:
            self._binary_parts.append(bytes(event.data))
        if not event.message_finished:
            return
        item: RealtimeMessage | MeshAPIError
        if isinstance(event, TextMessage):
            item = decode_text_message(
                "".join(self._text_parts),
                scrub=self._scrubber.scrub,
                request_id=self._request_id,
            )
        else:
            item = decode_binary_message(b"".join(self._binary_parts))
        self._text_parts.clear()
        self._binary_parts.clear()
        self._message_size = 0
        self._inbox.append(item)

    def _on_ping(self, event: Ping) -> None:
        # §6.6 "The client answers pings automatically"; wsproto only builds the pong.
        # After our own close frame no pong may follow it (wsproto refuses, RFC §5.5.1).
        if self._ws.state is ConnectionState.OPEN:
            self._outbox += self._ws.send(event.response())

    def _on_close(self, event: CloseConnection, *, eof: bool) -> None:
        code, reason = int(event.code), self._scrubber.scrub(event.reason or "")
        ws_state = self._ws.state
        if ws_state is ConnectionState.REMOTE_CLOSING:
            # The gateway's close frame while we were open: RFC 6455 §5.5.1 asks for a
            # close frame back, echoing the code.
            self._outbox += self._ws.send(event.response())
            self._close_code, self._close_reason = code, reason
            self._closed_by_peer = True
            if code in _NORMAL_CLOSE_CODES:
                self._advance(_Input.PEER_CLOSE)
            else:
                said = f" ({reason})" if reason else ""
                self._break(f"the gateway closed the realtime connection with code {code}{said}")
        elif ws_state is ConnectionState.CLOSED and eof:
            # wsproto reports the end of the stream as code 1006 (RFC 6455 §7.1.5).
            if self._state is RealtimeState.OPEN:
                self._close_code = code
            self._break(f"the realtime connection dropped without a close frame (code {code})")
        elif ws_state is ConnectionState.CLOSED:
            # The gateway's answer to our own close frame: the handshake is complete.
            self._advance(_Input.PEER_CLOSE)
        else:
            # wsproto turns a framing error into a CloseConnection event with the code to
            # send, without changing state: the gateway broke the protocol.
            self._violation(code, reason)

    def _violation(self, code: int, what: str) -> None:
        """Fail the connection ourselves (RFC 6455 §7.1.7): close frame, then broken."""
        if self._ws.state is ConnectionState.OPEN:
            self._outbox += self._ws.send(CloseConnection(code=code))
        if self._state is RealtimeState.OPEN:
            self._close_code = code
        self._break(f"the realtime connection broke: {what}; the SDK closed it with code {code}")

    def _break(self, message: str) -> None:
        if self._state is RealtimeState.OPEN:
            # §6.6: an abnormal close is stream_interrupted, status 0, code and reason in
            # the message; make_error picks StreamInterruptedError.
            self._failure = make_error(
                self._scrubber.scrub(message),
                status=0,
                error_code="stream_interrupted",
                request_id=self._request_id,
            )
        self._drop_partial()
        self._advance(_Input.BROKEN)

    def _drop_pending(self) -> None:
        self._inbox.clear()
        self._drop_partial()

    def _drop_partial(self) -> None:
        self._text_parts.clear()
        self._binary_parts.clear()
        self._message_size = 0


def _split_url(url: str, *, shown: str) -> tuple[str, str]:
    """The Host header value and the request target (path and query) of a ws(s) URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port, raising ValueError
    except ValueError:
        raise ValueError(f"not a valid realtime URL: {shown!r}") from None
    if parts.scheme.lower() not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"the realtime URL must be ws:// or wss:// with a host, got {shown!r}")
    if "@" in parts.netloc or parts.fragment:
        raise ValueError(f"the realtime URL must not carry user info or a fragment: {shown!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii() or any(ch <= " " or ch == "\x7f" for ch in target):
        raise ValueError(f"the realtime URL must be percent-encoded ASCII, got {shown!r}")
    try:
        parts.netloc.encode("idna")
    except UnicodeError:
        raise ValueError(f"the realtime URL has an invalid host: {shown!r}") from None
    return parts.netloc, target


def _handshake_headers(extra: Mapping[str, str | None] | None) -> list[tuple[bytes, bytes]]:
    """`X-MeshAPI-SDK` (§1.3) with the caller's extra headers applied last."""
    headers: dict[str, tuple[str, str]] = {"x-meshapi-sdk": ("X-MeshAPI-SDK", SDK_HEADER_VALUE)}
    for name, value in (extra or {}).items():
        if not isinstance(name, str) or _HEADER_NAME.fullmatch(name) is None:
            raise ValueError(f"extra_headers: {name!r} is not a valid header name")
        lowered = name.lower()
        if lowered in _RESERVED_HEADERS:
            raise ValueError(f"extra_headers: {name!r} may not be set on the realtime handshake")
        if value is None:
            headers.pop(lowered, None)
            continue
        if not isinstance(value, str) or _HEADER_VALUE.fullmatch(value) is None:
            # The value is not echoed: a header may well hold a credential.
            raise ValueError(
                f"extra_headers[{name!r}] must be a string of visible ASCII characters"
            )
        headers[lowered] = (name, value)
    return [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.values()]


def _header_dict(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """wsproto's `[(name, value)]` (h11 lower-cases names) → lower-case `dict`."""
    result: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = bytes(raw_name).decode("latin-1").lower()
        value = bytes(raw_value).decode("latin-1")
        # RFC 9110 §5.3: repeated fields combine into one comma-separated value.
        result[name] = f"{result[name]}, {value}" if name in result else value
    return result


def _check_close_arguments(code: int, reason: str) -> None:
    if (
        not isinstance(code, int)
        or isinstance(code, bool)
        or not (code in _SENDABLE_CLOSE_CODES or 3000 <= code <= 4999)
    ):
        raise ValueError(f"close code must be 1000-1003, 1007-1014 or 3000-4999, got {code!r}")
    if not isinstance(reason, str):
        raise ValueError(f"close reason must be a string, got {type(reason).__name__}")
    try:
        size = len(reason.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("close reason must be encodable as UTF-8") from None
    if size > _MAX_CLOSE_REASON_BYTES:
        raise ValueError(f"close reason must be at most {_MAX_CLOSE_REASON_BYTES} bytes of UTF-8")


def _utf8_length(text: str) -> int:
    # The size cap is in bytes; most realtime text is ASCII JSON, where len() is exact.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _is_decimal(text: str) -> bool:
    whole, _, fraction = text.partition(".")
    return whole.isdigit() and (not fraction or fraction.isdigit())


def _scrub_json(value: Any, scrub: Callable[[str], str]) -> Any:
    """Every string inside a parsed JSON value, redacted (error details can echo input)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_json(item, scrub) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_json(item, scrub) for key, item in value.items()}
    return value
