"""`meshapi embed`: embedding vectors for text.

    meshapi embed "hello world"                   # one JSON array of floats
    meshapi embed "first" "second" -m openai/text-embedding-3-small
    cat doc.txt | meshapi embed --json            # the whole EmbeddingsResponse

Each TEXT gets one vector, printed as one JSON array per line in input order (the
`llm embed` habit: ready for `jq` or a file). With no TEXT, piped stdin is one text.
"""

from __future__ import annotations

from typing import Any

import click

from ._config import connection_options, open_client
from ._errors import EXIT_USAGE, CliError
from ._input import resolve_prompt
from ._render import print_json, print_jsonl

__all__ = ["embed"]


@click.command("embed")
@click.argument("texts", nargs=-1)
@click.option("-m", "--model", metavar="MODEL", help="Embedding model (default: the key's).")
@click.option("--dimensions", type=click.IntRange(min=1), metavar="N", help="Vector size.")
@click.option("--json", "as_json", is_flag=True, help="Print the EmbeddingsResponse as JSON.")
@connection_options
def embed(texts: tuple[str, ...], model: str | None, dimensions: int | None, as_json: bool) -> None:
    """Print an embedding vector for each TEXT."""
    inputs = list(texts)
    if not inputs:
        piped = resolve_prompt(None)
        if piped is None or not piped.strip():
            raise CliError("no text: pass some, or pipe it on stdin", exit_code=EXIT_USAGE)
        inputs = [piped]
    fields: dict[str, Any] = {"input": inputs if len(inputs) > 1 else inputs[0]}
    if model is not None:
        fields["model"] = model
    if dimensions is not None:
        fields["dimensions"] = dimensions
    with open_client() as client:
        response = client.embeddings.create(**fields)
    if as_json:
        print_json(response)
        return
    print_jsonl(item.embedding for item in sorted(response.data, key=lambda item: item.index))
