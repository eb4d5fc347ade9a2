"""The `meshapi` command line (the `cli` extra: `pip install 'meshapi[cli]'`).

    meshapi chat "Write a haiku about Python" -m openai/gpt-4o-mini
    meshapi compare "Capital of France?" -m openai/gpt-4o-mini -m anthropic/claude-haiku-4.5
    meshapi models --free
    meshapi chat --local            # against an embedded local gateway, no key needed

`main()` is the console script (`meshapi`) and `python -m meshapi`. The library never
imports this package, and this module imports click, rich and the commands only inside
`main()`, so a missing extra is reported as one line rather than an ImportError at
import time. See docs/cli.md for the command reference.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Args:
        argv: The arguments after the program name; `sys.argv[1:]` when None.

    Returns:
        0 on success, 1 when the command failed, 2 for usage errors, 130 after Ctrl-C.
    """
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as exc:
        sys.stderr.write(
            f"error: the meshapi command needs the 'cli' extra ({exc.name} is missing): "
            "pip install 'meshapi[cli]'\n"
        )
        return 1
    from ._app import cli

    # In standalone mode click never returns: it always leaves through SystemExit.
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=True)
    except SystemExit as exit_:
        # click always exits with an int status (None meaning 0).
        return exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
