"""Video generation: asynchronous tasks you submit, poll and list (protocol.md §7.1, tier P).

`videos.generate` submits a task and returns its id at once; `videos.retrieve` reports its
`status`, which is terminal at `succeeded` (the video is at `content.video_url`) or
`failed` (see `error`), and any other value while it still runs. `videos.wait` polls for
you.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import RequestModel, ResponseModel, ResultModel

__all__ = [
    "TERMINAL_VIDEO_STATUSES",
    "CreateVideoGenerationResponse",
    "ListVideoGenerationsParams",
    "VideoContentItem",
    "VideoGenerationParams",
    "VideoTaskContent",
    "VideoTaskError",
    "VideoTaskListResponse",
    "VideoTaskResponse",
    "VideoTaskUsage",
]

TERMINAL_VIDEO_STATUSES = frozenset({"succeeded", "failed"})
"""§7.1: `succeeded` and `failed` end a task; any other status means it still runs."""


class VideoContentItem(RequestModel):
    """One item of a video request's `content`: a text prompt, or a reference medium.

    `type` says which: `"text"` with `text`, or `"image_url"` / `"video_url"` /
    `"audio_url"` with the matching `{"url": ...}` object, or `"draft_task"` with
    `{"id": ...}`. `role` places a reference (for example `"first_frame"`).
    """

    type: str
    text: str | None = None
    image_url: dict[str, Any] | None = None
    video_url: dict[str, Any] | None = None
    audio_url: dict[str, Any] | None = None
    draft_task: dict[str, Any] | None = None
    role: str | None = None


class VideoGenerationParams(RequestModel):
    """The body of `POST /v1/video/generations` (§7.1): a model and at least one content item."""

    model: str
    content: list[VideoContentItem] = Field(min_length=1)
    resolution: str | None = None
    """For example `"720p"` or `"1080p"`."""
    ratio: str | None = None
    """For example `"16:9"`."""
    duration: int | None = None
    """Seconds."""
    frames: int | None = None
    seed: int | None = None
    camera_fixed: bool | None = None
    watermark: bool | None = None
    generate_audio: bool | None = None
    return_last_frame: bool | None = None
    draft: bool | None = None
    callback_url: str | None = None
    service_tier: str | None = None
    execution_expires_after: int | None = None
    priority: int | None = None
    safety_identifier: str | None = None


class CreateVideoGenerationResponse(ResultModel):
    """The submitted task: its `id`, to pass to `videos.retrieve` or `videos.wait`."""

    id: str


class ListVideoGenerationsParams(RequestModel):
    """The query of `GET /v1/video/generations` (§7.1); offset pagination, newest first.

    `created_after` / `created_before` bound `created_at` (epoch seconds).
    """

    status: str | None = None
    model: str | None = None
    created_after: int | str | None = None
    created_before: int | str | None = None
    limit: int | None = Field(default=None, ge=1)
    offset: int | None = Field(default=None, ge=0)


class VideoTaskError(ResponseModel):
    """Why a task failed."""

    code: str | None = None
    message: str | None = None


class VideoTaskContent(ResponseModel):
    """Where a finished task's video (and, if asked for, its last frame) is."""

    video_url: str | None = None
    last_frame_url: str | None = None


class VideoTaskUsage(ResponseModel):
    """Tokens a task consumed."""

    completion_tokens: int | None = None
    total_tokens: int | None = None


class VideoTaskResponse(ResultModel):
    """One video task (§7.1); unknown fields are kept.

    `status` is `succeeded` or `failed` once the task is over (`done` is then true); any
    other value (`queued`, `running`, ...) means it still runs.
    """

    id: str
    status: str
    model: str | None = None
    error: VideoTaskError | None = None
    created_at: int | None = None
    updated_at: int | None = None
    content: VideoTaskContent | None = None
    usage: VideoTaskUsage | None = None
    seed: int | None = None
    resolution: str | None = None
    ratio: str | None = None
    duration: int | None = None
    frames: int | None = None
    framespersecond: int | None = None
    generate_audio: bool | None = None
    safety_identifier: str | None = None
    priority: int | None = None
    draft: bool | None = None
    draft_task_id: str | None = None
    service_tier: str | None = None
    execution_expires_after: int | None = None

    @property
    def done(self) -> bool:
        """Whether the task reached a terminal status (`succeeded` or `failed`)."""
        return self.status in TERMINAL_VIDEO_STATUSES


class VideoTaskListResponse(ResultModel):
    """A page of video tasks (offset pagination: done when `offset + len(data) >= total`)."""

    data: list[VideoTaskResponse]
    has_more: bool
    total: int
    limit: int
    offset: int
    object: str | None = None
