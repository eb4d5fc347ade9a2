"""`meshapi chat`: stream a reply, or hold a multi-turn session.

    meshapi chat "Write a haiku" -m openai/gpt-4o-mini
    cat notes.txt | meshapi chat "Summarise this"
    meshapi chat                      # a session: history kept, /exit to leave

The reply text goes to stdout exactly as the model sends it, fragment by fragment.
`--json` prints the folded `ChatCompletionResponse` instead (the stream's
`get_final_completion()`, so `usage` and `cost` come from the gateway's usage chunk).

In a session, Ctrl-C cancels the reply being streamed (the stream is closed, which
releases the connection) and drops that turn from the history, so the next prompt is
not answered in the light of half an answer; Ctrl-C at the prompt only clears the line.
`/exit`, `/quit` or Ctrl-D end the session; `/reset` forgets the history.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

from meshapi import MeshAPIError

from ._config import connection_options, current_settings, open_client
from ._errors import EXIT_USAGE, CliError, report
from ._input import parse_pairs, read_line, resolve_prompt, stdin_is_tty
from ._render import format_usd, note, print_json, write_text

if TYPE_CHECKING:
    from meshapi import ChatCompletionResponse, MeshAPI

__all__ = ["chat"]

_PROMPT = "> "
_HELP = "commands: /exit (or Ctrl-D) to leave, /reset to forget the history"


class _Request:
    """The fixed part of every request of one `chat` invocation."""

    def __init__(
        self,
        *,
        model: str | None,
        system: str | None,
        temperature: float | None,
        max_tokens: int | None,
        template: str | None,
        variables: dict[str, str],
    ) -> None:
        self.model = model
        self.system = system
        self.fields: dict[str, Any] = {}
        if temperature is not None:
            self.fields["temperature"] = temperature
        if max_tokens is not None:
            self.fields["max_tokens"] = max_tokens
        if template is not None:
            self.fields["template"] = template
        if variables:
            self.fields["variables"] = variables

    def opening(self) -> list[dict[str, Any]]:
        """The messages every conversation starts with."""
        return [{"role": "system", "content": self.system}] if self.system else []

    def params(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The keyword fields of `chat.completions.stream` for these messages."""
        params: dict[str, Any] = {"messages": list(messages), **self.fields}
        if self.model is not None:
            params["model"] = self.model
        return params


def _usage_line(final: ChatCompletionResponse, request_id: str | None) -> str:
    parts = []
    usage = final.usage
    if usage is not None:
        parts.append(
            f"{usage.total_tokens} tokens ({usage.prompt_tokens} in, {usage.completion_tokens} out)"
        )
    cost = (final.model_extra or {}).get("cost")
    if cost is not None:
        parts.append(format_usd(str(cost)))
    parts.append(final.model)
    if request_id:
        parts.append(request_id)
    return "[" + " · ".join(parts) + "]"


def _reply_text(final: ChatCompletionResponse) -> str:
    if not final.choices or final.choices[0].message is None:
        return ""
    content = final.choices[0].message.content
    return content if isinstance(content, str) else ""


def stream_reply(
    client: MeshAPI, params: dict[str, Any], *, echo: bool = True
) -> tuple[ChatCompletionResponse, str | None]:
    """Stream one reply, writing its text to stdout as it comes (unless `echo` is off).

    Returns:
        The folded completion and the stream's request id.

    Raises:
        KeyboardInterrupt: if the user cancelled; the stream is closed by then.
    """
    printed = ""
    with client.chat.completions.stream(**params) as stream:
        if echo:
            for text in stream.text_stream():
                write_text(text)
                printed = text
        final = stream.get_final_completion()
    if echo and printed and not printed.endswith("\n"):
        write_text("\n")
    return final, stream.request_id


def _one_shot(
    client: MeshAPI, request: _Request, prompt: str, *, as_json: bool, usage: bool
) -> None:
    messages = [*request.opening(), {"role": "user", "content": prompt}]
    final, request_id = stream_reply(client, request.params(messages), echo=not as_json)
    if as_json:
        print_json(final)
    if usage:
        note(_usage_line(final, request_id))


def _session(client: MeshAPI, request: _Request, *, usage: bool) -> None:
    what = request.model or "the key's default model"
    note(f"Chatting with {what}. /exit or Ctrl-D to leave, Ctrl-C cancels a reply.")
    history = request.opening()
    while True:
        try:
            line = read_line(_PROMPT)
        except EOFError:
            click.echo(err=True)
            return
        except KeyboardInterrupt:
            # Ctrl-C at the prompt clears the line, as in a shell; it never ends the
            # session (that is what /exit and Ctrl-D are for).
            click.echo(err=True)
            continue
        text = line.strip()
        if not text:
            continue
        if text in ("/exit", "/quit"):
            return
        if text == "/reset":
            history = request.opening()
            note("(history cleared)")
            continue
        if text in ("/help", "/?") or re.fullmatch(r"/[a-z]+", text):
            # Exact slash words are commands; a prompt that merely starts with "/"
            # (a path, say) has spaces or other characters and is sent as it is.
            note(_HELP)
            continue
        turn = [*history, {"role": "user", "content": text}]
        try:
            final, request_id = stream_reply(client, request.params(turn))
        except KeyboardInterrupt:
            click.echo(err=True)
            note("(reply cancelled)")
            continue
        except MeshAPIError as exc:
            # A failed turn is reported and dropped; the session goes on, so a typo in
            # a template variable does not cost the conversation.
            report(exc, debug=current_settings().debug)
            continue
        history = [*turn, {"role": "assistant", "content": _reply_text(final)}]
        if usage:
            note(_usage_line(final, request_id))


@click.command("chat", short_help="Chat with a model (streamed; no PROMPT: a session).")
@click.argument("prompt", required=False)
@click.option("-m", "--model", metavar="MODEL", help="Model id (default: the key's default).")
@click.option("-s", "--system", metavar="TEXT", help="System prompt.")
@click.option(
    "-t",
    "--temperature",
    type=click.FloatRange(0, 2),
    metavar="T",
    help="Sampling temperature, 0-2.",
)
@click.option("--max-tokens", type=click.IntRange(min=1), metavar="N", help="Cap the reply length.")
@click.option("--template", metavar="NAME", help="A stored template, by name.")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="KEY=VALUE",
    help="A template variable (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final completion as JSON.")
@click.option("--usage", is_flag=True, help="Print tokens, cost and request id on stderr.")
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    help="Hold a session even when stdin is not a terminal (reads one prompt per line).",
)
@connection_options
def chat(
    prompt: str | None,
    model: str | None,
    system: str | None,
    temperature: float | None,
    max_tokens: int | None,
    template: str | None,
    variables: tuple[str, ...],
    as_json: bool,
    usage: bool,
    interactive: bool,
) -> None:
    """Chat with a model: stream the reply to PROMPT, or start a session.

    With no PROMPT and a terminal, opens a multi-turn session. When stdin is piped
    its text is the prompt (or comes before PROMPT).
    """
    request = _Request(
        model=model,
        system=system,
        temperature=temperature,
        max_tokens=max_tokens,
        template=template,
        variables=parse_pairs(variables, "--var"),
    )
    if interactive or (prompt is None and stdin_is_tty()):
        if prompt is not None:
            raise CliError("a session takes no PROMPT argument", exit_code=EXIT_USAGE)
        if as_json:
            raise CliError("--json prints one reply; it has no session mode", exit_code=EXIT_USAGE)
        with open_client() as client:
            _session(client, request, usage=usage)
        return
    text = resolve_prompt(prompt)
    if text is None or not text.strip():
        raise CliError("no prompt: pass one, or pipe one on stdin", exit_code=EXIT_USAGE)
    with open_client() as client:
        _one_shot(client, request, text, as_json=as_json, usage=usage)
