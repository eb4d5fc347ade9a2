"""Request-body validation with FastAPI/pydantic-style error details.

Bodies are checked the way the gateway checks them: leniently enough to accept what real
clients (the official `openai` package included) send, strictly enough to reject what the
gateway rejects. Where the core has a params model, it is used in lax mode with unknown
fields tolerated (clients send fields the SDK does not model); field checks specific to
the gateway come on top. Failures are 422 `validation_error` with `details` items
`{type, loc: ["body", ...], msg}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from ._errors import GatewayError

__all__ = [
    "Detail",
    "check_params",
    "detail",
    "parse_json_object",
    "query_bool",
    "query_int",
    "raise_validation",
    "require_fields",
]

Detail = dict[str, Any]

# Error types from the core's strict client models that the gateway does not enforce.
_TOLERATED = {"extra_forbidden"}


def detail(kind: str, loc: Sequence[str | int], msg: str) -> Detail:
    """One pydantic-style detail item with `body` prefixed to its location."""
    return {"type": kind, "loc": ["body", *loc], "msg": msg}


def raise_validation(details: Sequence[Detail], message: str | None = None) -> None:
    """Raise the 422 `validation_error` envelope if there is anything to report."""
    if details:
        first = details[0]
        where = ".".join(str(part) for part in first["loc"])
        raise GatewayError(
            422,
            "validation_error",
            message or f"Request validation failed: {where}: {first['msg']}",
            details=list(details),
        )


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or the 422 FastAPI gives for anything else."""
    if not body.strip():
        raise_validation([detail("missing", [], "Field required")])
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        position = getattr(exc, "pos", 0)
        raise_validation([detail("json_invalid", [position], "JSON decode error")])
        raise AssertionError("unreachable") from exc
    if not isinstance(value, dict):
        raise_validation(
            [detail("model_attributes_type", [], "Input should be a valid dictionary")]
        )
    assert isinstance(value, dict)
    return value


def check_params(model: type[BaseModel], body: Mapping[str, Any]) -> list[Detail]:
    """Problems the core's params model finds in `body`, read laxly as the gateway reads it.

    The core's params models are strict client-side models; the gateway (FastAPI) parses
    JSON in pydantic's lax mode and ignores fields it does not know, so validation runs
    with `strict=False` and `extra_forbidden` problems are dropped.
    """
    try:
        model.model_validate(dict(body), strict=False)
    except ValidationError as exc:
        return [
            detail(str(err["type"]), list(err["loc"]), str(err["msg"]))
            for err in exc.errors()
            if err["type"] not in _TOLERATED
        ]
    return []


_TYPE_NAMES: dict[type, tuple[str, str]] = {
    str: ("string_type", "Input should be a valid string"),
    list: ("list_type", "Input should be a valid list"),
    dict: ("dict_type", "Input should be a valid dictionary"),
    bool: ("bool_type", "Input should be a valid boolean"),
    int: ("int_type", "Input should be a valid integer"),
    float: ("float_type", "Input should be a valid number"),
}


def require_fields(
    body: Mapping[str, Any],
    fields: Mapping[str, type | tuple[type, ...]],
    *,
    required: Sequence[str] = (),
    prefix: Sequence[str | int] = (),
) -> list[Detail]:
    """Presence and JSON-type checks for the fields the gateway itself depends on."""
    problems: list[Detail] = []
    for name in required:
        if body.get(name) is None:
            problems.append(detail("missing", [*prefix, name], "Field required"))
    for name, kinds in fields.items():
        value = body.get(name)
        if value is None:
            continue
        allowed = kinds if isinstance(kinds, tuple) else (kinds,)
        if _is_instance(value, allowed):
            continue
        kind, msg = _TYPE_NAMES.get(allowed[0], ("type_error", "Input has the wrong type"))
        problems.append(detail(kind, [*prefix, name], msg))
    return problems


def _is_instance(value: Any, kinds: tuple[type, ...]) -> bool:
    for kind in kinds:
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind not in (int, float) and isinstance(value, kind):
            return True
    return False


def query_int(request: web.BaseRequest, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], or the FastAPI-style 422."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None:
        raise_validation(
            [
                {
                    "type": "int_parsing",
                    "loc": ["query", name],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                }
            ]
        )
        return default
    if value > high:
        raise_validation(
            [
                {
                    "type": "less_than_equal",
                    "loc": ["query", name],
                    "msg": f"Input should be less than or equal to {high}",
                }
            ]
        )
    if value < low:
        raise_validation(
            [
                {
                    "type": "greater_than_equal",
                    "loc": ["query", name],
                    "msg": f"Input should be greater than or equal to {low}",
                }
            ]
        )
    return value


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def query_bool(request: web.BaseRequest, name: str) -> bool | None:
    """A boolean query parameter (`true`/`false`), None when absent, 422 when unparsable."""
    raw = request.query.get(name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise_validation(
        [
            {
                "type": "bool_parsing",
                "loc": ["query", name],
                "msg": "Input should be a valid boolean, unable to interpret input",
            }
        ]
    )
    return None
