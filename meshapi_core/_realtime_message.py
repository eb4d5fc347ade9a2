"""The realtime event codec: whole WebSocket messages ⇄ `RealtimeMessage` and JSON frames.

This layer knows the realtime event envelope (protocol.md §6.6) and nothing about frames
or connection state; `_realtime.RealtimeProtocol` hands it complete, reassembled messages
and sends what it encodes.

- A text message is kept as `text`; a JSON object in it also becomes `event`; an audio
  delta event also gets its base64 `delta` decoded into `audio`.
- An `error` event is not a message: it decodes to a `RealtimeError` for the protocol to
  raise in its place.
- Client events are compact JSON text frames. Audio goes out as an
  `input_audio_buffer.append` event, because the gateway rejects binary frames from the
  client (§6.6).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import MeshAPIError, RealtimeError, RemoteProtocolError

__all__ = [
    "AUDIO_DELTA_EVENTS",
    "RealtimeMessage",
    "decode_binary_message",
    "decode_text_message",
    "encode_audio_append",
    "encode_event",
]

# §6.6: the GA name and the beta name of the server's audio chunk event.
AUDIO_DELTA_EVENTS = frozenset({"response.output_audio.delta", "response.audio.delta"})

_PREVIEW_CHARS = 80


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RealtimeMessage:
    """One message from the realtime server (protocol.md §6.6).

    Attributes:
        text: The raw text of a text frame; None for a binary frame.
        event: The parsed event when the text is a JSON object; None otherwise (non-JSON
            text, JSON that is not an object, or a binary frame).
        audio: Audio bytes: the decoded `delta` of a `response.output_audio.delta` (or
            beta `response.audio.delta`) event, or the payload of a binary frame; None
            otherwise.
    """

    text: str | None = None
    event: dict[str, Any] | None = None
    audio: bytes | None = None

    @property
    def type(self) -> str | None:
        """The event's `type` when it is a string, else None."""
        if self.event is None:
            return None
        kind = self.event.get("type")
        return kind if isinstance(kind, str) else None

    def __repr__(self) -> str:
        # Audio chunks and long texts would flood logs and test output: show a preview.
        parts: list[str] = []
        if self.event is not None:
            parts.append(f"type={self.type!r}")
        if self.text is not None:
            preview = repr(self.text[:_PREVIEW_CHARS])
            if len(self.text) > _PREVIEW_CHARS:
                preview += f"…<{len(self.text)} chars>"
            parts.append(f"text={preview}")
        if self.audio is not None:
            parts.append(f"audio=<{len(self.audio)} bytes>")
        return f"RealtimeMessage({', '.join(parts)})"


def decode_text_message(
    text: str, *, scrub: Callable[[str], str], request_id: str = ""
) -> RealtimeMessage | MeshAPIError:
    """Decode one complete text message from the server.

    Args:
        text: The whole message text, after reassembly.
        scrub: Removes the API key from texts that go into an exception.
        request_id: The fallback request id (the handshake's `x-request-id`), for an
            error event that carries none.

    Returns:
        The message, or, for an `error` event or an audio delta whose `delta` is not
        base64, the error to raise where the message would have been. Neither error ends
        the session (§6.6: it stays usable after a `RealtimeError`).
    """
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        # Not JSON (RecursionError: nesting deeper than the C scanner allows).
        return RealtimeMessage(text=text)
    if not isinstance(data, dict):
        return RealtimeMessage(text=text)
    kind = data.get("type")
    if kind == "error":
        return _error_event(data, scrub=scrub, request_id=request_id)
    # isinstance first: a `type` that is a list or an object is unhashable, and the set
    # lookup would raise TypeError out of the receive path (found by fuzzing).
    if isinstance(kind, str) and kind in AUDIO_DELTA_EVENTS:
        delta = data.get("delta")
        try:
            if not isinstance(delta, str):
                raise ValueError("delta is not a string")
            audio = base64.b64decode(delta, validate=True)
        except (ValueError, binascii.Error):
            # Dropping the chunk would be a silent gap in the audio; say so instead.
            return RemoteProtocolError(
                f"realtime event {kind} carries a delta that is not valid base64",
                request_id=_request_id_of(data) or request_id,
            )
        return RealtimeMessage(text=text, event=data, audio=audio)
    return RealtimeMessage(text=text, event=data)


def decode_binary_message(data: bytes) -> RealtimeMessage:
    """A binary message from the server is audio only (protocol.md §6.6)."""
    return RealtimeMessage(audio=data)


def encode_event(event: Mapping[str, Any]) -> str:
    """One client event as compact JSON text.

    `ensure_ascii` stays on: it escapes lone surrogates, which would otherwise make the
    UTF-8 encoding of the frame fail, and costs nothing on the mostly-ASCII events.

    Args:
        event: The event object, for example `{"type": "response.create"}`.

    Returns:
        The JSON text of one text frame.

    Raises:
        TypeError: if `event` is not a mapping, or holds a value JSON cannot encode.
        ValueError: if it holds NaN or an infinity (not JSON), or a circular reference.
    """
    if not isinstance(event, Mapping):
        raise TypeError(f"a realtime event must be a mapping, got {type(event).__name__}")
    return json.dumps(dict(event), separators=(",", ":"), allow_nan=False)


def encode_audio_append(pcm: bytes | bytearray | memoryview) -> str:
    """The `input_audio_buffer.append` event carrying `pcm` as base64 (protocol.md §6.6).

    Args:
        pcm: PCM16 audio, 24 kHz mono, as the session's input format says.

    Returns:
        The JSON text of one text frame (never a binary frame: the gateway rejects those).

    Raises:
        TypeError: if `pcm` is not bytes-like.
    """
    if not isinstance(pcm, (bytes, bytearray, memoryview)):
        raise TypeError(f"audio must be bytes, got {type(pcm).__name__}")
    audio = base64.b64encode(pcm).decode("ascii")
    return f'{{"type":"input_audio_buffer.append","audio":"{audio}"}}'


def _error_event(
    data: dict[str, Any], *, scrub: Callable[[str], str], request_id: str
) -> RealtimeError:
    """§6.6 error event → `RealtimeError`; a missing code/message gets the defaults."""
    body = data.get("error")
    fields: dict[str, Any] = body if isinstance(body, dict) else {}

    def text_field(name: str) -> str | None:
        value = fields.get(name)
        return scrub(value) if isinstance(value, str) and value else None

    # RealtimeError itself turns a None code into "unknown" and a None message into
    # "realtime error", so the defaults live in one place.
    return RealtimeError(
        text_field("code"),
        text_field("message"),
        text_field("param"),
        scrub(_request_id_of(data)) or request_id,
    )


def _request_id_of(data: dict[str, Any]) -> str:
    value = data.get("request_id")
    return value if isinstance(value, str) else ""
