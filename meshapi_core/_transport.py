"""The interface between the client classes and a driver: two verbs, in two flavours.

A transport runs a flow (see `_flows`): `run` for a call whose result is a value, and
`run_stream` for a call that ends with an open event-stream body, handed back as a
`Body`. The client classes are written once over these protocols; sync and async
drivers (httpx, aiohttp) implement them and hold no protocol logic of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol, TypeVar

from ._config import Timeout
from ._flows import Flow
from ._outcomes import TransportFailure
from ._streams import StreamDecoder

__all__ = ["AsyncBody", "AsyncTransport", "SyncBody", "SyncTransport"]

T = TypeVar("T")


class SyncBody(Protocol):
    """An open response body. `chunks` yields bytes; a final TransportFailure, if any."""

    def chunks(self) -> Iterator[bytes | TransportFailure]: ...

    def drain(self, limit: int) -> bool:
        """Read and discard up to `limit` bytes to the end; True if the end was reached."""
        ...

    def close(self) -> None: ...


class AsyncBody(Protocol):
    """The async form of `SyncBody`."""

    def chunks(self) -> AsyncIterator[bytes | TransportFailure]: ...

    async def drain(self, limit: int) -> bool: ...

    async def aclose(self) -> None: ...


class SyncTransport(Protocol):
    """Runs flows over a blocking HTTP client."""

    def run(self, flow: Flow[T], timeout: Timeout) -> T: ...

    def run_stream(
        self, flow: Flow[StreamDecoder[Any]], timeout: Timeout
    ) -> tuple[StreamDecoder[Any], SyncBody]: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """Runs flows over an asynchronous HTTP client."""

    async def run(self, flow: Flow[T], timeout: Timeout) -> T: ...

    async def run_stream(
        self, flow: Flow[StreamDecoder[Any]], timeout: Timeout
    ) -> tuple[StreamDecoder[Any], AsyncBody]: ...

    async def aclose(self) -> None: ...
