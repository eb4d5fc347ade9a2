"""`AsyncMeshAPI`: the asynchronous client (protocol.md §8.1).

Over `httpx.AsyncClient` by default, so it runs under asyncio and under trio; the
aiohttp flavour (`meshapi_aiohttp.AsyncMeshAPI`) subclasses it with another transport.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import anyio
from typing_extensions import Self

from meshapi_core._config import MESH_API_VERSION, FallbackConfig, MeshAPIConfig, Timeout
from meshapi_core._resilience import ResilienceEvent
from meshapi_core._retry import RetryPolicy
from meshapi_core._transport import AsyncTransport
from meshapi_httpx import AsyncHttpxTransport

from .._calls import ClientState
from ._realtime import AsyncRealtimeResource
from ._resources import (
    AsyncBatchesResource,
    AsyncChatResource,
    AsyncCompareResource,
    AsyncEmbeddingsResource,
    AsyncImagesResource,
    AsyncModelsResource,
    AsyncRagResource,
    AsyncResponsesResource,
    AsyncTemplatesResource,
)
from ._resources_p import (
    AsyncAudioResource,
    AsyncModerationsResource,
    AsyncRouterResource,
    AsyncVideosResource,
    AsyncWebResource,
)

__all__ = ["AsyncMeshAPI"]


class AsyncMeshAPI:
    """The MeshAPI client for asyncio and trio programs.

    Args:
        base_url: the gateway; falls back to `MESHAPI_BASE_URL`, then
            `https://api.meshapi.ai`. A path prefix is kept.
        token: the API key; falls back to `MESHAPI_TOKEN`. Neither is a ValueError.
        timeout: seconds, or a `Timeout` (connect, read, stream_idle, total).
        max_retries: retries after the first attempt (the 0.1.x alias of `retry`).
        api_version: the `X-Mesh-Version` header; None or "" leaves it out.
        retry: a `RetryPolicy`; it wins as a whole over `max_retries`.
        fallback: the client-side model fallback chain for non-streaming chat.
        logger: called with every resilience event (retry, fallback, gateway-routing).
        debug: print one line per resilience event to stderr.
        default_headers: headers added to every request.
        async_httpx_client: your own `httpx.AsyncClient`; never closed by the SDK.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        timeout: Timeout | float = 60.0,
        max_retries: int = 3,
        api_version: str | None = MESH_API_VERSION,
        retry: RetryPolicy | None = None,
        fallback: FallbackConfig | None = None,
        logger: Callable[[ResilienceEvent], None] | None = None,
        debug: bool = False,
        default_headers: Mapping[str, str] | None = None,
        async_httpx_client: Any = None,
    ) -> None:
        config = MeshAPIConfig.resolve(
            base_url=base_url,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            api_version=api_version,
            retry=retry,
            fallback=fallback,
            logger=logger,
            debug=debug,
            default_headers=default_headers,
            async_httpx_client=async_httpx_client,
        )
        self._setup(config, self._make_transport(config))

    def _make_transport(self, config: MeshAPIConfig) -> AsyncTransport:
        return AsyncHttpxTransport(config.async_httpx_client)  # type: ignore[arg-type]

    def _setup(self, config: MeshAPIConfig, transport: AsyncTransport) -> None:
        self._state = ClientState(config)
        self._transport = transport
        self.chat = AsyncChatResource(self)
        self.responses = AsyncResponsesResource(self)
        self.embeddings = AsyncEmbeddingsResource(self)
        self.images = AsyncImagesResource(self)
        self.compare = AsyncCompareResource(self)
        self.batches = AsyncBatchesResource(self)
        self.models = AsyncModelsResource(self)
        self.templates = AsyncTemplatesResource(self)
        self.rag = AsyncRagResource(self)
        self.realtime = AsyncRealtimeResource(self)
        # Tier P (protocol.md §7.1, §8.1).
        self.audio = AsyncAudioResource(self)
        self.videos = AsyncVideosResource(self)
        self.moderations = AsyncModerationsResource(self)
        self.web = AsyncWebResource(self)
        self.router = AsyncRouterResource(self)

    @property
    def config(self) -> MeshAPIConfig:
        """The resolved configuration (its repr shows the token as '***')."""
        return self._state.config

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r})"

    async def _sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    async def aclose(self) -> None:
        """Close the connections this client opened (never a client you passed in)."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
