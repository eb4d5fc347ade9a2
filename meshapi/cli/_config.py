"""Where a command's gateway and key come from, and the options that set them.

Resolution, highest first:

1. `--local`: an embedded local gateway (`meshapi.testing.MeshAPIGateway`) started for
   this one command, with its own key; `MESHAPI_TOKEN` / `MESHAPI_BASE_URL` are ignored.
2. `--token` / `--base-url`.
3. `MESHAPI_TOKEN` / `MESHAPI_BASE_URL` (an empty value counts as unset, as in the SDK).
4. The SDK default base URL, `https://api.meshapi.ai`.

The connection options (`--token`, `--base-url`, `--local`, `--debug`) are accepted both
before the command (`meshapi --local chat hi`) and after it (`meshapi chat hi --local`),
because people type them in both places. They land in one `Settings` object shared by
the whole invocation; a value given on the command wins over one given before it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from meshapi import MeshAPI

from ._errors import EXIT_USAGE, CliError

if TYPE_CHECKING:
    from meshapi.testing import MeshAPIGateway

__all__ = [
    "LOCAL_STREAM_DELAY_ENV",
    "Settings",
    "connection_options",
    "current_settings",
    "local_gateway",
    "open_client",
    "store_setting",
]

F = TypeVar("F", bound=Callable[..., Any])

# Seconds between chunks of chat streams on the `--local` gateway. Its replies arrive in
# a burst by default; the demo slows them down so the streaming is visible.
LOCAL_STREAM_DELAY_ENV = "MESHAPI_LOCAL_STREAM_DELAY"


@dataclass
class Settings:
    """The connection settings of one invocation (see the module docstring)."""

    token: str | None = None
    base_url: str | None = None
    local: bool = False
    debug: bool = False


def current_settings() -> Settings:
    """The invocation's `Settings` (created on first use)."""
    return click.get_current_context().ensure_object(Settings)


def store_setting(field: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """An option callback that records a given value in the invocation's `Settings`."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        # Only a value actually given is stored, so `meshapi --local chat hi` is not
        # undone by the command-level `--local` defaulting to False.
        if value is not None and value is not False:
            setattr(ctx.ensure_object(Settings), field, value)
        return value

    return callback


def connection_options(function: F) -> F:
    """Add `--token`, `--base-url`, `--local` and `--debug` to a command or group."""
    options = [
        click.option(
            "--token",
            metavar="KEY",
            default=None,
            expose_value=False,
            callback=store_setting("token"),
            help="API key (default: $MESHAPI_TOKEN).",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            default=None,
            expose_value=False,
            callback=store_setting("base_url"),
            help="Gateway URL (default: $MESHAPI_BASE_URL, else https://api.meshapi.ai).",
        ),
        click.option(
            "--local",
            is_flag=True,
            default=False,
            expose_value=False,
            callback=store_setting("local"),
            help="Run against an embedded local gateway started for this command.",
        ),
        click.option(
            "--debug",
            is_flag=True,
            default=False,
            expose_value=False,
            callback=store_setting("debug"),
            help="Print tracebacks and the SDK's retry/fallback lines.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value or None


def local_gateway(**kwargs: Any) -> MeshAPIGateway:
    """A `MeshAPIGateway` (not started), or a `CliError` naming the missing extra."""
    try:
        from meshapi.testing import GatewayTimings, MeshAPIGateway
    except ImportError as exc:
        raise CliError(
            f"the local gateway needs aiohttp ({exc.name} is missing): pip install 'meshapi[cli]'"
        ) from exc
    delay = _env(LOCAL_STREAM_DELAY_ENV)
    if delay is not None and "timings" not in kwargs:
        try:
            kwargs["timings"] = GatewayTimings(stream_chunk_delay=float(delay))
        except ValueError:
            raise CliError(
                f"{LOCAL_STREAM_DELAY_ENV} must be a number of seconds, not {delay!r}",
                exit_code=EXIT_USAGE,
            ) from None
    return MeshAPIGateway(**kwargs)


@contextmanager
def open_client(settings: Settings | None = None) -> Iterator[MeshAPI]:
    """A blocking `MeshAPI` client for one command, closed (with its gateway) at the end.

    Raises:
        CliError: (exit status 2) when no key is configured, or `--local` is combined
            with an explicit gateway.
    """
    settings = settings or current_settings()
    if settings.local:
        if settings.base_url is not None or settings.token is not None:
            raise CliError(
                "--local starts its own gateway with its own key; "
                "drop --base-url/--token or drop --local",
                exit_code=EXIT_USAGE,
            )
        with (
            local_gateway() as gateway,
            MeshAPI(base_url=gateway.url, token=gateway.token, debug=settings.debug) as client,
        ):
            yield client
        return
    token = settings.token or _env("MESHAPI_TOKEN")
    if token is None:
        raise CliError(
            "no API key: set MESHAPI_TOKEN or pass --token (or try --local)",
            exit_code=EXIT_USAGE,
        )
    base_url = settings.base_url or _env("MESHAPI_BASE_URL")
    with MeshAPI(base_url=base_url, token=token, debug=settings.debug) as client:
        yield client
