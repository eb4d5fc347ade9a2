"""The gateway's clock: real time at a configurable speed, plus manual advances.

Everything that changes state over time (batch lifecycle, RAG upload and embedding, signed
URL expiry, idempotency retention) reads this clock lazily when it is observed, so a test
can call `gw.clock.advance(60)` and the next `GET` sees the later state without any
background task having to wake up.
"""

from __future__ import annotations

import threading
import time

__all__ = ["GatewayClock"]


class GatewayClock:
    """Epoch seconds as the gateway sees them.

    `now() = start + (elapsed real time) * speed + advanced`. `speed=0` freezes the clock
    so only `advance()` moves it; `speed=10` runs ten times faster than real time.
    Thread-safe: tests advance it from the main thread while the gateway runs elsewhere.
    """

    def __init__(self, *, speed: float = 1.0, start: float | None = None) -> None:
        if speed < 0:
            raise ValueError("clock speed must be >= 0")
        self._lock = threading.Lock()
        self._speed = float(speed)
        self._origin_wall = time.time() if start is None else float(start)
        self._origin_mono = time.monotonic()
        self._advanced = 0.0

    def now(self) -> float:
        """The current gateway time in epoch seconds (a float)."""
        with self._lock:
            elapsed = (time.monotonic() - self._origin_mono) * self._speed
            return self._origin_wall + elapsed + self._advanced

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` (>= 0) and return the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._advanced += float(seconds)
        return self.now()

    @property
    def speed(self) -> float:
        """How many gateway seconds pass per real second."""
        with self._lock:
            return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError("clock speed must be >= 0")
        with self._lock:
            # Re-anchor so changing speed never makes time jump or run backwards.
            mono = time.monotonic()
            self._origin_wall += (mono - self._origin_mono) * self._speed
            self._origin_mono = mono
            self._speed = float(value)

    def __repr__(self) -> str:
        return f"GatewayClock(now={self.now():.3f}, speed={self.speed})"
