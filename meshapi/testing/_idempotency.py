"""Idempotency-Key handling as the gateway does it (protocol.md §5.4), with execution counts.

The scope is (credential, key); the fingerprint is method + path + SHA-256 of the body. A
completed 2xx or non-429 4xx is replayed byte for byte with its original `x-request-id`
and `idempotent-replayed: true`; a 429 or 5xx releases the key so a retry really runs;
another body under the same key, or any reuse of a streaming request's key, is a 409.
`executions(key)` counts how many times a handler actually ran for a key, which is how
tests prove that a retried POST was not executed twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from ._clock import GatewayClock
from ._errors import GatewayError

__all__ = ["KEY_PATTERN", "IdempotencyStore", "StoredResponse", "fingerprint"]

KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,255}")
RETENTION_SECONDS = 24 * 3600

# Response headers worth replaying besides the body (the rest are per-response).
_REPLAYED_HEADERS = ("x-resolved-model-id", "x-auto-routed", "x-cache")


def fingerprint(method: str, path: str, body: bytes) -> str:
    """method + path + SHA-256 of the body bytes."""
    return f"{method.upper()} {path} {hashlib.sha256(body).hexdigest()}"


@dataclass(frozen=True)
class StoredResponse:
    """What a replay sends back."""

    status: int
    body: bytes
    content_type: str | None
    request_id: str
    headers: tuple[tuple[str, str], ...] = ()

    def to_response(self) -> web.Response:
        """A fresh aiohttp response carrying the stored answer."""
        response = web.Response(status=self.status, body=self.body)
        if self.content_type is not None:
            response.headers["Content-Type"] = self.content_type
        for name, value in self.headers:
            response.headers[name] = value
        response.headers["idempotent-replayed"] = "true"
        return response


@dataclass
class _Entry:
    fingerprint: str
    streaming: bool
    expires_at: float
    done: asyncio.Future[None]
    stored: StoredResponse | None = None
    finished: bool = field(default=False)


class IdempotencyStore:
    """Keys seen by the gateway; lives on the gateway's event loop except for the counts."""

    def __init__(self, clock: GatewayClock) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()
        self._executions: dict[str, int] = {}

    def executions(self, key: str) -> int:
        """How many times a request carrying `key` was really executed (any credential)."""
        with self._lock:
            return self._executions.get(key, 0)

    def all_executions(self) -> dict[str, int]:
        """A snapshot of every key's execution count."""
        with self._lock:
            return dict(self._executions)

    def _count(self, key: str) -> None:
        with self._lock:
            self._executions[key] = self._executions.get(key, 0) + 1

    async def run(
        self,
        *,
        scope: str,
        key: str,
        fingerprint: str,
        streaming: bool,
        request_id: str,
        execute: Callable[[], Awaitable[web.StreamResponse]],
    ) -> tuple[web.StreamResponse, StoredResponse | None]:
        """Execute, wait for, or replay a keyed request.

        Returns the response, and the stored answer when it is a replay (so the caller can
        restore the original request id). Raises `GatewayError` for the 409 and 400 cases.
        """
        if KEY_PATTERN.fullmatch(key) is None:
            raise GatewayError(
                400, "invalid_request", "Malformed Idempotency-Key.", param="Idempotency-Key"
            )
        slot = (scope, key)
        while True:
            entry = self._entries.get(slot)
            if entry is not None and entry.finished and entry.expires_at <= self._clock.now():
                del self._entries[slot]
                entry = None
            if entry is None:
                break
            if entry.fingerprint != fingerprint:
                raise GatewayError(
                    409, "conflict", "Idempotency-Key reused with a different request."
                )
            if entry.streaming or streaming:
                raise GatewayError(
                    409,
                    "conflict",
                    "Idempotency-Key belongs to a streaming request that already ran; "
                    "streams are never replayed.",
                )
            if entry.stored is not None:
                return entry.stored.to_response(), entry.stored
            # In flight: wait for the first request's outcome, then look again (it may have
            # been released by a 429/5xx, in which case this request runs).
            await asyncio.shield(entry.done)

        loop = asyncio.get_running_loop()
        entry = _Entry(
            fingerprint=fingerprint,
            streaming=streaming,
            expires_at=self._clock.now() + RETENTION_SECONDS,
            done=loop.create_future(),
        )
        self._entries[slot] = entry
        self._count(key)
        keep = False
        try:
            response = await execute()
            status = response.status
            transient = status == 429 or status >= 500
            if streaming:
                keep = not transient
            elif isinstance(response, web.Response) and not transient and status < 500:
                body = response.body
                entry.stored = StoredResponse(
                    status=status,
                    body=body if isinstance(body, bytes) else b"",
                    content_type=response.headers.get("Content-Type"),
                    request_id=request_id,
                    headers=tuple(
                        (name, response.headers[name])
                        for name in _REPLAYED_HEADERS
                        if name in response.headers
                    ),
                )
                keep = True
            return response, None
        finally:
            entry.finished = True
            entry.expires_at = self._clock.now() + RETENTION_SECONDS
            if not keep and self._entries.get(slot) is entry:
                del self._entries[slot]
            if not entry.done.done():
                entry.done.set_result(None)
