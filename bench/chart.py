"""Draw docs/benchmarks.png from bench/results.json (run in bench/.venv-peers: matplotlib).

    python bench/chart.py bench/results.json docs/benchmarks.png

One group of bars per scenario, one bar per implementation: its ratio to the floor of
the same HTTP library (1.0 = the floor). For throughput (MB/s) the ratio is inverted so
that, everywhere, shorter is better.
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

GROUPS = [
    ("stream", "cpu_us_per_chunk", "stream\nCPU/chunk", False),
    ("unary", "cpu_us_per_request", "non-streaming\nCPU/request", False),
    ("models", "cpu_us_per_call", "models.list\nCPU/call", False),
    ("decode20k", "mb_per_s", "SSE decode\n(floor MB/s ÷ MB/s)", True),
    ("fanout", "wall_s", "200-stream\nfan-out wall", False),
    ("fanout", "rss_growth_kb", "fan-out\nRSS growth", False),
]
SERIES = [
    # Sync httpx where the scenario is sequential, asyncio httpx for the fan-out.
    ("meshapi over httpx", {"meshapi-sync", "meshapi-async", "meshapi"}, "#1f6feb"),
    ("meshapi aiohttp", {"meshapi-aiohttp"}, "#54aeff"),
    ("meshapi 0.1.x", {"meshapi-0.1", "meshapi-0.1-async"}, "#9a6700"),
    ("openai", {"openai", "openai-async"}, "#cf222e"),
]
# Where a scenario has both a sync and an async row for a series, which one is drawn.
_SYNC = ("meshapi-sync", "meshapi-0.1", "openai")
PREFER = {
    "stream": _SYNC,
    "unary": _SYNC,
    "models": _SYNC,
    "fanout": ("meshapi-async", "meshapi-0.1-async", "openai-async"),
}


def pick(ratios: dict, scenario: str, names: set[str]) -> tuple[str, dict] | None:
    rows = ratios.get(scenario, {})
    preferred = [n for n in PREFER.get(scenario, ()) if n in names and n in rows]
    others = sorted(n for n in names if n in rows and n not in preferred)
    for name in preferred + others:
        return name, rows[name]
    return None


def main() -> None:
    with open(sys.argv[1]) as file:
        results = json.load(file)
    ratios = results["ratios"]
    fig, ax = plt.subplots(figsize=(11, 5.2), dpi=110)
    width = 0.8 / len(SERIES)
    for s, (label, names, colour) in enumerate(SERIES):
        xs, ys = [], []
        for g, (scenario, metric, _, invert) in enumerate(GROUPS):
            found = pick(ratios, scenario, names)
            if found is None or metric not in found[1]:
                continue
            value = found[1][metric]
            xs.append(g + (s - (len(SERIES) - 1) / 2) * width)
            ys.append(1 / value if invert else value)
        bars = ax.bar(xs, ys, width, label=label, color=colour)
        for bar, y in zip(bars, ys, strict=True):
            ax.annotate(
                f"{y:.2f}",
                (bar.get_x() + bar.get_width() / 2, y),
                ha="center",
                va="bottom",
                fontsize=7,
                xytext=(0, 2),
                textcoords="offset points",
            )
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_yscale("log")
    ax.set_xticks(range(len(GROUPS)))
    ax.set_xticklabels([g[2] for g in GROUPS], fontsize=9)
    ax.set_ylabel("× the floor (log scale; lower is better)")
    ax.set_title("meshapi vs the raw floor and the peers (ratios to the floor, medians)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
