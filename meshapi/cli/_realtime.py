"""`meshapi realtime`: a text-mode realtime session (protocol.md §6.6).

    meshapi realtime -m openai/gpt-realtime-mini

Each line typed is sent as a user `conversation.item.create` followed by
`response.create`; the reply's `response.output_text.delta` fragments are printed as
they arrive, until `response.done`. A gateway that answers only in audio still shows
text: when a response brings no text deltas, its audio transcript is printed at
`response.done`. The session asks for text output (`session.update` with
`output_modalities: ["text"]`), which a text terminal is for.

Error events (`RealtimeError`) are printed as `error:` lines and the session goes on,
as the protocol allows; the end of the connection ends the command. Ctrl-C during a
reply sends `response.cancel`, skips the rest of that response and returns to the
prompt. `/exit` or Ctrl-D leave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from meshapi import RealtimeError

from ._config import connection_options, current_settings, open_client
from ._errors import CliError, report
from ._input import read_line
from ._render import note, write_text

if TYPE_CHECKING:
    from meshapi import RealtimeSession

__all__ = ["realtime"]

_DEFAULT_MODEL = "openai/gpt-realtime-mini"
_PROMPT = "> "
# Seconds to wait for `session.created` / `session.updated`: a gateway that accepted the
# upgrade answers at once (§6.6), so a long silence is a fault worth reporting. Replies
# have no such bound; a model may take as long as it takes.
_HANDSHAKE_WAIT = 30.0


def _wait_for(session: RealtimeSession, wanted: str) -> None:
    """Read until an event of type `wanted`; an error event raises its RealtimeError.

    A bad key or an unknown model surfaces here: the gateway accepts the upgrade and
    then sends an error event (§6.6), which becomes the command's one error line.
    """
    while True:
        event = session.receive(timeout=_HANDSHAKE_WAIT).event
        if event is not None and event.get("type") == wanted:
            return


class _Conversation:
    """One session's turns, and the cancelled responses still to be skipped.

    Every `response.create` yields exactly one `response.done` (the protocol gives a
    cancelled response one too, with status `cancelled`), and responses do not
    overlap. So after a Ctrl-C the events of the cancelled response are recognised by
    counting: until its `response.done` has gone by, nothing is printed.
    """

    def __init__(self, session: RealtimeSession) -> None:
        self.session = session
        self.to_skip = 0

    def turn(self, text: str) -> None:
        """Send one user line and print the reply; Ctrl-C cancels the reply."""
        self.session.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": text}],
                },
            }
        )
        self.session.send({"type": "response.create"})
        try:
            self._reply()
        except KeyboardInterrupt:
            self.to_skip += 1
            self.session.send({"type": "response.cancel"})
            click.echo(err=True)
            note("(reply cancelled)")

    def _reply(self) -> None:
        """Print one response's text as it streams, up to its `response.done`."""
        printed = False
        transcript: list[str] = []
        ended_with_newline = True
        while True:
            try:
                event = self.session.receive().event
            except RealtimeError as exc:
                if exc.error_code == "connection_closed":
                    raise
                # An error event leaves the session usable (§6.6), but this response
                # will not finish: report it and hand the prompt back.
                if printed and not ended_with_newline:
                    write_text("\n")
                report(exc, debug=current_settings().debug)
                return
            if event is None:
                continue
            kind = event.get("type")
            if kind == "response.done" and self.to_skip:
                self.to_skip -= 1  # the end of a cancelled response, not of ours
                continue
            if self.to_skip:
                continue
            delta = event.get("delta")
            if kind == "response.output_text.delta" and isinstance(delta, str):
                write_text(delta)
                printed = True
                ended_with_newline = delta.endswith("\n")
            elif kind == "response.output_audio_transcript.delta" and isinstance(delta, str):
                transcript.append(delta)
            elif kind == "response.done":
                if not printed and transcript:
                    text = "".join(transcript)
                    write_text(text)
                    printed = True
                    ended_with_newline = text.endswith("\n")
                if printed and not ended_with_newline:
                    write_text("\n")
                return


@click.command("realtime")
@click.option(
    "-m",
    "--model",
    default=_DEFAULT_MODEL,
    show_default=True,
    metavar="MODEL",
    help="Realtime model id.",
)
@click.option("-s", "--system", metavar="TEXT", help="Session instructions.")
@connection_options
def realtime(model: str, system: str | None) -> None:
    """Type to a realtime model and see its streamed text replies."""
    with open_client() as client, client.realtime.connect(model=model) as session:
        _wait_for(session, "session.created")
        update: dict[str, Any] = {"type": "realtime", "output_modalities": ["text"]}
        if system:
            update["instructions"] = system
        session.send({"type": "session.update", "session": update})
        _wait_for(session, "session.updated")
        conversation = _Conversation(session)
        note(f"Realtime session with {model}. /exit or Ctrl-D to leave, Ctrl-C cancels a reply.")
        while True:
            try:
                line = read_line(_PROMPT)
            except EOFError:
                click.echo(err=True)
                return
            except KeyboardInterrupt:
                click.echo(err=True)
                continue
            text = line.strip()
            if not text:
                continue
            if text in ("/exit", "/quit"):
                return
            try:
                conversation.turn(text)
            except RealtimeError as exc:
                if exc.error_code == "connection_closed":
                    raise CliError("the gateway closed the session") from exc
                raise
