"""The tier-P resources of the asynchronous client (protocol.md §7.1).

`client.audio`, `client.videos`, `client.moderations`, `client.web` and `client.router`.
Like every resource, each method turns its arguments into values before any I/O and hands
an operation of the core's table to the client's transport; the uploads hand it the file
too (the core builds the multipart body, once, so retries resend the same bytes).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from meshapi_core._config import Timeout
from meshapi_core._errors import MeshAPIError, make_error
from meshapi_core._multipart import FileUpload
from meshapi_core.types import (
    AudioTranslationsParams,
    CreateVideoGenerationResponse,
    ListVideoGenerationsParams,
    ListVoicesParams,
    ModerationParams,
    ModerationResponse,
    RouterSelectParams,
    RouterSelectResponse,
    SpeechParams,
    TranscriptionParams,
    TranscriptionResponse,
    TranscriptionTranslateParams,
    VideoGenerationParams,
    VideoTaskListResponse,
    VideoTaskResponse,
    Voice,
    VoicesResponse,
    WebSearchParams,
    WebSearchResponse,
)

from .._calls import options_from, params_from
from ._resources import AsyncAPIResource

__all__ = [
    "AsyncAudioResource",
    "AsyncModerationsResource",
    "AsyncRouterResource",
    "AsyncVideosResource",
    "AsyncWebResource",
]


class AsyncAudioResource(AsyncAPIResource):
    """`client.audio`: speech, transcriptions, translations and voices (protocol.md §7.1)."""

    async def synthesize(
        self,
        params: SpeechParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> bytes:
        """Speak `input`: POST /v1/audio/speech, returning the raw audio bytes.

        A 2xx answer that is a JSON error envelope instead of audio raises the mapped
        `MeshAPIError`. Raw bytes carry no `_request_id`; use `with_raw_response` for the
        headers.
        """
        body = params_from(SpeechParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("audio.synthesize", body, options)  # type: ignore[no-any-return]

    async def transcribe(
        self,
        file: bytes,
        params: TranscriptionParams | Mapping[str, Any] | None = None,
        /,
        *,
        filename: str = "audio.mp3",
        content_type: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> TranscriptionResponse:
        """Transcribe audio: POST /v1/audio/transcriptions (multipart).

        `file` is the audio's bytes, sent as the `file` part named `filename`, with
        `content_type` (guessed from the filename when None). The params are form
        fields: booleans as `true`/`false`, `keyterms` as repeated fields (§1.6).
        """
        form = params_from(TranscriptionParams, params, fields)
        upload = FileUpload(file, filename, content_type)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("audio.transcribe", form, options, upload=upload)  # type: ignore[no-any-return]

    async def get_transcription(
        self,
        transcription_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> Any:
        """A stored transcription by id, as the untyped JSON the gateway sends."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call(
            "audio.get_transcription",
            None,
            options,
            path_params={"transcription_id": transcription_id},
        )

    async def translate(
        self,
        file: bytes,
        params: TranscriptionTranslateParams | Mapping[str, Any] | None = None,
        /,
        *,
        filename: str = "audio.mp3",
        content_type: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> TranscriptionResponse:
        """Transcribe audio and translate it to English.

        POST /v1/audio/transcriptions/translate (multipart); every param is optional.
        """
        form = params_from(TranscriptionTranslateParams, params, fields)
        upload = FileUpload(file, filename, content_type)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("audio.translate", form, options, upload=upload)  # type: ignore[no-any-return]

    async def audio_translate(
        self,
        file: bytes,
        params: AudioTranslationsParams | Mapping[str, Any] | None = None,
        /,
        *,
        filename: str = "audio.mp3",
        content_type: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> TranscriptionResponse:
        """Translate audio to English: POST /v1/audio/translations (multipart).

        A different endpoint from `translate()`; `model` is required.
        """
        form = params_from(AudioTranslationsParams, params, fields)
        upload = FileUpload(file, filename, content_type)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("audio.audio_translate", form, options, upload=upload)  # type: ignore[no-any-return]

    async def list_voices(
        self,
        params: ListVoicesParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> VoicesResponse:
        """One page of voices (token pagination: pass `next_page_token` back).

        Takes a `ListVoicesParams` or its fields as keywords; `voice_ids` is sent as
        repeated query keys.
        """
        query = params_from(ListVoicesParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call("audio.list_voices", None, options, query=query)  # type: ignore[no-any-return]

    async def list_all_voices(
        self, params: ListVoicesParams | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> AsyncIterator[Voice]:
        """Every voice matching the filters, fetching page after page as you iterate."""
        query = params_from(ListVoicesParams, params, fields)
        while True:
            page = await self.list_voices(query)
            for voice in page.voices:
                yield voice
            if not page.next_page_token or page.has_more is False or not page.voices:
                return
            query = query.model_copy(update={"next_page_token": page.next_page_token})

    async def get_voice(
        self,
        voice_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> Voice:
        """One voice by id."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "audio.get_voice", None, options, path_params={"voice_id": voice_id}
        )


class AsyncVideosResource(AsyncAPIResource):
    """`client.videos`: video generation tasks (protocol.md §7.1)."""

    async def generate(
        self,
        params: VideoGenerationParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> CreateVideoGenerationResponse:
        """Submit a video task; returns its `id` at once (poll it, or `wait()` for it)."""
        body = params_from(VideoGenerationParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("videos.generate", body, options)  # type: ignore[no-any-return]

    async def list(
        self,
        params: ListVideoGenerationsParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> VideoTaskListResponse:
        """One page of tasks, newest first (offset pagination); filters are optional."""
        query = params_from(ListVideoGenerationsParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call("videos.list", None, options, query=query)  # type: ignore[no-any-return]

    async def list_all(
        self,
        params: ListVideoGenerationsParams | Mapping[str, Any] | None = None,
        /,
        **fields: Any,
    ) -> AsyncIterator[VideoTaskResponse]:
        """Every task matching the filters, newest first, page after page as you iterate."""
        query = params_from(ListVideoGenerationsParams, params, fields)
        offset = query.offset or 0
        while True:
            page = await self.list(query.model_copy(update={"offset": offset}))
            for task in page.data:
                yield task
            offset += len(page.data)
            if not page.data or not page.has_more or offset >= page.total:
                return

    async def retrieve(
        self,
        task_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> VideoTaskResponse:
        """One task: its status, and the video once it `succeeded`.

        An unknown id is a `NotFoundError` (the gateway answers a non-JSON 404).
        """
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "videos.retrieve", None, options, path_params={"task_id": task_id}
        )

    async def wait(
        self,
        task_id: str,
        *,
        poll_interval: float = 2.0,
        timeout: float | None = None,
        on_progress: Callable[[VideoTaskResponse], None] | None = None,
    ) -> VideoTaskResponse:
        """Poll the task until it `succeeded` or `failed`, and return it (either way).

        Args:
            task_id: the task.
            poll_interval: seconds between polls.
            timeout: give up after this many seconds (an `APITimeoutError`); None waits
                as long as it takes.
            on_progress: called with every polled task, e.g. to show its status.
        """
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, int | float):
            raise ValueError("poll_interval must be a number of seconds")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0
        ):
            raise ValueError("timeout must be a number of seconds >= 0, or None")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            task = await self.retrieve(task_id)
            if on_progress is not None:
                on_progress(task)
            if task.done:
                return task
            if deadline is not None and time.monotonic() + poll_interval > deadline:
                raise _video_wait_timeout(task, timeout)
            await self._client._sleep(poll_interval)


def _video_wait_timeout(task: VideoTaskResponse, timeout: float | None) -> MeshAPIError:
    return make_error(
        f"video task {task.id} still {task.status} after {timeout} s",
        status=0,
        error_code="timeout",
        request_id=task._request_id,
    )


class AsyncModerationsResource(AsyncAPIResource):
    """`client.moderations`: POST /v1/moderations (protocol.md §7.1)."""

    async def create(
        self,
        params: ModerationParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> ModerationResponse:
        """Classify one input or several; one result per input, in order."""
        body = params_from(ModerationParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("moderations.create", body, options)  # type: ignore[no-any-return]


class AsyncWebResource(AsyncAPIResource):
    """`client.web`: POST /v1/web/search (protocol.md §7.1).

    A flag-gated feature: a key without it gets 403 `forbidden` (or 404).
    """

    async def search(
        self,
        params: WebSearchParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> WebSearchResponse:
        """Search the web (`search(query="...")`); a flat fee per search."""
        body = params_from(WebSearchParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("web.search", body, options)  # type: ignore[no-any-return]


class AsyncRouterResource(AsyncAPIResource):
    """`client.router`: POST /v1/router/select (protocol.md §7.1).

    A flag-gated feature: a key without it gets 403 `forbidden` (or 404).
    """

    async def select(
        self,
        params: RouterSelectParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> RouterSelectResponse:
        """The model the auto-router picks for `messages`, never one of `exclude_models`
        unless `auto_router.fallback_used` says it fell back to the default."""
        body = params_from(RouterSelectParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("router.select", body, options)  # type: ignore[no-any-return]
