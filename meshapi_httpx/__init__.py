"""meshapi_httpx: the MeshAPI client driven over httpx (sync, asyncio and trio)."""

from __future__ import annotations

from ._async import AsyncHttpxBody, AsyncHttpxTransport, default_async_client
from ._sync import SyncHttpxBody, SyncHttpxTransport, default_sync_client

__all__ = [
    "AsyncHttpxBody",
    "AsyncHttpxTransport",
    "SyncHttpxBody",
    "SyncHttpxTransport",
    "default_async_client",
    "default_sync_client",
]
