"""Client configuration and per-call options: validated, immutable values.

`MeshAPIConfig` is the resolved configuration of one client (protocol.md §8.1); it never
shows its token. `Timeout` is the timeout of protocol.md §5.7, `FallbackConfig` the
client-side fallback chain of §5.5, and `RequestOptions` the keyword options every method
takes (§2.2). Each validates where it is built, so a bad value fails before any byte is
sent and names the argument.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._resilience import ResilienceEvent
    from ._retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "MESH_API_VERSION",
    "SDK_HEADER_VALUE",
    "FallbackConfig",
    "MeshAPIConfig",
    "RequestOptions",
    "Timeout",
    "resolve_base_url",
    "resolve_token",
    "validate_idempotency_key",
    "validate_request_id",
]

MESH_API_VERSION = "2026-08"
DEFAULT_BASE_URL = "https://api.meshapi.ai"
SDK_HEADER_VALUE = f"python/{__version__}"

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,200}")
# A header value we are willing to put on the wire for X-Mesh-Version: visible ASCII only,
# so a stray newline cannot smuggle a header.
_API_VERSION = re.compile(r"[!-~]{1,64}")


def validate_request_id(request_id: str) -> str:
    """Check a caller's request id against protocol.md §5.8 and return it.

    Raises:
        ValueError: naming `request_id`, when it is not 1–64 of `A-Z a-z 0-9 . _ : -`.
    """
    if not isinstance(request_id, str) or _REQUEST_ID.fullmatch(request_id) is None:
        raise ValueError(
            f"request_id must match ^[A-Za-z0-9._:-]{{1,64}}$, got {request_id!r}"
        )
    return request_id


def validate_idempotency_key(key: str) -> str:
    """Check a caller's idempotency key (protocol.md §2.2) and return it."""
    if not isinstance(key, str) or _IDEMPOTENCY_KEY.fullmatch(key) is None:
        raise ValueError(f"idempotency_key must match ^[A-Za-z0-9._:-]{{1,200}}$, got {key!r}")
    return key


def _check_seconds(name: str, value: object, *, optional: bool) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {value!r}")
    return seconds


@dataclasses.dataclass(frozen=True, slots=True)
class Timeout:
    """Client-side timeouts, in seconds (protocol.md §5.7).

    Args:
        connect: opening TCP and TLS.
        read: non-streaming, from sending until the whole response is read; streaming,
            only until the response headers arrive (a healthy stream may run longer).
        stream_idle: streaming only, the longest gap allowed between two body reads.
            Off by default. Keep-alive comments count as activity.
        total: an optional deadline for the whole call, retries and stream included.
    """

    connect: float = 60.0
    read: float = 60.0
    stream_idle: float | None = None
    total: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "connect", _check_seconds("connect", self.connect, optional=False))
        object.__setattr__(self, "read", _check_seconds("read", self.read, optional=False))
        object.__setattr__(
            self, "stream_idle", _check_seconds("stream_idle", self.stream_idle, optional=True)
        )
        object.__setattr__(self, "total", _check_seconds("total", self.total, optional=True))

    @classmethod
    def coerce(cls, value: object) -> Timeout:
        """A `Timeout` from what users pass: a Timeout, or one number for connect and read."""
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"timeout must be a number of seconds or a Timeout, got {value!r}")
        return cls(connect=value, read=value)


@dataclasses.dataclass(frozen=True, slots=True)
class FallbackConfig:
    """The client-side model fallback chain for non-streaming chat (protocol.md §5.5).

    After the retries for one model are spent and the last error's status is in
    `on_status` (or no response arrived at all), the call is sent again with the next
    model of `models`. It never appears on the wire.
    """

    models: tuple[str, ...] = ()
    on_status: frozenset[int] = frozenset({502, 503, 504})

    def __init__(
        self, models: list[str] | tuple[str, ...] = (), on_status: Any = (502, 503, 504)
    ) -> None:
        models = tuple(models)
        for index, model in enumerate(models):
            if not isinstance(model, str) or not model:
                raise ValueError(f"fallback models[{index}] must be a non-empty string")
        statuses = frozenset(on_status)
        for status in statuses:
            if isinstance(status, bool) or not isinstance(status, int):
                raise ValueError(f"fallback on_status must hold ints, got {status!r}")
        object.__setattr__(self, "models", models)
        object.__setattr__(self, "on_status", statuses)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RequestOptions:
    """The per-call keyword options of every method (protocol.md §2.2).

    `extra_headers` are applied last, and a `None` value there removes a header the SDK
    would otherwise send. `extra_body` is merged into the top level of the JSON body.
    """

    timeout: Timeout | None = None
    max_retries: int | None = None
    extra_headers: Mapping[str, str | None] | None = None
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None
    request_id: str | None = None
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        # Callers pass a float as often as a Timeout; keep the field a Timeout.
        timeout: object = self.timeout
        if timeout is not None and not isinstance(timeout, Timeout):
            object.__setattr__(self, "timeout", Timeout.coerce(timeout))
        if self.max_retries is not None and (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise ValueError(f"max_retries must be an int >= 0, got {self.max_retries!r}")
        if self.request_id is not None:
            validate_request_id(self.request_id)
        if self.idempotency_key is not None:
            validate_idempotency_key(self.idempotency_key)
        for name in ("extra_headers", "extra_query", "extra_body"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Mapping):
                raise ValueError(f"{name} must be a mapping, got {type(value).__name__}")
        if self.extra_headers:
            for key, header in self.extra_headers.items():
                if not isinstance(key, str) or (header is not None and not isinstance(header, str)):
                    raise ValueError(f"extra_headers[{key!r}] must be a str or None")


NO_OPTIONS = RequestOptions()


def resolve_base_url(base_url: str | None) -> str:
    """`base_url`, then `MESHAPI_BASE_URL` (empty counts as unset), then the default.

    Trailing slashes are stripped and a path prefix is kept (protocol.md §1.1).
    """
    value = base_url if base_url else os.environ.get("MESHAPI_BASE_URL") or DEFAULT_BASE_URL
    if not isinstance(value, str):
        raise ValueError(f"base_url must be a string, got {type(value).__name__}")
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {value!r}")
    if value.endswith("/v1"):
        # The base is given without /v1 (every path adds it); accept the common mistake
        # rather than requesting /v1/v1/...
        value = value[: -len("/v1")]
    return value


def resolve_token(token: str | None) -> str:
    """`token`, then `MESHAPI_TOKEN`; neither is a ValueError naming MESHAPI_TOKEN."""
    value = token if token else os.environ.get("MESHAPI_TOKEN")
    if not value:
        raise ValueError(
            "no API token: pass token=... or set the MESHAPI_TOKEN environment variable"
        )
    if not isinstance(value, str) or any(ch in value for ch in "\r\n\0"):
        raise ValueError("token must be a string without line breaks")
    return value


def _resolve_api_version(api_version: str | None) -> str | None:
    if api_version is None or api_version == "":
        return None
    if not isinstance(api_version, str) or _API_VERSION.fullmatch(api_version) is None:
        raise ValueError(f"api_version must be a label such as '2026-08', got {api_version!r}")
    return api_version


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MeshAPIConfig:
    """The resolved configuration of one client (protocol.md §8.1).

    The token is shown as `'***'` in the repr. Build it with `MeshAPIConfig.resolve(...)`,
    which applies the environment fallbacks and validates every argument.
    """

    base_url: str
    token: str = dataclasses.field(repr=False)
    timeout: Timeout = Timeout()
    max_retries: int = 3
    api_version: str | None = MESH_API_VERSION
    retry: RetryPolicy | None = None
    fallback: FallbackConfig | None = None
    logger: Callable[[ResilienceEvent], None] | None = None
    debug: bool = False
    default_headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    httpx_client: object | None = None
    async_httpx_client: object | None = None
    session: object | None = None

    def __repr__(self) -> str:
        fields = []
        for field in dataclasses.fields(self):
            value: object = "***" if field.name == "token" else getattr(self, field.name)
            fields.append(f"{field.name}={value!r}")
        return f"MeshAPIConfig({', '.join(fields)})"

    @property
    def retry_policy(self) -> RetryPolicy:
        """The policy in force: `retry` as a whole when given, else the max_retries alias."""
        from ._retry import RetryPolicy

        if self.retry is not None:
            return self.retry
        return RetryPolicy(max_retries=self.max_retries)

    @classmethod
    def resolve(
        cls,
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
        httpx_client: object | None = None,
        async_httpx_client: object | None = None,
        session: object | None = None,
    ) -> MeshAPIConfig:
        """Validate the constructor arguments and apply the environment fallbacks."""
        from ._retry import RetryPolicy

        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ValueError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
        if fallback is not None and not isinstance(fallback, FallbackConfig):
            raise ValueError(f"fallback must be a FallbackConfig, got {type(fallback).__name__}")
        if logger is not None and not callable(logger):
            raise ValueError("logger must be a callable taking one event")
        headers = dict(default_headers or {})
        for key, value in headers.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError(f"default_headers[{key!r}] must be a str")
        return cls(
            base_url=resolve_base_url(base_url),
            token=resolve_token(token),
            timeout=Timeout.coerce(timeout),
            max_retries=max_retries,
            api_version=_resolve_api_version(api_version),
            retry=retry,
            fallback=fallback,
            logger=logger,
            debug=bool(debug),
            default_headers=headers,
            httpx_client=httpx_client,
            async_httpx_client=async_httpx_client,
            session=session,
        )
