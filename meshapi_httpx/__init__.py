"""meshapi_httpx: the MeshAPI client driven over httpx (sync, asyncio and trio).

The two drivers are imported on first use (PEP 562), so the blocking client never
imports the asynchronous driver and anyio, nor the other way round.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._async import AsyncHttpxBody, AsyncHttpxTransport, default_async_client
    from ._sync import SyncHttpxBody, SyncHttpxTransport, default_sync_client

_EXPORTS = {
    "AsyncHttpxBody": "._async",
    "AsyncHttpxTransport": "._async",
    "default_async_client": "._async",
    "SyncHttpxBody": "._sync",
    "SyncHttpxTransport": "._sync",
    "default_sync_client": "._sync",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'meshapi_httpx' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AsyncHttpxBody",
    "AsyncHttpxTransport",
    "SyncHttpxBody",
    "SyncHttpxTransport",
    "default_async_client",
    "default_sync_client",
]
