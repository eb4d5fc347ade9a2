"""The gateway's keys: who may call, and whose templates, batches and files are whose.

Like the real gateway, the emulator knows its keys. By default it mints one `rsk_` key;
a list can be configured, and each key is its own owner (so isolation between keys can be
tested). Suspended keys authenticate but get 403 `forbidden`.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from ._errors import GatewayError

__all__ = ["KeyRing", "Principal", "new_token"]


def new_token() -> str:
    """A fresh data-plane key, `rsk_` followed by 40 hex digits."""
    return "rsk_" + secrets.token_hex(20)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its key and the owner id its resources belong to."""

    token: str
    owner: str


class KeyRing:
    """The set of known keys (thread-safe: tests may add or suspend keys while it runs)."""

    def __init__(self, tokens: Iterable[str], suspended: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._tokens: list[str] = []
        self._suspended: set[str] = set(suspended)
        for token in tokens:
            self.add(token)
        for token in self._suspended:
            self.add(token)

    @staticmethod
    def owner_of(token: str) -> str:
        """A stable owner id for a key, `org_<8 hex>`."""
        return "org_" + hashlib.sha256(token.encode()).hexdigest()[:8]

    def add(self, token: str) -> None:
        """Accept another key."""
        if not token:
            raise ValueError("a key must be non-empty")
        with self._lock:
            if token not in self._tokens:
                self._tokens.append(token)

    def suspend(self, token: str) -> None:
        """Make a known key answer 403 `forbidden`."""
        self.add(token)
        with self._lock:
            self._suspended.add(token)

    @property
    def tokens(self) -> list[str]:
        """Every accepted key, in the order added."""
        with self._lock:
            return list(self._tokens)

    def lookup(self, token: str | None) -> Principal | None:
        """The principal for a raw token, or None if unknown (suspension not checked)."""
        with self._lock:
            if token is None or token not in self._tokens:
                return None
        return Principal(token=token, owner=self.owner_of(token))

    def is_suspended(self, token: str) -> bool:
        """Whether a key is suspended."""
        with self._lock:
            return token in self._suspended

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an `Authorization` header, or the 401/403 envelope error."""
        if not authorization:
            raise GatewayError(401, "unauthorized", "Missing API key.")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GatewayError(401, "unauthorized", "Invalid API key.")
        principal = self.lookup(token.strip())
        if principal is None:
            raise GatewayError(401, "unauthorized", "Invalid API key.")
        if self.is_suspended(principal.token):
            raise GatewayError(403, "forbidden", "This API key is suspended.")
        return principal
