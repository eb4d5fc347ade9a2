"""`meshapi gateway`: the local development gateway, in the foreground.

    meshapi gateway --port 8000
    # in another shell, with the two lines it printed:
    export MESHAPI_BASE_URL=http://127.0.0.1:8000 MESHAPI_TOKEN=rsk_...
    meshapi chat "hello"

It is `meshapi.testing.MeshAPIGateway`: the tier-S gateway surface with deterministic
replies, no network and no cost. It runs until Ctrl-C, which exits with status 0.
`--token` (here or before the command) sets the key it accepts, so a fixed key can live
in a shell profile; by default it mints a fresh `rsk_` key per run.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType

import click

from ._config import current_settings, local_gateway, store_setting
from ._errors import CliError

__all__ = ["gateway"]


def _stop_on_sigterm() -> None:
    """Treat SIGTERM (`kill`, `docker stop`, a supervisor) like Ctrl-C: a clean stop.

    Only the main thread may set signal handlers; elsewhere (an embedding test runner)
    the default stays.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


@click.command("gateway")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="KEY",
    help="Accept this key (repeatable; default: a fresh rsk_ key).",
)
@click.option(
    "--debug",
    is_flag=True,
    default=False,
    expose_value=False,
    callback=store_setting("debug"),
    help="Print tracebacks.",
)
def gateway(host: str, port: int, tokens: tuple[str, ...]) -> None:
    """Run the local MeshAPI gateway until Ctrl-C."""
    settings = current_settings()
    keys = list(tokens) or ([settings.token] if settings.token else None)
    server = local_gateway(host=host, port=port, tokens=keys)
    try:
        server.start()
    except OSError as exc:
        # asyncio's bind message repeats the address; the errno's text says it all.
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise CliError(f"cannot listen on {host}:{port}: {reason}") from exc
    _stop_on_sigterm()
    try:
        click.echo(f"MeshAPI local gateway on {server.url}")
        click.echo(f"token: {server.token}")
        click.echo(f"export MESHAPI_BASE_URL={server.url} MESHAPI_TOKEN={server.token}")
        click.echo("press Ctrl-C to stop", err=True)
        while True:
            # Sleeping in the main thread keeps it interruptible: Ctrl-C arrives here as
            # KeyboardInterrupt while the gateway serves from its own thread.
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.close()
