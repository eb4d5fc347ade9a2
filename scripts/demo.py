"""The quick-start demo: the `meshapi` command line against an embedded local gateway.

Runs two commands, each with `--local` (which starts `meshapi.testing.MeshAPIGateway` on
127.0.0.1 for that command, with its own key), and shows each command line first so it
can be copied:

    meshapi chat "Write a haiku about Python." -m openai/gpt-4o-mini --local --usage
    meshapi compare "What is the capital of France?" -m openai/gpt-4o-mini \\
        -m anthropic/claude-haiku-4.5 --local

The local gateway's chat stream is paced (MESHAPI_LOCAL_STREAM_DELAY) so the reply is
seen arriving word by word, as from a real model; `--fast` turns that off.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence

CHAT = ["chat", "Write a haiku about Python.", "-m", "openai/gpt-4o-mini", "--local", "--usage"]
COMPARE = [
    "compare",
    "What is the capital of France?",
    "-m",
    "openai/gpt-4o-mini",
    "-m",
    "anthropic/claude-haiku-4.5",
    "--local",
]
# Seconds between chunks of the local gateway's chat stream while the demo runs.
PACING = "0.08"


def _run(args: list[str], env: dict[str, str]) -> None:
    print(f"$ meshapi {shlex.join(args)}", flush=True)
    # The installed CLI, through the interpreter running this script (the .venv one
    # under scripts/demo), so it works before the console script is on PATH. stdin is
    # closed because `meshapi chat` reads a piped stdin as part of the prompt, and a CI
    # runner's stdin may be a pipe that never ends.
    subprocess.run(
        [sys.executable, "-m", "meshapi", *args], env=env, check=True, stdin=subprocess.DEVNULL
    )
    print(flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="do not pace the chat stream")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("MESHAPI_LOCAL_STREAM_DELAY", "0" if args.fast else PACING)
    try:
        _run(CHAT, env)
        _run(COMPARE, env)
    except subprocess.CalledProcessError as failed:
        return failed.returncode or 1
    except KeyboardInterrupt:
        return 130
    print("More: meshapi --help, and docs/cli.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
