"""The `meshapi` command group: every command, and the one place errors are reported.

`MeshGroup.invoke` wraps every command, so a failure anywhere below it (the SDK, the
gateway, a bad input file) becomes one `error:` line and an exit status, the same under
the console script, `python -m meshapi` and click's `CliRunner` in the tests.
"""

from __future__ import annotations

from typing import Any

import click

from meshapi import __version__

from ._batch import batch
from ._chat import chat
from ._compare import compare
from ._config import Settings, connection_options
from ._embed import embed
from ._errors import EXIT_INTERRUPTED, report
from ._gateway import gateway
from ._models import models
from ._rag import rag
from ._realtime import realtime
from ._templates import templates

__all__ = ["MeshGroup", "cli"]


class MeshGroup(click.Group):
    """A click group that reports errors as one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map whatever it raises to a message and an exit status."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: usage errors (status 2), explicit exits
        except KeyboardInterrupt:
            # Ctrl-C outside an interactive session stops the command, quietly and
            # with the status shells expect; the stream was closed on the way out.
            click.echo(err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            settings = ctx.find_object(Settings) or Settings()
            ctx.exit(report(exc, debug=settings.debug))


@click.group(
    "meshapi",
    cls=MeshGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="meshapi")
@connection_options
def cli() -> None:
    """The MeshAPI command line: one API in front of many LLMs.

    Configure with MESHAPI_TOKEN and MESHAPI_BASE_URL (or --token / --base-url), or add
    --local to any command to run it against an embedded local gateway.
    """


for command in (chat, compare, models, batch, templates, rag, embed, realtime, gateway):
    cli.add_command(command)
