"""meshapi_httpx: the MeshAPI client driven over httpx (sync, asyncio and trio)."""
