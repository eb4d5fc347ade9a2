"""`meshapi models`: the catalogue as a table with prices, or as JSON.

    meshapi models --free
    meshapi models --search claude --json

`--free` / `--paid` use the gateway's own filters (`/v1/models/free`, `/v1/models/paid`);
`--search` and `--type` filter the returned rows here, by case-insensitive substring of
id or name and by exact `model_type`, since the tier-S catalogue routes have no search.
Prices are decimal strings on the wire (protocol.md §1.5) and are shown as they are.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import click

from ._config import connection_options, open_client
from ._errors import EXIT_USAGE, CliError
from ._render import format_count, format_usd, out_console, plural, print_json, simple_table

if TYPE_CHECKING:
    from meshapi import ModelInfo

__all__ = ["models", "token_prices"]

_UNITS = {
    "per_1m_tokens": "1M tok",
    "per_second": "second",
    "per_1k_chars": "1k chars",
}


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, ValueError):
        return None


def token_prices(info: ModelInfo) -> tuple[Decimal | None, Decimal | None]:
    """USD per 1M prompt and completion tokens, or None where not priced by token."""
    pricing = info.pricing
    if pricing is None:
        return None, None
    prompt, completion = pricing.prompt_usd_per_1m, pricing.completion_usd_per_1m
    if (prompt is None or completion is None) and pricing.pricing_unit == "per_1m_tokens":
        prompt, completion = pricing.input_usd_per_unit, pricing.output_usd_per_unit
    return _decimal(prompt), _decimal(completion)


def _price_cells(info: ModelInfo) -> tuple[str, str, str]:
    pricing = info.pricing
    if pricing is None:
        return "–", "–", ""
    if pricing.input_usd_per_unit is not None or pricing.output_usd_per_unit is not None:
        unit = pricing.pricing_unit or ""
        return (
            format_usd(pricing.input_usd_per_unit),
            format_usd(pricing.output_usd_per_unit),
            _UNITS.get(unit, unit.removeprefix("per_").replace("_", " ")),
        )
    if pricing.image_output_usd_per_image is not None:
        return "–", format_usd(pricing.image_output_usd_per_image), "image"
    if pricing.request_usd is not None:
        return format_usd(pricing.request_usd), "–", "request"
    prompt, completion = token_prices(info)
    if prompt is not None or completion is not None:
        return _usd(prompt), _usd(completion), "1M tok"
    return "–", "–", ""


def _usd(value: Decimal | None) -> str:
    return "–" if value is None else f"${value}"


def _matches(info: ModelInfo, search: str | None, kind: str | None) -> bool:
    if kind is not None and info.model_type != kind:
        return False
    if search is None:
        return True
    needle = search.casefold()
    return needle in info.id.casefold() or needle in info.name.casefold()


@click.command("models")
@click.option("--free", is_flag=True, help="Only free models.")
@click.option("--paid", is_flag=True, help="Only paid models.")
@click.option("--search", metavar="TEXT", help="Only ids or names containing TEXT.")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["text", "embedding", "image", "audio", "video"]),
    help="Only models of this type.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the models as a JSON array.")
@connection_options
def models(free: bool, paid: bool, search: str | None, kind: str | None, as_json: bool) -> None:
    """List the models in the catalogue, with prices."""
    if free and paid:
        raise CliError("--free and --paid exclude each other", exit_code=EXIT_USAGE)
    with open_client() as client:
        if free:
            rows = client.models.free()
        elif paid:
            rows = client.models.paid()
        else:
            rows = client.models.list()
    rows = [info for info in rows if _matches(info, search, kind)]
    if as_json:
        print_json(rows)
        return
    console = out_console()
    # What a narrow terminal can spare goes first: the name (it mostly repeats the id),
    # then the type (`--type` filters by it anyway). The id is what people copy into
    # -m and prices are read whole, so those never wrap.
    with_name, with_type = console.width >= 130, console.width >= 100
    columns = [
        "id",
        *(["name"] if with_name else []),
        *(["type"] if with_type else []),
        "context",
        "price in / out",
        "per",
    ]
    table = simple_table(*columns, caption=plural(len(rows), "model"))
    for column in table.columns:
        column.no_wrap = True
    for column in table.columns[-3:-1]:
        column.justify = "right"
    table.columns[-3].min_width = len("1,048,576")
    for info in rows:
        prompt, completion, unit = _price_cells(info)
        price = "free" if info.is_free else f"{prompt} / {completion}"
        table.add_row(
            info.id,
            *([info.name] if with_name else []),
            *([info.model_type or ""] if with_type else []),
            format_count(info.context_length),
            price,
            "" if info.is_free else unit,
        )
    console.print(table)
