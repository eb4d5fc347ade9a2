"""A tiny JSON-Schema checker for the subset tool schemas use (tests only)."""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Why `value` does not satisfy `schema` (empty when it does)."""
    found: list[str] = []
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: not the const")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: not in enum")
    if "anyOf" in schema and all(problems(value, s, where) for s in schema["anyOf"]):
        found.append(f"{where}: matches no anyOf branch")
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        ok = False
        for k in kinds:
            allowed = _TYPES[k]
            if isinstance(value, bool) and k in ("integer", "number"):
                continue
            if isinstance(value, allowed):
                ok = True
        if not ok:
            return [f"{where}: {value!r} is not {kind}"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: above maximum")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            found.append(f"{where}: not above exclusiveMinimum")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            found.append(f"{where}: not below exclusiveMaximum")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            found.append(f"{where}: too short")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{where}: too long")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{where}: too few items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{where}: too many items")
        for index, item in enumerate(value):
            found += problems(item, schema.get("items", {}), f"{where}[{index}]")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}: missing {name}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                found += problems(value[name], sub, f"{where}.{name}")
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(schema.get("properties", {}))
            if extra:
                found.append(f"{where}: unexpected {sorted(extra)}")
    return found
