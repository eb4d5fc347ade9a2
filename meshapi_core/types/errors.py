"""The gateway's JSON error envelope (protocol.md §4.1).

Kept importable from 0.1.x for code that parses error bodies itself. The SDK's own error
mapping (§4.3) reads the body more leniently than these models and never fails on it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ._base import ResponseModel
from .chat import _null_as

__all__ = ["ApiErrorBody", "ApiErrorEnvelope"]


class ApiErrorBody(ResponseModel):
    """The `error` object of an error response: a code from §4.2 and a message."""

    code: str
    message: str
    details: Annotated[list[Any], _null_as(list)] = Field(default_factory=list)
    """For validation errors, pydantic-style items `{type, loc, msg}`."""
    provider_error: dict[str, Any] | None = None
    """`{provider, status, message}` from the upstream provider."""
    retry_after_seconds: int | None = None
    param: str | None = None


class ApiErrorEnvelope(ResponseModel):
    """A whole error body: `{"error": {...}, "request_id": "req_..."}`."""

    error: ApiErrorBody
    # §4.1 says the gateway always sends it, but §4.4 treats a missing or empty body id
    # as normal (the header id is the fallback), so it is optional here too.
    request_id: str | None = None
