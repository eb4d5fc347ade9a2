"""Introspection: every request the gateway received, and its TCP connections.

Records are immutable snapshots taken before any routing, auth or fault decision, so a
test sees exactly what the client put on the wire, including requests that were rejected
or answered by a fault.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "ConnectionStats",
    "ConnectionTracker",
    "RealtimeLog",
    "RealtimeMessage",
    "RecordedRequest",
    "RequestLog",
]


@dataclass(frozen=True)
class RecordedRequest:
    """One received HTTP request (the realtime upgrade included), as it arrived.

    `headers` keeps the wire order, duplicates and case; `header()` looks one up
    case-insensitively. `connection` is the 1-based number of the TCP connection it came
    over, so tests can tell a reused connection from a new one.
    """

    method: str
    path: str
    raw_path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    time: float
    request_id: str
    connection: int
    index: int = field(default=0)

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string decoded, each name mapped to all of its values in order."""
        result: dict[str, list[str]] = {}
        for name, value in parse_qsl(self.query_string, keep_blank_values=True):
            result.setdefault(name, []).append(value)
        return result

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header, case-insensitively, or `default`."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return default

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, case-insensitively, in wire order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def has_header(self, name: str) -> bool:
        """Whether the header was sent at all (an empty value counts)."""
        return self.header(name) is not None

    def json(self) -> Any:
        """The body parsed as JSON (raises `ValueError` if it is not JSON)."""
        return json.loads(self.body)

    @property
    def idempotency_key(self) -> str | None:
        """The `Idempotency-Key` header, if sent."""
        return self.header("idempotency-key")


class RequestLog:
    """A thread-safe, append-only list of `RecordedRequest`s."""

    def __init__(self, limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []
        self._count = 0
        # A long-running gateway (the CLI) keeps only the newest records.
        self._limit = limit

    def append(self, build: Callable[[int], RecordedRequest]) -> RecordedRequest:
        """Add a record; `build` gets the record's 0-based index."""
        with self._lock:
            record = build(self._count)
            self._count += 1
            self._items.append(record)
            if self._limit is not None and len(self._items) > self._limit:
                del self._items[: len(self._items) - self._limit]
            return record

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of everything recorded so far, oldest first."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        """Forget the records (the index keeps counting up)."""
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass(frozen=True)
class ConnectionStats:
    """TCP connections to the gateway: `opened` ever, `open` now, `closed` so far."""

    opened: int
    open: int
    closed: int


class ConnectionTracker:
    """Counts TCP connections as the server's protocol objects see them come and go."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._opened = 0
        self._closed = 0

    def opened(self) -> int:
        """Record a new connection and return its 1-based number."""
        with self._cond:
            self._opened += 1
            self._cond.notify_all()
            return self._opened

    def closed(self) -> None:
        """Record a connection going away."""
        with self._cond:
            self._closed += 1
            self._cond.notify_all()

    def stats(self) -> ConnectionStats:
        """A snapshot of the counters."""
        with self._cond:
            return ConnectionStats(self._opened, self._opened - self._closed, self._closed)

    def wait_until(
        self, predicate: Callable[[ConnectionStats], bool], timeout: float
    ) -> ConnectionStats:
        """Block (the calling thread, never the gateway loop) until `predicate` holds.

        Returns the stats that satisfied it, or the last stats seen at the deadline; the
        caller asserts on the result. Closing is asynchronous (the server notices a client's
        close a moment later), which is why tests wait rather than read once.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                stats = ConnectionStats(self._opened, self._opened - self._closed, self._closed)
                remaining = deadline - time.monotonic()
                if predicate(stats) or remaining <= 0:
                    return stats
                self._cond.wait(remaining)


@dataclass(frozen=True)
class RealtimeMessage:
    """One frame a realtime client sent: its session, text (or bytes), and parsed event."""

    session: str
    text: str | None
    data: bytes | None
    event: Any
    time: float


class RealtimeLog:
    """Thread-safe log of client-to-server realtime frames."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RealtimeMessage] = []

    def append(self, message: RealtimeMessage) -> None:
        """Record a frame."""
        with self._lock:
            self._items.append(message)

    def snapshot(self) -> list[RealtimeMessage]:
        """Every frame so far, oldest first."""
        with self._lock:
            return list(self._items)
