"""Query-string models of the list endpoints that have no public params model.

They are strict like every request model, so `batches.list(limit=0)` fails before any
byte is sent, naming `limit`.
"""

from __future__ import annotations

from pydantic import Field

from .types._base import RequestModel

__all__ = ["CursorPageQuery", "EmptyBody", "OffsetPageQuery"]


class CursorPageQuery(RequestModel):
    """Cursor pagination (`batches.list`): `after` is the last id already seen."""

    after: str | None = Field(default=None, min_length=1)
    limit: int | None = Field(default=None, ge=1, le=100)


class OffsetPageQuery(RequestModel):
    """Offset pagination (`rag.list`): newest first; done when offset + len >= total."""

    limit: int | None = Field(default=None, ge=1, le=100)
    offset: int | None = Field(default=None, ge=0)


class EmptyBody(RequestModel):
    """The `{}` body of `batches.cancel` (protocol.md §1.3: JSON even when empty)."""
