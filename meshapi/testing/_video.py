"""Video generation tasks (protocol.md §7.1) on the gateway clock.

A task is `queued` for `timings.video_queued` gateway seconds, then `running` for
`timings.video_running`, then `succeeded`, with `content.video_url` pointing at a small
placeholder MP4 the gateway serves itself (`/_storage/videos/<id>.mp4`, no auth) and
`usage` in tokens (width × height × fps × seconds / 1024). A `ModelFault` pending for the
model when the task is submitted makes the task end `failed` instead, with the fault's
code and message in `error`: the upstream fails while generating, not at submission.
State is computed when observed, so `gw.clock.advance()` moves tasks along.

An unknown (or another key's) task id answers a 404 whose body is **not JSON**, as the
real route does (§4.1); the SDK maps it to `not_found`.
"""

from __future__ import annotations

import itertools
import struct
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from meshapi_core.types import (
    CreateVideoGenerationResponse,
    VideoGenerationParams,
    VideoTaskListResponse,
    VideoTaskResponse,
)

from ._chat import resolve_model
from ._clock import GatewayClock
from ._context import RequestContext
from ._errors import default_message
from ._ids import new_id
from ._validation import check_params, detail, query_int, raise_validation
from ._wire import dump

if TYPE_CHECKING:
    from ._state import GatewayTimings

__all__ = [
    "VideoStore",
    "VideoTask",
    "create_video",
    "get_video",
    "list_videos",
    "placeholder_mp4",
    "video_file",
]

DEFAULT_VIDEO_MODEL = "bytedance/seedance-1-0-pro"
VIDEO_FILE_PATH = "/_storage/videos/{task_id}.mp4"
FPS = 24
_RESOLUTIONS = {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}


@dataclass
class VideoTask:
    """A stored task; its status is a function of the clock."""

    id: str
    owner: str
    model: str
    created: float
    sequence: int
    queued: float
    running: float
    params: dict[str, Any]
    failure: tuple[str, str] | None = None  # (code, message) when the upstream "fails"

    def status(self, now: float) -> str:
        """queued, running, then succeeded or failed."""
        if now < self.created + self.queued:
            return "queued"
        if now < self.created + self.queued + self.running:
            return "running"
        return "failed" if self.failure is not None else "succeeded"

    def view(self, now: float, origin: str) -> dict[str, Any]:
        """The `VideoTaskResponse` as of `now`."""
        status = self.status(now)
        updated = {
            "queued": self.created,
            "running": self.created + self.queued,
        }.get(status, self.created + self.queued + self.running)
        resolution = self.params.get("resolution") or "720p"
        duration = self.params.get("duration") or 5
        width, height = _RESOLUTIONS.get(resolution, (1280, 720))
        body: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "status": status,
            "error": None,
            "created_at": int(self.created),
            "updated_at": int(updated),
            "seed": self.params.get("seed", 42),
            "resolution": resolution,
            "ratio": self.params.get("ratio") or "16:9",
            "duration": duration,
            "framespersecond": FPS,
            "generate_audio": self.params.get("generate_audio", False),
            "draft": self.params.get("draft", False),
            "service_tier": self.params.get("service_tier") or "default",
            "execution_expires_after": self.params.get("execution_expires_after", 172800),
        }
        for name in ("frames", "priority", "safety_identifier"):
            if self.params.get(name) is not None:
                body[name] = self.params[name]
        if status == "succeeded":
            url = origin + VIDEO_FILE_PATH.format(task_id=quote(self.id, safe=""))
            content = {"video_url": url}
            if self.params.get("return_last_frame"):
                content["last_frame_url"] = url.replace(".mp4", "-last.png")
            body["content"] = content
            tokens = width * height * FPS * int(duration) // 1024
            body["usage"] = {"completion_tokens": tokens, "total_tokens": tokens}
        elif status == "failed" and self.failure is not None:
            body["error"] = {"code": self.failure[0], "message": self.failure[1]}
        return body


class VideoStore:
    """Tasks per owner, newest first."""

    def __init__(self, clock: GatewayClock, timings: GatewayTimings) -> None:
        self._clock = clock
        self._timings = timings
        self._lock = threading.Lock()
        self._tasks: dict[str, VideoTask] = {}
        self._sequence = itertools.count()

    def create(
        self,
        owner: str,
        model: str,
        params: dict[str, Any],
        failure: tuple[str, str] | None,
    ) -> VideoTask:
        """A new task, queued now."""
        task = VideoTask(
            id=f"cgt-{new_id('', 24)}",
            owner=owner,
            model=model,
            created=self._clock.now(),
            sequence=next(self._sequence),
            queued=self._timings.video_queued,
            running=self._timings.video_running,
            params=params,
            failure=failure,
        )
        with self._lock:
            self._tasks[task.id] = task
        return task

    def get(self, owner: str, task_id: str) -> VideoTask | None:
        """The owner's task, or None (another key's task is not found either)."""
        with self._lock:
            task = self._tasks.get(task_id)
        return task if task is not None and task.owner == owner else None

    def for_owner(self, owner: str) -> list[VideoTask]:
        """The owner's tasks, newest first."""
        with self._lock:
            tasks = [t for t in self._tasks.values() if t.owner == owner]
        return sorted(tasks, key=lambda t: t.sequence, reverse=True)


def _origin(ctx: RequestContext) -> str:
    return str(ctx.request.url.origin())


def _failure_for(ctx: RequestContext, model: str) -> tuple[str, str] | None:
    fault = ctx.state.model_faults.take(model)
    if fault is None:
        return None
    return fault.code, fault.message or default_message(fault.code)


async def create_video(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/video/generations: `{id}` at once; the task runs on the gateway clock."""
    body = ctx.json_body()
    problems = check_params(VideoGenerationParams, body)
    if not problems:
        texts = [item.get("text") for item in body["content"] if item.get("type") == "text"]
        media = [item for item in body["content"] if item.get("type") != "text"]
        if not any(isinstance(t, str) and t.strip() for t in texts) and not media:
            problems.append(
                detail("value_error", ["content"], "content needs a text prompt or an image")
            )
        resolution = body.get("resolution")
        if resolution is not None and resolution not in _RESOLUTIONS:
            problems.append(
                detail("literal_error", ["resolution"], "Input should be '480p', '720p' or '1080p'")
            )
        duration = body.get("duration")
        if isinstance(duration, int) and not 1 <= duration <= 12:
            problems.append(detail("less_than_equal", ["duration"], "Input should be 1 to 12"))
    raise_validation(problems)
    model, _ = resolve_model(ctx.state, body["model"], kind="video", default=DEFAULT_VIDEO_MODEL)
    params = {k: v for k, v in body.items() if k not in ("model", "content")}
    task = ctx.state.videos.create(ctx.owner, model.id, params, _failure_for(ctx, model.id))
    return ctx.json(dump(CreateVideoGenerationResponse, {"id": task.id}))


def _not_found(task_id: str) -> web.Response:
    # §4.1: this route's 404 is not JSON.
    return web.Response(
        status=404, text=f"video task {task_id} not found\n", content_type="text/plain"
    )


async def get_video(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/video/generations/{task_id}."""
    task_id = ctx.request.match_info["task_id"]
    task = ctx.state.videos.get(ctx.owner, task_id)
    if task is None:
        return _not_found(task_id)
    return ctx.json(dump(VideoTaskResponse, task.view(ctx.state.clock.now(), _origin(ctx))))


def _query_epoch(ctx: RequestContext, name: str) -> float | None:
    raw = ctx.request.query.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        raise_validation(
            [
                {
                    "type": "float_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be epoch seconds",
                }
            ]
        )
        raise AssertionError("unreachable") from None


async def list_videos(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/video/generations: filters, newest first, offset pagination."""
    query = ctx.request.query
    limit = query_int(ctx.request, "limit", 20, 1, 100)
    offset = query_int(ctx.request, "offset", 0, 0, 1_000_000)
    after = _query_epoch(ctx, "created_after")
    before = _query_epoch(ctx, "created_before")
    status = query.get("status")
    model = query.get("model")
    now = ctx.state.clock.now()
    tasks = [
        t
        for t in ctx.state.videos.for_owner(ctx.owner)
        if (status is None or t.status(now) == status)
        and (model is None or t.model == model)
        and (after is None or t.created >= after)
        and (before is None or t.created < before)
    ]
    page = tasks[offset : offset + limit]
    origin = _origin(ctx)
    return ctx.json(
        dump(
            VideoTaskListResponse,
            {
                "object": "list",
                "data": [t.view(now, origin) for t in page],
                "has_more": offset + len(page) < len(tasks),
                "total": len(tasks),
                "limit": limit,
                "offset": offset,
            },
        )
    )


def placeholder_mp4(task_id: str) -> bytes:
    """A tiny ISO-BMFF file (an `ftyp` box and a `free` box naming the task): a
    placeholder with a real MP4 signature, not a playable video."""
    ftyp = b"isom" + struct.pack(">I", 512) + b"isomiso2mp41"
    note = f"meshapi.testing placeholder for {task_id}".encode()
    return (
        struct.pack(">I", 8 + len(ftyp))
        + b"ftyp"
        + ftyp
        + struct.pack(">I", 8 + len(note))
        + b"free"
        + note
    )


async def video_file(ctx: RequestContext) -> web.StreamResponse:
    """GET /_storage/videos/{task_id}.mp4: the placeholder of a succeeded task."""
    task_id = ctx.request.match_info["task_id"]
    return web.Response(body=placeholder_mp4(task_id), content_type="video/mp4")
