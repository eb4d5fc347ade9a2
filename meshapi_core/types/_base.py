"""The two kinds of model: strict requests and lenient responses (protocol.md §1.5).

Requests fail where they are built: an unknown field, a wrong type or a broken
constraint is a `pydantic.ValidationError` naming the field, before any byte is sent.
Responses accept what gateways really send: unknown fields are kept (readable as
attributes and through `model_extra`), and every field the gateway may omit is optional.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

__all__ = ["RequestModel", "ResponseModel", "ResultModel"]


class RequestModel(BaseModel):
    """Base of every params model: strict, closed, validated on assignment too."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        validate_assignment=True,
        populate_by_name=True,
        arbitrary_types_allowed=False,
    )

    def to_body(self) -> dict[str, Any]:
        """The JSON body: `None` fields left out, defaults that are set always sent."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


class ResponseModel(BaseModel):
    """Base of every response-side model: lenient and open.

    Unknown fields are kept (readable as attributes and through `model_extra`), never
    rejected: gateways add fields.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())


class ResultModel(ResponseModel):
    """A model a call returns (a result, a stream item, an item of a bare-array result).

    `_request_id` is the `x-request-id` header of the response it came from; it is a
    private attribute, so it never appears in `model_dump()`, and it is `None` on models
    built directly with `model_validate`. Only these top-level models carry it: a
    private attribute makes pydantic run Python code for every instance, which on the
    nested models of a stream chunk (choices, deltas) more than doubled validation time.
    """

    _request_id: str | None = PrivateAttr(default=None)
