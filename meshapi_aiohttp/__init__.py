"""meshapi_aiohttp: the MeshAPI client driven over an aiohttp.ClientSession."""
