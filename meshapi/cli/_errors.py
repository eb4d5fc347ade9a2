"""How the command line reports failures: one readable line, and an exit status.

    error: model_not_found: Unknown model 'x/y'. (request req_01JH7Z8K...)

Gateway and SDK errors (`MeshAPIError`) show their `error_code`, message and request id,
the three things a support ticket needs. Local problems (a missing key, a bad JSONL line,
an unreadable file) show a message. The exit status is 1, or 2 for usage errors as click
does it; a traceback is printed only with `--debug`, because a user who did not ask for
one has no use for it.
"""

from __future__ import annotations

import os
import re
import sys
import traceback

import click
from pydantic import ValidationError

from meshapi import MeshAPIError, RealtimeError

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_USAGE", "CliError", "describe", "report"]

EXIT_FAILURE = 1
EXIT_USAGE = 2
# 128 + SIGINT, what shells report for a command stopped with Ctrl-C.
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure the CLI itself detected, with the exit status it deserves.

    Args:
        message: One line, shown after `error: `.
        exit_code: 1 for failures, 2 for configuration and usage problems.
    """

    def __init__(self, message: str, *, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def _one_line(text: str) -> str:
    # Gateway messages may carry newlines (provider errors quoting bodies); the contract
    # here is one line per error.
    return re.sub(r"\s+", " ", text).strip()


def _validation_summary(exc: ValidationError) -> str:
    parts = []
    for problem in exc.errors()[:3]:
        where = ".".join(str(part) for part in problem.get("loc", ())) or "value"
        parts.append(f"{where}: {problem.get('msg', 'invalid')}")
    more = len(exc.errors()) - len(parts)
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def describe(exc: BaseException, *, debug: bool = False) -> tuple[str, int]:
    """The error line (without the `error: ` prefix) and the exit status for `exc`.

    Args:
        exc: What went wrong.
        debug: Whether a traceback is printed too (then the line needs no hint).
    """
    if isinstance(exc, CliError):
        return _one_line(exc.message), exc.exit_code
    if isinstance(exc, MeshAPIError):
        message = exc.message
        if isinstance(exc, RealtimeError):
            # RealtimeError's message already reads `realtime[<code>]: ...`; the code is
            # printed once, in the same place as for every other error.
            prefix = f"realtime[{exc.error_code}]: "
            message = message[len(prefix) :] if message.startswith(prefix) else message
        line = f"{exc.error_code}: {_one_line(message)}"
        if exc.request_id:
            line += f" (request {exc.request_id})"
        return line, EXIT_FAILURE
    if isinstance(exc, ValidationError):
        # Params models are strict (protocol.md §1.5): a value the options let through
        # but the model refuses is the caller's input, reported like any other.
        return f"invalid_params: {_validation_summary(exc)}", EXIT_FAILURE
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}", EXIT_FAILURE
    if isinstance(exc, ValueError):
        return _one_line(str(exc)), EXIT_FAILURE
    # Anything else is a bug in the CLI or the SDK; still one line unless --debug.
    hint = "" if debug else " (run with --debug for the traceback)"
    return f"internal: {type(exc).__name__}: {_one_line(str(exc))}{hint}", EXIT_FAILURE


def report(exc: BaseException, *, debug: bool) -> int:
    """Print `exc` on stderr as one `error:` line (after the traceback with `debug`).

    Returns:
        The exit status for the process.
    """
    if isinstance(exc, BrokenPipeError):
        # The reader went away (`meshapi models | head`): nothing left to tell anyone.
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_FAILURE
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    line, status = describe(exc, debug=debug)
    click.echo(click.style("error:", fg="red", bold=True) + " " + line, err=True)
    return status
