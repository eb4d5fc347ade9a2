"""Stream objects: what `stream()` returns (protocol.md §3.10).

A stream is lazy (the request goes out on `async with` or the first iteration, never
when `stream()` is called), an async context manager and an async iterator, and always
gives its connection back: at the clean end (after draining the rest of the body so the
connection can be reused), on `aclose()`, on leaving the `async with` block, and on any
error. Transport failures while reading become `stream_interrupted` (or `timeout` for
the idle timeout); a body that ends without its clean end is `stream_interrupted`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

from typing_extensions import Self

from meshapi_core._accumulate import ChatAccumulator, CompareAccumulator
from meshapi_core._config import Timeout
from meshapi_core._flows import Flow, stream_read_error
from meshapi_core._outcomes import TransportFailure
from meshapi_core._streams import StreamDecoder
from meshapi_core._transport import AsyncBody, AsyncTransport
from meshapi_core.types import (
    ChatCompletionChunk,
    ChatCompletionResponse,
    CompareStreamEvent,
    ImageGenerationChunk,
    ResponsesStreamEvent,
)
from meshapi_core.types._base import ResultModel

__all__ = [
    "AsyncChatCompletionStream",
    "AsyncCompareStream",
    "AsyncImageStream",
    "AsyncResponsesStream",
    "AsyncStream",
]

T = TypeVar("T", bound=ResultModel)

# After the clean end only the chunked terminator should be left; read at most this much
# before giving up on reusing the connection.
_DRAIN_LIMIT = 64 * 1024


class AsyncStream(Generic[T]):
    """A typed event stream over one HTTP response.

    Attributes:
        request_id: `None` until the response headers arrive, then the `x-request-id`
            header; it stays readable after a mid-stream failure.
    """

    # Slots: a program may hold a thousand streams open at once.
    __slots__ = (
        "_body",
        "_decoder",
        "_finished",
        "_fold",
        "_open_flow",
        "_pending",
        "_position",
        "_started",
        "_timeout",
        "_transport",
        "request_id",
    )

    def __init__(
        self,
        transport: AsyncTransport,
        open_flow: Callable[[], Flow[StreamDecoder[Any]]],
        timeout: Timeout,
    ) -> None:
        self._transport = transport
        self._open_flow: Callable[[], Flow[StreamDecoder[Any]]] | None = open_flow
        self._timeout = timeout
        self._decoder: StreamDecoder[T] | None = None
        self._body: AsyncBody | None = None
        self._pending: list[T] = []
        self._position = 0
        self._started = False
        self._finished = False
        # Called with every item as it is handed out (the streams that fold their
        # items set it): an attribute rather than a method to override, one call less
        # per item on the hottest path of the SDK.
        self._fold: Callable[[T], None] | None = None
        self.request_id: str | None = None

    async def _start(self) -> None:
        if self._started:
            return
        self._started = True
        open_flow, self._open_flow = self._open_flow, None  # what it holds is sent now
        assert open_flow is not None
        decoder, body = await self._transport.run_stream(open_flow(), self._timeout)
        self._decoder, self._body = decoder, body
        self.request_id = decoder.request_id

    async def __aenter__(self) -> Self:
        await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        pending, position = self._pending, self._position
        while position >= len(pending):
            # Read until the next batch of items (one list per read, not per item). This
            # is inline rather than a helper: one call (a coroutine, when async) less
            # per item on the hottest path of the SDK.
            if self._finished:
                self._pending, self._position = [], 0
                raise StopAsyncIteration
            if not self._started:
                await self._start()
            decoder, body = self._decoder, self._body
            if decoder is None or body is None:  # closed before it started
                self._finished = True
                continue
            try:
                if decoder.error_pending:
                    # The last read completed items and then an error frame: those items
                    # were delivered, now raise without waiting for more bytes.
                    decoder.end()
                chunk = await body.read()
                if chunk is None:
                    pending = decoder.end()
                    await self._finish()
                elif isinstance(chunk, TransportFailure):
                    raise stream_read_error(chunk, request_id=self.request_id)
                else:
                    pending = decoder.feed(chunk)
                    if decoder.done:
                        await self._finish(drain=True)
            except BaseException:
                self._pending, self._position = [], 0
                await self.aclose()
                raise
            self._pending, position = pending, 0
        item = pending[position]
        self._position = position + 1
        fold = self._fold
        if fold is not None:
            fold(item)
        return item

    async def _finish(self, *, drain: bool = False) -> None:
        self._finished = True
        body = self._body
        if body is not None and drain:
            await body.drain(_DRAIN_LIMIT)
        await self.aclose()

    async def aclose(self) -> None:
        """Give the connection back. Idempotent; never raises; sends nothing if unstarted."""
        self._finished = True
        body, self._body = self._body, None
        if body is not None:
            # Closing must never raise (§3.10): the caller is leaving either way.
            with contextlib.suppress(Exception):
                await body.aclose()

    async def until_done(self) -> None:
        """Read the stream to its end, discarding nothing (items still reach hooks)."""
        async for _ in self:
            pass


class AsyncChatCompletionStream(AsyncStream[ChatCompletionChunk]):
    """A chat stream: chunks, plus the folded answer (protocol.md §3.6, §3.10)."""

    __slots__ = ("_accumulator",)

    def __init__(
        self,
        transport: AsyncTransport,
        open_flow: Callable[[], Flow[StreamDecoder[Any]]],
        timeout: Timeout,
    ) -> None:
        super().__init__(transport, open_flow, timeout)
        self._accumulator = ChatAccumulator()
        self._fold = self._accumulator.add

    @property
    def text(self) -> str:
        """The text of the answer received so far."""
        return self._accumulator.text

    async def text_stream(self) -> AsyncIterator[str]:
        """Only the text deltas of choice 0, as they arrive."""
        async for chunk in self:
            for choice in chunk.choices:
                if choice.index == 0 and choice.delta is not None and choice.delta.content:
                    yield choice.delta.content

    async def get_final_completion(self) -> ChatCompletionResponse:
        """Read the rest of the stream and return the folded `ChatCompletionResponse`.

        `usage` comes from the usage chunk and `cost` is kept as an extra field.

        Raises:
            MeshAPIError: whatever ended the stream early.
        """
        await self.until_done()
        return self._accumulator.final()


class AsyncResponsesStream(AsyncStream[ResponsesStreamEvent]):
    """A Responses-API event stream (protocol.md §3.7)."""

    __slots__ = ()


class AsyncCompareStream(AsyncStream[CompareStreamEvent]):
    """A compare event stream (protocol.md §3.8), with per-model text folded as it comes."""

    __slots__ = ("accumulated",)

    def __init__(
        self,
        transport: AsyncTransport,
        open_flow: Callable[[], Flow[StreamDecoder[Any]]],
        timeout: Timeout,
    ) -> None:
        super().__init__(transport, open_flow, timeout)
        self.accumulated = CompareAccumulator()
        self._fold = self.accumulated.add


class AsyncImageStream(AsyncStream[ImageGenerationChunk]):
    """An image-generation stream (protocol.md §3.9)."""

    __slots__ = ()
