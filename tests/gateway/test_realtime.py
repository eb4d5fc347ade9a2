"""Realtime over WebSocket (protocol.md §6.6), driven by aiohttp's WebSocket client."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from meshapi.testing import MeshAPIGateway

Session = aiohttp.ClientWebSocketResponse


def run(
    gw: MeshAPIGateway, query: str, scenario: Callable[[Session], Awaitable[Any]], **kwargs: Any
) -> Any:
    async def main() -> Any:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(
                f"{gw.ws_url}/v1/realtime?{query}", protocols=("openai-realtime",), **kwargs
            ) as ws,
        ):
            return await scenario(ws)

    return asyncio.run(main())


async def next_event(ws: Session) -> dict[str, Any]:
    message = await ws.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)  # type: ignore[no-any-return]


def good(gw: MeshAPIGateway) -> str:
    return f"model=openai/gpt-realtime-mini&api_key={gw.token}"


def test_session_flow(gw: MeshAPIGateway) -> None:
    async def scenario(ws: Session) -> None:
        assert ws.protocol == "openai-realtime"
        created = await next_event(ws)
        assert created["type"] == "session.created"
        assert created["session"]["model"] == "openai/gpt-realtime-mini"
        await ws.send_json({"type": "session.update", "session": {"instructions": "hi"}})
        error = await next_event(ws)
        assert error["type"] == "error" and error["error"]["code"] == "missing_required_parameter"
        assert error["error"]["param"] == "session.type" and error["request_id"].startswith("req_")
        await ws.send_json(
            {"type": "session.update", "session": {"type": "realtime", "instructions": "Be kind."}}
        )
        updated = await next_event(ws)
        assert updated["type"] == "session.updated" and updated["session"]["type"] == "realtime"
        assert updated["session"]["instructions"] == "Be kind."
        await ws.send_json(
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(b"\x00\x01" * 240).decode(),
            }
        )
        await ws.send_bytes(b"raw pcm")
        rejected = await next_event(ws)
        assert rejected["type"] == "error" and "Binary" in rejected["error"]["message"]
        await ws.send_json(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "good morning"}],
                },
            }
        )
        assert (await next_event(ws))["type"] == "conversation.item.added"
        await ws.send_json({"type": "response.create"})
        events = []
        while not events or events[-1]["type"] != "response.done":
            events.append(await next_event(ws))
        types = [e["type"] for e in events]
        assert types[0] == "response.created"
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert text == "You said: good morning"
        audio = b"".join(
            base64.b64decode(e["delta"])
            for e in events
            if e["type"] == "response.output_audio.delta"
        )
        assert audio and len(audio) % 2 == 0  # PCM16
        assert events[-1]["response"]["status"] == "completed"
        return None

    run(gw, good(gw), scenario)
    sent = [m.event["type"] for m in gw.realtime_messages if m.event is not None]
    assert sent[:2] == ["session.update", "session.update"]
    assert any(m.data == b"raw pcm" for m in gw.realtime_messages)


def test_audio_is_deterministic(gw: MeshAPIGateway) -> None:
    async def scenario(ws: Session) -> bytes:
        await next_event(ws)
        await ws.send_json({"type": "response.create"})
        chunks = []
        while True:
            event = await next_event(ws)
            if event["type"] == "response.output_audio.delta":
                chunks.append(base64.b64decode(event["delta"]))
            if event["type"] == "response.done":
                return b"".join(chunks)

    assert run(gw, good(gw), scenario) == run(gw, good(gw), scenario)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("model=openai/gpt-realtime-mini&api_key=rsk_wrong", "invalid_api_key"),
        ("model=openai/gpt-realtime-mini", "invalid_api_key"),
        ("model=nobody/none&api_key={token}", "model_not_found"),
    ],
)
def test_bad_key_or_model_gets_an_error_then_1008(
    gw: MeshAPIGateway, query: str, code: str
) -> None:
    async def scenario(ws: Session) -> None:
        error = await next_event(ws)
        assert error["type"] == "error" and error["error"]["code"] == code
        closing = await ws.receive(timeout=5)
        assert closing.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1008

    run(gw, query.format(token=gw.token), scenario)


def test_authorization_header_is_not_accepted(gw: MeshAPIGateway) -> None:
    async def scenario(ws: Session) -> None:
        assert (await next_event(ws))["error"]["code"] == "invalid_api_key"

    run(
        gw,
        "model=openai/gpt-realtime-mini",
        scenario,
        headers={"Authorization": f"Bearer {gw.token}"},
    )


def test_subprotocol_with_a_space_fails_the_handshake(gw: MeshAPIGateway) -> None:
    async def main() -> None:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect(
                    f"{gw.ws_url}/v1/realtime?{good(gw)}", protocols=(f"Bearer {gw.token}",)
                )
            assert caught.value.status == 400

    asyncio.run(main())


def test_idle_timeout_closes_the_session() -> None:
    with MeshAPIGateway(realtime_idle_timeout=0.3) as gw:

        async def scenario(ws: Session) -> None:
            assert (await next_event(ws))["type"] == "session.created"
            error = await next_event(ws)
            assert error["error"]["code"] == "idle_timeout"
            closing = await ws.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE

        run(gw, good(gw), scenario)
