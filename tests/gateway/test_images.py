"""Images: a real small PNG, plain and pseudo-streamed (protocol.md §2.6, §3.9)."""

from __future__ import annotations

import base64
import struct
import zlib

import httpx

from meshapi_core.types import ImageGenerationChunk, ImageGenerationResponse

from ._helpers import parse_sse, sse_json, stream


def assert_real_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, seen = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        tag = data[offset + 4 : offset + 8]
        payload = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(tag + payload) & 0xFFFFFFFF == crc
        if tag == b"IDAT":
            zlib.decompress(payload)
        seen.append(tag)
        offset += 12 + length
    assert seen[0] == b"IHDR" and seen[-1] == b"IEND" and b"IDAT" in seen


def test_generate_b64_and_url(client: httpx.Client) -> None:
    r = client.post(
        "/v1/images/generations", json={"model": "openai/gpt-image-1", "prompt": "a cat", "n": 2}
    )
    assert r.status_code == 200
    body = ImageGenerationResponse.model_validate(r.json())
    assert len(body.data) == 2 and body.usage is not None
    for item in r.json()["data"]:
        assert_real_png(base64.b64decode(item["b64_json"]))
    r = client.post("/v1/images/generations", json={"prompt": "a cat", "response_format": "url"})
    url = r.json()["data"][0]["url"]
    assert url.startswith("data:image/png;base64,")
    assert_real_png(base64.b64decode(url.split(",", 1)[1]))


def test_stream_processing_then_image_then_done(client: httpx.Client) -> None:
    r, raw = stream(client, "/v1/images/generations", {"prompt": "a dog", "stream": True})
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_json(raw)
    assert events[-1][1] == "[DONE]"
    chunks = [d for _, d in events[:-1]]
    for chunk in chunks:
        ImageGenerationChunk.model_validate(chunk)
    assert [c["status"] for c in chunks[:-1]] == ["processing"] * (len(chunks) - 1) and len(
        chunks
    ) >= 2
    assert all(c["data"] == [] for c in chunks[:-1])
    assert chunks[-1]["status"] == "completed"
    assert_real_png(base64.b64decode(chunks[-1]["data"][0]["b64_json"]))
    assert b": keep-alive" in raw and len(parse_sse(raw)) == len(events)


def test_errors(client: httpx.Client) -> None:
    assert client.post("/v1/images/generations", json={}).status_code == 422
    r = client.post("/v1/images/generations", json={"prompt": "x", "model": "openai/gpt-4o"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "model_capability_not_supported"
