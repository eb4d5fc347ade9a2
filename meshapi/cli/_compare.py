"""`meshapi compare`: several models side by side, live, then the judge and a table.

    meshapi compare "What is the capital of France?" -m openai/gpt-4o-mini \\
        -m anthropic/claude-haiku-4.5 [--judge MODEL | --no-judge]

What streams depends on the mode, because the gateway's compare stream has two shapes
(protocol.md §3.8):

* with a synthesis (the default): each model's column fills when that model's whole
  answer is ready (`model_chunk` carries `content`, in completion order), then the
  judge's synthesis streams token by token underneath;
* `--no-judge` (`skip_comparison: true`): every column streams token by token
  (`model_chunk` carries `delta`, models interleaved) and there is no synthesis.

The default keeps the synthesis because that is the point of comparing through the
gateway rather than running N chats; `--no-judge` is the way to watch the models type.

The view is a rich `Live` of one column per model, redrawn from the stream's own
`CompareAccumulator` on the main thread only (no auto-refresh thread: the accumulator is
not shared across threads). After the `done` event comes a table of latency, tokens and
an estimated cost per model (token counts from the stream, prices from the catalogue).
A failing model is shown in its column and never ends the command (§6.2).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from meshapi import MeshAPIError

from ._config import connection_options, open_client
from ._errors import EXIT_USAGE, CliError
from ._input import resolve_prompt
from ._models import token_prices
from ._render import format_count, format_usd, out_console, print_json, simple_table

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

    from meshapi import CompareStreamEvent, MeshAPI
    from meshapi_core._accumulate import CompareAccumulator

__all__ = ["CompareView", "compare"]

# Redraws per second at most: enough to look live, few enough that a fast stream spends
# its time reading rather than repainting.
_FPS = 20


class CompareView:
    """The live picture of a compare: one column per model, then the synthesis.

    Args:
        accumulated: The stream's accumulator (`stream.accumulated`).
        models: The requested models, shown until `meta` names the deduplicated ones.
        judged: Whether a synthesis was requested.
    """

    def __init__(self, accumulated: CompareAccumulator, models: list[str], *, judged: bool) -> None:
        self.accumulated = accumulated
        self.requested = list(dict.fromkeys(models))
        self.judged = judged
        self.done_models: set[str] = set()

    def observe(self, event: CompareStreamEvent) -> None:
        """Track which models have finished (the accumulator folds everything else)."""
        name, model = event.event, event.model
        if model is None:
            return
        # A model is finished at its whole answer (synthesis mode), at its
        # `model_stream_done` (token mode), or at a finish_reason delta.
        answered = name == "model_chunk" and (
            event.content is not None or event.error is not None or bool(event.finish_reason)
        )
        if answered or name == "model_stream_done":
            self.done_models.add(model)

    @property
    def models(self) -> list[str]:
        """The models in column order."""
        return self.accumulated.models or self.requested

    def _status(self, model: str) -> tuple[str, str]:
        acc = self.accumulated
        if model in acc.errors:
            return f"failed · {acc.error_codes.get(model, 'error')}", "red"
        if model in self.done_models or acc.finished:
            latency = acc.latency_ms.get(model)
            return ("done" if latency is None else f"{latency} ms"), "green"
        if acc.texts.get(model):
            return "streaming…", "cyan"
        return "waiting…", "dim"

    def _column(self, model: str, text: str) -> RenderableType:
        from rich.panel import Panel
        from rich.text import Text

        status, style = self._status(model)
        if model in self.accumulated.errors:
            body = Text(self.accumulated.errors[model], style="red")
        elif text:
            body = Text(text)
        else:
            body = Text("…", style="dim")
        return Panel(
            body,
            title=Text(model, style="bold"),
            title_align="left",
            subtitle=Text(status, style=style),
            subtitle_align="right",
            border_style=style if style != "dim" else "white",
        )

    def _synthesis(self) -> RenderableType | None:
        from rich.panel import Panel
        from rich.text import Text

        acc = self.accumulated
        if not self.judged:
            return None
        judge = acc.comparison_model or "judge"
        comparison = acc.comparison
        if comparison is not None:
            body = Text(comparison)
        elif acc.finished:
            # §6.2: the judge runs only when at least two models succeeded.
            answered = sum(1 for model in self.models if model not in acc.errors)
            reason = "fewer than two models answered" if answered < 2 else "the judge gave no text"
            body = Text(f"no synthesis: {reason}", style="yellow")
        elif acc.results is not None:
            body = Text("the judge is reading the answers…", style="dim")
        else:
            return None
        return Panel(body, title=Text(f"synthesis · {judge}", style="bold"), title_align="left")

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table

        texts = self.accumulated.texts
        grid = Table.grid(expand=True, padding=(0, 1))
        models = self.models
        for _ in models:
            grid.add_column(ratio=1)
        grid.add_row(*(self._column(model, texts.get(model, "")) for model in models))
        synthesis = self._synthesis()
        return grid if synthesis is None else Group(grid, synthesis)


def _cost(prices: tuple[Decimal | None, Decimal | None], usage: dict[str, Any]) -> Decimal | None:
    prompt_price, completion_price = prices
    if prompt_price is None or completion_price is None:
        return None
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    return (prompt_price * prompt + completion_price * completion) / Decimal(1_000_000)


def _catalogue_prices(client: MeshAPI) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    try:
        return {info.id: token_prices(info) for info in client.models.list()}
    except MeshAPIError:
        # Prices only feed an estimate; a key without catalogue access still compares.
        return {}


def _summary(view: CompareView, prices: dict[str, tuple[Decimal | None, Decimal | None]]) -> Table:
    """The table under the live view: latency, tokens and estimated cost per model."""
    acc = view.accumulated
    caption_parts: list[str] = []
    if acc.comparison_id:
        caption_parts.append(acc.comparison_id)
    if acc.total_latency_ms is not None:
        caption_parts.append(f"{acc.total_latency_ms} ms in all")
    if view.judged and acc.comparison_model:
        caption_parts.append(f"judge {acc.comparison_model}")
    if acc.partial:
        caption_parts.append("partial: some models failed")
    caption = " · ".join(caption_parts) or None
    table = simple_table(
        "model", "status", "latency", "tokens in/out", "cost (est.)", caption=caption
    )
    table.columns[0].no_wrap = True
    for column in table.columns[2:]:
        column.justify = "right"
        column.no_wrap = True
    total_cost = Decimal(0)
    for model in view.models:
        usage = acc.usage.get(model) or {}
        status = "failed: " + acc.error_codes.get(model, "error") if model in acc.errors else "ok"
        latency = acc.latency_ms.get(model)
        cost = _cost(prices.get(model, (None, None)), usage) if usage else None
        if cost is not None:
            total_cost += cost
        tokens = (
            f"{format_count(usage.get('prompt_tokens'))} / "
            f"{format_count(usage.get('completion_tokens'))}"
            if usage
            else "–"
        )
        table.add_row(
            model,
            status,
            "–" if latency is None else f"{latency} ms",
            tokens,
            format_usd(cost),
            style="red" if model in acc.errors else None,
        )
    if len(view.models) > 1 and total_cost:
        table.add_row("all models", "", "", "", format_usd(total_cost), style="bold")
    return table


def _watch(
    client: MeshAPI, params: dict[str, Any], models: list[str], *, judged: bool, console: Console
) -> CompareView:
    from rich.live import Live

    stream = client.compare.stream(**params)
    view = CompareView(stream.accumulated, models, judged=judged)
    # auto_refresh off: every redraw happens here, between events, so the renderer never
    # reads the accumulator while the stream is writing to it.
    with (
        stream,
        Live(view, console=console, auto_refresh=False, vertical_overflow="visible") as live,
    ):
        live.refresh()
        last = 0.0
        for event in stream:
            view.observe(event)
            now = time.monotonic()
            if now - last >= 1 / _FPS:
                live.refresh()
                last = now
        live.refresh()
    if not console.is_terminal:
        # On a terminal Live ends its last frame with a newline; printed to a file or a
        # pipe it does not, and the table would start on the frame's last line.
        console.line()
    return view


@click.command("compare", short_help="Compare models side by side, live, with a judge.")
@click.argument("prompt", required=False)
@click.option(
    "-m",
    "--model",
    "models",
    multiple=True,
    required=True,
    metavar="MODEL",
    help="A model to compare (repeat: -m A -m B).",
)
@click.option("--judge", metavar="MODEL", help="The model that writes the synthesis.")
@click.option(
    "--no-judge", is_flag=True, help="No synthesis; stream every model token by token instead."
)
@click.option("--instructions", metavar="TEXT", help="Extra instructions for the judge.")
@click.option("-s", "--system", metavar="TEXT", help="System prompt, sent to every model.")
@click.option("-t", "--temperature", type=click.FloatRange(0, 2), metavar="T", help="0-2.")
@click.option("--max-tokens", type=click.IntRange(min=1), metavar="N", help="Per-model cap.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the CompareResponse as JSON (no live view)."
)
@connection_options
def compare(
    prompt: str | None,
    models: tuple[str, ...],
    judge: str | None,
    no_judge: bool,
    instructions: str | None,
    system: str | None,
    temperature: float | None,
    max_tokens: int | None,
    as_json: bool,
) -> None:
    """Send PROMPT to several models and show their replies side by side."""
    if no_judge and (judge is not None or instructions is not None):
        raise CliError(
            "--no-judge means no synthesis; drop --judge/--instructions", exit_code=EXIT_USAGE
        )
    text = resolve_prompt(prompt)
    if text is None or not text.strip():
        raise CliError("no prompt: pass one, or pipe one on stdin", exit_code=EXIT_USAGE)
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": text})
    params: dict[str, Any] = {
        "models": list(models),
        "messages": messages,
        "skip_comparison": no_judge,
    }
    optional = {
        "comparison_model": judge,
        "comparison_instructions": instructions,
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    with open_client() as client:
        if as_json:
            print_json(client.compare.create(**params))
            return
        console = out_console()
        view = _watch(client, params, list(models), judged=not no_judge, console=console)
        console.print(_summary(view, _catalogue_prices(client)))
