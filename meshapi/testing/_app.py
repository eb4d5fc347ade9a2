"""The aiohttp application: routes, the gateway middleware, and the response-prepare hook.

Order of work for every request:

1. **record** it (method, path, headers, body) before anything can reject it;
2. assign its **request id** (a valid `X-Request-Id` is echoed, otherwise `req_<ULID>`);
3. take its **faults**: stall, answer instead of the handler, or note how to shape bytes;
4. in the route wrapper: **auth**, **API version**, then **idempotency** around the handler;
5. apply **shaping** to a plain body (streams apply it as they write);
6. the prepare hook stamps `x-request-id`, `x-mesh-version` and fault headers on whatever
   response goes out — JSON, SSE, WebSocket upgrade or error alike.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from ._audio import (
    audio_translations,
    create_speech,
    create_transcription,
    get_transcription,
    get_voice,
    list_voices,
    translate_transcription,
)
from ._batches import cancel_batch, create_batch, get_batch, list_batches
from ._chat import chat_completions
from ._compare import compare
from ._context import CONTEXT_KEY, RequestContext, context_of
from ._embeddings import create_embeddings
from ._errors import STATUS_CODE, GatewayError, envelope, envelope_response
from ._faults import (
    REPLACEMENTS,
    Effect,
    ExtraHeaders,
    Fail,
    HtmlPage,
    JsonBody,
    RawBytes,
    ResetBeforeResponse,
    RoutingHeaders,
    StallBeforeHeaders,
    retry_after_header,
)
from ._idempotency import fingerprint
from ._ids import new_request_id, valid_request_id
from ._image_edits import edit_image
from ._images import generate_images
from ._json import dumps
from ._models import free_models, get_model, list_models, paid_models, search_models
from ._moderations import create_moderation
from ._rag import embed_files, get_file, init_upload, list_files, search_files, upload_content
from ._realtime import realtime
from ._recording import RecordedRequest
from ._responses import create_response
from ._router import router_select
from ._shaping import BodyWriter, ConnectionDropped, Shaping, reset_connection
from ._state import GatewayState
from ._stored_responses import get_response, list_responses
from ._templates import (
    create_template,
    delete_template,
    get_template,
    list_templates,
    update_template,
)
from ._video import create_video, get_video, list_videos, video_file
from ._web import web_search

__all__ = ["STATE_KEY", "build_app"]

STATE_KEY = web.AppKey("meshapi.testing.state", GatewayState)
MAX_BODY = 64 * 1024 * 1024

logger = logging.getLogger("meshapi.testing")

Handler = Callable[[RequestContext], Awaitable[web.StreamResponse]]
AioHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ----------------------------------------------------------------------------- route wrapper


def _is_streaming(body: bytes) -> bool:
    try:
        value = json.loads(body) if body else None
    except ValueError:
        return False
    return isinstance(value, dict) and value.get("stream") is True


def bind(
    handler: Handler, *, auth: bool = True, versioned: bool = True, idempotent: bool = True
) -> AioHandler:
    """An aiohttp handler running `handler` behind auth, version check and idempotency."""

    async def execute(ctx: RequestContext) -> web.StreamResponse:
        # Errors become responses *inside* the idempotency layer, so a 4xx is stored and
        # replayed and a 5xx releases the key, exactly as the gateway treats them.
        try:
            latency = ctx.state.timings.upstream_latency
            if latency > 0 and ctx.request.method == "POST":
                await asyncio.sleep(latency)
            return await handler(ctx)
        except GatewayError as error:
            return error.response(ctx.request_id)

    async def route(request: web.Request) -> web.StreamResponse:
        ctx = context_of(request)
        state = ctx.state
        if auth:
            ctx.principal = state.keys.authenticate(request.headers.get("Authorization"))
        if versioned:
            ctx.api_version = _check_version(state, request)
        key = request.headers.get("Idempotency-Key")
        if idempotent and request.method == "POST" and key is not None:
            scope = ctx.principal.token if ctx.principal is not None else ""
            response, replay = await state.idempotency.run(
                scope=scope,
                key=key,
                fingerprint=fingerprint(request.method, request.path, ctx.record.body),
                streaming=_is_streaming(ctx.record.body),
                request_id=ctx.request_id,
                execute=lambda: execute(ctx),
            )
            if replay is not None:
                ctx.request_id = replay.request_id
            return response
        return await execute(ctx)

    route.__name__ = getattr(handler, "__name__", "route")
    return route


def _check_version(state: GatewayState, request: web.BaseRequest) -> str | None:
    """The requested contract version (None: the baseline), or 400 `invalid_api_version`."""
    version = request.headers.get("X-Mesh-Version")
    if version is not None and version not in state.api_versions:
        shown = version if version else "(empty)"
        raise GatewayError(
            400,
            "invalid_api_version",
            f"Unknown X-Mesh-Version {shown!r}; supported: {', '.join(state.api_versions)}.",
            param="X-Mesh-Version",
        )
    return version


# ------------------------------------------------------------------------------- middleware


def _record(
    state: GatewayState, request: web.Request, body: bytes, request_id: str
) -> RecordedRequest:
    connection = int(getattr(request.protocol, "mesh_connection", 0))
    headers = tuple((str(k), v) for k, v in request.headers.items())
    return state.log.append(
        lambda index: RecordedRequest(
            method=request.method,
            path=request.path,
            raw_path=request.raw_path,
            query_string=request.query_string,
            headers=headers,
            body=body,
            time=time.time(),
            request_id=request_id,
            connection=connection,
            index=index,
        )
    )


def _replacement(ctx: RequestContext, effect: Effect) -> web.StreamResponse | None:
    if isinstance(effect, Fail):
        code = effect.code or STATUS_CODE.get(effect.status, "http_error")
        error = GatewayError(
            effect.status,
            code,
            effect.message,
            details=effect.details,
            provider_error=effect.provider_error,
            retry_after_seconds=effect.body_retry_after,
            param=effect.param,
        )
        headers = {}
        retry_after = retry_after_header(effect.retry_after)
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return envelope_response(
            effect.status, error.body(effect.request_id or ctx.request_id), headers=headers
        )
    if isinstance(effect, HtmlPage):
        return web.Response(
            status=effect.status,
            body=effect.html.encode("utf-8"),
            headers={"Content-Type": effect.content_type},
        )
    if isinstance(effect, JsonBody):
        return web.Response(
            status=effect.status,
            body=dumps(effect.body).encode("ascii"),
            headers={"Content-Type": effect.content_type},
        )
    return None


async def _send_raw(ctx: RequestContext, effect: RawBytes) -> web.StreamResponse:
    response = web.StreamResponse(status=effect.status, headers=dict(effect.headers))
    if effect.content_type is not None:
        response.headers["Content-Type"] = effect.content_type
    await response.prepare(ctx.request)
    writer = BodyWriter(ctx.request, response, ctx.shaping)
    chunks = [effect.body] if isinstance(effect.body, bytes) else list(effect.body)
    for chunk in chunks:
        await writer.write_chunk(chunk)
    await response.write_eof()
    return response


async def _send_shaped(ctx: RequestContext, response: web.Response) -> web.StreamResponse:
    """Write a finished plain response by hand so shaping faults can act on its bytes."""
    shaping = ctx.shaping
    body = response.body if isinstance(response.body, bytes) else b""
    status = response.status
    if shaping.truncate is not None:
        keep = shaping.truncate.keep if shaping.truncate.keep is not None else len(body) // 2
        body = body[:keep]
        status = shaping.truncate.status or status
    out = web.StreamResponse(status=status)
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "transfer-encoding"):
            out.headers.add(name, value)
    out.content_length = len(body)
    await out.prepare(ctx.request)
    writer = BodyWriter(ctx.request, out, shaping)
    for piece in shaping.split(body):
        await writer.write_chunk(piece)
    await out.write_eof()
    return out


def _http_exception_response(ctx: RequestContext, exc: web.HTTPException) -> web.Response:
    if exc.status == 404:
        error = GatewayError(
            404, "not_found", f"Not found: {ctx.request.method} {ctx.request.path}"
        )
    elif exc.status == 405:
        error = GatewayError(405, "method_not_allowed", f"Method {ctx.request.method} not allowed.")
    elif exc.status == 413:
        error = GatewayError(413, "invalid_request", "Request body too large.")
    else:
        error = GatewayError(exc.status, STATUS_CODE.get(exc.status, "http_error"), exc.reason)
    return error.response(ctx.request_id)


@web.middleware
async def gateway_middleware(request: web.Request, handler: AioHandler) -> web.StreamResponse:
    """Record, identify, inject faults, shape, and turn errors into envelopes."""
    state = request.app[STATE_KEY]
    given = request.headers.get("X-Request-Id")
    request_id = given if given is not None and valid_request_id(given) else new_request_id()
    too_large = False
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        body, too_large = b"", True
    record = _record(state, request, body, request_id)
    effects = state.faults.take(record)
    ctx = RequestContext(
        request=request,
        state=state,
        record=record,
        request_id=request_id,
        shaping=Shaping.from_effects(effects),
    )
    request[CONTEXT_KEY] = ctx
    if too_large:
        return GatewayError(413, "invalid_request", "Request body too large.").response(request_id)
    for effect in effects:
        if isinstance(effect, RoutingHeaders):
            ctx.extra_headers["x-mesh-routing-attempts"] = str(effect.attempts)
            fallback = effect.fallback
            ctx.extra_headers["x-mesh-routing-fallback"] = (
                ("true" if fallback else "false") if isinstance(fallback, bool) else fallback
            )
        elif isinstance(effect, ExtraHeaders):
            ctx.extra_headers.update(effect.headers)
    try:
        for effect in effects:
            if isinstance(effect, StallBeforeHeaders):
                await asyncio.sleep(effect.seconds)
        reset = next((e for e in effects if isinstance(e, ResetBeforeResponse)), None)
        replacement = next((e for e in effects if isinstance(e, REPLACEMENTS)), None)
        if reset is not None and not reset.run_handler:
            await reset_connection(request, graceful=False, grace=0)
        if isinstance(replacement, RawBytes):
            return await _send_raw(ctx, replacement)
        response = _replacement(ctx, replacement) if replacement is not None else None
        if response is None:
            response = await _call(ctx, handler)
        if reset is not None:
            await reset_connection(request, graceful=False, grace=0)
        if (
            isinstance(response, web.Response)
            and not response.prepared
            and ctx.shaping.shapes_plain_body
        ):
            return await _send_shaped(ctx, response)
        return response
    except (ConnectionDropped, ConnectionError):
        # The connection is gone (on purpose, or the client left): aiohttp still wants a
        # response object; it fails to send it and drops the connection quietly.
        return web.Response(status=500)


async def _call(ctx: RequestContext, handler: AioHandler) -> web.StreamResponse:
    try:
        return await handler(ctx.request)
    except GatewayError as error:
        return error.response(ctx.request_id)
    except web.HTTPException as exc:
        return _http_exception_response(ctx, exc)
    except (ConnectionDropped, ConnectionError):
        raise
    except Exception as exc:  # a gateway bug: answer like the real one would, and log it
        logger.exception("meshapi.testing handler failed")
        return envelope_response(
            500,
            envelope(
                "internal_error",
                f"Internal gateway error: {type(exc).__name__}: {exc}",
                ctx.request_id,
            ),
        )


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    ctx: RequestContext | None = request.get(CONTEXT_KEY)
    state = request.app[STATE_KEY]
    response.headers["x-request-id"] = ctx.request_id if ctx is not None else new_request_id()
    served = ctx.api_version if ctx is not None and ctx.api_version else state.api_versions[0]
    response.headers["x-mesh-version"] = served
    if ctx is not None:
        for name, value in ctx.extra_headers.items():
            response.headers[name] = value


# ----------------------------------------------------------------------------------- routes


def build_app(state: GatewayState) -> web.Application:
    """The gateway application over `state`."""
    app = web.Application(middlewares=[gateway_middleware], client_max_size=MAX_BODY)
    app[STATE_KEY] = state
    app.on_response_prepare.append(_on_prepare)
    add = app.router.add_route
    routes: list[tuple[str, str, AioHandler]] = [
        ("POST", "/v1/chat/completions", bind(chat_completions)),
        ("POST", "/v1/chat/compare", bind(compare)),
        ("POST", "/v1/responses", bind(create_response)),
        ("GET", "/v1/responses", bind(list_responses)),
        ("GET", "/v1/responses/{response_id}", bind(get_response)),
        ("POST", "/v1/embeddings", bind(create_embeddings)),
        ("POST", "/v1/images/generations", bind(generate_images)),
        ("POST", "/v1/images/edits", bind(edit_image)),
        ("POST", "/v1/batches", bind(create_batch)),
        ("GET", "/v1/batches", bind(list_batches)),
        ("GET", "/v1/batches/{batch_id}", bind(get_batch)),
        ("POST", "/v1/batches/{batch_id}/cancel", bind(cancel_batch)),
        ("GET", "/v1/models", bind(list_models)),
        ("GET", "/v1/models/free", bind(free_models)),
        ("GET", "/v1/models/paid", bind(paid_models)),
        # Before the catch-all get-by-path route, which would take "search" as an id.
        ("GET", "/v1/models/search", bind(search_models)),
        ("GET", "/v1/models/{model_id:.+}", bind(get_model)),
        ("POST", "/v1/templates", bind(create_template)),
        ("GET", "/v1/templates", bind(list_templates)),
        ("GET", "/v1/templates/{template_id}", bind(get_template)),
        ("PATCH", "/v1/templates/{template_id}", bind(update_template)),
        ("DELETE", "/v1/templates/{template_id}", bind(delete_template)),
        ("POST", "/v1/files", bind(init_upload)),
        ("GET", "/v1/files", bind(list_files)),
        ("POST", "/v1/files/embed", bind(embed_files)),
        ("POST", "/v1/files/search", bind(search_files)),
        ("GET", "/v1/files/{file_id}", bind(get_file)),
        (
            "PUT",
            "/_storage/uploads/{file_id}",
            bind(upload_content, auth=False, versioned=False, idempotent=False),
        ),
        ("GET", "/v1/realtime", bind(realtime, auth=False, versioned=False, idempotent=False)),
        # Tier P (protocol.md §7.1).
        ("POST", "/v1/audio/speech", bind(create_speech)),
        ("POST", "/v1/audio/transcriptions", bind(create_transcription)),
        ("POST", "/v1/audio/transcriptions/translate", bind(translate_transcription)),
        ("GET", "/v1/audio/transcriptions/{transcription_id}", bind(get_transcription)),
        ("POST", "/v1/audio/translations", bind(audio_translations)),
        ("GET", "/v1/audio/voices", bind(list_voices)),
        ("GET", "/v1/audio/voices/{voice_id}", bind(get_voice)),
        ("POST", "/v1/video/generations", bind(create_video)),
        ("GET", "/v1/video/generations", bind(list_videos)),
        ("GET", "/v1/video/generations/{task_id}", bind(get_video)),
        (
            "GET",
            "/_storage/videos/{task_id}.mp4",
            bind(video_file, auth=False, versioned=False, idempotent=False),
        ),
        ("POST", "/v1/moderations", bind(create_moderation)),
        ("POST", "/v1/web/search", bind(web_search)),
        ("POST", "/v1/router/select", bind(router_select)),
    ]
    for method, path, route in routes:
        add(method, path, route)
    return app
