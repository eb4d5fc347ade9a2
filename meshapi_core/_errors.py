"""The exceptions every layer raises, and the one table that picks a subclass.

`error_code` is the contract users branch on (protocol.md §4.2); the subclasses exist so
that `except RateLimitError:` reads well. The class is chosen by HTTP status, or for the
status-0 errors (streams, timeouts, connection failures) by code, through `error_class`.
Nothing here ever holds or prints a credential.
"""

from __future__ import annotations

from typing import Any

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
    "error_class",
    "make_error",
    "redact_secret",
]


class MeshAPIError(Exception):
    """Every failure the SDK reports: HTTP errors, stream frames, timeouts, broken networks.

    `str(e)` is the message. `status` is the HTTP status, or 0 when no HTTP status applies
    (stream frames, client-side timeouts, connection failures). `request_id` is never
    None: `""` when unknown.
    """

    status: int
    error_code: str
    request_id: str
    details: list[Any]
    provider_error: dict[str, Any] | None
    retry_after_seconds: int | None
    param: str | None

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_code: str,
        request_id: str | None,
        details: list[Any] | None = None,
        provider_error: dict[str, Any] | None = None,
        retry_after_seconds: int | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code or "http_error"
        self.request_id = request_id or ""
        self.details = list(details) if details else []
        self.provider_error = provider_error
        self.retry_after_seconds = retry_after_seconds
        self.param = param

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, error_code={self.error_code!r}, "
            f"request_id={self.request_id!r}, message={self.message!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions with keyword-only constructors do not pickle by default; errors cross
        # process boundaries (multiprocessing, task queues), so make them.
        return (_rebuild, (type(self), self.message, self._state()))

    def _state(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "error_code": self.error_code,
            "request_id": self.request_id,
            "details": self.details,
            "provider_error": self.provider_error,
            "retry_after_seconds": self.retry_after_seconds,
            "param": self.param,
        }

    @classmethod
    def stream_interrupted(
        cls, cause: BaseException | None = None, *, request_id: str | None = None
    ) -> StreamInterruptedError:
        """The 0.1.x constructor for a stream that broke off: status 0, cause chained."""
        reason = f": {type(cause).__name__}" if cause is not None else ""
        error = StreamInterruptedError(
            f"stream interrupted before it ended cleanly{reason}",
            status=0,
            error_code="stream_interrupted",
            request_id=request_id,
        )
        error.__cause__ = cause
        return error


def _rebuild(cls: type[MeshAPIError], message: str, state: dict[str, Any]) -> MeshAPIError:
    if issubclass(cls, RealtimeError):
        return cls(
            state["error_code"], message, state["param"], state["request_id"], raw_message=True
        )
    return cls(message, **state)


class BadRequestError(MeshAPIError):
    """400: the gateway rejected the request as malformed."""


class AuthenticationError(MeshAPIError):
    """401: the key is missing or invalid."""


class PaymentRequiredError(MeshAPIError):
    """402: the account balance is exhausted (`spend_limit_exceeded`)."""


class PermissionDeniedError(MeshAPIError):
    """403: the key is suspended, or the feature is disabled for it."""


class NotFoundError(MeshAPIError):
    """404: the resource or model does not exist."""


class ConflictError(MeshAPIError):
    """409: a duplicate name, or an idempotency key reused for a different request."""


class UnprocessableEntityError(MeshAPIError):
    """422: the body failed validation on the gateway; `details` lists the problems."""


class RateLimitError(MeshAPIError):
    """429: a rate limit was hit; see `retry_after_seconds`."""


class InternalServerError(MeshAPIError):
    """5xx: the gateway or an upstream provider failed."""


class APITimeoutError(MeshAPIError):
    """A client-side timeout (status 0), or a 408 from the gateway. Never retried."""


class APIConnectionError(MeshAPIError):
    """No response arrived: DNS, refused or reset connection, TLS failure."""


class StreamInterruptedError(MeshAPIError):
    """A stream broke off, or ended without the clean end its endpoint promises."""


class ResponseParseError(MeshAPIError):
    """A body could not be parsed or validated (`parse_error`)."""


class RemoteProtocolError(ResponseParseError):
    """The peer broke the wire protocol: malformed or oversized SSE, bad frames.

    A `ResponseParseError` (code `parse_error`, status 0) so user code that catches
    MeshAPIError or branches on `error_code` needs nothing new.
    """

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message, status=0, error_code="parse_error", request_id=request_id)

    def _state(self) -> dict[str, Any]:
        return {"request_id": self.request_id}


class StructuredOutputError(MeshAPIError):
    """`chat.completions.parse` could not parse or validate the model's reply."""


class RealtimeError(MeshAPIError):
    """An error event on a realtime session, or its close (`connection_closed`).

    `str(e)` is `realtime[<code>]: <message>`; `.code` equals `error_code`.
    """

    def __init__(
        self,
        code: str | None,
        message: str | None,
        param: str | None = None,
        request_id: str | None = None,
        *,
        raw_message: bool = False,
    ) -> None:
        code = code or "unknown"
        if not raw_message:
            message = f"realtime[{code}]: {message or 'realtime error'}"
        super().__init__(
            message or "", status=0, error_code=code, request_id=request_id, param=param
        )
        self.code = code


_BY_STATUS: dict[int, type[MeshAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: APITimeoutError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

# Status-0 errors are classified by code, through the status that code has in §4.2.
_BY_CODE: dict[str, type[MeshAPIError]] = {
    "timeout": APITimeoutError,
    "connection_error": APIConnectionError,
    "stream_interrupted": StreamInterruptedError,
    "parse_error": ResponseParseError,
    "structured_output_parse_error": StructuredOutputError,
    "invalid_request": BadRequestError,
    "invalid_api_version": BadRequestError,
    "unauthorized": AuthenticationError,
    "spend_limit_exceeded": PaymentRequiredError,
    "forbidden": PermissionDeniedError,
    "not_found": NotFoundError,
    "model_not_found": NotFoundError,
    "conflict": ConflictError,
    "validation_error": UnprocessableEntityError,
    "unprocessable_entity": UnprocessableEntityError,
    "rate_limit_exceeded": RateLimitError,
    "internal_error": InternalServerError,
    "upstream_error": InternalServerError,
    "all_models_failed": InternalServerError,
    "provider_not_available": InternalServerError,
    "gateway_timeout": InternalServerError,
    "not_implemented": InternalServerError,
}


def error_class(status: int, error_code: str) -> type[MeshAPIError]:
    """The subclass for an error (protocol.md §8.3).

    An HTTP error status (>= 400) picks the class, so a non-JSON 502 is still an
    InternalServerError. Without one (status 0 inside streams and for client-side
    failures, or a 2xx body that does not parse) the code picks it.
    """
    if status >= 500:
        return InternalServerError
    if status >= 400:
        return _BY_STATUS.get(status, MeshAPIError)
    return _BY_CODE.get(error_code, MeshAPIError)


def make_error(
    message: str,
    *,
    status: int,
    error_code: str,
    request_id: str | None,
    details: list[Any] | None = None,
    provider_error: dict[str, Any] | None = None,
    retry_after_seconds: int | None = None,
    param: str | None = None,
) -> MeshAPIError:
    """Build the right MeshAPIError subclass for (status, code)."""
    return error_class(status, error_code)(
        message,
        status=status,
        error_code=error_code,
        request_id=request_id,
        details=details,
        provider_error=provider_error,
        retry_after_seconds=retry_after_seconds,
        param=param,
    )


def _scrub(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, "***") if secret in value else value
    if isinstance(value, list):
        return [_scrub(item, secret) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secret) for key, item in value.items()}
    return value


def redact_secret(error: MeshAPIError, secret: str | None) -> MeshAPIError:
    """Replace `secret` by `***` wherever the error carries text from the server.

    The gateway never echoes a key, but a proxy or a misbehaving upstream might put the
    Authorization header into an error body; the token must not reach a log through
    `str(e)` (protocol.md §1.2). Returns the same error, changed in place.
    """
    if not secret or len(secret) < 4:
        return error
    error.message = _scrub(error.message, secret)
    error.args = tuple(_scrub(arg, secret) for arg in error.args)
    error.details = _scrub(error.details, secret)
    error.provider_error = _scrub(error.provider_error, secret)
    error.param = _scrub(error.param, secret)
    error.request_id = _scrub(error.request_id, secret)
    return error
