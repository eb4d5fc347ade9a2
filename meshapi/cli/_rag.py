"""`meshapi rag`: upload files, embed them, search them (protocol.md §2.11, §6.4).

    meshapi rag upload handbook.pdf notes.md --embed --wait
    meshapi rag search "how long is onboarding?"
    meshapi rag list
    meshapi rag embed file_9b2 --wait

`upload` runs the SDK's two-step upload per file (init, then the signed-URL PUT). With
`--embed` the gateway starts embedding each file by itself once its bytes are in;
`--wait` then polls until every file is `ready` (or `failed`) for embedding, or, without
`--embed`, until every upload is ready. Each file's final status is printed. The MIME
type is guessed from the file name (`--mime-type` overrides it).
"""

from __future__ import annotations

import mimetypes
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._config import connection_options, open_client
from ._errors import CliError
from ._input import parse_json_pairs
from ._render import err_console, note, out_console, plural, print_json, simple_table

if TYPE_CHECKING:
    from rich.table import Table

    from meshapi import MeshAPI, RagFileStatus

__all__ = ["rag"]

_DONE = frozenset({"ready", "failed"})


def _mime_type(path: Path, override: str | None) -> str:
    if override:
        return override
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed:
        return guessed
    # Unknown extensions are most often plain text (README, Makefile, .toml on old
    # Pythons); the gateway reports a failed upload if the bytes cannot be used.
    return "text/plain"


def _settled(status: RagFileStatus, *, embed: bool) -> bool:
    if status.upload_status == "failed":
        return True
    if not embed:
        return status.upload_status == "ready"
    return status.embedding_status in _DONE


def _wait_for(
    client: MeshAPI,
    file_ids: list[str],
    *,
    embed: bool,
    poll_interval: float,
    timeout: float | None,
) -> list[RagFileStatus]:
    """Poll until every file settles, with a spinner on stderr."""
    deadline = None if timeout is None else time.monotonic() + timeout
    what = "embedding" if embed else "upload"
    statuses = {file_id: client.rag.get(file_id) for file_id in file_ids}
    with err_console().status(f"waiting for {what} of {len(file_ids)} file(s)…"):
        while not all(_settled(s, embed=embed) for s in statuses.values()):
            if deadline is not None and time.monotonic() >= deadline:
                pending = [fid for fid, s in statuses.items() if not _settled(s, embed=embed)]
                raise CliError(
                    f"still waiting for {what} of {', '.join(pending)} after {timeout} s"
                )
            time.sleep(poll_interval)
            for file_id, status in statuses.items():
                if not _settled(status, embed=embed):
                    statuses[file_id] = client.rag.get(file_id)
    return [statuses[file_id] for file_id in file_ids]


def _status_table(statuses: list[RagFileStatus]) -> Table:
    table = simple_table("file_id", "name", "size", "upload", "embedding", "tokens")
    for status in statuses:
        embedding = status.embedding_status
        if status.last_error_code:
            embedding += f" ({status.last_error_code})"
        table.add_row(
            status.file_id,
            status.file_name,
            "" if status.size_bytes is None else f"{status.size_bytes:,} B",
            status.upload_status,
            embedding,
            "" if status.total_tokens is None else f"{status.total_tokens:,}",
        )
    return table


@click.group("rag", short_help="Upload, embed and search files (RAG).")
@connection_options
def rag() -> None:
    """Upload files, embed them and search them (retrieval-augmented generation)."""


@rag.command("upload")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--embed", is_flag=True, help="Embed each file once it is uploaded.")
@click.option("--wait", is_flag=True, help="Wait until uploads (and embeddings) are done.")
@click.option("--mime-type", metavar="TYPE", help="The MIME type of every file (default: guessed).")
@click.option("--metadata", multiple=True, metavar="KEY=VALUE", help="File metadata (repeatable).")
@click.option(
    "--poll-interval", type=click.FloatRange(min=0.01), default=0.5, show_default=True, metavar="S"
)
@click.option(
    "--wait-timeout", type=click.FloatRange(min=0), default=300.0, show_default=True, metavar="S"
)
@click.option("--json", "as_json", is_flag=True, help="Print the file statuses as a JSON array.")
@connection_options
def upload(
    files: tuple[Path, ...],
    embed: bool,
    wait: bool,
    mime_type: str | None,
    metadata: tuple[str, ...],
    poll_interval: float,
    wait_timeout: float,
    as_json: bool,
) -> None:
    """Upload FILES for retrieval."""
    meta = parse_json_pairs(metadata, "--metadata") if metadata else None
    file_ids: list[str] = []
    with open_client() as client:
        for path in files:
            init = client.rag.upload_file(
                file_name=path.name,
                mime_type=_mime_type(path, mime_type),
                content=path.read_bytes(),
                embed=True if embed else None,
                metadata=meta,
            )
            file_ids.append(init.file_id)
            if not as_json:
                note(f"uploaded {path.name} as {init.file_id}")
        if wait:
            statuses = _wait_for(
                client, file_ids, embed=embed, poll_interval=poll_interval, timeout=wait_timeout
            )
        else:
            statuses = [client.rag.get(file_id) for file_id in file_ids]
    if as_json:
        print_json(statuses)
    else:
        out_console().print(_status_table(statuses))


@rag.command("embed")
@click.argument("file_ids", nargs=-1, required=True)
@click.option("--wait", is_flag=True, help="Return once embedding finished.")
@click.option("--json", "as_json", is_flag=True, help="Print the BulkEmbedResponse as JSON.")
@connection_options
def embed(file_ids: tuple[str, ...], wait: bool, as_json: bool) -> None:
    """Embed uploaded files by id (failures are listed per file)."""
    with open_client() as client:
        response = client.rag.embed(file_ids=list(file_ids), wait=True if wait else None)
    if as_json:
        print_json(response)
        return
    table = simple_table("file_id", "embedding", "chunks", "error")
    for result in response.results:
        table.add_row(
            result.file_id,
            result.embedding_status,
            "" if result.chunk_count is None else str(result.chunk_count),
            result.error or "",
        )
    out_console().print(table)


@rag.command("search")
@click.argument("query")
@click.option(
    "-k", "--top-k", type=click.IntRange(min=1), default=5, show_default=True, metavar="N"
)
@click.option("--file-id", "file_ids", multiple=True, metavar="ID", help="Search only these files.")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help="Metadata equality.")
@click.option("--json", "as_json", is_flag=True, help="Print the SearchResponse as JSON.")
@connection_options
def search(
    query: str, top_k: int, file_ids: tuple[str, ...], filters: tuple[str, ...], as_json: bool
) -> None:
    """Find the chunks nearest to QUERY, best first."""
    fields: dict[str, Any] = {"query": query, "top_k": top_k}
    if file_ids:
        fields["file_ids"] = list(file_ids)
    if filters:
        fields["filter"] = parse_json_pairs(filters, "--filter")
    with open_client() as client:
        response = client.rag.search(**fields)
    if as_json:
        print_json(response)
        return
    console = out_console()
    if not response.results:
        console.print("no results (nothing embedded in scope yet?)", style="dim")
    for result in response.results:
        where = result.file_name or result.file_id or "?"
        if result.chunk_index is not None:
            where += f" #{result.chunk_index}"
        console.print(f"[bold]{result.score:.4f}[/]  ", end="")
        console.print(where, style="cyan", markup=False)
        console.print(result.text, markup=False)
        console.print()


@rag.command("list")
@click.option("--limit", type=click.IntRange(1, 100), metavar="N", help="At most N files (1-100).")
@click.option("--offset", type=click.IntRange(min=0), metavar="N", help="Skip the first N files.")
@click.option("--json", "as_json", is_flag=True, help="Print the RagFileListResponse as JSON.")
@connection_options
def list_(limit: int | None, offset: int | None, as_json: bool) -> None:
    """List uploaded files, newest first."""
    with open_client() as client:
        page = client.rag.list(limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    table = _status_table(page.files)
    table.caption = f"{len(page.files)} of {plural(page.total, 'file')}"
    out_console().print(table)
