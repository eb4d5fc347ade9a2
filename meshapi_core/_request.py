"""Building the request for one logical call: a plain value, no I/O (protocol.md §1).

`build_request` turns (config, operation, params, options) into a `Request`: method,
absolute URL, headers and body bytes. It is built once per logical call and resent
byte-identical on every retry, which is what makes the one Idempotency-Key per call
meaningful (§5.3, §5.4).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pydantic_core

from ._config import (
    NO_OPTIONS,
    SDK_HEADER_VALUE,
    MeshAPIConfig,
    RequestOptions,
    Timeout,
)
from ._kinds import BodyEncoding
from ._multipart import FileUpload, encode_multipart

if TYPE_CHECKING:
    from ._operations import Operation
    from .types._base import RequestModel

__all__ = [
    "Request",
    "build_request",
    "build_upload_request",
    "encode_path_id",
    "encode_query",
]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One HTTP request, ready for a driver to send as it is.

    Attributes:
        method: the HTTP method.
        url: the absolute URL, query string included.
        headers: header name → value, in the order they are sent.
        body: the body bytes, or None for no body.
        timeout: the client timeout in force for this call.
        max_retries: the retry budget for this call (the per-call override, or None for
            the policy's own).
        idempotency_key: the key sent on a POST (None otherwise).
        path: the path without query string, for resilience events and debug lines.
        streaming: whether the response is read as an event stream.
    """

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    timeout: Timeout
    max_retries: int | None = None
    idempotency_key: str | None = None
    path: str = ""
    streaming: bool = False
    idempotent: bool = False

    def __repr__(self) -> str:
        # §1.2: the token never shows in a repr or str, and Authorization carries it.
        fields = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "headers":
                value = {
                    name: "***" if name.lower() == "authorization" else text
                    for name, text in value.items()
                }
            fields.append(f"{field.name}={value!r}")
        return f"Request({', '.join(fields)})"


def encode_path_id(value: str, *, name: str, keep_slash: bool = False) -> str:
    """Percent-encode one path id as UTF-8, leaving only `A-Z a-z 0-9 - . _ ~` (§1.6).

    `keep_slash` is for `models.get`, whose route takes the id as a path.

    Raises:
        ValueError: naming the argument, for an empty or non-string id (it would change
            the route).
    """
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return quote(value, safe="/" if keep_slash else "")


def _query_value(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def encode_query(params: Mapping[str, object]) -> str:
    """A query string: booleans as true/false, lists as repeated keys, None left out."""
    parts: list[str] = []
    for key, value in params.items():
        if value is None:
            continue
        values: Iterable[object] = value if isinstance(value, list | tuple) else (value,)
        encoded_key = quote(str(key), safe="")
        for item in values:
            if item is None:
                continue
            parts.append(f"{encoded_key}={quote(_query_value(item), safe='')}")
    return "&".join(parts)


def _apply_extra_headers(
    headers: dict[str, str], extra: Mapping[str, str | None] | None
) -> dict[str, str]:
    if not extra:
        return headers
    # Header names are case-insensitive: an override replaces whatever casing we used.
    lowered = {name.lower(): name for name in headers}
    for name, value in extra.items():
        existing = lowered.pop(name.lower(), None)
        if existing is not None:
            del headers[existing]
        if value is not None:
            headers[name] = value
            lowered[name.lower()] = name
    return headers


def new_idempotency_key() -> str:
    """A random UUID (version 4) in its canonical text form: what `str(uuid.uuid4())`
    gives, without building a `UUID` object on every request."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _json_body(
    params: RequestModel | None,
    *,
    stream_flag: bool | None,
    extra_body: Mapping[str, object] | None,
) -> bytes:
    body: dict[str, Any] = params.to_body() if params is not None else {}
    if stream_flag is not None:
        body["stream"] = stream_flag
    if extra_body:
        body.update(extra_body)
    # Compact JSON; UTF-8 as it is (the gateway accepts raw UTF-8). pydantic-core's
    # serializer is both fast and exact for floats and large ints.
    return pydantic_core.to_json(body)


def build_request(
    config: MeshAPIConfig,
    operation: Operation,
    params: RequestModel | None = None,
    options: RequestOptions | None = None,
    *,
    path_params: Mapping[str, str] | None = None,
    query: RequestModel | None = None,
    upload: FileUpload | None = None,
) -> Request:
    """Build the request for one logical call of `operation`.

    Args:
        config: the client configuration (base URL, token, API version, headers).
        operation: the endpoint description.
        params: the body model, for operations that have one.
        options: the per-call options.
        path_params: the values of the `{name}` slots of the operation's path.
        query: the query model, for operations that take a query.
        upload: the file part of a multipart operation (protocol.md §1.6).

    Returns:
        A Request; building it twice gives two Idempotency-Keys, so build it once per
        logical call and resend the same value on retries.

    Raises:
        ValueError: an empty or missing path id, a params object of the wrong type, or
            a multipart operation without its file.
    """
    options = options or NO_OPTIONS
    multipart = operation.body_encoding is BodyEncoding.MULTIPART
    if multipart and upload is None:
        raise ValueError(f"{operation.name} uploads a file: pass its bytes")
    path = operation.render_path(path_params or {})
    body_model = operation.body_model
    if params is not None and body_model is not None and not isinstance(params, body_model):
        raise ValueError(
            f"{operation.name} takes {body_model.__name__}, got {type(params).__name__}"
        )
    query_items: dict[str, object] = {}
    if query is not None:
        query_items.update(query.model_dump(mode="json", exclude_none=True))
    if options.extra_query:
        query_items.update(options.extra_query)
    url = config.base_url + path
    if query_items:
        query_string = encode_query(query_items)
        if query_string:
            url = f"{url}?{query_string}"

    has_body = operation.body_model is not None
    headers: dict[str, str] = {
        "Authorization": f"Bearer {config.token}",
        "Accept": operation.accept,
    }
    if has_body:
        # A multipart Content-Type carries the boundary, known once the body is built
        # below; the header keeps this position in the order.
        headers["Content-Type"] = "application/json"
    headers["X-MeshAPI-SDK"] = SDK_HEADER_VALUE
    if config.api_version:
        headers["X-Mesh-Version"] = config.api_version
    if options.request_id is not None:
        headers["X-Request-Id"] = options.request_id
    idempotency_key: str | None = None
    if operation.method == "POST":
        # Every POST, multipart and raw-bytes ones included (§5.4).
        idempotency_key = options.idempotency_key or new_idempotency_key()
        headers["Idempotency-Key"] = idempotency_key

    body: bytes | None = None
    if multipart:
        assert upload is not None
        fields: dict[str, object] = params.to_body() if params is not None else {}
        if options.extra_body:
            fields.update(options.extra_body)
        body, headers["Content-Type"] = encode_multipart(
            fields, upload, seed=idempotency_key or ""
        )
    elif has_body:
        body = _json_body(params, stream_flag=operation.stream_flag, extra_body=options.extra_body)
    for name, value in config.default_headers.items():
        _apply_extra_headers(headers, {name: value})
    _apply_extra_headers(headers, options.extra_headers)
    return Request(
        method=operation.method,
        url=url,
        headers=headers,
        body=body,
        timeout=options.timeout or config.timeout,
        max_retries=options.max_retries,
        idempotency_key=idempotency_key,
        path=path,
        streaming=operation.stream is not None,
        idempotent=operation.idempotent,
    )


def build_upload_request(
    signed_url: str,
    content: bytes,
    *,
    mime_type: str,
    timeout: Timeout,
    max_retries: int | None = None,
) -> Request:
    """The RAG signed-URL PUT (protocol.md §6.4): the raw bytes, and nothing that identifies us.

    The URL is the credential, so there is no Authorization and no X-* header; the only
    headers are Content-Type and Content-Length (which the transport adds). It is
    idempotent: resending the same bytes to the same URL is safe.
    """
    if not signed_url.startswith(("http://", "https://")):
        raise ValueError("signed_url must be an absolute http(s) URL")
    if not isinstance(content, bytes | bytearray | memoryview):
        raise ValueError(f"content must be bytes, got {type(content).__name__}")
    path = signed_url.split("?", 1)[0]
    path = "/" + path.split("://", 1)[1].partition("/")[2]
    return Request(
        method="PUT",
        url=signed_url,
        headers={"Content-Type": mime_type},
        body=bytes(content),
        timeout=timeout,
        max_retries=max_retries,
        idempotency_key=None,
        path=path,
        streaming=False,
        idempotent=True,
    )
