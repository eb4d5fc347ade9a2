"""Helpers shared by the gateway tests: SSE parsing with the core's decoder, requests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx

from meshapi_core.sse import ServerSentEvent, SSEDecoder


def parse_sse(chunks: bytes | Iterable[bytes]) -> list[ServerSentEvent]:
    """Every event of a body, fed to the core's decoder in the pieces given."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
        events.extend(decoder.feed(chunk))
    decoder.end()
    return events


def sse_json(chunks: bytes | Iterable[bytes]) -> list[tuple[str, Any]]:
    """(event name, parsed data) pairs; `[DONE]` stays the string `"[DONE]"`."""
    result: list[tuple[str, Any]] = []
    for event in parse_sse(chunks):
        data: Any = event.data if event.data == "[DONE]" else json.loads(event.data)
        result.append((event.event, data))
    return result


def stream(client: httpx.Client, path: str, body: dict[str, Any]) -> tuple[httpx.Response, bytes]:
    """POST a streaming body and read it whole."""
    with client.stream("POST", path, json=body) as response:
        return response, response.read()


def user(text: str) -> list[dict[str, str]]:
    """A one-message conversation."""
    return [{"role": "user", "content": text}]
