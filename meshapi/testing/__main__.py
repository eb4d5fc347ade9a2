"""`python -m meshapi.testing`: serve the local gateway until interrupted.

Prints the URL and a token (or the `--token` values given), for humans and for other
processes (`MESHAPI_BASE_URL=<url> MESHAPI_TOKEN=<token> ...`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Sequence

from ._gateway import MeshAPIGateway
from ._state import GatewayTimings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m meshapi.testing",
        description="A local MeshAPI gateway (deterministic responses, no network, no cost).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000; 0: any)")
    parser.add_argument(
        "--token",
        action="append",
        default=None,
        help="accept this key (repeatable); by default one rsk_ key is generated",
    )
    parser.add_argument(
        "--clock-speed", type=float, default=1.0, help="gateway seconds per real second"
    )
    parser.add_argument(
        "--realtime-idle-timeout", type=float, default=30.0, help="realtime idle close (s)"
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    gateway = MeshAPIGateway(
        host=args.host,
        port=args.port,
        tokens=args.token,
        clock_speed=args.clock_speed,
        timings=GatewayTimings(realtime_idle_timeout=args.realtime_idle_timeout),
        max_recorded_requests=10_000,
        print_banner=True,
    )
    async with gateway:
        print("press Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
