"""The resources of the asynchronous client: one class per gateway resource.

Every method turns its arguments into values (params model, options) before any I/O,
looks its endpoint up in the core's operation table, and hands a core flow to the
client's transport. No protocol decision is made here.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from typing_extensions import Self

from meshapi_core._config import RequestOptions, Timeout
from meshapi_core._errors import MeshAPIError, make_error
from meshapi_core._flows import (
    HttpResponse,
    chat_fallback_flow,
    decode_result,
    open_stream_flow,
    unary_flow,
)
from meshapi_core._multipart import FileUpload
from meshapi_core._operations import Operation, operation
from meshapi_core._queries import CursorPageQuery, EmptyBody, OffsetPageQuery
from meshapi_core._request import build_request, build_upload_request
from meshapi_core._structured import parse_flow, structured_format, validate_parse_retries
from meshapi_core.types import (
    BatchListResponse,
    BatchObject,
    BulkEmbedRequest,
    BulkEmbedResponse,
    ChatCompletionParams,
    ChatCompletionResponse,
    CompareParams,
    CompareResponse,
    CreateBatchParams,
    CreateTemplateParams,
    EmbeddingsParams,
    EmbeddingsResponse,
    ImageEditParams,
    ImageGenerationParams,
    ImageGenerationResponse,
    InitUploadRequest,
    InitUploadResponse,
    ListModelsParams,
    ModelInfo,
    ModelSearchParams,
    ModelsPage,
    RagFileListResponse,
    RagFileStatus,
    ResponsesListResponse,
    ResponsesParams,
    ResponsesResponse,
    SearchRequest,
    SearchResponse,
    TemplateSummary,
    UpdateTemplateParams,
    UploadFileParams,
)
from meshapi_core.types._base import RequestModel

from .._calls import options_from, params_from
from .._raw import RawResponse, WithRawResponse
from ._streams import (
    AsyncChatCompletionStream,
    AsyncCompareStream,
    AsyncImageStream,
    AsyncResponsesStream,
    AsyncStream,
)

if TYPE_CHECKING:
    from ._client import AsyncMeshAPI

__all__ = [
    "AsyncBatchesResource",
    "AsyncChatCompletionsResource",
    "AsyncChatResource",
    "AsyncCompareResource",
    "AsyncEmbeddingsResource",
    "AsyncImagesResource",
    "AsyncModelsResource",
    "AsyncRagResource",
    "AsyncResponsesResource",
    "AsyncTemplatesResource",
]

S = TypeVar("S", bound=AsyncStream[Any])
T = TypeVar("T")
TERMINAL_BATCH_STATUSES = frozenset({"completed", "failed", "cancelled", "expired"})


class AsyncAPIResource:
    """What every resource shares: the client, and the raw-response switch."""

    def __init__(self, client: AsyncMeshAPI, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    @property
    def with_raw_response(self) -> WithRawResponse[Self]:
        """This resource, with methods returning `RawResponse(status, headers, parsed)`."""
        return WithRawResponse(type(self)(self._client, raw=True))

    def _decoder(self, op: Operation) -> Callable[[HttpResponse], Any]:
        if not self._raw:
            return lambda response: decode_result(op, response)
        return lambda response: RawResponse(
            response.status, response.headers, decode_result(op, response)
        )

    async def _call(
        self,
        name: str,
        params: RequestModel | None,
        options: RequestOptions,
        *,
        path_params: Mapping[str, str] | None = None,
        query: RequestModel | None = None,
        upload: FileUpload | None = None,
    ) -> Any:
        op = operation(name)
        if op.reject_stream_true and getattr(params, "stream", None) is True:
            raise ValueError(f"{name}() does not stream; use the stream() method instead")
        state = self._client._state
        request = build_request(
            state.config, op, params, options, path_params=path_params, query=query, upload=upload
        )
        flow = unary_flow(
            request, self._decoder(op), policy=state.policy, rng=state.rng, emit=state.emit
        )
        return await self._client._transport.run(flow, request.timeout)

    def _stream(
        self, stream_class: type[S], name: str, params: RequestModel, options: RequestOptions
    ) -> S:
        # Built, and so validated, now: a bad request_id fails when stream() is called,
        # while the request itself goes out lazily (protocol.md §3.10).
        op = operation(name)
        state = self._client._state
        request = build_request(state.config, op, params, options)

        def open_flow() -> Any:
            return open_stream_flow(
                request, op, policy=state.policy, rng=state.rng, emit=state.emit
            )

        return stream_class(self._client._transport, open_flow, request.timeout)


class AsyncChatCompletionsResource(AsyncAPIResource):
    """`client.chat.completions`: POST /v1/chat/completions (protocol.md §2.3)."""

    async def create(
        self,
        params: ChatCompletionParams | Mapping[str, Any] | None = None,
        /,
        *,
        fallback_models: Sequence[str] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> ChatCompletionResponse:
        """Create a chat completion (`stream: false` is always sent).

        Takes a `ChatCompletionParams`, or its fields as keywords
        (`create(model=..., messages=[{"role": "user", "content": "hi"}])`). In keyword
        style `timeout=` is the client timeout; the gateway's body `timeout` field goes
        in a params object or `extra_body`. `fallback_models` replaces the client's
        fallback chain for this call (protocol.md §5.5).
        """
        chat = params_from(ChatCompletionParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        if fallback_models is not None and isinstance(fallback_models, str):
            raise ValueError("fallback_models must be a list of model ids, not one string")
        state = self._client._state
        op = operation("chat.completions.create")
        flow = chat_fallback_flow(
            state.config,
            op,
            chat,
            options,
            fallback_models=fallback_models,
            policy=state.policy,
            rng=state.rng,
            emit=state.emit,
            decode=self._decoder(op),
        )
        result: ChatCompletionResponse = await self._client._transport.run(
            flow, options.timeout or state.config.timeout
        )
        return result

    def stream(
        self,
        params: ChatCompletionParams | Mapping[str, Any] | None = None,
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
    ) -> AsyncChatCompletionStream:
        """Stream a chat completion (`stream: true` is always sent).

        Returns a stream to iterate (`async for chunk in ...`) or to use as a context
        manager; the request goes out on first use.
        """
        chat = params_from(ChatCompletionParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return self._stream(AsyncChatCompletionStream, "chat.completions.stream", chat, options)

    @overload
    async def parse(
        self,
        params: ChatCompletionParams | Mapping[str, Any],
        /,
        response_format: type[T],
        *,
        max_retries: int = 0,
        timeout: Timeout | float | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> T: ...

    @overload
    async def parse(
        self,
        params: ChatCompletionParams | Mapping[str, Any],
        /,
        response_format: Mapping[str, Any],
        *,
        max_retries: int = 0,
        timeout: Timeout | float | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any: ...

    async def parse(
        self,
        params: ChatCompletionParams | Mapping[str, Any],
        /,
        response_format: type[T] | Mapping[str, Any],
        *,
        max_retries: int = 0,
        timeout: Timeout | float | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """A chat completion whose reply is parsed into `response_format` (protocol.md §7.1).

        `response_format` is a pydantic model class (the schema is named after it), a
        TypedDict or a dataclass, or a JSON-schema dict: a full `{"type": "json_schema",
        ...}` wrapper is sent as it is, a bare schema is named `"response"`. Returns the
        model instance / validated object, or plain JSON for a dict.

        `max_retries` here counts *repair* attempts (not transport retries, which follow
        the client's policy): with `max_retries > 0` a reply that is not JSON, or JSON of
        the wrong shape, is sent back with a correction turn (each retry is billed),
        under the idempotency key `<key>:parse-<n>`. The fallback chain never applies.

        Raises:
            StructuredOutputError: the reply could not be parsed (`structured_output_parse_
                error`, status 0, the cause chained). The message says "likely does not
                support structured outputs" for prose, "did not match the requested
                schema" for JSON of the wrong shape, and "no text content" for an empty
                reply (a refusal or a tool call), which is never retried.
            ValueError: a bad `max_retries` (before any call).
            TypeError: a `response_format` of no supported kind (before any call).
        """
        retries = validate_parse_retries(max_retries)
        fmt = structured_format(response_format)
        chat = params_from(ChatCompletionParams, params, {})
        options = options_from(
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        state = self._client._state
        flow = parse_flow(
            state.config,
            operation("chat.completions.parse"),
            chat,
            options,
            fmt,
            max_retries=retries,
            policy=state.policy,
            rng=state.rng,
            emit=state.emit,
        )
        parsed = await self._client._transport.run(flow, options.timeout or state.config.timeout)
        if self._raw:
            return RawResponse(parsed.response.status, parsed.response.headers, parsed.value)
        return parsed.value


class AsyncChatResource:
    """`client.chat`: holds `completions`."""

    def __init__(self, client: AsyncMeshAPI) -> None:
        self.completions = AsyncChatCompletionsResource(client)


class AsyncResponsesResource(AsyncAPIResource):
    """`client.responses`: POST /v1/responses (protocol.md §2.4)."""

    async def create(
        self,
        params: ResponsesParams | Mapping[str, Any] | None = None,
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
    ) -> ResponsesResponse:
        """Create a response. A params object with `stream=True` is a ValueError."""
        body = params_from(ResponsesParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("responses.create", body, options)  # type: ignore[no-any-return]

    def stream(
        self,
        params: ResponsesParams | Mapping[str, Any] | None = None,
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
    ) -> AsyncResponsesStream:
        """Stream Responses-API events (protocol.md §3.7)."""
        body = params_from(ResponsesParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return self._stream(AsyncResponsesStream, "responses.stream", body, options)

    async def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
    ) -> ResponsesListResponse:
        """One page of stored (background) responses, newest first (protocol.md §7.1).

        Cursor pagination: pass the page's `last_id` as `after` while `has_more`.
        """
        query = CursorPageQuery(after=after, limit=limit)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call("responses.list", None, options, query=query)  # type: ignore[no-any-return]

    async def get(
        self,
        response_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> ResponsesResponse:
        """One stored response by id (a `background=True` create); unknown ids are 404."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "responses.get", None, options, path_params={"response_id": response_id}
        )


class AsyncEmbeddingsResource(AsyncAPIResource):
    """`client.embeddings`: POST /v1/embeddings (protocol.md §2.5)."""

    async def create(
        self,
        params: EmbeddingsParams | Mapping[str, Any] | None = None,
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
    ) -> EmbeddingsResponse:
        """Embed one or more inputs; one embedding per input, in order."""
        body = params_from(EmbeddingsParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("embeddings.create", body, options)  # type: ignore[no-any-return]


class AsyncImagesResource(AsyncAPIResource):
    """`client.images`: POST /v1/images/generations (protocol.md §2.6)."""

    async def generate(
        self,
        params: ImageGenerationParams | Mapping[str, Any] | None = None,
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
    ) -> ImageGenerationResponse:
        """Generate images. A params object with `stream=True` is a ValueError."""
        body = params_from(ImageGenerationParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("images.generate", body, options)  # type: ignore[no-any-return]

    def stream(
        self,
        params: ImageGenerationParams | Mapping[str, Any] | None = None,
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
    ) -> AsyncImageStream:
        """Stream image generation: `processing` keep-alives, then the image (§3.9)."""
        body = params_from(ImageGenerationParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return self._stream(AsyncImageStream, "images.stream", body, options)

    async def edit(
        self,
        params: ImageEditParams | Mapping[str, Any] | None = None,
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
    ) -> ImageGenerationResponse:
        """Edit an image: edit, inpaint, outpaint, mix, reframe, upscale or remove_background.

        POST /v1/images/edits (protocol.md §7.1). The image is inline (a data URL, bare
        base64 or an `ImageRef`); a remote http(s) URL is refused with a 400.
        """
        body = params_from(ImageEditParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("images.edit", body, options)  # type: ignore[no-any-return]


class AsyncCompareResource(AsyncAPIResource):
    """`client.compare`: POST /v1/chat/compare (protocol.md §2.7, §6.2)."""

    async def create(
        self,
        params: CompareParams | Mapping[str, Any] | None = None,
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
    ) -> CompareResponse:
        """Compare models side by side. A params object with `stream=True` is a ValueError."""
        body = params_from(CompareParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("compare.create", body, options)  # type: ignore[no-any-return]

    def stream(
        self,
        params: CompareParams | Mapping[str, Any] | None = None,
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
    ) -> AsyncCompareStream:
        """Stream the compare events (§3.8); per-model text is folded in `.accumulated`."""
        body = params_from(CompareParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return self._stream(AsyncCompareStream, "compare.stream", body, options)


class AsyncBatchesResource(AsyncAPIResource):
    """`client.batches`: inline-request batch jobs (protocol.md §2.8, §6.3)."""

    async def create(
        self,
        params: CreateBatchParams | Mapping[str, Any] | None = None,
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
    ) -> BatchObject:
        """Submit a batch; it comes back `validating`."""
        body = params_from(CreateBatchParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("batches.create", body, options)  # type: ignore[no-any-return]

    async def list(
        self,
        *,
        after: str | None = None,
        limit: int | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
    ) -> BatchListResponse:
        """One page of batches, newest first; `after` is the last id already seen."""
        query = CursorPageQuery(after=after, limit=limit)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call("batches.list", None, options, query=query)  # type: ignore[no-any-return]

    async def list_all(self, *, limit: int | None = None) -> AsyncIterator[BatchObject]:
        """Every batch, newest first, fetching page after page as you iterate."""
        after: str | None = None
        while True:
            page = await self.list(after=after, limit=limit)
            for batch in page.data:
                yield batch
            if not page.has_more or not page.data:
                return
            after = page.last_id or page.data[-1].id

    async def get(
        self,
        batch_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
    ) -> BatchObject:
        """One batch by id."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "batches.get", None, options, path_params={"batch_id": batch_id}
        )

    async def cancel(
        self,
        batch_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> BatchObject:
        """Cancel a batch; on a batch that already ended it returns it unchanged."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call(  # type: ignore[no-any-return]
            "batches.cancel", EmptyBody(), options, path_params={"batch_id": batch_id}
        )

    async def wait(
        self,
        batch_id: str,
        *,
        poll_interval: float = 1.0,
        timeout: float | None = None,
        on_progress: Callable[[BatchObject], None] | None = None,
    ) -> BatchObject:
        """Poll until the batch reaches a terminal status, and return it.

        Args:
            batch_id: the batch.
            poll_interval: seconds between polls.
            timeout: give up after this many seconds (an `APITimeoutError`); None waits
                as long as it takes.
            on_progress: called with every polled `BatchObject`, e.g. for a progress bar.
        """
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, int | float):
            raise ValueError("poll_interval must be a number of seconds")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            batch = await self.get(batch_id)
            if on_progress is not None:
                on_progress(batch)
            if batch.status in TERMINAL_BATCH_STATUSES:
                return batch
            if deadline is not None and time.monotonic() + poll_interval > deadline:
                raise _wait_timeout(batch, timeout)
            await self._client._sleep(poll_interval)


def _wait_timeout(batch: BatchObject, timeout: float | None) -> MeshAPIError:
    return make_error(
        f"batch {batch.id} still {batch.status} after {timeout} s",
        status=0,
        error_code="timeout",
        request_id=batch._request_id,
    )


class AsyncModelsResource(AsyncAPIResource):
    """`client.models`: the catalogue (protocol.md §2.9, §6.5)."""

    async def list(
        self,
        *,
        free: bool | None = None,
        type: str | None = None,
        provider: str | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
    ) -> builtins.list[ModelInfo]:
        """Every model, or only free (`free=True`) or paid (`free=False`) ones."""
        query = ListModelsParams(free=free, type=type, provider=provider)  # type: ignore[arg-type]
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call("models.list", None, options, query=query)  # type: ignore[no-any-return]

    async def free(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> builtins.list[ModelInfo]:
        """The free models."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call("models.free", None, options)  # type: ignore[no-any-return]

    async def paid(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> builtins.list[ModelInfo]:
        """The paid models."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call("models.paid", None, options)  # type: ignore[no-any-return]

    async def search(
        self,
        params: ModelSearchParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> ModelsPage:
        """Search the catalogue: filters, sort, offset pagination and a brand facet (§7.1).

        Takes a `ModelSearchParams` or its fields as keywords
        (`search(q="gpt", brand=["openai"], limit=10)`).
        """
        query = params_from(ModelSearchParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call("models.search", None, options, query=query)  # type: ignore[no-any-return]

    async def get(
        self,
        model_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> ModelInfo:
        """One model by id; the id's `/` stays in the path (`/v1/models/openai/gpt-4o`).

        An unknown id is a `NotFoundError` (the gateway's `{"detail": "Model not found"}`).
        """
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "models.get", None, options, path_params={"model_id": model_id}
        )


class AsyncTemplatesResource(AsyncAPIResource):
    """`client.templates`: server-side prompt templates (protocol.md §2.10, §6.1)."""

    async def create(
        self,
        params: CreateTemplateParams | Mapping[str, Any] | None = None,
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
    ) -> TemplateSummary:
        """Create a template; its name must be unique for the owner."""
        body = params_from(CreateTemplateParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("templates.create", body, options)  # type: ignore[no-any-return]

    async def list(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> builtins.list[TemplateSummary]:
        """The caller's templates and the global ones, newest first."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call("templates.list", None, options)  # type: ignore[no-any-return]

    async def get(
        self,
        template_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> TemplateSummary:
        """One template by id."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "templates.get", None, options, path_params={"template_id": template_id}
        )

    async def update(
        self,
        template_id: str,
        params: UpdateTemplateParams | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> TemplateSummary:
        """Replace the fields given (a partial PATCH); `updated_at` moves on."""
        body = params_from(UpdateTemplateParams, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "templates.update", body, options, path_params={"template_id": template_id}
        )

    async def delete(
        self,
        template_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> None:
        """Delete a template (204, no body)."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        await self._call(
            "templates.delete", None, options, path_params={"template_id": template_id}
        )


class AsyncRagResource(AsyncAPIResource):
    """`client.rag`: upload, embed and search files (protocol.md §2.11, §6.4)."""

    async def init_upload(
        self,
        params: InitUploadRequest | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> InitUploadResponse:
        """Create the file record and get a signed URL to PUT the bytes to."""
        body = params_from(InitUploadRequest, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("rag.init_upload", body, options)  # type: ignore[no-any-return]

    async def upload_file(
        self,
        params: UploadFileParams | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> InitUploadResponse:
        """Init the upload, then PUT the bytes to the signed URL; does not poll.

        Takes an `UploadFileParams` or its fields as keywords (`file_name`, `mime_type`,
        `content`, `embed`, `metadata`). The PUT goes through this client's transport
        (its proxies and TLS settings) without the Authorization header, and is retried
        as an idempotent request. A failed PUT raises the mapped `MeshAPIError`.
        """
        upload = params_from(UploadFileParams, params, fields)
        init = await self.init_upload(
            InitUploadRequest(
                file_name=upload.file_name,
                mime_type=upload.mime_type,
                embed=upload.embed,
                metadata=upload.metadata,
            ),
            timeout=timeout,
            max_retries=max_retries,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        state = self._client._state
        options = options_from(timeout=timeout, max_retries=max_retries)
        put = build_upload_request(
            init.signed_url,
            upload.content,
            mime_type=upload.mime_type,
            timeout=options.timeout or state.config.timeout,
            max_retries=options.max_retries,
        )
        flow = unary_flow(
            put, _ignore_body, policy=state.policy, rng=state.rng, emit=state.emit
        )
        await self._client._transport.run(flow, put.timeout)
        return init

    async def list(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_query: Mapping[str, object] | None = None,
        request_id: str | None = None,
    ) -> RagFileListResponse:
        """One page of files, newest first."""
        query = OffsetPageQuery(limit=limit, offset=offset)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            request_id=request_id,
        )
        return await self._call("rag.list", None, options, query=query)  # type: ignore[no-any-return]

    async def list_all(self, *, limit: int | None = None) -> AsyncIterator[RagFileStatus]:
        """Every file, newest first, fetching page after page as you iterate."""
        offset = 0
        while True:
            page = await self.list(limit=limit, offset=offset)
            for item in page.files:
                yield item
            offset += len(page.files)
            if not page.files or offset >= page.total:
                return

    async def get(
        self,
        file_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        request_id: str | None = None,
    ) -> RagFileStatus:
        """One file's upload and embedding status."""
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            request_id=request_id,
        )
        return await self._call(  # type: ignore[no-any-return]
            "rag.get", None, options, path_params={"file_id": file_id}
        )

    async def embed(
        self,
        params: BulkEmbedRequest | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> BulkEmbedResponse:
        """Embed files; per-file failures are reported inside `results`."""
        body = params_from(BulkEmbedRequest, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("rag.embed", body, options)  # type: ignore[no-any-return]

    async def search(
        self,
        params: SearchRequest | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str | None] | None = None,
        extra_body: Mapping[str, object] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> SearchResponse:
        """Vector search over the chunks of embedded files, best first."""
        body = params_from(SearchRequest, params, fields)
        options = options_from(
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_body=extra_body,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return await self._call("rag.search", body, options)  # type: ignore[no-any-return]


def _ignore_body(response: HttpResponse) -> None:
    # §6.4: any 2xx to the signed-URL PUT is success, whatever its body.
    return None
