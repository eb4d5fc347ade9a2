"""meshapi_aiohttp: the MeshAPI client driven over an aiohttp.ClientSession.

    from meshapi_aiohttp import AsyncMeshAPI

    async with AsyncMeshAPI(session=my_session) as client:   # or no session: ours
        reply = await client.chat.completions.create(model=..., messages=...)

The client is `meshapi.AsyncMeshAPI` with another transport (`AiohttpTransport`), so its
surface, behaviour and errors are the same; aiohttp exceptions never reach the caller.
Realtime runs over a raw asyncio TCP/TLS stream driving the core's WebSocket protocol,
not over `ws_connect`; `_tcp` explains why. asyncio only. Install with
`pip install "meshapi[aiohttp]"`.
"""

from __future__ import annotations

from ._client import AsyncMeshAPI
from ._tcp import AsyncioByteStream
from ._transport import AiohttpBody, AiohttpTransport, default_session

__all__ = [
    "AiohttpBody",
    "AiohttpTransport",
    "AsyncMeshAPI",
    "AsyncioByteStream",
    "default_session",
]
