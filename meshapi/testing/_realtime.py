"""Realtime over WebSocket at `/v1/realtime` (protocol.md §6.6).

The handshake authenticates with the `api_key` query parameter only and echoes the
`openai-realtime` subprotocol. A bad key or an unknown model is accepted, told with an
`error` event, and closed with 1008 — never left silent. Then: `session.created` first;
`session.update` (which needs `session.type == "realtime"`) → `session.updated`;
base64 `input_audio_buffer.append` (binary client frames are refused with an error event);
`response.create` → `response.created`, text deltas, PCM16 24 kHz audio deltas (a
deterministic tone), `response.done`. A session idle for `realtime_idle_timeout` seconds
gets `idle_timeout` and a close.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import struct
import time
from typing import Any

from aiohttp import WSMsgType, web

from ._catalogue import DEFAULT_REALTIME_MODEL
from ._context import RequestContext
from ._errors import GatewayError
from ._ids import new_id
from ._json import dumps
from ._recording import RealtimeMessage
from ._responder import respond, split_words

__all__ = ["realtime", "tone_pcm16"]

SUBPROTOCOL = "openai-realtime"
SAMPLE_RATE = 24_000
POLICY_VIOLATION = 1008
MAX_FRAME = 32 * 1024 * 1024


def tone_pcm16(milliseconds: int = 100, frequency: float = 440.0) -> bytes:
    """Deterministic little-endian PCM16 mono at 24 kHz: a sine tone."""
    samples = SAMPLE_RATE * milliseconds // 1000
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * n / SAMPLE_RATE)))
        for n in range(samples)
    )


class _Session:
    """One realtime connection's state."""

    def __init__(self, ctx: RequestContext, ws: web.WebSocketResponse, model: str) -> None:
        self.ctx = ctx
        self.ws = ws
        self.id = new_id("sess_", 24)
        self.config: dict[str, Any] = {
            "id": self.id,
            "object": "realtime.session",
            "type": "realtime",
            "model": model,
            "output_modalities": ["audio"],
            "instructions": "",
            "audio": {
                "input": {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE}},
                "output": {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE}, "voice": "alloy"},
            },
        }
        self.audio = bytearray()
        self.items: list[dict[str, Any]] = []

    async def send(self, event: dict[str, Any]) -> None:
        event.setdefault("event_id", new_id("event_", 20))
        await self.ws.send_str(dumps(event))

    async def error(self, code: str, message: str, param: str | None = None) -> None:
        await self.send(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": code,
                    "message": message,
                    "param": param,
                },
                "request_id": self.ctx.request_id,
            }
        )

    async def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "session.update":
            await self._session_update(event)
        elif kind == "input_audio_buffer.append":
            audio = event.get("audio")
            try:
                decoded = base64.b64decode(audio, validate=True) if isinstance(audio, str) else None
            except (binascii.Error, ValueError):
                decoded = None
            if decoded is None:
                await self.error(
                    "invalid_request_error", "`audio` must be base64-encoded PCM16.", "audio"
                )
                return
            self.audio.extend(decoded)
        elif kind == "input_audio_buffer.commit":
            item_id = new_id("item_", 20)
            self.items.append({"role": "user", "content": f"(audio, {len(self.audio)} bytes)"})
            self.audio.clear()
            await self.send({"type": "input_audio_buffer.committed", "item_id": item_id})
            await self._item_added(item_id, self.items[-1])
        elif kind == "input_audio_buffer.clear":
            self.audio.clear()
            await self.send({"type": "input_audio_buffer.cleared"})
        elif kind == "conversation.item.create":
            await self._item_create(event)
        elif kind == "response.create":
            await self._respond()
        elif kind == "response.cancel":
            await self.send({"type": "response.cancelled"})
        else:
            await self.error("invalid_request_error", f"Unknown event type: {kind!r}.", "type")

    async def _session_update(self, event: dict[str, Any]) -> None:
        session = event.get("session")
        if not isinstance(session, dict) or session.get("type") != "realtime":
            await self.error(
                "missing_required_parameter",
                "Missing required parameter: 'session.type'.",
                "session.type",
            )
            return
        for key, value in session.items():
            if key not in ("id", "object", "model"):
                self.config[key] = value
        await self.send({"type": "session.updated", "session": dict(self.config)})

    async def _item_create(self, event: dict[str, Any]) -> None:
        item = event.get("item")
        if not isinstance(item, dict):
            await self.error("invalid_request_error", "Missing required parameter: 'item'.", "item")
            return
        texts = []
        for part in item.get("content") or []:
            if isinstance(part, dict):
                text = part.get("text") or part.get("transcript")
                if isinstance(text, str):
                    texts.append(text)
        message = {"role": item.get("role", "user"), "content": " ".join(texts)}
        self.items.append(message)
        await self._item_added(item.get("id") or new_id("item_", 20), message)

    async def _item_added(self, item_id: str, message: dict[str, Any]) -> None:
        await self.send(
            {
                "type": "conversation.item.added",
                "item": {
                    "id": item_id,
                    "object": "realtime.item",
                    "type": "message",
                    "role": message["role"],
                    "content": [{"type": "input_text", "text": message["content"]}],
                },
            }
        )

    async def _respond(self) -> None:
        response_id = new_id("resp_", 20)
        item_id = new_id("item_", 20)
        reply = respond(self.items)
        text = reply.text or ""
        base = {
            "response_id": response_id,
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
        }
        await self.send(
            {
                "type": "response.created",
                "response": {
                    "id": response_id,
                    "object": "realtime.response",
                    "status": "in_progress",
                    "output": [],
                },
            }
        )
        for piece in split_words(text):
            await self.send({"type": "response.output_text.delta", **base, "delta": piece})
        await self.send({"type": "response.output_text.done", **base, "text": text})
        for piece in split_words(text):
            await self.send(
                {"type": "response.output_audio_transcript.delta", **base, "delta": piece}
            )
        await self.send(
            {"type": "response.output_audio_transcript.done", **base, "transcript": text}
        )
        audio = tone_pcm16()
        half = len(audio) // 2
        for block in (audio[:half], audio[half:]):
            await self.send(
                {
                    "type": "response.output_audio.delta",
                    **base,
                    "delta": base64.b64encode(block).decode("ascii"),
                }
            )
        await self.send({"type": "response.output_audio.done", **base})
        self.items.append({"role": "assistant", "content": text})
        await self.send(
            {
                "type": "response.done",
                "response": {
                    "id": response_id,
                    "object": "realtime.response",
                    "status": "completed",
                    "output": [
                        {
                            "id": item_id,
                            "type": "message",
                            "role": "assistant",
                            "status": "completed",
                            "content": [{"type": "output_audio", "transcript": text}],
                        }
                    ],
                    "usage": reply.usage(),
                },
            }
        )


def _offered_protocols(request: web.BaseRequest) -> list[str]:
    raw = ",".join(request.headers.getall("Sec-WebSocket-Protocol", []))
    return [p.strip() for p in raw.split(",") if p.strip()]


async def realtime(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/realtime?model=&api_key= (WebSocket upgrade)."""
    request = ctx.request
    if any(" " in p for p in _offered_protocols(request)):
        raise GatewayError(400, "invalid_request", "Invalid Sec-WebSocket-Protocol value.")
    ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), max_msg_size=MAX_FRAME, autoping=True)
    if not ws.can_prepare(request).ok:
        raise GatewayError(400, "invalid_request", "Expected a WebSocket upgrade.")
    await ws.prepare(request)
    state = ctx.state
    model = request.query.get("model") or DEFAULT_REALTIME_MODEL
    session = _Session(ctx, ws, model)
    principal = state.keys.lookup(request.query.get("api_key"))
    if principal is None or state.keys.is_suspended(principal.token):
        await session.error("invalid_api_key", "Invalid or missing api_key.")
        await ws.close(code=POLICY_VIOLATION, message=b"invalid api key")
        return ws
    row = state.catalogue.get(model)
    if row is None or not row.supports_realtime:
        await session.error("model_not_found", f"Unknown realtime model '{model}'.", "model")
        await ws.close(code=POLICY_VIOLATION, message=b"model not found")
        return ws
    await session.send({"type": "session.created", "session": dict(session.config)})
    idle = state.timings.realtime_idle_timeout
    try:
        while not ws.closed:
            try:
                message = await ws.receive(timeout=idle)
            except asyncio.TimeoutError:
                await session.error("idle_timeout", f"Session idle for more than {idle:g} seconds.")
                await ws.close(code=1000, message=b"idle timeout")
                break
            if message.type == WSMsgType.TEXT:
                text = str(message.data)
                try:
                    event = json.loads(text)
                except ValueError:
                    event = None
                state.realtime.append(RealtimeMessage(session.id, text, None, event, time.time()))
                if not isinstance(event, dict):
                    await session.error("invalid_request_error", "Frames must be JSON objects.")
                    continue
                await session.handle(event)
            elif message.type == WSMsgType.BINARY:
                data = bytes(message.data)
                state.realtime.append(RealtimeMessage(session.id, None, data, None, time.time()))
                await session.error(
                    "invalid_request_error",
                    "Binary frames are not accepted; send base64 audio in "
                    "input_audio_buffer.append.",
                )
            else:
                break
    except (ConnectionResetError, ConnectionError):
        pass
    return ws
