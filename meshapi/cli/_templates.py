"""`meshapi templates`: stored prompt templates (protocol.md §2.10, §6.1).

    meshapi templates create support --system "You help customers of {{company}}." \\
        --variable company --model openai/gpt-4o-mini
    meshapi templates list
    meshapi templates get tmpl_5c0e
    meshapi templates update tmpl_5c0e --param temperature=0.2
    meshapi templates delete tmpl_5c0e
    meshapi chat "Where is my order?" --template support --var company=Acme

Fields come from options, or from `--from-file FILE` (a JSON object of template
fields) with the options on top. `--message ROLE:TEXT` adds a template message;
`--param KEY=VALUE` a default inference parameter (values are JSON when they parse, so
`temperature=0.2` is a number). `update` sends only what is given (a partial PATCH).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from ._config import connection_options, open_client
from ._errors import EXIT_USAGE, CliError
from ._input import parse_json_pairs
from ._render import format_time, out_console, plural, print_json, simple_table

if TYPE_CHECKING:
    from meshapi import TemplateSummary

__all__ = ["templates"]

_ROLES = ("system", "user", "assistant")


def _messages(values: tuple[str, ...]) -> list[dict[str, Any]]:
    messages = []
    for value in values:
        role, sep, content = value.partition(":")
        if not sep or role.strip() not in _ROLES:
            raise CliError(
                f"--message expects ROLE:TEXT with ROLE one of {', '.join(_ROLES)}; got {value!r}",
                exit_code=EXIT_USAGE,
            )
        messages.append({"role": role.strip(), "content": content.lstrip()})
    return messages


def _fields(
    *,
    from_file: TextIO | None,
    name: str | None,
    description: str | None,
    system: str | None,
    model: str | None,
    variables: tuple[str, ...],
    messages: tuple[str, ...],
    params: tuple[str, ...],
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if from_file is not None:
        try:
            loaded = json.load(from_file)
        except ValueError as exc:
            raise CliError(f"{from_file.name}: not JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise CliError(f"{from_file.name}: expected a JSON object of template fields")
        fields.update(loaded)
    given = {"name": name, "description": description, "system": system, "model": model}
    fields.update({key: value for key, value in given.items() if value is not None})
    if variables:
        fields["variables"] = list(variables)
    if messages:
        fields["messages"] = _messages(messages)
    if params:
        fields["params"] = {**fields.get("params", {}), **parse_json_pairs(params, "--param")}
    return fields


F = TypeVar("F", bound=Callable[..., Any])


def _field_options(function: F) -> F:
    options = [
        click.option("--description", metavar="TEXT", help="What the template is for."),
        click.option("--system", metavar="TEXT", help="System text, with {{var}} slots."),
        click.option("-m", "--model", metavar="MODEL", help="Default model."),
        click.option(
            "--variable",
            "variables",
            multiple=True,
            metavar="NAME",
            help="A declared slot name (repeatable).",
        ),
        click.option(
            "--message",
            "messages",
            multiple=True,
            metavar="ROLE:TEXT",
            help="A template message (repeatable), e.g. 'user:Hello {{name}}'.",
        ),
        click.option(
            "--param",
            "params",
            multiple=True,
            metavar="KEY=VALUE",
            help="A default inference parameter (repeatable), e.g. temperature=0.2.",
        ),
        click.option(
            "--from-file",
            type=click.File("r", encoding="utf-8"),
            metavar="FILE",
            help="A JSON object of template fields; options override it.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the TemplateSummary as JSON."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _show(template: TemplateSummary) -> None:
    table = simple_table("field", "value")
    rows: list[tuple[str, str]] = [
        ("id", template.id),
        ("name", template.name),
        ("owner", template.owner or ""),
        ("global", "yes" if template.is_global else "no"),
        ("description", template.description or ""),
        ("model", template.model or ""),
        ("variables", ", ".join(template.variables or [])),
        ("params", json.dumps(template.params) if template.params else ""),
        ("system", template.system or ""),
        ("created", format_time(template.created_at)),
        ("updated", format_time(template.updated_at)),
    ]
    for message in template.messages or []:
        rows.append((f"message ({message.get('role', '?')})", str(message.get("content", ""))))
    for name, value in rows:
        if value:
            table.add_row(name, value)
    out_console().print(table)


@click.group("templates")
@connection_options
def templates() -> None:
    """Create, list, show, update and delete prompt templates."""


@templates.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the templates as a JSON array.")
@connection_options
def list_(as_json: bool) -> None:
    """List your templates and the global ones, newest first."""
    with open_client() as client:
        found = client.templates.list()
    if as_json:
        print_json(found)
        return
    table = simple_table(
        "id",
        "name",
        "model",
        "variables",
        "global",
        "updated_at",
        caption=plural(len(found), "template"),
    )
    for item in found:
        table.add_row(
            item.id,
            item.name,
            item.model or "",
            ", ".join(item.variables or []),
            "yes" if item.is_global else "",
            format_time(item.updated_at),
        )
    out_console().print(table)


@templates.command("get")
@click.argument("template_id")
@click.option("--json", "as_json", is_flag=True, help="Print the TemplateSummary as JSON.")
@connection_options
def get(template_id: str, as_json: bool) -> None:
    """Show one template."""
    with open_client() as client:
        found = client.templates.get(template_id)
    if as_json:
        print_json(found)
    else:
        _show(found)


@templates.command("create")
@click.argument("name", required=False)
@_field_options
@connection_options
def create(
    name: str | None,
    description: str | None,
    system: str | None,
    model: str | None,
    variables: tuple[str, ...],
    messages: tuple[str, ...],
    params: tuple[str, ...],
    from_file: TextIO | None,
    as_json: bool,
) -> None:
    """Create a template called NAME (unique among yours)."""
    fields = _fields(
        from_file=from_file,
        name=name,
        description=description,
        system=system,
        model=model,
        variables=variables,
        messages=messages,
        params=params,
    )
    if "name" not in fields:
        raise CliError("a template needs a NAME (or a name in --from-file)", exit_code=EXIT_USAGE)
    with open_client() as client:
        created = client.templates.create(**fields)
    if as_json:
        print_json(created)
    else:
        click.echo(f"created {created.id} ({created.name})")


@templates.command("update")
@click.argument("template_id")
@click.option("--name", metavar="NAME", help="A new name.")
@_field_options
@connection_options
def update(
    template_id: str,
    name: str | None,
    description: str | None,
    system: str | None,
    model: str | None,
    variables: tuple[str, ...],
    messages: tuple[str, ...],
    params: tuple[str, ...],
    from_file: TextIO | None,
    as_json: bool,
) -> None:
    """Change the given fields of a template (the others stay)."""
    fields = _fields(
        from_file=from_file,
        name=name,
        description=description,
        system=system,
        model=model,
        variables=variables,
        messages=messages,
        params=params,
    )
    if not fields:
        raise CliError("nothing to update: give at least one field option", exit_code=EXIT_USAGE)
    with open_client() as client:
        updated = client.templates.update(template_id, **fields)
    if as_json:
        print_json(updated)
    else:
        click.echo(f"updated {updated.id} ({updated.name})")


@templates.command("delete")
@click.argument("template_id")
@connection_options
def delete(template_id: str) -> None:
    """Delete a template."""
    with open_client() as client:
        client.templates.delete(template_id)
    click.echo(f"deleted {template_id}")
