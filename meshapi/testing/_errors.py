"""Gateway-side errors and the envelope of protocol.md §4.1.

A handler raises `GatewayError`; the middleware turns it into the JSON envelope with the
right status, and the response-prepare hook sets `x-request-id` to the same id as the
body's `request_id`. Codes and their statuses follow §4.2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from meshapi_core.types import ApiErrorEnvelope

from ._json import dumps

__all__ = [
    "CODE_STATUS",
    "STATUS_CODE",
    "GatewayError",
    "envelope",
    "envelope_response",
    "fastapi_not_found",
]

# The default code for a status (the table `T` of §4.3), used when a fault gives no code.
STATUS_CODE: dict[int, str] = {
    400: "invalid_request",
    401: "unauthorized",
    402: "spend_limit_exceeded",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    422: "validation_error",
    429: "rate_limit_exceeded",
    500: "internal_error",
    501: "not_implemented",
    502: "upstream_error",
    503: "provider_not_available",
    504: "gateway_timeout",
}

# The status a code is sent with (§4.2); used for upstream (model) faults given by code.
CODE_STATUS: dict[str, int] = {
    "invalid_request": 400,
    "invalid_api_version": 400,
    "model_capability_not_supported": 400,
    "unauthorized": 401,
    "spend_limit_exceeded": 402,
    "forbidden": 403,
    "not_found": 404,
    "model_not_found": 404,
    "timeout": 408,
    "conflict": 409,
    "validation_error": 422,
    "unprocessable_entity": 422,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
    "upstream_error": 502,
    "not_implemented": 501,
    "all_models_failed": 502,
    "provider_not_available": 503,
    "gateway_timeout": 504,
}

_DEFAULT_MESSAGES: dict[str, str] = {
    "invalid_request": "Invalid request.",
    "unauthorized": "Invalid or missing API key.",
    "forbidden": "Forbidden.",
    "not_found": "Not found.",
    "model_not_found": "Model not found.",
    "conflict": "Conflict.",
    "validation_error": "Request validation failed.",
    "rate_limit_exceeded": "Rate limit exceeded: 60 requests per minute.",
    "internal_error": "Internal gateway error.",
    "upstream_error": "The upstream provider failed.",
    "provider_not_available": "No provider is available for this model right now.",
    "gateway_timeout": "Upstream provider did not respond in time.",
    "not_implemented": "Not implemented.",
    "spend_limit_exceeded": "Spend limit exceeded: account balance is zero.",
}


def default_message(code: str) -> str:
    """A human-readable message for a code, for faults that give none."""
    return _DEFAULT_MESSAGES.get(code, code.replace("_", " ").capitalize() + ".")


class GatewayError(Exception):
    """An error response the gateway sends as the §4.1 envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        *,
        details: Sequence[Mapping[str, Any]] = (),
        provider_error: Mapping[str, Any] | None = None,
        retry_after_seconds: int | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message if message is not None else default_message(code)
        super().__init__(self.message)
        self.details = [dict(d) for d in details]
        self.provider_error = dict(provider_error) if provider_error is not None else None
        self.retry_after_seconds = retry_after_seconds
        self.param = param
        self.headers = dict(headers or {})

    def body(self, request_id: str) -> dict[str, Any]:
        """The envelope for this error."""
        return envelope(
            self.code,
            self.message,
            request_id,
            details=self.details,
            provider_error=self.provider_error,
            retry_after_seconds=self.retry_after_seconds,
            param=self.param,
        )

    def response(self, request_id: str) -> web.Response:
        """The envelope as an aiohttp response."""
        return envelope_response(self.status, self.body(request_id), headers=self.headers)


def envelope(
    code: str,
    message: str,
    request_id: str,
    *,
    details: Sequence[Mapping[str, Any]] = (),
    provider_error: Mapping[str, Any] | None = None,
    retry_after_seconds: int | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """The §4.1 body, `{"error": {...}, "request_id": ...}`, through `ApiErrorEnvelope`."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "details": [dict(d) for d in details],
        "provider_error": dict(provider_error) if provider_error is not None else None,
    }
    if retry_after_seconds is not None:
        error["retry_after_seconds"] = retry_after_seconds
    if param is not None:
        error["param"] = param
    body = {"error": error, "request_id": request_id}
    try:
        model = ApiErrorEnvelope.model_validate(body)
    except ValidationError:
        # An error path must not fail in turn; only a test's own odd Fail(...) values can
        # get here, and they are sent exactly as given.
        return body
    return model.model_dump(mode="json", exclude_unset=True)


def envelope_response(
    status: int, body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON error response; `x-request-id` is added by the response-prepare hook."""
    return web.Response(
        status=status,
        text=dumps(body),
        content_type="application/json",
        headers=dict(headers or {}),
    )


def fastapi_not_found(detail: str = "Model not found") -> web.Response:
    """The FastAPI-style 404 some routes send instead of the envelope (§4.1, §6.5)."""
    return web.Response(status=404, text=dumps({"detail": detail}), content_type="application/json")
