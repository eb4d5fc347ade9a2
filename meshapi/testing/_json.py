"""JSON exactly as the gateway writes it: compact, with non-ASCII escaped (protocol.md §1.5).

Escaping keeps raw U+2028/U+2029 off the wire, so clients that split on those (some JS
runtimes did) never see a broken event.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps", "dumps_bytes"]


def dumps(value: Any) -> str:
    """Compact JSON text with every non-ASCII character written as `\\uXXXX`."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


def dumps_bytes(value: Any) -> bytes:
    """`dumps` as bytes; ASCII by construction."""
    return dumps(value).encode("ascii")
