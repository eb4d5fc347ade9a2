"""`python -m meshapi`: the `meshapi` command line (needs the `cli` extra)."""

from __future__ import annotations

from meshapi.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
