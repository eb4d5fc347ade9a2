"""One benchmark measurement in a fresh process: one implementation, one scenario.

    python bench/client.py IMPL SCENARIO --port PORT [--cpu N]

prints one JSON object of metrics on stdout. Run as a script file (never `-m` from the
checkout), so that in `bench/.venv-peers` the name `meshapi` is the 0.1.x package from
the index and not this checkout. Client CPU is `getrusage(RUSAGE_SELF)` of this process;
memory is `VmRSS` / `VmHWM` from /proc/self/status. Every loop is bounded.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import payloads

TOKEN = "rsk_bench"
MESSAGES = [{"role": "user", "content": "Hello"}]
FLOOR_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

# Scenario sizes (issue 7).
UNARY_CALLS = 2000
STREAM_CHUNKS = 20_000
FANOUT_STREAMS, FANOUT_CHUNKS = 200, 200
HOLD_STREAMS, HOLD_CHUNKS = 1000, 20
SEQ_STREAMS, SEQ_CHUNKS = 30, 20
MODELS_CALLS = 500
DECODE_EVENTS, DECODE_PIECE = 20_000, 4096
BIG_EVENT, BIG_PIECE = 10 * 1024 * 1024, 1024


# -- measuring ------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def memory_kb() -> dict[str, int]:
    found: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                found[name] = int(value.split()[0])
    return found


def reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def server_connections(port: int) -> int:
    """The server's count of connections that made a request (over a raw socket)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /__stats HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    return int(json.loads(body[:length])["connections"])
    raise RuntimeError("no stats from the server")


# -- implementations: sync ------------------------------------------------------------


class OursSync:
    """meshapi (this checkout): MeshAPI over httpx.Client."""

    def __init__(self, base: str) -> None:
        import meshapi

        self.client = meshapi.MeshAPI(base_url=base, token=TOKEN)

    def unary(self) -> None:
        self.client.chat.completions.create(model="bench-unary", messages=MESSAGES)

    def stream(self, model: str) -> int:
        count = 0
        with self.client.chat.completions.stream(model=model, messages=MESSAGES) as stream:
            for _ in stream:
                count += 1
        return count

    def models(self) -> int:
        return len(self.client.models.list())

    def close(self) -> None:
        self.client.close()


class FloorHttpxSync:
    """The floor: plain httpx.Client, json.loads, lines split by hand, no models."""

    def __init__(self, base: str) -> None:
        import httpx

        self.base = base
        self.client = httpx.Client(
            timeout=60.0,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        )

    def unary(self) -> None:
        body = json.dumps({"model": "bench-unary", "messages": MESSAGES, "stream": False})
        response = self.client.post(
            self.base + "/v1/chat/completions", content=body.encode(), headers=FLOOR_HEADERS
        )
        json.loads(response.content)

    def stream(self, model: str) -> int:
        body = json.dumps({"model": model, "messages": MESSAGES, "stream": True}).encode()
        count = 0
        with self.client.stream(
            "POST", self.base + "/v1/chat/completions", content=body, headers=FLOOR_HEADERS
        ) as response:
            rest = b""
            for piece in response.iter_bytes():  # read to the end: the terminator too
                lines = (rest + piece).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if line.startswith(b"data: ") and line != b"data: [DONE]":
                        json.loads(line[6:])
                        count += 1
        return count

    def models(self) -> int:
        response = self.client.get(self.base + "/v1/models", headers=FLOOR_HEADERS)
        return len(json.loads(response.content))

    def close(self) -> None:
        self.client.close()


class OpenAISync:
    """The official openai package (bench venv)."""

    def __init__(self, base: str) -> None:
        import openai

        self.client = openai.OpenAI(base_url=base + "/openai/v1", api_key=TOKEN)

    def unary(self) -> None:
        self.client.chat.completions.create(model="bench-unary", messages=MESSAGES)  # type: ignore[arg-type]

    def stream(self, model: str) -> int:
        count = 0
        stream = self.client.chat.completions.create(
            model=model,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
        )
        with stream:
            for _ in stream:
                count += 1
        return count

    def models(self) -> int:
        return len(self.client.models.list().data)

    def close(self) -> None:
        self.client.close()


class Meshapi011Sync:
    """meshapi 0.1.x from the package index (bench venv)."""

    def __init__(self, base: str) -> None:
        import meshapi

        self.meshapi = meshapi
        self.client = meshapi.MeshAPI(base_url=base, token=TOKEN)

    def _params(self, model: str) -> Any:
        m = self.meshapi
        return m.ChatCompletionParams(
            model=model, messages=[m.ChatMessage(role="user", content="Hello")]
        )

    def unary(self) -> None:
        self.client.chat.completions.create(self._params("bench-unary"))

    def stream(self, model: str) -> int:
        count = 0
        for _ in self.client.chat.completions.stream(self._params(model)):
            count += 1
        return count

    def models(self) -> int:
        return len(self.client.models.list())

    def close(self) -> None:
        self.client.close()


# -- implementations: async -----------------------------------------------------------


class OursAsync:
    """meshapi (this checkout): AsyncMeshAPI over httpx.AsyncClient (asyncio or trio)."""

    def __init__(self, base: str, flavour: str = "httpx") -> None:
        if flavour == "aiohttp":
            import meshapi_aiohttp

            self.client: Any = meshapi_aiohttp.AsyncMeshAPI(base_url=base, token=TOKEN)
        else:
            import meshapi

            self.client = meshapi.AsyncMeshAPI(base_url=base, token=TOKEN)

    async def unary(self) -> None:
        await self.client.chat.completions.create(model="bench-unary", messages=MESSAGES)

    async def stream(self, model: str) -> int:
        count = 0
        async with self.client.chat.completions.stream(model=model, messages=MESSAGES) as s:
            async for _ in s:
                count += 1
        return count

    async def models(self) -> int:
        return len(await self.client.models.list())

    async def close(self) -> None:
        await self.client.aclose()


class FloorHttpxAsync:
    """The floor: plain httpx.AsyncClient (asyncio or trio), json.loads, no models."""

    def __init__(self, base: str) -> None:
        import httpx

        self.base = base
        self.client = httpx.AsyncClient(
            timeout=60.0,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        )

    async def unary(self) -> None:
        body = json.dumps({"model": "bench-unary", "messages": MESSAGES, "stream": False})
        response = await self.client.post(
            self.base + "/v1/chat/completions", content=body.encode(), headers=FLOOR_HEADERS
        )
        json.loads(response.content)

    async def stream(self, model: str) -> int:
        body = json.dumps({"model": model, "messages": MESSAGES, "stream": True}).encode()
        count = 0
        async with self.client.stream(
            "POST", self.base + "/v1/chat/completions", content=body, headers=FLOOR_HEADERS
        ) as response:
            rest = b""
            async for piece in response.aiter_bytes():
                lines = (rest + piece).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if line.startswith(b"data: ") and line != b"data: [DONE]":
                        json.loads(line[6:])
                        count += 1
        return count

    async def models(self) -> int:
        response = await self.client.get(self.base + "/v1/models", headers=FLOOR_HEADERS)
        return len(json.loads(response.content))

    async def close(self) -> None:
        await self.client.aclose()


class FloorAiohttp:
    """The floor: plain aiohttp.ClientSession, json.loads, no models."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session: Any = None

    def _session(self) -> Any:
        if self.session is None:
            import aiohttp

            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=1000, limit_per_host=0)
            )
        return self.session

    async def unary(self) -> None:
        body = json.dumps({"model": "bench-unary", "messages": MESSAGES, "stream": False})
        async with self._session().post(
            self.base + "/v1/chat/completions", data=body.encode(), headers=FLOOR_HEADERS
        ) as response:
            json.loads(await response.read())

    async def stream(self, model: str) -> int:
        body = json.dumps({"model": model, "messages": MESSAGES, "stream": True}).encode()
        count = 0
        async with self._session().post(
            self.base + "/v1/chat/completions", data=body, headers=FLOOR_HEADERS
        ) as response:
            rest = b""
            async for piece in response.content.iter_any():
                lines = (rest + piece).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if line.startswith(b"data: ") and line != b"data: [DONE]":
                        json.loads(line[6:])
                        count += 1
        return count

    async def models(self) -> int:
        async with self._session().get(self.base + "/v1/models", headers=FLOOR_HEADERS) as r:
            return len(json.loads(await r.read()))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


class OpenAIAsync:
    def __init__(self, base: str) -> None:
        import openai

        self.client = openai.AsyncOpenAI(base_url=base + "/openai/v1", api_key=TOKEN)

    async def unary(self) -> None:
        await self.client.chat.completions.create(model="bench-unary", messages=MESSAGES)  # type: ignore[arg-type]

    async def stream(self, model: str) -> int:
        count = 0
        stream = await self.client.chat.completions.create(
            model=model,
            messages=MESSAGES,  # type: ignore[arg-type]
            stream=True,
        )
        async with stream:
            async for _ in stream:
                count += 1
        return count

    async def models(self) -> int:
        return len((await self.client.models.list()).data)

    async def close(self) -> None:
        await self.client.close()


class Meshapi011Async:
    def __init__(self, base: str) -> None:
        import meshapi

        self.meshapi = meshapi
        self.client = meshapi.AsyncMeshAPI(base_url=base, token=TOKEN)

    def _params(self, model: str) -> Any:
        m = self.meshapi
        return m.ChatCompletionParams(
            model=model, messages=[m.ChatMessage(role="user", content="Hello")]
        )

    async def unary(self) -> None:
        await self.client.chat.completions.create(self._params("bench-unary"))

    async def stream(self, model: str) -> int:
        count = 0
        async for _ in self.client.chat.completions.stream(self._params(model)):
            count += 1
        return count

    async def models(self) -> int:
        return len(await self.client.models.list())

    async def close(self) -> None:
        await self.client.aclose()


# name -> (factory, kind) where kind is "sync", "asyncio" or "trio"
IMPLS: dict[str, tuple[Callable[[str], Any], str]] = {
    "meshapi-sync": (OursSync, "sync"),
    "meshapi-async": (OursAsync, "asyncio"),
    "meshapi-trio": (OursAsync, "trio"),
    "meshapi-aiohttp": (lambda base: OursAsync(base, "aiohttp"), "asyncio"),
    "floor-httpx": (FloorHttpxSync, "sync"),
    "floor-httpx-async": (FloorHttpxAsync, "asyncio"),
    "floor-httpx-trio": (FloorHttpxAsync, "trio"),
    "floor-aiohttp": (FloorAiohttp, "asyncio"),
    "openai": (OpenAISync, "sync"),
    "openai-async": (OpenAIAsync, "asyncio"),
    "meshapi-0.1": (Meshapi011Sync, "sync"),
    "meshapi-0.1-async": (Meshapi011Async, "asyncio"),
}


# -- scenarios over the network -------------------------------------------------------


def _cpu_loop_sync(call: Callable[[], Any], count: int) -> dict[str, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    for _ in range(count):
        call()
    return {"wall_s": time.perf_counter() - wall, "cpu_s": cpu_seconds() - cpu}


def run_sync(impl: Any, scenario: str, port: int) -> dict[str, Any]:
    if scenario == "unary":
        for _ in range(50):
            impl.unary()
        got = _cpu_loop_sync(impl.unary, UNARY_CALLS)
        return {**got, "cpu_us_per_request": got["cpu_s"] / UNARY_CALLS * 1e6}
    if scenario == "stream":
        assert impl.stream("bench-200") == 200
        wall, cpu = time.perf_counter(), cpu_seconds()
        count = impl.stream(f"bench-{STREAM_CHUNKS}")
        cpu = cpu_seconds() - cpu
        assert count == STREAM_CHUNKS, count
        return {
            "wall_s": time.perf_counter() - wall,
            "cpu_s": cpu,
            "cpu_us_per_chunk": cpu / STREAM_CHUNKS * 1e6,
        }
    if scenario == "models":
        for _ in range(5):
            assert impl.models() == 300
        got = _cpu_loop_sync(impl.models, MODELS_CALLS)
        return {**got, "cpu_us_per_call": got["cpu_s"] / MODELS_CALLS * 1e6}
    if scenario == "seq30":
        impl.stream(f"bench-{SEQ_CHUNKS}")
        before = server_connections(port)
        for _ in range(SEQ_STREAMS):
            assert impl.stream(f"bench-{SEQ_CHUNKS}") == SEQ_CHUNKS
        return {"new_connections": server_connections(port) - before}
    raise SystemExit(f"scenario {scenario} is not run for sync implementations")


async def _gather(kind: str, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the coroutine functions concurrently; an exception is kept as the result."""
    results: list[Any] = [None] * len(calls)

    async def one(i: int) -> None:
        try:
            results[i] = await calls[i]()
        except Exception as exc:
            results[i] = exc

    if kind == "trio":
        import trio

        async with trio.open_nursery() as nursery:
            for i in range(len(calls)):
                nursery.start_soon(one, i)
    else:
        import asyncio

        await asyncio.gather(*(one(i) for i in range(len(calls))))
    return results


async def _cpu_loop_async(call: Callable[[], Any], count: int) -> dict[str, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    for _ in range(count):
        await call()
    return {"wall_s": time.perf_counter() - wall, "cpu_s": cpu_seconds() - cpu}


async def _fan_out(impl: Any, kind: str, streams: int, model: str) -> dict[str, Any]:
    # Warm up: imports, schemas and the first connection, then measure from a quiet heap.
    for _ in range(2):
        await impl.stream("bench-50")
    gc.collect()
    reset_peak()
    before = memory_kb()
    wall, cpu = time.perf_counter(), cpu_seconds()
    results = await _gather(kind, [lambda: impl.stream(model)] * streams)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    after = memory_kb()
    expected = int(model.split("-")[1])
    completed = sum(1 for r in results if r == expected)
    errors = sorted({repr(r)[:200] for r in results if isinstance(r, Exception)})
    growth = after["VmHWM"] - before["VmRSS"]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "completed": completed,
        "streams": streams,
        "errors": errors[:3],
        "rss_before_kb": before["VmRSS"],
        "peak_rss_kb": after["VmHWM"],
        "rss_growth_kb": growth,
        "rss_growth_kb_per_stream": growth / streams,
    }


async def run_async(impl: Any, kind: str, scenario: str, port: int) -> dict[str, Any]:
    try:
        if scenario == "unary":
            for _ in range(50):
                await impl.unary()
            got = await _cpu_loop_async(impl.unary, UNARY_CALLS)
            return {**got, "cpu_us_per_request": got["cpu_s"] / UNARY_CALLS * 1e6}
        if scenario == "stream":
            assert await impl.stream("bench-200") == 200
            wall, cpu = time.perf_counter(), cpu_seconds()
            count = await impl.stream(f"bench-{STREAM_CHUNKS}")
            cpu = cpu_seconds() - cpu
            assert count == STREAM_CHUNKS, count
            return {
                "wall_s": time.perf_counter() - wall,
                "cpu_s": cpu,
                "cpu_us_per_chunk": cpu / STREAM_CHUNKS * 1e6,
            }
        if scenario == "models":
            for _ in range(5):
                assert await impl.models() == 300
            got = await _cpu_loop_async(impl.models, MODELS_CALLS)
            return {**got, "cpu_us_per_call": got["cpu_s"] / MODELS_CALLS * 1e6}
        if scenario == "seq30":
            await impl.stream(f"bench-{SEQ_CHUNKS}")
            before = server_connections(port)
            for _ in range(SEQ_STREAMS):
                assert await impl.stream(f"bench-{SEQ_CHUNKS}") == SEQ_CHUNKS
            return {"new_connections": server_connections(port) - before}
        if scenario == "fanout":
            return await _fan_out(impl, kind, FANOUT_STREAMS, f"bench-{FANOUT_CHUNKS}")
        if scenario == "hold1000":
            return await _fan_out(
                impl, kind, HOLD_STREAMS, f"bench-{HOLD_CHUNKS}-hold{HOLD_STREAMS}"
            )
        raise SystemExit(f"unknown scenario {scenario}")
    finally:
        await impl.close()


# -- decoding alone (no network) ------------------------------------------------------


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _decode_ours(pieces: list[bytes]) -> int:
    from meshapi_core._kinds import StreamKind
    from meshapi_core._streams import StreamDecoder
    from meshapi_core.types import ChatCompletionChunk

    decoder = StreamDecoder(StreamKind.CHAT, ChatCompletionChunk, request_id="req_bench")
    count = 0
    for piece in pieces:
        count += len(decoder.feed(piece))
    assert decoder.done
    return count


def _decode_floor(pieces: list[bytes]) -> int:
    # Linear: a line is joined from its pieces once, when its line end arrives.
    count = 0
    held: list[bytes] = []
    loads = json.loads
    for piece in pieces:
        if b"\n" not in piece:
            held.append(piece)
            continue
        if held:
            held.append(piece)
            piece = b"".join(held)
            held = []
        lines = piece.split(b"\n")
        last = lines.pop()
        if last:
            held.append(last)
        for line in lines:
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                loads(line[6:])
                count += 1
    return count


def _decode_openai(pieces: list[bytes]) -> int:
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    from openai.types.chat import ChatCompletionChunk

    count = 0
    for sse in SSEDecoder().iter_bytes(iter(pieces)):
        if sse.data.startswith("[DONE]"):
            break
        construct_type(type_=ChatCompletionChunk, value=sse.json())
        count += 1
    return count


def _decode_meshapi011(pieces: list[bytes]) -> int:
    from meshapi._http import _iter_sse

    class Body:
        def iter_bytes(self) -> Any:
            return iter(pieces)

    return sum(1 for _ in _iter_sse(Body()))  # type: ignore[arg-type]


DECODERS: dict[str, Callable[[list[bytes]], int]] = {
    "meshapi": _decode_ours,
    "floor": _decode_floor,
    "openai": _decode_openai,
    "meshapi-0.1": _decode_meshapi011,
}


def run_decode(impl: str, scenario: str, repeat: int) -> dict[str, Any]:
    decode = DECODERS[impl]
    if scenario == "decode20k":
        data = payloads.sse_capture(DECODE_EVENTS)
        pieces, expected = _pieces(data, DECODE_PIECE), DECODE_EVENTS
        warm = _pieces(payloads.sse_capture(200), DECODE_PIECE)
    else:
        data = payloads.big_event_capture(BIG_EVENT)
        pieces, expected = _pieces(data, BIG_PIECE), 1
        warm = _pieces(payloads.big_event_capture(64 * 1024), BIG_PIECE)
    decode(warm)  # imports and schemas, outside the timing
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        count = decode(pieces)
        times.append(time.perf_counter() - start)
        assert count == expected, count  # it decoded everything
    median = sorted(times)[len(times) // 2]
    return {"bytes": len(data), "seconds": median, "mb_per_s": len(data) / median / 1e6}


# -- entry point ----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("impl")
    parser.add_argument("scenario")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    if args.scenario.startswith("decode"):
        result = run_decode(args.impl, args.scenario, args.repeat)
    else:
        factory, kind = IMPLS[args.impl]
        base = f"http://127.0.0.1:{args.port}"
        impl = factory(base)
        if kind == "sync":
            try:
                result = run_sync(impl, args.scenario, args.port)
            finally:
                impl.close()
        elif kind == "trio":
            import trio

            result = trio.run(run_async, impl, kind, args.scenario, args.port)
        else:
            import asyncio

            result = asyncio.run(run_async(impl, kind, args.scenario, args.port))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
