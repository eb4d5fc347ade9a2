"""How response bytes leave the gateway when a fault shapes them.

`Shaping` collects the shaping effects of one request's faults; `BodyWriter` writes body
chunks through them: splitting into tiny pieces, stalling between chunks, and resetting
the connection after K chunks or N bytes. Resets use `SO_LINGER 0` so the peer sees a real
RST (ECONNRESET), not a polite FIN, unless the fault asks for a graceful close.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, replace

from aiohttp import web

from ._faults import (
    Effect,
    KeepAliveComments,
    MidStreamError,
    OmitDone,
    ResetAfterBytes,
    ResetAfterChunks,
    StallBetweenChunks,
    TinyPieces,
    TruncatedJson,
)

__all__ = ["BodyWriter", "ConnectionDropped", "Shaping", "reset_connection"]


class ConnectionDropped(Exception):
    """The gateway reset or closed the connection on purpose; nothing more can be sent."""


@dataclass(frozen=True)
class Shaping:
    """The shaping effects that apply to one response (at most one of each kind)."""

    pieces: TinyPieces | None = None
    stall: StallBetweenChunks | None = None
    reset_chunks: ResetAfterChunks | None = None
    reset_bytes: ResetAfterBytes | None = None
    truncate: TruncatedJson | None = None
    mid_error: MidStreamError | None = None
    omit_done: OmitDone | None = None
    keepalive: KeepAliveComments | None = None

    @classmethod
    def from_effects(cls, effects: tuple[Effect, ...]) -> Shaping:
        """Pick the shaping effects out of a fault's effects (the last of a kind wins)."""
        shaping = cls()
        for effect in effects:
            if isinstance(effect, TinyPieces):
                shaping = replace(shaping, pieces=effect)
            elif isinstance(effect, StallBetweenChunks):
                shaping = replace(shaping, stall=effect)
            elif isinstance(effect, ResetAfterChunks):
                shaping = replace(shaping, reset_chunks=effect)
            elif isinstance(effect, ResetAfterBytes):
                shaping = replace(shaping, reset_bytes=effect)
            elif isinstance(effect, TruncatedJson):
                shaping = replace(shaping, truncate=effect)
            elif isinstance(effect, MidStreamError):
                shaping = replace(shaping, mid_error=effect)
            elif isinstance(effect, OmitDone):
                shaping = replace(shaping, omit_done=effect)
            elif isinstance(effect, KeepAliveComments):
                shaping = replace(shaping, keepalive=effect)
        return shaping

    @property
    def shapes_plain_body(self) -> bool:
        """Whether a non-streaming body must be written by hand rather than by aiohttp."""
        return any(
            effect is not None
            for effect in (
                self.pieces,
                self.stall,
                self.reset_chunks,
                self.reset_bytes,
                self.truncate,
            )
        )

    def split(self, data: bytes) -> list[bytes]:
        """`data` cut into `TinyPieces.size` pieces (or whole when not splitting)."""
        if self.pieces is None or not data:
            return [data]
        size = self.pieces.size
        return [data[i : i + size] for i in range(0, len(data), size)]


async def reset_connection(request: web.BaseRequest, *, graceful: bool, grace: float) -> None:
    """Drop the request's connection after what was written has reached the socket.

    Waiting for the write buffer to drain and then `grace` seconds matters: a RST makes the
    peer's kernel discard data it has not yet handed to the application, and the point of
    "reset after K chunks" is that the client does see those K chunks first.
    """
    transport = request.transport
    if transport is None:
        raise ConnectionDropped
    while not transport.is_closing() and transport.get_write_buffer_size() > 0:
        await asyncio.sleep(0.001)
    if grace > 0:
        await asyncio.sleep(grace)
    if not transport.is_closing():
        if graceful:
            transport.close()
        else:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
    raise ConnectionDropped


class BodyWriter:
    """Writes body chunks to a prepared `StreamResponse`, applying `Shaping`."""

    def __init__(
        self, request: web.BaseRequest, response: web.StreamResponse, shaping: Shaping
    ) -> None:
        self._request = request
        self._response = response
        self._shaping = shaping
        self.chunks_written = 0
        self.bytes_written = 0

    async def write_raw(self, data: bytes) -> None:
        """Write bytes that are not a chunk (SSE comments): no stalls, no chunk count."""
        await self._write_pieces(data)

    async def write_chunk(self, data: bytes) -> None:
        """Write one chunk (one SSE event, or one body piece) with every shaping effect."""
        shaping = self._shaping
        reset = shaping.reset_chunks
        if reset is not None and self.chunks_written >= reset.chunks:
            await reset_connection(self._request, graceful=reset.graceful, grace=reset.grace)
        stall = shaping.stall
        if stall is not None and self.chunks_written >= stall.after:
            await asyncio.sleep(stall.seconds)
        await self._write_pieces(data)
        self.chunks_written += 1

    async def _write_pieces(self, data: bytes) -> None:
        shaping = self._shaping
        tiny = shaping.pieces
        for piece in shaping.split(data):
            limit = shaping.reset_bytes
            if limit is not None:
                allowed = limit.count - self.bytes_written
                if allowed < len(piece):
                    if allowed > 0:
                        await self._response.write(piece[:allowed])
                        self.bytes_written += allowed
                    await reset_connection(
                        self._request, graceful=limit.graceful, grace=limit.grace
                    )
            await self._response.write(piece)
            self.bytes_written += len(piece)
            if tiny is not None:
                # Yielding (or sleeping) lets the event loop flush this piece to the socket
                # on its own, so the client really receives it as a separate read.
                await asyncio.sleep(tiny.delay)
