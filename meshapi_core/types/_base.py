"""The two kinds of model: strict requests and lenient responses (protocol.md §1.5).

Requests fail where they are built: an unknown field, a wrong type or a broken
constraint is a `pydantic.ValidationError` naming the field, before any byte is sent.
Responses accept what gateways really send: unknown fields are kept (readable as
attributes and through `model_extra`), and every field the gateway may omit is optional.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "RequestModel",
    "ResponseModel",
    "ResultModel",
    "request_id_store",
    "set_fresh_request_id",
]


class RequestModel(BaseModel):
    """Base of every params model: strict, closed, validated on assignment too."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        validate_assignment=True,
        populate_by_name=True,
        arbitrary_types_allowed=False,
        defer_build=True,
    )

    def to_body(self) -> dict[str, Any]:
        """The JSON body: `None` fields left out, defaults that are set always sent."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


class ResponseModel(BaseModel):
    """Base of every response-side model: lenient and open.

    Unknown fields are kept (readable as attributes and through `model_extra`), never
    rejected: gateways add fields.
    """

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, protected_namespaces=(), defer_build=True
    )


class ResultModel(ResponseModel):
    """A model a call returns (a result, a stream item, an item of a bare-array result).

    `_request_id` is the `x-request-id` header of the response it came from; it is
    private, so it never appears in `model_dump()`, and it is `None` on models built
    directly with `model_validate`. Only these top-level models carry it.

    It is a property over pydantic's private-attribute store rather than a
    `PrivateAttr`: a declared private attribute makes pydantic call Python code
    (`init_private_attributes`) for every instance it validates, which cost more than a
    third of the validation of a stream chunk. The store stays `None` until a request id
    is set, which is what a model without private attributes has, so copies, pickling
    and equality treat it exactly as pydantic treats private attributes.
    """

    @property
    def _request_id(self) -> str | None:
        private = self.__pydantic_private__
        return None if private is None else private.get("_request_id")

    @_request_id.setter
    def _request_id(self, value: str | None) -> None:
        # Copy on write, never in place: the items of one stream share one store.
        private = dict(self.__pydantic_private__ or ())
        if value is None:
            private.pop("_request_id", None)
        else:
            private["_request_id"] = value
        object.__setattr__(self, "__pydantic_private__", private or None)


def set_fresh_request_id(model: ResultModel, request_id: str | None) -> None:
    """`model._request_id = request_id` for a model just validated (hot paths).

    Going through `BaseModel.__setattr__` to the property costs more than validating a
    small stream chunk; a model fresh from validation has no private store yet, so the
    store can simply be put in place.
    """
    if request_id is not None:
        object.__setattr__(model, "__pydantic_private__", {"_request_id": request_id})


def request_id_store(request_id: str) -> dict[str, Any]:
    """A private store holding `request_id`, to share between many fresh models.

    The `_request_id` setter copies the store before writing to it, so models sharing
    one never see each other's changes; sharing saves a dict per stream item.
    """
    return {"_request_id": request_id}
