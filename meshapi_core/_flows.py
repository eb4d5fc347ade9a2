"""Flows: the multi-step parts of a call, as generators that yield effects.

Theory of operation. A call that may take several round trips (retries, fallback hops,
reading an error body before retrying a stream) is a generator. It yields *effects*,
small values that say what I/O to do next, and is sent back the *outcome* as a value:

    Send(request)  -> HttpResponse | TransportFailure    (the whole body is read)
    Open(request)  -> StreamHead | TransportFailure      (the body stays open)
    ReadAll()      -> bytes | TransportFailure           (the rest of the open body)
    Release()      -> None                               (close the open response)
    Sleep(seconds) -> None

A driver implements one small interpreter per I/O style (sync httpx, async httpx, aiohttp)
that performs effects and never decides anything: every `if` about statuses, bodies,
retries and errors is here, written once. The flow's return value is the result; an
error is raised out of the generator, into the driver, and on to the caller.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

import pydantic

from ._config import FallbackConfig, MeshAPIConfig, RequestOptions
from ._error_mapping import error_from_response, error_from_success_body
from ._errors import MeshAPIError, make_error, redact_secret
from ._kinds import BodyKind
from ._operations import Operation
from ._outcomes import ResponseReceived, TransportFailure
from ._request import Request, build_request
from ._resilience import (
    FallbackEvent,
    ResilienceEvent,
    RetryEvent,
    gateway_routing_event,
)
from ._retry import RetryPolicy
from ._streams import StreamDecoder
from .types._base import RequestModel, ResultModel, set_fresh_request_id
from .types._lean import lean_list_validator, lean_validator

__all__ = [
    "Effect",
    "Emit",
    "Flow",
    "HttpResponse",
    "Open",
    "ReadAll",
    "Release",
    "Send",
    "Sleep",
    "StreamHead",
    "chat_fallback_flow",
    "decode_result",
    "open_stream_flow",
    "stream_read_error",
    "unary_flow",
]

T = TypeVar("T")
Emit: TypeAlias = Callable[[ResilienceEvent], None]
Rng: TypeAlias = Callable[[], float] | random.Random


# -- effects --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Send:
    """Send `request` and read the whole response (bounded by `request.timeout.read`)."""

    request: Request


@dataclasses.dataclass(frozen=True, slots=True)
class Open:
    """Send `request` and stop after the response headers; the body stays open."""

    request: Request


@dataclasses.dataclass(frozen=True, slots=True)
class ReadAll:
    """Read the rest of the open response's body (an error body, bounded by `read`)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Release:
    """Close the open response and give its connection back (idempotent)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Sleep:
    """Wait `seconds` before the next attempt."""

    seconds: float


Effect: TypeAlias = Send | Open | ReadAll | Release | Sleep
Flow: TypeAlias = Generator[Effect, Any, T]


# -- outcomes a driver sends back -----------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class HttpResponse:
    """A whole response. `headers` is case-insensitive or has lower-case keys.

    `received_at` is the wall-clock time (epoch seconds) the headers arrived: an
    HTTP-date `Retry-After` is relative to it, and the core reads no clock itself.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    received_at: float


@dataclasses.dataclass(frozen=True, slots=True)
class StreamHead:
    """The status and headers of a response whose body is still open."""

    status: int
    headers: Mapping[str, str]
    received_at: float


# -- decoding -------------------------------------------------------------------------

_LIST_ADAPTERS: dict[type[ResultModel], pydantic.TypeAdapter[list[Any]]] = {}


def _list_adapter(model: type[ResultModel]) -> pydantic.TypeAdapter[list[Any]]:
    adapter = _LIST_ADAPTERS.get(model)
    if adapter is None:
        adapter = _LIST_ADAPTERS[model] = pydantic.TypeAdapter(list[model])  # type: ignore[valid-type]
    return adapter


def decode_result(operation: Operation, response: HttpResponse) -> Any:
    """Turn a 2xx response into the operation's result (protocol.md §1.5, §5.8).

    Every result model gets `_request_id` from the `x-request-id` header, each item of
    a bare-array result too.

    Raises:
        ResponseParseError: a body that is not JSON or does not validate (`parse_error`,
            with the HTTP status and the header request id).
        MeshAPIError: a raw-bytes result (audio speech) whose 2xx body is a JSON error
            envelope: the provider failed, and the bytes are not audio (§7.1).
    """
    kind = operation.body_kind
    if kind is BodyKind.EMPTY:
        return None
    if kind is BodyKind.BYTES:
        error = _envelope_in_bytes(response)
        if error is not None:
            raise error
        return response.body
    if kind is BodyKind.JSON_ANY:
        try:
            return json.loads(response.body)
        except ValueError as exc:  # JSONDecodeError and undecodable UTF-8 alike
            raise error_from_success_body(response.status, response.headers, exc) from exc
    model = operation.result_model
    assert model is not None, operation.name
    request_id = response.headers.get("x-request-id") or None
    body = response.body
    if kind is BodyKind.JSON_LIST:
        try:
            # The lean validator first (types/_lean.py); the model's own is the reference
            # for anything it refuses, and the one whose error is reported.
            items: list[ResultModel] = lean_list_validator(model).validate_json(body)
        except pydantic.ValidationError:
            try:
                items = _list_adapter(model).validate_json(body)
            except (pydantic.ValidationError, ValueError) as exc:
                raise error_from_success_body(response.status, response.headers, exc) from exc
        for item in items:
            set_fresh_request_id(item, request_id)
        return items
    try:
        result: ResultModel = lean_validator(model).validate_json(body)
    except pydantic.ValidationError:
        try:
            result = model.model_validate_json(body)
        except (pydantic.ValidationError, ValueError) as exc:
            raise error_from_success_body(response.status, response.headers, exc) from exc
    set_fresh_request_id(result, request_id)
    return result


def _envelope_in_bytes(response: HttpResponse) -> MeshAPIError | None:
    # A raw-bytes 2xx that is really the §4.1 envelope (some providers report a failed
    # synthesis that way): detected by shape, whatever the Content-Type says, since
    # audio never starts with `{`. Anything else, JSON included, is the caller's bytes.
    body = response.body
    if body[:64].lstrip()[:1] != b"{":
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("error"), dict):
        return None
    headers = {name.lower(): text for name, text in response.headers.items()}
    headers["content-type"] = "application/json"
    return error_from_response(response.status, headers, body, now=response.received_at)


def _attempt_error(response: HttpResponse) -> MeshAPIError:
    return error_from_response(
        response.status, response.headers, response.body, now=response.received_at
    )


def _token(request: Request) -> str | None:
    """The credential a request carries, for redacting server text that echoes it."""
    authorization = request.headers.get("Authorization") or ""
    return authorization[len("Bearer ") :] if authorization.startswith("Bearer ") else None


def _caller_request_id(request: Request) -> str | None:
    return request.headers.get("X-Request-Id")


def _policy_for(request: Request, policy: RetryPolicy) -> RetryPolicy:
    if request.max_retries is None or request.max_retries == policy.max_retries:
        return policy
    return policy.with_max_retries(request.max_retries)


def _retry_event(
    request: Request,
    policy: RetryPolicy,
    attempt: int,
    delay_ms: float,
    *,
    status: int | None,
    request_id: str | None,
) -> RetryEvent:
    return RetryEvent(
        method=request.method,
        path=request.path,
        attempt=attempt + 1,
        max_retries=policy.max_retries,
        delay_ms=delay_ms,
        reason="status" if status is not None else "network-error",
        status=status,
        request_id=request_id,
    )


def _emit_routing(emit: Emit, request: Request, response: HttpResponse) -> None:
    event = gateway_routing_event(
        request.path, response.headers, response.headers.get("x-request-id") or None
    )
    if event is not None:
        emit(event)


def _ignore(event: ResilienceEvent) -> None:
    return None


# -- the non-streaming call -----------------------------------------------------------


def unary_flow(
    request: Request,
    decode: Callable[[HttpResponse], T],
    *,
    policy: RetryPolicy,
    rng: Rng,
    emit: Emit = _ignore,
) -> Flow[T]:
    """Send `request` until it succeeds or the policy gives up (protocol.md §5.2, §5.3).

    The same `Request` (same bytes, same Idempotency-Key) is resent on every attempt.

    Returns:
        `decode(response)` of the successful response.

    Raises:
        MeshAPIError: the error of the last attempt: mapped from its response (§4.3),
            or `connection_error` / `timeout` for a transport failure.
    """
    policy = _policy_for(request, policy)
    attempt = 0
    while True:
        outcome = yield Send(request)
        status: int | None
        if isinstance(outcome, TransportFailure):
            decision = policy.decide(
                attempt,
                method=request.method,
                idempotent=request.idempotent,
                has_idempotency_key=request.idempotency_key is not None,
                outcome=outcome,
                rng=rng,
            )
            if not decision.retry:
                raise outcome.to_error(request_id=_caller_request_id(request))
            status, request_id = None, None
        else:
            if outcome.status < 300:
                _emit_routing(emit, request, outcome)
                return decode(outcome)
            error = _attempt_error(outcome)
            decision = policy.decide(
                attempt,
                method=request.method,
                idempotent=request.idempotent,
                has_idempotency_key=request.idempotency_key is not None,
                outcome=ResponseReceived(status=outcome.status, error=error),
                rng=rng,
            )
            if not decision.retry:
                _emit_routing(emit, request, outcome)
                raise redact_secret(error, _token(request))
            status, request_id = outcome.status, outcome.headers.get("x-request-id") or None
        emit(
            _retry_event(
                request, policy, attempt, decision.delay_ms, status=status, request_id=request_id
            )
        )
        yield Sleep(decision.delay_s)
        attempt += 1


# -- the client-side fallback chain ---------------------------------------------------


def _fallback_chain(primary: str | None, models: Sequence[str]) -> list[str]:
    chain: list[str] = []
    for model in models:
        if model != primary and model not in chain:
            chain.append(model)
    return chain


def chat_fallback_flow(
    config: MeshAPIConfig,
    operation: Operation,
    params: RequestModel,
    options: RequestOptions,
    *,
    fallback_models: Sequence[str] | None,
    policy: RetryPolicy,
    rng: Rng,
    emit: Emit = _ignore,
    decode: Callable[[HttpResponse], Any] | None = None,
) -> Flow[Any]:
    """Non-streaming chat with the client-side model fallback chain (protocol.md §5.5).

    The primary is `params.model`. A per-call `fallback_models` (even empty) replaces
    the client's list; `on_status` always comes from the client. Each hop is a new
    request with `model` swapped and its own key `<key>:fallback-<n>`, sent only after
    the previous model's retries are spent and its last error's status is in
    `on_status` (or no response arrived). The chain never appears on the wire.
    """
    fallback = config.fallback or FallbackConfig()
    models = fallback.models if fallback_models is None else tuple(fallback_models)
    primary: str | None = getattr(params, "model", None)
    chain = _fallback_chain(primary, models)
    request = build_request(config, operation, params, options)

    if decode is None:

        def decode(response: HttpResponse) -> Any:
            return decode_result(operation, response)

    if not chain:
        return (yield from unary_flow(request, decode, policy=policy, rng=rng, emit=emit))
    base_key = request.idempotency_key
    current = primary or "(key default)"
    hop = 0
    while True:
        try:
            return (yield from unary_flow(request, decode, policy=policy, rng=rng, emit=emit))
        except MeshAPIError as error:
            advance = error.status in fallback.on_status or error.error_code == "connection_error"
            if not advance or hop >= len(chain):
                raise
            next_model = chain[hop]
            emit(
                FallbackEvent(
                    from_model=current,
                    to_model=next_model,
                    chain_index=hop,
                    chain_length=len(chain),
                    status=error.status or None,
                    error_code=error.error_code,
                    request_id=error.request_id or None,
                )
            )
            hop += 1
            hop_options = dataclasses.replace(
                options, idempotency_key=f"{base_key}:fallback-{hop}"
            )
            hop_params = params.model_copy(update={"model": next_model})
            request = build_request(config, operation, hop_params, hop_options)
            current = next_model


# -- streams --------------------------------------------------------------------------


def _is_event_stream(headers: Mapping[str, str]) -> bool:
    content_type = headers.get("content-type") or ""
    return content_type.split(";", 1)[0].strip().lower() == "text/event-stream"


def _non_sse_success_error(head: StreamHead, body: bytes) -> MeshAPIError:
    # §4.2 parse_error: a 2xx stream response that is not text/event-stream and holds no
    # error envelope. One that holds an envelope is that error.
    mapped = error_from_response(head.status, head.headers, body, now=head.received_at)
    if mapped.error_code not in ("http_error", "parse_error"):
        return mapped
    return make_error(
        f"HTTP {head.status}: expected an event stream, got "
        f"{head.headers.get('content-type') or 'no content type'}",
        status=head.status,
        error_code="parse_error",
        request_id=head.headers.get("x-request-id") or "",
    )


def open_stream_flow(
    request: Request,
    operation: Operation,
    *,
    policy: RetryPolicy,
    rng: Rng,
    emit: Emit = _ignore,
) -> Flow[StreamDecoder[Any]]:
    """Open a stream, retrying only before anything was delivered (protocol.md §5.3).

    Returns:
        A `StreamDecoder` for the open body, its `request_id` set from the headers. The
        driver then feeds it the body and, once it is `done`, drains and releases.

    Raises:
        MeshAPIError: the error response (after any retries), a transport failure, or a
            2xx that is not an event stream.
    """
    assert operation.stream is not None and operation.result_model is not None
    policy = _policy_for(request, policy)
    attempt = 0
    while True:
        outcome = yield Open(request)
        status: int | None
        if isinstance(outcome, TransportFailure):
            decision = policy.decide(
                attempt,
                method=request.method,
                idempotent=request.idempotent,
                has_idempotency_key=request.idempotency_key is not None,
                outcome=outcome,
                rng=rng,
            )
            if not decision.retry:
                raise outcome.to_error(request_id=_caller_request_id(request))
            status, request_id = None, None
        else:
            head: StreamHead = outcome
            if 200 <= head.status < 300 and _is_event_stream(head.headers):
                return StreamDecoder(
                    operation.stream,
                    operation.result_model,
                    request_id=head.headers.get("x-request-id") or None,
                    secret=_token(request),
                )
            body = yield ReadAll()
            yield Release()
            if isinstance(body, TransportFailure):
                # The status is known even though its body broke off.
                body = b""
            if head.status < 300:
                raise redact_secret(_non_sse_success_error(head, body), _token(request))
            error = error_from_response(head.status, head.headers, body, now=head.received_at)
            decision = policy.decide(
                attempt,
                method=request.method,
                idempotent=request.idempotent,
                has_idempotency_key=request.idempotency_key is not None,
                outcome=ResponseReceived(status=head.status, error=error),
                rng=rng,
            )
            if not decision.retry:
                raise redact_secret(error, _token(request))
            status, request_id = head.status, head.headers.get("x-request-id") or None
        emit(
            _retry_event(
                request, policy, attempt, decision.delay_ms, status=status, request_id=request_id
            )
        )
        yield Sleep(decision.delay_s)
        attempt += 1


def stream_read_error(failure: TransportFailure, *, request_id: str | None) -> MeshAPIError:
    """The error for a transport failure while reading an open stream's body (§3.4).

    A stream-idle timeout is `timeout`, and so is the call's total deadline running out
    mid-stream (its own message); anything else (reset, abrupt close, protocol error) is
    `stream_interrupted`. Never retried: something may have been delivered.
    """
    if failure.timeout and failure.total is not None:
        return failure.to_error(request_id=request_id)
    if failure.timeout:
        return failure.to_error(
            request_id=request_id,
            message="stream idle timeout: no data received within Timeout.stream_idle",
        )
    return MeshAPIError.stream_interrupted(failure.cause, request_id=request_id)
