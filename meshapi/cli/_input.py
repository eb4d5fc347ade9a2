"""Reading what the user gives: prompts from arguments and pipes, KEY=VALUE options, lines.

Prompts follow the `llm` convention: `meshapi chat "prompt"` uses the argument;
`cat notes.txt | meshapi chat` uses stdin; `cat notes.txt | meshapi chat "summarise"`
sends the piped text followed by the prompt. stdin is read only when it is not a
terminal, so an interactive shell never blocks waiting for input nobody will type.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable
from typing import Any

import click

from ._errors import EXIT_USAGE, CliError

__all__ = ["parse_json_pairs", "parse_pairs", "read_line", "resolve_prompt", "stdin_is_tty"]

_readline_loaded = False


def stdin_is_tty() -> bool:
    """Whether stdin is an interactive terminal (False for pipes, files and tests)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced by something minimal
        return False


def resolve_prompt(prompt: str | None) -> str | None:
    """The prompt to send: the argument, piped stdin, or both (stdin first).

    Returns:
        None when there is no argument and stdin is a terminal (the caller decides:
        an interactive session, or a usage error).
    """
    if stdin_is_tty():
        return prompt
    piped = sys.stdin.read()
    if not piped.strip():
        return prompt
    piped = piped.rstrip("\n")
    return piped if prompt is None else f"{piped}\n\n{prompt}"


def parse_pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """`KEY=VALUE` options into a dict (later keys win).

    Raises:
        CliError: (exit status 2) for an item without `=` or with an empty key.
    """
    result: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"{option} expects KEY=VALUE, got {item!r}", exit_code=EXIT_USAGE)
        result[key.strip()] = value
    return result


def parse_json_pairs(values: Iterable[str], option: str) -> dict[str, Any]:
    """`KEY=VALUE` options whose values are JSON when they parse (`n=3`, `x=true`).

    A value that is not JSON stays a string, so `team=hr` needs no quoting.
    """
    result: dict[str, Any] = {}
    for key, raw in parse_pairs(values, option).items():
        try:
            result[key] = json.loads(raw)
        except ValueError:
            result[key] = raw
    return result


def read_line(prompt: str) -> str:
    """One line typed by the user, with line editing and history on a terminal.

    Raises:
        EOFError: at the end of input (Ctrl-D, or the end of a pipe).
        KeyboardInterrupt: on Ctrl-C.
    """
    global _readline_loaded
    if not _readline_loaded and stdin_is_tty():
        _readline_loaded = True
        # Importing readline is what gives input() arrow keys and history; it is absent
        # on some platforms, where plain input() still works.
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401
    if stdin_is_tty():
        return input(prompt)
    # Not a terminal (a pipe, a test): echo the prompt to stderr so stdout keeps only
    # the replies, and read the line ourselves.
    click.echo(prompt, nl=False, err=True)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")
