"""Output helpers shared by the commands: consoles, JSON, money, small formatting rules.

Two channels, on purpose: what a command *produces* (reply text, tables, JSON, JSONL)
goes to stdout, and everything around it (headers, progress bars, usage lines, errors)
goes to stderr, so `meshapi chat "..." > answer.txt` and `meshapi batch results ID | jq`
get exactly the product.

rich is imported inside the functions, not at module level: `meshapi --help` and the
plain-text paths should not pay for it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console
    from rich.table import Table

__all__ = [
    "dump",
    "err_console",
    "format_count",
    "format_usd",
    "note",
    "out_console",
    "print_json",
    "print_jsonl",
    "simple_table",
    "write_text",
]


def out_console() -> Console:
    """A rich console on stdout (the product).

    Built per call rather than cached: tests swap `sys.stdout` between invocations, and
    rich resolves the file lazily only when none is passed.
    """
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    """A rich console on stderr (chrome: headers, progress, usage lines)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def note(text: str) -> None:
    """One dim line of chrome on stderr (never wrapped, never read as markup)."""
    import click

    click.echo(click.style(text, dim=True), err=True)


def write_text(text: str) -> None:
    """Write model text to stdout as it is, flushed at once (no markup, no wrapping).

    Model output may contain `[brackets]` that rich would read as markup, and streaming
    needs every fragment visible immediately.
    """
    sys.stdout.write(text)
    sys.stdout.flush()


def dump(value: BaseModel | Mapping[str, Any] | Iterable[Any] | Any) -> Any:
    """A JSON-ready value: pydantic models dumped (extras kept, nulls dropped)."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {key: dump(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    return value


def print_json(value: Any) -> None:
    """Print one JSON document (indented) to stdout, for `--json`."""
    sys.stdout.write(json.dumps(dump(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_jsonl(values: Iterable[Any]) -> None:
    """Print one compact JSON document per line to stdout (JSONL)."""
    for value in values:
        sys.stdout.write(json.dumps(dump(value), ensure_ascii=False, separators=(",", ":")))
        sys.stdout.write("\n")
    sys.stdout.flush()


def format_usd(amount: Decimal | str | None) -> str:
    """`$0.0000195`-style money: decimal strings stay exact, trailing zeros trimmed."""
    if amount is None:
        return "–"
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError):
        return str(amount)
    if value == 0:
        return "$0"
    text = format(value.normalize(), "f")
    return f"${text}"


def format_count(value: int | None) -> str:
    """An integer with thousands separators, or a dash when unknown."""
    return "–" if value is None else f"{value:,}"


def simple_table(*columns: str, title: str | None = None, caption: str | None = None) -> Table:
    """A borderless table in the house style (headers bold, no box lines)."""
    from rich import box
    from rich.table import Table

    table = Table(
        *columns,
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        header_style="bold",
        title_justify="left",
        caption_justify="left",
    )
    return table
