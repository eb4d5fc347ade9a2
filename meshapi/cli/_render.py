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
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click
from pydantic import BaseModel

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = [
    "dump",
    "err_console",
    "format_count",
    "format_time",
    "format_usd",
    "note",
    "out_console",
    "plural",
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
    click.echo(click.style(text, dim=True), err=True)


def write_text(text: str) -> None:
    """Write model text to stdout as it is, flushed at once (no markup, no wrapping).

    Model output may contain `[brackets]` that rich would read as markup, and streaming
    needs every fragment visible immediately.
    """
    sys.stdout.write(text)
    sys.stdout.flush()


def dump(value: object) -> Any:
    """A JSON-ready value: pydantic models dumped (extras kept, nulls dropped)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {key: dump(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    return value


def print_json(value: object) -> None:
    """Print one JSON document (indented) to stdout, for `--json`."""
    sys.stdout.write(json.dumps(dump(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_jsonl(values: Iterable[object]) -> None:
    """Print one compact JSON document per line to stdout (JSONL)."""
    for value in values:
        sys.stdout.write(json.dumps(dump(value), ensure_ascii=False, separators=(",", ":")))
        sys.stdout.write("\n")
    sys.stdout.flush()


def format_usd(amount: Decimal | str | None) -> str:
    """Money for display.

    A decimal string from the wire is shown as the gateway wrote it (`$0.60` stays
    `$0.60`); a computed `Decimal` is shown exactly, without trailing zeros.
    """
    if amount is None:
        return "–"
    if isinstance(amount, str):
        return f"${amount}"
    if amount == 0:
        return "$0"
    return f"${format(amount.normalize(), 'f')}"


def format_count(value: int | None) -> str:
    """An integer with thousands separators, or a dash when unknown."""
    return "–" if value is None else f"{value:,}"


def format_time(value: int | str | None) -> str:
    """A timestamp for tables: epoch seconds or ISO-8601, shown as `YYYY-MM-DD HH:MM` UTC."""
    from datetime import datetime, timezone

    if value is None or value == "":
        return ""
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
    else:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M")


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 model`, `2 models` (`many` for irregular plurals: batch, batches)."""
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def simple_table(*columns: str, title: str | None = None, caption: str | None = None) -> Table:
    """A borderless table in the house style (headers bold, no box lines).

    The first column holds the row's id, which people copy into the next command, so
    it never wraps or gets cut; the other columns give way on narrow terminals.
    """
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
    table.columns[0].no_wrap = True
    return table
