"""Prompt templates (protocol.md §2.10, §6.1): CRUD, and `{{var}}` rendering by name.

Each key's templates belong to its owner; global templates (configured on the gateway) are
visible to everyone and read-only. Chat, responses and compare reference a template by its
*name*; rendering puts the template's system prompt and messages before the request's own.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from meshapi_core.types import CreateTemplateParams, TemplateSummary, UpdateTemplateParams

from ._clock import GatewayClock
from ._context import RequestContext
from ._errors import GatewayError
from ._ids import new_id
from ._validation import check_params, detail, raise_validation, require_fields
from ._wire import dump

__all__ = [
    "RenderedTemplate",
    "Template",
    "TemplateStore",
    "apply_template",
    "create_template",
    "delete_template",
    "get_template",
    "iso_timestamp",
    "list_templates",
    "update_template",
]

_SLOT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
GLOBAL_OWNER = "meshapi"

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "description": str,
    "system": str,
    "messages": list,
    "model": str,
    "params": dict,
    "variables": list,
    "team_id": str,
}


def iso_timestamp(epoch: float) -> str:
    """ISO-8601 UTC with microseconds, the string timestamps of templates and RAG."""
    moment = _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Template:
    """A stored template."""

    id: str
    name: str
    owner: str
    is_global: bool
    created_at: str
    updated_at: str
    sequence: int
    description: str | None = None
    system: str | None = None
    messages: tuple[Mapping[str, Any], ...] | None = None
    model: str | None = None
    params: Mapping[str, Any] | None = None
    variables: tuple[str, ...] | None = None
    team_id: str | None = None

    def summary(self) -> dict[str, Any]:
        """The `TemplateSummary` wire object."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "is_global": self.is_global,
            "description": self.description,
            "system": self.system,
            "messages": [dict(m) for m in self.messages] if self.messages is not None else None,
            "model": self.model,
            "params": dict(self.params) if self.params is not None else None,
            "variables": list(self.variables) if self.variables is not None else None,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.team_id is not None:
            body["team_id"] = self.team_id
        return dump(TemplateSummary, body)


@dataclass(frozen=True)
class RenderedTemplate:
    """A template applied to a request: messages to prepend, and defaults."""

    messages: list[dict[str, Any]]
    model: str | None
    params: dict[str, Any] = field(default_factory=dict)


class TemplateStore:
    """Templates by id; thread-safe so tests can add global templates at any time."""

    def __init__(self, clock: GatewayClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, Template] = {}
        self._sequence = itertools.count()

    def create(self, owner: str, fields: Mapping[str, Any], *, is_global: bool = False) -> Template:
        """Store a new template (409 if the owner already has one with that name)."""
        name = fields["name"]
        now = iso_timestamp(self._clock.now())
        with self._lock:
            if any(t.owner == owner and t.name == name for t in self._items.values()):
                raise GatewayError(409, "conflict", f"A template named {name!r} already exists.")
            template = Template(
                id=new_id("tmpl_", 16),
                name=name,
                owner=owner,
                is_global=is_global,
                created_at=now,
                updated_at=now,
                sequence=next(self._sequence),
                **_optional_fields(fields),
            )
            self._items[template.id] = template
            return template

    def visible(self, owner: str) -> list[Template]:
        """The owner's templates and the global ones, newest first."""
        with self._lock:
            items = [t for t in self._items.values() if t.owner == owner or t.is_global]
        return sorted(items, key=lambda t: t.sequence, reverse=True)

    def get(self, owner: str, template_id: str) -> Template:
        """A visible template by id (404 otherwise)."""
        with self._lock:
            template = self._items.get(template_id)
        if template is None or not (template.owner == owner or template.is_global):
            raise GatewayError(404, "not_found", f"Template {template_id!r} not found.")
        return template

    def update(self, owner: str, template_id: str, fields: Mapping[str, Any]) -> Template:
        """Replace the fields present (403 on a global template)."""
        template = self.get(owner, template_id)
        if template.is_global:
            raise GatewayError(403, "forbidden", "Global templates are read-only.")
        with self._lock:
            name = fields.get("name")
            if name is not None and any(
                t.owner == owner and t.name == name and t.id != template_id
                for t in self._items.values()
            ):
                raise GatewayError(409, "conflict", f"A template named {name!r} already exists.")
            changes = _optional_fields(fields)
            if name is not None:
                changes["name"] = name
            updated = replace(template, updated_at=iso_timestamp(self._clock.now()), **changes)
            self._items[template_id] = updated
            return updated

    def delete(self, owner: str, template_id: str) -> None:
        """Delete (403 on a global template, 404 if unknown)."""
        template = self.get(owner, template_id)
        if template.is_global:
            raise GatewayError(403, "forbidden", "Global templates are read-only.")
        with self._lock:
            self._items.pop(template_id, None)

    def by_name(self, owner: str, name: str) -> Template | None:
        """Lookup order of §6.1: the caller's, then global ones."""
        visible = self.visible(owner)
        for template in visible:
            if template.owner == owner and template.name == name:
                return template
        for template in visible:
            if template.is_global and template.name == name:
                return template
        return None


def _optional_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in ("description", "system", "model", "team_id"):
        if name in fields:
            result[name] = fields[name]
    if "messages" in fields:
        messages = fields["messages"]
        result["messages"] = tuple(dict(m) for m in messages) if messages is not None else None
    if "params" in fields:
        params = fields["params"]
        result["params"] = dict(params) if params is not None else None
    if "variables" in fields:
        variables = fields["variables"]
        result["variables"] = tuple(variables) if variables is not None else None
    return result


def _validate(body: Mapping[str, Any], *, creating: bool) -> None:
    problems = require_fields(body, _FIELDS, required=("name",) if creating else ())
    if creating and isinstance(body.get("name"), str) and not body["name"].strip():
        problems.append(
            detail("string_too_short", ["name"], "String should have at least 1 character")
        )
    messages = body.get("messages")
    if isinstance(messages, list):
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                problems.append(
                    detail("dict_type", ["messages", index], "Input should be a valid dictionary")
                )
            elif "role" not in message:
                problems.append(detail("missing", ["messages", index, "role"], "Field required"))
    if not creating and "team_id" in body:
        problems.append(detail("extra_forbidden", ["team_id"], "Extra inputs are not permitted"))
    if not problems:
        problems = check_params(CreateTemplateParams if creating else UpdateTemplateParams, body)
    raise_validation(problems)


def render(text: str, variables: Mapping[str, Any], template_name: str) -> str:
    """`{{name}}` slots replaced; a slot without a value is 422 `unprocessable_entity`."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables or variables[name] is None:
            raise GatewayError(
                422,
                "unprocessable_entity",
                f"Template {template_name!r} needs a value for variable {name!r}.",
                param=f"variables.{name}",
            )
        return str(variables[name])

    return _SLOT.sub(substitute, text)


def apply_template(ctx: RequestContext, name: Any, variables: Any) -> RenderedTemplate | None:
    """The rendered template a request names, or None when it names none."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise_validation([detail("string_type", ["template"], "Input should be a valid string")])
    values = variables if isinstance(variables, Mapping) else {}
    template = ctx.state.templates.by_name(ctx.owner, name)
    if template is None:
        raise GatewayError(404, "not_found", f"Template {name!r} not found.", param="template")
    messages: list[dict[str, Any]] = []
    if template.system:
        messages.append({"role": "system", "content": render(template.system, values, name)})
    for message in template.messages or ():
        rendered = dict(message)
        content = rendered.get("content")
        if isinstance(content, str):
            rendered["content"] = render(content, values, name)
        messages.append(rendered)
    return RenderedTemplate(
        messages=messages, model=template.model, params=dict(template.params or {})
    )


def apply_params(body: dict[str, Any], rendered: RenderedTemplate | None) -> dict[str, Any]:
    """Template `params` as defaults under the request's own fields."""
    if rendered is None:
        return body
    merged = dict(rendered.params)
    merged.update({k: v for k, v in body.items() if v is not None})
    return merged


def merge_messages(
    rendered: RenderedTemplate | None, messages: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Template messages first, then the request's."""
    prefix = rendered.messages if rendered is not None else []
    return [*prefix, *(dict(m) for m in messages)]


# ----------------------------------------------------------------------------------- routes


async def create_template(ctx: RequestContext) -> web.StreamResponse:
    """POST /v1/templates."""
    body = ctx.json_body()
    _validate(body, creating=True)
    template = ctx.state.templates.create(ctx.owner, body)
    return ctx.json(template.summary())


async def list_templates(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/templates: a bare array, newest first."""
    return ctx.json([t.summary() for t in ctx.state.templates.visible(ctx.owner)])


async def get_template(ctx: RequestContext) -> web.StreamResponse:
    """GET /v1/templates/{id}."""
    template_id = ctx.request.match_info["template_id"]
    return ctx.json(ctx.state.templates.get(ctx.owner, template_id).summary())


async def update_template(ctx: RequestContext) -> web.StreamResponse:
    """PATCH /v1/templates/{id}: only the fields present change."""
    template_id = ctx.request.match_info["template_id"]
    body = ctx.json_body()
    _validate(body, creating=False)
    return ctx.json(ctx.state.templates.update(ctx.owner, template_id, body).summary())


async def delete_template(ctx: RequestContext) -> web.StreamResponse:
    """DELETE /v1/templates/{id}: 204, no body."""
    template_id = ctx.request.match_info["template_id"]
    ctx.state.templates.delete(ctx.owner, template_id)
    return web.Response(status=204)
