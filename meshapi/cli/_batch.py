"""`meshapi batch`: submit inline batches, watch them, fetch their results.

    meshapi batch submit requests.jsonl --wait
    meshapi batch list
    meshapi batch get batch_0a91
    meshapi batch cancel batch_0a91
    meshapi batch results batch_0a91 > results.jsonl

The input is JSONL, one request per line, in the OpenAI batch shape
`{"custom_id": ..., "method": "POST", "url": "/v1/chat/completions", "body": {...}}`
(`method` and `url` may be left out). A line that is a bare chat body (it has
`messages` and no `body`) is accepted too and gets `custom_id` `request-<line>`.
Batches are inline on the gateway (protocol.md §6.3): the file is read here and its
requests sent in the create call; there is no file upload.

`results` prints the batch's `results` entries as JSONL, one per request in request
order, each `{"custom_id", "response", "error"}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from ._config import connection_options, open_client
from ._errors import CliError
from ._input import parse_json_pairs
from ._render import (
    err_console,
    format_time,
    note,
    out_console,
    plural,
    print_json,
    print_jsonl,
    simple_table,
)

if TYPE_CHECKING:
    from meshapi import BatchObject, MeshAPI

__all__ = ["batch", "read_requests"]

_TERMINAL = frozenset({"completed", "failed", "cancelled", "expired"})


def read_requests(lines: Iterable[str], name: str) -> list[dict[str, Any]]:
    """The batch request items of a JSONL file.

    Raises:
        CliError: naming the file and line of the first bad line.
    """
    requests: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise CliError(f"{name}:{number}: not JSON ({exc})") from None
        if not isinstance(item, dict):
            raise CliError(f"{name}:{number}: expected a JSON object")
        if "body" not in item and "messages" in item:
            item = {"custom_id": f"request-{number}", "body": item}
        if "custom_id" not in item or not isinstance(item.get("body"), dict):
            raise CliError(f"{name}:{number}: a request needs custom_id and a body object")
        requests.append(item)
    if not requests:
        raise CliError(f"{name}: no requests in the file")
    return requests


def _counts(batch: BatchObject) -> tuple[int, int, int]:
    counts = batch.request_counts
    if counts is None:
        return 0, 0, 0
    return counts.total, counts.completed, counts.failed


def _describe(batch: BatchObject) -> str:
    total, completed, failed = _counts(batch)
    return f"{batch.id}  {batch.status}  {completed}/{total} done, {failed} failed"


def _wait(
    client: MeshAPI, batch: BatchObject, poll_interval: float, timeout: float | None
) -> BatchObject:
    """Poll to a terminal status behind a progress bar on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total, _, _ = _counts(batch)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        transient=False,
    ) as progress:
        task = progress.add_task(f"{batch.id} {batch.status}", total=total or None)

        def on_progress(current: BatchObject) -> None:
            total, completed, failed = _counts(current)
            progress.update(
                task,
                description=f"{current.id} {current.status}",
                total=total or None,
                completed=completed + failed,
            )

        return client.batches.wait(
            batch.id, poll_interval=poll_interval, timeout=timeout, on_progress=on_progress
        )


def _show(batch: BatchObject, as_json: bool) -> None:
    if as_json:
        print_json(batch)
    else:
        click.echo(_describe(batch))


_wait_options = [
    click.option(
        "--poll-interval",
        type=click.FloatRange(min=0.01),
        default=1.0,
        show_default=True,
        metavar="S",
        help="Seconds between status polls while waiting.",
    ),
    click.option(
        "--wait-timeout",
        type=click.FloatRange(min=0),
        default=None,
        metavar="S",
        help="Give up waiting after S seconds (default: wait as long as it takes).",
    ),
]


F = TypeVar("F", bound=Callable[..., Any])


def _with_wait_options(function: F) -> F:
    for option in reversed(_wait_options):
        function = option(function)
    return function


@click.group("batch")
@connection_options
def batch() -> None:
    """Submit and manage batches of chat completions."""


@batch.command("submit", short_help="Create a batch from a JSONL file.")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--wait", is_flag=True, help="Wait for the batch to finish, with a progress bar.")
@click.option("--completion-window", metavar="WINDOW", help='For example "24h".')
@click.option("--metadata", multiple=True, metavar="KEY=VALUE", help="Batch metadata (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the BatchObject as JSON.")
@_with_wait_options
@connection_options
def submit(
    file: TextIO,
    wait: bool,
    completion_window: str | None,
    metadata: tuple[str, ...],
    as_json: bool,
    poll_interval: float,
    wait_timeout: float | None,
) -> None:
    """Create a batch from FILE (JSONL, one request per line; - for stdin)."""
    # click names stdin "<stdin>", so errors point at the line either way.
    requests = read_requests(file, getattr(file, "name", "<stdin>"))
    params: dict[str, Any] = {"requests": requests}
    if completion_window is not None:
        params["completion_window"] = completion_window
    if metadata:
        params["metadata"] = parse_json_pairs(metadata, "--metadata")
    with open_client() as client:
        created = client.batches.create(**params)
        if not as_json:
            note(f"submitted {created.id} ({len(requests)} requests)")
        final = _wait(client, created, poll_interval, wait_timeout) if wait else created
    _show(final, as_json)


@batch.command("get")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True, help="Print the BatchObject as JSON.")
@connection_options
def get(batch_id: str, as_json: bool) -> None:
    """Show one batch."""
    with open_client() as client:
        found = client.batches.get(batch_id)
    if as_json:
        print_json(found)
        return
    total, completed, failed = _counts(found)
    table = simple_table("field", "value")
    rows = [
        ("id", found.id),
        ("status", found.status or ""),
        ("requests", f"{total} ({completed} completed, {failed} failed)"),
        ("created", format_time(found.created_at)),
        ("completed", format_time(found.completed_at)),
        ("cancelled", format_time(found.cancelled_at)),
        ("completion_window", found.completion_window or ""),
        ("metadata", json.dumps(found.metadata) if found.metadata else ""),
    ]
    for name, value in rows:
        if value:
            table.add_row(name, value)
    out_console().print(table)


@batch.command("list")
@click.option(
    "--limit", type=click.IntRange(1, 100), metavar="N", help="At most N batches (1-100)."
)
@click.option("--after", metavar="BATCH_ID", help="Start after this batch (the cursor).")
@click.option("--json", "as_json", is_flag=True, help="Print the BatchListResponse as JSON.")
@connection_options
def list_(limit: int | None, after: str | None, as_json: bool) -> None:
    """List batches, newest first."""
    with open_client() as client:
        page = client.batches.list(limit=limit, after=after)
    if as_json:
        print_json(page)
        return
    more = " (more: --after " + (page.last_id or "") + ")" if page.has_more else ""
    table = simple_table(
        "id",
        "status",
        "total",
        "completed",
        "failed",
        "created",
        caption=plural(len(page.data), "batch", "batches") + more,
    )
    for item in page.data:
        total, completed, failed = _counts(item)
        table.add_row(
            item.id,
            item.status or "",
            str(total),
            str(completed),
            str(failed),
            format_time(item.created_at),
        )
    out_console().print(table)


@batch.command("cancel")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True, help="Print the BatchObject as JSON.")
@connection_options
def cancel(batch_id: str, as_json: bool) -> None:
    """Cancel a batch (finished items keep their results)."""
    with open_client() as client:
        cancelled = client.batches.cancel(batch_id)
    _show(cancelled, as_json)


@batch.command("results", short_help="Print a batch's results as JSONL.")
@click.argument("batch_id")
@click.option("--wait", is_flag=True, help="Wait for the batch to finish first.")
@_with_wait_options
@connection_options
def results(batch_id: str, wait: bool, poll_interval: float, wait_timeout: float | None) -> None:
    """Print a batch's results as JSONL (one line per request, in request order)."""
    with open_client() as client:
        found = client.batches.get(batch_id)
        if wait and found.status not in _TERMINAL:
            found = _wait(client, found, poll_interval, wait_timeout)
    if found.results is None:
        if found.status not in _TERMINAL:
            raise CliError(
                f"batch {found.id} is {found.status}; its results come when it completes "
                "(add --wait)"
            )
        raise CliError(f"batch {found.id} is {found.status} and has no results")
    print_jsonl(found.results)
