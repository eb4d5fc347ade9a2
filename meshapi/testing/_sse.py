"""Writing Server-Sent Events exactly as the gateway does (protocol.md §3.1).

A stream handler is an async generator of `SSEEvent`s (and `SSEComment`s); `stream_sse`
sends it: status 200, `Content-Type: text/event-stream; charset=utf-8`,
`Cache-Control: no-cache`, no Content-Length (so chunked transfer encoding), each event as
an optional `event:` line, one compact-JSON `data:` line and a blank line. The request's
shaping faults (mid-stream error frame, omitted `[DONE]`, keep-alive comments, tiny pieces,
stalls, resets) are applied here, so every stream kind gets them for free.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._faults import MidStreamError
from ._json import dumps
from ._shaping import BodyWriter, ConnectionDropped, Shaping

__all__ = ["DONE", "SSEComment", "SSEEvent", "encode_event", "error_frame", "stream_sse"]

SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"


@dataclass(frozen=True)
class SSEEvent:
    """One event: `data` is a JSON value, or the literal text `[DONE]`."""

    data: Any
    event: str | None = None

    @property
    def is_done(self) -> bool:
        """Whether this is the `[DONE]` sentinel."""
        return isinstance(self.data, str) and self.data == "[DONE]"


@dataclass(frozen=True)
class SSEComment:
    """A comment line (`: keep-alive`), sent during long waits."""

    text: str = "keep-alive"


DONE = SSEEvent("[DONE]")


def encode_event(event: SSEEvent) -> bytes:
    """The wire form of one event, ending with its blank line."""
    data = "[DONE]" if event.is_done else dumps(event.data)
    head = f"event: {event.event}\n" if event.event is not None else ""
    return f"{head}data: {data}\n\n".encode("ascii")


def encode_comment(comment: SSEComment) -> bytes:
    """The wire form of one comment line."""
    return f": {comment.text}\n".encode("ascii", "backslashreplace")


def error_frame(
    request_id: str,
    code: str,
    message: str,
    provider_error: Any = None,
) -> dict[str, Any]:
    """The mid-stream error payload of §3.5."""
    error: dict[str, Any] = {"code": code, "message": message}
    if provider_error is not None:
        error["provider_error"] = provider_error
    return {"error": error, "request_id": request_id}


async def stream_sse(
    request: web.BaseRequest,
    events: AsyncIterator[SSEEvent | SSEComment],
    *,
    shaping: Shaping,
    request_id: str,
    compare: bool = False,
) -> web.StreamResponse:
    """Send `events` as an SSE response, applying `shaping`, and return the response."""
    response = web.StreamResponse(
        status=200, headers={"Content-Type": SSE_CONTENT_TYPE, "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    writer = BodyWriter(request, response, shaping)
    mid_error = shaping.mid_error
    sent_events = 0
    try:
        async for item in events:
            if isinstance(item, SSEComment):
                await writer.write_raw(encode_comment(item))
                continue
            if mid_error is not None and (sent_events >= mid_error.after or item.is_done):
                await _send_error(writer, mid_error, request_id)
                mid_error = None
                break
            if shaping.omit_done is not None and (
                item.is_done
                or (compare and item.event == "done" and shaping.omit_done.compare_done_event)
            ):
                continue
            if shaping.keepalive is not None:
                for _ in range(shaping.keepalive.count):
                    await writer.write_raw(encode_comment(SSEComment(shaping.keepalive.text)))
            await writer.write_chunk(encode_event(item))
            sent_events += 1
        else:
            if mid_error is not None:
                # Fewer events than `after`: the error frame still comes, at the end.
                await _send_error(writer, mid_error, request_id)
        await response.write_eof()
    except ConnectionDropped:
        pass
    except (ConnectionResetError, ConnectionError):
        # The client went away mid-stream (an abandoned stream); nothing to do.
        pass
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
    return response


async def _send_error(writer: BodyWriter, fault: MidStreamError, request_id: str) -> None:
    payload = (
        dict(fault.frame)
        if fault.frame is not None
        else error_frame(request_id, fault.code, fault.message, fault.provider_error)
    )
    await writer.write_chunk(encode_event(SSEEvent(payload, fault.event)))
