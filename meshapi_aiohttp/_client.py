"""`AsyncMeshAPI` over aiohttp: the same client, on an `aiohttp.ClientSession`.

Only the transport differs from `meshapi.AsyncMeshAPI`: every resource, stream and
error is the base class's, so the surface and the behaviour are the same by
construction. Installed with the `aiohttp` extra (`pip install "meshapi[aiohttp]"`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import aiohttp

from meshapi._async._client import AsyncMeshAPI as _AsyncMeshAPI
from meshapi_core._config import MESH_API_VERSION, FallbackConfig, MeshAPIConfig, Timeout
from meshapi_core._resilience import ResilienceEvent
from meshapi_core._retry import RetryPolicy
from meshapi_core._transport import AsyncTransport

from ._transport import AiohttpTransport

__all__ = ["AsyncMeshAPI"]


class AsyncMeshAPI(_AsyncMeshAPI):
    """The MeshAPI client for aiohttp programs (asyncio only).

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
        session: your own `aiohttp.ClientSession`, used with its connector, default
            headers and middlewares, and never closed by the SDK. Per request the SDK
            still pins redirects off, no raise-for-status, decompression on and its own
            timeouts. Without one, the client creates a session on first use (inside
            the running loop) and `aclose()` closes it.

    Raises:
        ValueError: a bad argument, named; no token at all.
        TypeError: `session` is not an `aiohttp.ClientSession`.
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
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError(
                f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
            )
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
            session=session,
        )
        self._setup(config, self._make_transport(config))

    def _make_transport(self, config: MeshAPIConfig) -> AsyncTransport:
        session = config.session
        assert session is None or isinstance(session, aiohttp.ClientSession)
        return AiohttpTransport(session)
