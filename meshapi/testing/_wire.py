"""Serialising responses through the core's own pydantic types.

Every JSON body the gateway sends is first validated into the matching
`meshapi_core.types` model and dumped back (`exclude_unset`, so a field the handler left
out stays absent and an explicit `null` stays `null`). The emulator therefore cannot drift
from the SDK's models: a shape the SDK would reject fails here, loudly, as a 500
`internal_error` naming the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ._errors import GatewayError

__all__ = ["dump"]


def dump(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` validated through `model` and dumped as JSON-ready values."""
    try:
        instance = model.model_validate(dict(data))
    except ValidationError as exc:
        raise GatewayError(
            500,
            "internal_error",
            f"emulator produced a {model.__name__} the SDK model rejects: {exc.errors()[:3]}",
        ) from exc
    dumped = instance.model_dump(mode="json", by_alias=True, exclude_unset=True)
    ordered = _in_source_order(dumped, data)
    assert isinstance(ordered, dict)
    return ordered


def _in_source_order(value: Any, source: Any) -> Any:
    # pydantic emits declared fields first, then extras; keep the handler's key order
    # instead, so bodies read like the protocol's examples (id, object, created, ...).
    if isinstance(value, dict) and isinstance(source, Mapping):
        keys = [k for k in source if k in value] + [k for k in value if k not in source]
        return {k: _in_source_order(value[k], source.get(k)) for k in keys}
    if isinstance(value, list) and isinstance(source, (list, tuple)) and len(value) == len(source):
        return [_in_source_order(v, s) for v, s in zip(value, source, strict=True)]
    return value
