"""A small SSE proxy: an aiohttp.web endpoint that streams a model's reply via MeshAPI.

    MESHAPI_BASE_URL=http://127.0.0.1:8000 MESHAPI_TOKEN=rsk_... \\
        python examples/aiohttp_proxy.py --port 8080
    curl -N -X POST http://127.0.0.1:8080/chat -d '{"prompt": "Hello"}'
    curl -N 'http://127.0.0.1:8080/chat?prompt=Hello&model=openai/gpt-4o'

(`python -m meshapi.testing --port 8000` serves a local gateway to try it against.)

`POST /chat` (JSON `{"prompt": ..., "model": ...}`) or `GET /chat?prompt=...&model=...`
opens a chat stream with `meshapi_aiohttp.AsyncMeshAPI` and forwards the reply to the
caller as server-sent events, as the text arrives:

    data: {"text": "You said"}          one event per text delta
    ...
    event: done                         the model finished
    data: {"request_id": "req_...", "finish_reason": "stop"}

An error before anything was streamed (a bad key, an unknown model, the gateway down)
is answered as a JSON error with the gateway's status (502 when there was none); once
the stream has begun it can only be reported in-band, as an `event: error` frame, and
the stream ends there.

The application owns one `aiohttp.ClientSession` for its whole life (a cleanup context)
and hands it to the SDK (`session=`), so the proxy's calls to the gateway share the
app's connection pool; the SDK never closes a session it was given.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
from aiohttp import web

from meshapi import MeshAPIError
from meshapi_aiohttp import AsyncMeshAPI

DEFAULT_MODEL = "openai/gpt-4o-mini"

CLIENT = web.AppKey("meshapi_client", AsyncMeshAPI)
MODEL = web.AppKey("default_model", str)


def sse(data: dict[str, Any], *, event: str | None = None) -> bytes:
    """One server-sent event: an optional `event:` line, one `data:` line, a blank line."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def error_body(error: MeshAPIError) -> dict[str, Any]:
    return {
        "error": {"code": error.error_code, "message": str(error)},
        "request_id": error.request_id or None,
    }


async def _prompt_and_model(request: web.Request) -> tuple[str, str]:
    fields: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="the body must be JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="the body must be a JSON object")
        fields.update(body)
    prompt, model = fields.get("prompt"), fields.get("model") or request.app[MODEL]
    if not isinstance(prompt, str) or not prompt:
        raise web.HTTPBadRequest(text="a non-empty 'prompt' is required")
    if not isinstance(model, str):
        raise web.HTTPBadRequest(text="'model' must be a string")
    return prompt, model


async def chat(request: web.Request) -> web.StreamResponse:
    """Stream one chat reply to the caller as SSE (see the module docstring)."""
    prompt, model = await _prompt_and_model(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    try:
        async with request.app[CLIENT].chat.completions.stream(
            model=model, messages=[{"role": "user", "content": prompt}]
        ) as stream:
            # Entering opened the gateway's stream: a bad key, a bad request or a 429
            # has surfaced by now, while a plain HTTP error can still be sent.
            await response.prepare(request)
            finish_reason: str | None = None
            async for chunk in stream:
                for choice in chunk.choices:
                    if choice.index != 0:
                        continue
                    if choice.delta is not None and choice.delta.content:
                        await response.write(sse({"text": choice.delta.content}))
                    finish_reason = choice.finish_reason or finish_reason
            done = {"request_id": stream.request_id, "finish_reason": finish_reason}
            await response.write(sse(done, event="done"))
    except MeshAPIError as error:
        if not response.prepared:
            return web.json_response(error_body(error), status=error.status or 502)
        await response.write(sse(error_body(error), event="error"))
    # If our caller goes away, `write` raises ConnectionResetError: leaving the `async
    # with` closes the gateway stream, and aiohttp ignores the premature disconnection.
    await response.write_eof()
    return response


def create_app(
    *,
    base_url: str | None = None,
    token: str | None = None,
    model: str = DEFAULT_MODEL,
    session: aiohttp.ClientSession | None = None,
) -> web.Application:
    """The proxy application. `base_url`/`token` default to MESHAPI_BASE_URL/MESHAPI_TOKEN.

    Args:
        session: a session to share; by default the app opens one on startup and closes
            it on cleanup.
    """
    app = web.Application()
    app[MODEL] = model

    async def meshapi_client(app: web.Application) -> AsyncIterator[None]:
        own = session is None
        shared = aiohttp.ClientSession() if session is None else session
        app[CLIENT] = AsyncMeshAPI(base_url=base_url, token=token, session=shared)
        yield
        await app[CLIENT].aclose()  # leaves the session open: the SDK was only lent it
        if own:
            await shared.close()

    app.cleanup_ctx.append(meshapi_client)
    app.router.add_route("POST", "/chat", chat)
    app.router.add_route("GET", "/chat", chat)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--base-url", help="the gateway (default: $MESHAPI_BASE_URL)")
    parser.add_argument("--token", help="the API key (default: $MESHAPI_TOKEN)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the default model")
    args = parser.parse_args(argv)
    app = create_app(base_url=args.base_url, token=args.token, model=args.model)
    web.run_app(app, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
