"""meshapi_core: the Sans-I/O protocol engine of the MeshAPI SDK.

Pure protocol: types, operations, request building, SSE and stream decoding, error
mapping, retry decisions and the realtime WebSocket codec. It opens no socket, starts no
event loop, reads no clock and sleeps never; drivers (meshapi_httpx, meshapi_aiohttp) move
the bytes and do the waiting.
"""

from __future__ import annotations

from ._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MeshAPIError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RealtimeError,
    RemoteProtocolError,
    ResponseParseError,
    StreamInterruptedError,
    StructuredOutputError,
    UnprocessableEntityError,
)
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "MeshAPIError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RealtimeError",
    "RemoteProtocolError",
    "ResponseParseError",
    "StreamInterruptedError",
    "StructuredOutputError",
    "UnprocessableEntityError",
    "__version__",
]
