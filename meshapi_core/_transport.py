"""The interface between the client classes and a driver: two verbs, in two flavours.

A transport runs a flow (see `_flows`): `run` for a call whose result is a value, and
`run_stream` for a call that ends with an open event-stream body, handed back as a
`Body`. The client classes are written once over these protocols; sync and async
drivers (httpx, aiohttp) implement them and hold no protocol logic of their own.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from ._config import Timeout
from ._flows import Flow
from ._outcomes import TransportFailure
from ._streams import StreamDecoder

__all__ = [
    "AsyncBody",
    "AsyncByteStream",
    "AsyncTransport",
    "ByteStream",
    "SyncBody",
    "SyncTransport",
]

T = TypeVar("T")


class SyncBody(Protocol):
    """An open response body, read one piece at a time.

    `read` returns the next bytes as they arrive, None at the end of the body, or a
    TransportFailure (the last thing it returns) when reading failed. A method rather
    than an iterator: a stream calls it once per event, and a generator layer in
    between would cost a resumption (and, async, an awaitable) per event.
    """

    def read(self) -> bytes | TransportFailure | None: ...

    def drain(self, limit: int) -> bool:
        """Read and discard up to `limit` bytes to the end; True if the end was reached."""
        ...

    def close(self) -> None: ...


class AsyncBody(Protocol):
    """The async form of `SyncBody`."""

    async def read(self) -> bytes | TransportFailure | None: ...

    async def drain(self, limit: int) -> bool: ...

    async def aclose(self) -> None: ...


class ByteStream(Protocol):
    """A connected TCP (or TLS) byte stream, for the realtime WebSocket (§6.6).

    `receive` returns b"" at EOF; `timeout` (seconds, None for no limit) bounds one
    receive, and running out raises TimeoutError.
    """

    def send(self, data: bytes) -> None: ...

    def receive(self, max_bytes: int = 65536, *, timeout: float | None = None) -> bytes: ...

    def close(self) -> None: ...


class AsyncByteStream(Protocol):
    """The async form of `ByteStream`."""

    async def send(self, data: bytes) -> None: ...

    async def receive(self, max_bytes: int = 65536, *, timeout: float | None = None) -> bytes: ...

    async def aclose(self) -> None: ...


class SyncTransport(Protocol):
    """Runs flows over a blocking HTTP client."""

    def run(self, flow: Flow[T], timeout: Timeout) -> T: ...

    def run_stream(
        self, flow: Flow[StreamDecoder[Any]], timeout: Timeout
    ) -> tuple[StreamDecoder[Any], SyncBody]: ...

    def connect_tcp(self, host: str, port: int, *, tls: bool, timeout: float | None) -> ByteStream:
        """Open a byte stream to host:port (TLS verified against host when `tls`).

        Connection failures raise the core's `MeshAPIError` (`connection_error`, or
        `timeout` when `timeout` ran out), never a raw socket or library exception.
        """
        ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """Runs flows over an asynchronous HTTP client."""

    async def run(self, flow: Flow[T], timeout: Timeout) -> T: ...

    async def run_stream(
        self, flow: Flow[StreamDecoder[Any]], timeout: Timeout
    ) -> tuple[StreamDecoder[Any], AsyncBody]: ...

    async def connect_tcp(
        self, host: str, port: int, *, tls: bool, timeout: float | None
    ) -> AsyncByteStream: ...

    async def aclose(self) -> None: ...
