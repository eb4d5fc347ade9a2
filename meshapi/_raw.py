"""`with_raw_response`: the status and headers of a call along with its parsed result."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

__all__ = ["RawResponse", "WithRawResponse"]

T = TypeVar("T")
R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class RawResponse(Generic[T]):
    """One response: `status`, `headers` (case-insensitive) and the `parsed` result."""

    status: int
    headers: Mapping[str, str]
    parsed: T

    @property
    def request_id(self) -> str | None:
        """The `x-request-id` header."""
        return self.headers.get("x-request-id") or None

    def parse(self) -> T:
        """The parsed result (as openai-python's raw responses offer)."""
        return self.parsed


class WithRawResponse(Generic[R]):
    """A view of a resource whose methods return `RawResponse` instead of the result.

    `client.chat.completions.with_raw_response.create(...)` works for every
    non-streaming method of every resource.
    """

    __slots__ = ("_resource",)

    def __init__(self, resource: R) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resource, name)
