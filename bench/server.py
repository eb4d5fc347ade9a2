"""The lean loopback server the benchmark clients talk to (its own process).

A raw asyncio `Protocol` speaking just enough HTTP/1.1: keep-alive, Content-Length
request bodies, and prebuilt responses (a JSON body, or a chunked event stream with one
HTTP chunk per SSE event, as a gateway flushes them). It decides almost nothing per
request, so what a benchmark measures is the client.

Routes (any path prefix is accepted, so `/openai/v1/...` works for the `openai` package):

* `POST .../chat/completions`: the body is searched (bytes, no JSON parsing) for
  `"stream": true` and a model `bench-<n>` or `bench-<n>-hold<k>`; a stream of `n` chat
  items follows. With `-hold<k>` the server sends the headers and the first event, then
  holds every such stream until `k` are open (or 60 s passed), and only then sends the
  rest: that is how "1,000 concurrent streams" are really open at once.
* `GET .../models`: 300 catalogue rows (a bare array; the OpenAI list envelope under
  `/openai/`).
* `GET /__stats`: `{"connections": N}`, the TCP connections that made a request (the
  stats connections themselves are not counted).

    python bench/server.py PORT_FILE [CPU]
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import payloads

MODELS_COUNT = 300
HOLD_TIMEOUT = 60.0

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_MODEL_RE = re.compile(rb'"model"\s*:\s*"bench-(\d+)(?:-hold(\d+))?"')


def _head(status: str, content_type: str, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n"
        f"x-request-id: {payloads.REQUEST_ID}\r\n{extra}"
    ).encode()


def _json_response(body: bytes) -> bytes:
    return _head("200 OK", "application/json") + b"content-length: %d\r\n\r\n" % len(body) + body


_STREAM_HEAD = _head(
    "200 OK",
    "text/event-stream; charset=utf-8",
    "cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n",
)


def _chunked(events: list[bytes]) -> list[bytes]:
    return [b"%x\r\n%s\r\n" % (len(event), event) for event in events]


class Responses:
    """Every response body, built once."""

    def __init__(self) -> None:
        self.unary = _json_response(payloads.chat_completion())
        self.models = _json_response(payloads.models_list(MODELS_COUNT))
        self.models_page = _json_response(payloads.models_page(MODELS_COUNT))
        self._streams: dict[int, tuple[bytes, bytes]] = {}

    def stream(self, n: int) -> tuple[bytes, bytes]:
        """(head + first event, the rest + terminator) of a stream of `n` items."""
        cached = self._streams.get(n)
        if cached is None:
            chunks = _chunked(payloads.sse_events(n))
            cached = (_STREAM_HEAD + chunks[0], b"".join(chunks[1:]) + b"0\r\n\r\n")
            self._streams[n] = cached
        return cached


class Server:
    def __init__(self) -> None:
        self.responses = Responses()
        self.connections = 0
        self.holds: dict[int, list[tuple[asyncio.Transport, bytes]]] = {}
        self.hold_timers: dict[int, asyncio.TimerHandle] = {}

    def hold(self, k: int, transport: asyncio.Transport, rest: bytes) -> None:
        group = self.holds.setdefault(k, [])
        group.append((transport, rest))
        if len(group) == 1:
            loop = asyncio.get_running_loop()
            self.hold_timers[k] = loop.call_later(HOLD_TIMEOUT, self.release, k)
        if len(group) >= k:
            self.release(k)

    def release(self, k: int) -> None:
        timer = self.hold_timers.pop(k, None)
        if timer is not None:
            timer.cancel()
        for transport, rest in self.holds.pop(k, []):
            if not transport.is_closing():
                transport.write(rest)


class Connection(asyncio.Protocol):
    def __init__(self, server: Server) -> None:
        self.server = server
        self.buffer = bytearray()
        self.counted = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end])
            lines = head.split(b"\r\n")
            method, target, _ = lines[0].split(b" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(buffer) < total:
                return
            body = bytes(buffer[end + 4 : total])
            del buffer[:total]
            self.respond(method, target, body)

    def respond(self, method: bytes, target: bytes, body: bytes) -> None:
        transport = self.transport
        assert transport is not None
        server = self.server
        if target.startswith(b"/__stats"):
            transport.write(
                _json_response(json.dumps({"connections": server.connections}).encode())
            )
            return
        if not self.counted:
            self.counted = True
            server.connections += 1
        responses = server.responses
        path = target.split(b"?", 1)[0]
        if method == b"GET" and path.endswith(b"/models"):
            transport.write(
                responses.models_page if path.startswith(b"/openai/") else responses.models
            )
            return
        if method == b"POST" and path.endswith(b"/chat/completions"):
            if _STREAM_RE.search(body) is None:
                transport.write(responses.unary)
                return
            match = _MODEL_RE.search(body)
            n = int(match.group(1)) if match else 20
            first, rest = responses.stream(max(n, 3))
            transport.write(first)
            if match and match.group(2):
                server.hold(int(match.group(2)), transport, rest)
            else:
                transport.write(rest)
            return
        message = b"not found"
        transport.write(
            b"HTTP/1.1 404 Not Found\r\ncontent-length: %d\r\n\r\n%s" % (len(message), message)
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(port_file: str) -> None:
    server = Server()
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(
        lambda: Connection(server), "127.0.0.1", 0, backlog=4096, reuse_address=True
    )
    port = listener.sockets[0].getsockname()[1]
    Path(port_file).write_text(str(port))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with listener:
        await stop.wait()


def main() -> None:
    port_file = sys.argv[1]
    if len(sys.argv) > 2 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(sys.argv[2])})
    asyncio.run(serve(port_file))


if __name__ == "__main__":
    main()
