"""Serialising responses through the core's own pydantic types.

Every JSON body the gateway sends is first validated into the matching
`meshapi_core.types` model and dumped back (`exclude_unset`, so a field the handler left
out stays absent and an explicit `null` stays `null`). The emulator therefore cannot drift
from the SDK's models: a shape the SDK would reject fails here, loudly, as a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ._errors import GatewayError

__all__ = ["dump", "model_class"]


def model_class(name: str) -> type[BaseModel] | None:
    """A response model of `meshapi_core.types` by name, if it exists."""
    try:
        from meshapi_core import types
    except ImportError:  # pragma: no cover - the core is part of this distribution
        return None
    candidate = getattr(types, name, None)
    if isinstance(candidate, type) and issubclass(candidate, BaseModel):
        return candidate
    return None


def dump(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` validated through the core model `name` and dumped as JSON-ready values."""
    cls = model_class(name)
    if cls is None:
        return dict(data)
    try:
        model = cls.model_validate(dict(data))
    except ValidationError as exc:
        raise GatewayError(
            500,
            "internal_error",
            f"emulator produced a {name} the SDK model rejects: {exc.errors()[:3]}",
        ) from exc
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)
