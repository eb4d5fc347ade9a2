"""Identifier minting: request ids (`req_<ULID>`) and the per-resource prefixes.

Ids are random rather than sequential on purpose: a client that accidentally relies on an
id's shape or order breaks here the same way it would against the real gateway.
"""

from __future__ import annotations

import os
import re
import secrets
import time

__all__ = [
    "REQUEST_ID_PATTERN",
    "new_id",
    "new_request_id",
    "new_ulid",
    "valid_request_id",
]

# The caller-supplied X-Request-Id the gateway echoes (protocol.md §5.8).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid() -> str:
    """A 26-character ULID: 48 bits of milliseconds, then 80 random bits, Crockford base32."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_request_id() -> str:
    """A gateway request id, `req_<ULID>`."""
    return f"req_{new_ulid()}"


def valid_request_id(value: str | None) -> bool:
    """Whether a caller's X-Request-Id is echoed (valid) or silently replaced."""
    return value is not None and REQUEST_ID_PATTERN.fullmatch(value) is not None


def new_id(prefix: str, hex_digits: int = 24) -> str:
    """`<prefix><hex>`, e.g. `new_id("cmp_", 20)` for a compare id."""
    return prefix + secrets.token_hex((hex_digits + 1) // 2)[:hex_digits]
