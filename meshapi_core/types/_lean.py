"""Lean validators: a response model's schema without its *widening* validators.

A widening validator only lets through input the plain field type would refuse, and
hands every other input on unchanged: `_null_as` reads a JSON `null` as the field's
default (the plain type refuses `null`), `_money_text` reads a bare JSON number as its
decimal text (a `str` field refuses numbers). Each is a Python call per field per
instance; on a stream chunk they were about 15% of its validation, on a `models.list`
row (some forty price fields) most of it.

`lean_validator(model)` is a `SchemaValidator` built from the model's own core schema
with those validators taken out. It builds instances of the same classes, with the same
config (unknown fields kept), so on any input it accepts it gives exactly what the
model's full validator gives; and it accepts a subset of what the full one does (only
input a widening validator would have rewritten is refused). Callers therefore try it
first and, on a `ValidationError`, validate again with the model itself, whose result
(or error) is the reference. That is only sound for validators that really are
widening, which is why they are marked explicitly with `widening` and nothing else is
ever taken out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

__all__ = ["lean_list_validator", "lean_validator", "widening"]

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__meshapi_widening__"
_COMPLETE = "__pydantic_complete__"
_VALIDATORS: dict[type[BaseModel], SchemaValidator] = {}
_LIST_VALIDATORS: dict[type[BaseModel], SchemaValidator] = {}


def widening(function: F) -> F:
    """Mark a before-validator as widening (see the module docstring) and return it.

    The contract: for any input the validator changes, the field's own schema would
    refuse the original input; every other input is returned as it is.
    """
    setattr(function, _MARK, True)
    return function


def _is_widening(node: dict[str, Any]) -> bool:
    if node.get("type") != "function-before":
        return False
    function = node.get("function", {}).get("function")
    return bool(getattr(function, _MARK, False))


def _strip(value: Any) -> Any:
    """A copy of a core schema (dicts and lists) with widening validators removed."""
    if isinstance(value, list):
        return [_strip(item) for item in value]
    if not isinstance(value, dict):
        return value
    while _is_widening(value) and not ("ref" in value and "ref" in value["schema"]):
        inner = dict(value["schema"])
        if "ref" in value:
            # The validator node was what the ref named; the inner schema takes it over.
            # (A node whose inner schema has a name of its own is kept as it is.)
            inner["ref"] = value["ref"]
        value = inner
    return {key: _strip(item) for key, item in value.items()}


def _lean_schema(model: type[BaseModel]) -> core_schema.CoreSchema:
    if not model.__pydantic_complete__:
        # Models build their schema on first use (`defer_build`, types/_base.py).
        model.model_rebuild()
    schema = model.__pydantic_core_schema__
    stripped: core_schema.CoreSchema = _strip(schema)
    return stripped


def _model_classes(value: Any, found: set[type[Any]]) -> set[type[Any]]:
    if isinstance(value, list):
        for item in value:
            _model_classes(item, found)
    elif isinstance(value, dict):
        if value.get("type") == "model" and isinstance(value.get("cls"), type):
            found.add(value["cls"])
        for item in value.values():
            _model_classes(item, found)
    return found


def _build(schema: core_schema.CoreSchema) -> SchemaValidator:
    # pydantic-core reuses the prebuilt `__pydantic_validator__` of every complete model
    # class a `model` schema names, which would bring the widening validators straight
    # back. It only does so for classes whose own `__dict__` says they are complete, so
    # say otherwise for as long as the lean validator is being built.
    classes = [cls for cls in _model_classes(schema, set()) if cls.__dict__.get(_COMPLETE)]
    try:
        for cls in classes:
            setattr(cls, _COMPLETE, False)
        return SchemaValidator(schema)
    finally:
        for cls in classes:
            setattr(cls, _COMPLETE, True)


def lean_validator(model: type[BaseModel]) -> SchemaValidator:
    """The model's validator without its widening validators (built once per model)."""
    validator = _VALIDATORS.get(model)
    if validator is None:
        validator = _VALIDATORS[model] = _build(_lean_schema(model))
    return validator


def lean_list_validator(model: type[BaseModel]) -> SchemaValidator:
    """The same for a bare JSON array of the model (`list[model]`)."""
    validator = _LIST_VALIDATORS.get(model)
    if validator is None:
        schema = core_schema.list_schema(_lean_schema(model))
        validator = _LIST_VALIDATORS[model] = _build(schema)
    return validator
