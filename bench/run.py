"""The benchmark run: every implementation, every scenario, side by side (issue 7).

    python bench/run.py [--reps N] [--only SCENARIO,...] [--peers-python PATH]

Starts the lean server (bench/server.py) in its own process, pinned to one core, and runs
each measurement as a fresh client process (bench/client.py) pinned to another: our
drivers and the floor with this interpreter (the project's .venv), the peers (`openai`,
`meshapi` 0.1.x) with the bench-only venv's. Medians over repetitions, ratios to the
floor of the same HTTP library, then `bench/results.json`, `docs/benchmarks.md` and the
chart `docs/benchmarks.png` (drawn by bench/chart.py in the bench venv, which has
matplotlib).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CLIENT = BENCH / "client.py"
SERVER = BENCH / "server.py"

OURS = ["meshapi-sync", "meshapi-async", "meshapi-trio", "meshapi-aiohttp"]
FLOORS = ["floor-httpx", "floor-httpx-async", "floor-httpx-trio", "floor-aiohttp"]
PEERS_SYNC = ["openai", "meshapi-0.1"]
PEERS_ASYNC = ["openai-async", "meshapi-0.1-async"]
PEERS = set(PEERS_SYNC + PEERS_ASYNC)

# The floor each implementation is compared with: the same HTTP library and I/O style.
FLOOR_OF = {
    "meshapi-sync": "floor-httpx",
    "meshapi-async": "floor-httpx-async",
    "meshapi-trio": "floor-httpx-trio",
    "meshapi-aiohttp": "floor-aiohttp",
    "openai": "floor-httpx",
    "meshapi-0.1": "floor-httpx",
    "openai-async": "floor-httpx-async",
    "meshapi-0.1-async": "floor-httpx-async",
}

# scenario -> (implementations, the headline metric, lower is better, repetitions factor)
NETWORK_SCENARIOS: dict[str, tuple[list[str], str, bool]] = {
    "unary": (OURS + FLOORS + PEERS_SYNC, "cpu_us_per_request", True),
    "stream": (OURS + FLOORS + PEERS_SYNC, "cpu_us_per_chunk", True),
    "models": (
        [
            "meshapi-sync",
            "meshapi-async",
            "meshapi-aiohttp",
            "floor-httpx",
            "floor-httpx-async",
            "floor-aiohttp",
            *PEERS_SYNC,
        ],
        "cpu_us_per_call",
        True,
    ),
    "fanout": (
        [
            "meshapi-async",
            "meshapi-trio",
            "meshapi-aiohttp",
            "floor-httpx-async",
            "floor-httpx-trio",
            "floor-aiohttp",
            *PEERS_ASYNC,
        ],
        "wall_s",
        True,
    ),
    "hold1000": (
        ["meshapi-async", "meshapi-trio", "meshapi-aiohttp", "floor-httpx-async", "floor-aiohttp"],
        "rss_growth_kb_per_stream",
        True,
    ),
    "seq30": (OURS + FLOORS + PEERS_SYNC, "new_connections", True),
}
# Deterministic counts need no repetitions; the 1,000-stream run is the slowest.
ONE_REP = {"seq30", "hold1000"}
DECODE_IMPLS = ["meshapi", "floor", "openai", "meshapi-0.1"]
DECODE_FLOOR = "floor"
# `import meshapi` resolves its names lazily, so what a program pays before its first
# call is measured too: `from meshapi import MeshAPI` (the client, its resources, httpx).
IMPORT_TARGETS = {
    "meshapi": ("ours", "import meshapi"),
    "meshapi: from meshapi import MeshAPI": ("ours", "from meshapi import MeshAPI"),
    "httpx": ("ours", "import httpx"),
    "openai": ("peers", "import openai"),
    "meshapi-0.1": ("peers", "import meshapi"),
}
SCENARIOS = [*NETWORK_SCENARIOS, "decode20k", "decode10m", "import"]
TIMEOUT = 300


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cores() -> tuple[int | None, int | None]:
    """(server core, client core): two different cores when the machine has them."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[-1], available[0]


def paired_order(impls: list[str], rep: int) -> list[str]:
    """The order of one repetition: each floor right beside the drivers measured against
    it (the floor first on even repetitions, last on odd ones), then everything else.

    The machine's speed drifts over seconds; runs made side by side see the same drift,
    so their ratio (see `summarise`) is steadier than a ratio of far-apart runs.
    """
    order: list[str] = []
    for floor in FLOORS:
        if floor not in impls:
            continue
        drivers = [i for i in OURS if i in impls and FLOOR_OF.get(i) == floor]
        order += [floor, *drivers] if rep % 2 == 0 else [*drivers, floor]
    return order + [i for i in impls if i not in order]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.reps: int = args.reps
        self.slow_peers: bool = args.slow_peers
        self.ours_python = sys.executable
        self.peers_python: str | None = args.peers_python
        self.server_core, self.client_core = cores()
        self.port = 0
        self.server: subprocess.Popen[bytes] | None = None
        self.samples: dict[str, dict[str, list[dict[str, Any]]]] = {}
        # The same samples by repetition, so that a ratio pairs runs made side by side.
        self.by_rep: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
        self.failures: dict[str, dict[str, str]] = {}
        self.aiohttp_ok = self._aiohttp_available()

    # -- processes ---------------------------------------------------------------------

    def _aiohttp_available(self) -> bool:
        probe = (
            "import meshapi_aiohttp; "
            "meshapi_aiohttp.AsyncMeshAPI(base_url='http://127.0.0.1:1', token='t')"
        )
        done = subprocess.run([self.ours_python, "-c", probe], capture_output=True, check=False)
        if done.returncode != 0:
            log("meshapi_aiohttp.AsyncMeshAPI does not import/work: leaving the aiohttp driver out")
        return done.returncode == 0

    def start_server(self) -> None:
        port_file = Path(tempfile.mkdtemp(prefix="meshapi-bench-")) / "port"
        command = [self.ours_python, str(SERVER), str(port_file)]
        if self.server_core is not None:
            command.append(str(self.server_core))
        self.server = subprocess.Popen(command)
        for _ in range(200):  # bounded: 20 s
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                return
            if self.server.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit("the benchmark server did not start")

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
            self.server = None

    def python_for(self, impl: str) -> str | None:
        return self.peers_python if impl in PEERS else self.ours_python

    def client(self, impl: str, scenario: str, extra: list[str] | None = None) -> dict[str, Any]:
        python = self.python_for(impl)
        if python is None:
            raise RuntimeError("no bench venv for the peers")
        command = [python, str(CLIENT), impl, scenario, "--port", str(self.port)]
        if self.client_core is not None:
            command += ["--cpu", str(self.client_core)]
        command += extra or []
        # Run from the bench folder: never put the checkout (and its `meshapi`) on a
        # peer's sys.path.
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=BENCH
        )
        if done.returncode != 0:
            raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1][:300])
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def record(self, scenario: str, impl: str, run: Any, rep: int = 0) -> None:
        try:
            sample = run()
        except Exception as exc:  # one failing implementation must not stop the run
            self.failures.setdefault(scenario, {})[impl] = str(exc)
            log(f"  {scenario:9} {impl:18} FAILED: {exc}")
            return
        self.samples.setdefault(scenario, {}).setdefault(impl, []).append(sample)
        self.by_rep.setdefault(scenario, {}).setdefault(impl, {})[rep] = sample
        log(f"  {scenario:9} {impl:18} {json.dumps(sample)[:150]}")

    # -- scenarios ---------------------------------------------------------------------

    def wanted(self, impl: str) -> bool:
        if impl == "meshapi-aiohttp" and not self.aiohttp_ok:
            return False
        return self.python_for(impl) is not None

    def run_network(self, scenario: str) -> None:
        impls, _, _ = NETWORK_SCENARIOS[scenario]
        reps = 1 if scenario in ONE_REP else self.reps
        for rep in range(reps):
            log(f"{scenario}: repetition {rep + 1}/{reps}")
            for impl in paired_order(impls, rep):
                if self.wanted(impl):
                    self.record(scenario, impl, lambda i=impl: self.client(i, scenario), rep)

    def run_decode(self, scenario: str) -> None:
        log(f"{scenario}: in-process decoding")
        for impl in DECODE_IMPLS:
            if not self.wanted(impl):
                continue
            # 0.1.x rescans its whole buffer on every piece: quadratic on one big event
            # (about 45 s for 10 MB), so it is timed once, and only when asked for.
            slow = scenario == "decode10m" and impl == "meshapi-0.1"
            if slow and not self.slow_peers:
                continue
            repeat = 1 if slow else 5
            extra = ["--repeat", str(repeat)]
            self.record(scenario, impl, lambda i=impl, e=extra: self.client(i, scenario, e))

    def run_import(self) -> None:
        log("import: fresh processes")
        code = (
            "import time; t = time.perf_counter(); {stmt}; print((time.perf_counter() - t) * 1000)"
        )
        for name, (env, stmt) in IMPORT_TARGETS.items():
            python = self.ours_python if env == "ours" else self.peers_python
            if python is None:
                continue
            runs = []
            for attempt in range(8):
                done = subprocess.run(
                    [python, "-c", code.format(stmt=stmt)],
                    capture_output=True,
                    text=True,
                    check=False,
                    cwd=BENCH,
                    timeout=60,
                )
                if done.returncode != 0:
                    self.failures.setdefault("import", {})[name] = done.stderr[-300:]
                    break
                if attempt:  # the first run may be writing .pyc files
                    runs.append(float(done.stdout.strip()))
            for ms in runs:
                self.samples.setdefault("import", {}).setdefault(name, []).append({"ms": ms})
            if runs:
                log(f"  import    {name:18} {statistics.median(runs):.1f} ms")


# -- summarising ----------------------------------------------------------------------


def median_of(samples: list[dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in samples if isinstance(s.get(key), int | float)]
    return statistics.median(values) if values else None


def _paired_ratios(bench: Bench, scenario: str, impl: str, floor: str) -> dict[str, float]:
    """Per metric, the median over repetitions of impl / floor within each repetition."""
    runs = bench.by_rep.get(scenario, {})
    mine, theirs = runs.get(impl, {}), runs.get(floor, {})
    reps = sorted(set(mine) & set(theirs))
    out: dict[str, float] = {}
    for key, value in mine[reps[0]].items() if reps else ():
        pairs = [
            mine[r][key] / theirs[r][key]
            for r in reps
            if isinstance(mine[r].get(key), int | float) and theirs[r].get(key)
        ]
        if pairs and isinstance(value, int | float):
            out[key] = statistics.median(pairs)
    return out


def summarise(bench: Bench) -> dict[str, Any]:
    medians: dict[str, dict[str, dict[str, float]]] = {}
    for scenario, by_impl in bench.samples.items():
        for impl, samples in by_impl.items():
            keys = {k for s in samples for k, v in s.items() if isinstance(v, int | float)}
            medians.setdefault(scenario, {})[impl] = {
                k: m for k in sorted(keys) if (m := median_of(samples, k)) is not None
            }
    ratios: dict[str, dict[str, dict[str, float]]] = {}
    for scenario, by_impl in medians.items():
        for impl, metrics in by_impl.items():
            floor_name = DECODE_FLOOR if scenario.startswith("decode") else FLOOR_OF.get(impl)
            floor = by_impl.get(floor_name or "")
            if floor is None or impl == floor_name:
                continue
            paired = _paired_ratios(bench, scenario, impl, floor_name or "")
            ratios.setdefault(scenario, {})[impl] = {
                k: paired.get(k, v / floor[k]) for k, v in metrics.items() if floor.get(k)
            }
    return {"medians": medians, "ratios": ratios}


def _get(d: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 7, per driver where it applies: value, limit, met."""
    m, r = summary["medians"], summary["ratios"]
    out: list[dict[str, Any]] = []

    def add(name: str, impl: str, value: Any, limit: float, op: str, unit: str = "×") -> None:
        met = None if value is None else (value <= limit if op == "<=" else value >= limit)
        out.append(
            {
                "target": name,
                "impl": impl,
                "value": value,
                "limit": limit,
                "op": op,
                "unit": unit,
                "met": met,
            }
        )

    drivers = [d for d in OURS if d in (_get(m, "stream") or {})] or OURS
    for impl in drivers:
        add(
            "stream CPU per chunk vs floor",
            impl,
            _get(r, "stream", impl, "cpu_us_per_chunk"),
            1.15,
            "<=",
        )
    for impl in drivers:
        add(
            "non-streaming CPU per request vs floor",
            impl,
            _get(r, "unary", impl, "cpu_us_per_request"),
            1.08,
            "<=",
        )
    for impl in ("meshapi-sync", "meshapi-async", "meshapi-aiohttp"):
        add(
            "models.list CPU per call vs floor",
            impl,
            _get(r, "models", impl, "cpu_us_per_call"),
            1.8,
            "<=",
        )
    add(
        "SSE decode to typed chunks, MB/s vs floor",
        "meshapi",
        _get(r, "decode20k", "meshapi", "mb_per_s"),
        0.9,
        ">=",
    )
    for impl in ("meshapi-async", "meshapi-trio", "meshapi-aiohttp"):
        add("200-stream fan-out wall vs floor", impl, _get(r, "fanout", impl, "wall_s"), 1.1, "<=")
        add(
            "200-stream fan-out RSS growth vs floor",
            impl,
            _get(r, "fanout", impl, "rss_growth_kb"),
            1.2,
            "<=",
        )
    for impl in OURS:
        add(
            "30 sequential streams: new connections",
            impl,
            _get(m, "seq30", impl, "new_connections"),
            1,
            "<=",
            "",
        )
    aio = _get(m, "fanout", "meshapi-aiohttp", "wall_s")
    hx = _get(m, "fanout", "meshapi-async", "wall_s")
    add(
        "aiohttp fan-out wall vs httpx async driver",
        "meshapi-aiohttp",
        aio / hx if aio and hx else None,
        0.8,
        "<=",
    )
    for impl in ("meshapi-async", "meshapi-trio", "meshapi-aiohttp"):
        done = _get(m, "hold1000", impl, "completed")
        per = _get(m, "hold1000", impl, "rss_growth_kb_per_stream")
        value = per if done == 1000 else None
        add("1,000 concurrent streams complete; RSS growth per stream", impl, value, 64, "<=", "KB")
    add("import meshapi", "meshapi", _get(m, "import", "meshapi", "ms"), 120, "<=", "ms")
    return out


# -- the report -----------------------------------------------------------------------

NOTES = [
    "The floor is what a careful hand-written client costs on the same library: the same "
    "requests, the body read to its end, `json.loads` of every `data:` line, no models, "
    "no SSE rules, no retries, no accumulation. A ratio is what the SDK adds on top.",
    "Every SSE event is its own HTTP chunk, as a gateway flushes them, so httpx hands over "
    "one event per read (aiohttp merges what has arrived): per-read costs dominate.",
    "Stream CPU includes folding every chunk into the final completion "
    "(`get_final_completion()` is always available), which the floor does not do.",
    "The 1,000-stream run holds every stream open (the server sends the first event, then "
    "waits until all 1,000 are open) so that their memory is really held at once.",
    "`import meshapi` resolves its names on first use; `from meshapi import MeshAPI` is "
    "what a program pays before its first call (httpx included: `import httpx` alone is "
    "shown; it also imports rich when rich is installed, as it is here).",
    "meshapi 0.1.x decodes a 10 MB event in quadratic time (it re-splits its whole "
    "buffer on every read: about 45 s here), so that cell is only timed, once, with "
    "`scripts/bench --slow-peers`. The 1,000-stream and 30-stream runs are done once.",
    "A typed chunk costs about 2 KB while it is held (three pydantic models, each with its "
    "field dict, fields-set and extras), where the floor keeps nothing of a parsed line: "
    "that is most of what an open stream of the SDK holds beyond the floor's.",
    "On a small shared virtual machine, timings move from run to run by more than the "
    "margins of some targets (the same CPU ratio has been seen 0.2× apart); compare ratios "
    "within one run, and read a ratio close to its limit as undecided by a single run.",
]

ROW_ORDER = OURS + PEERS_SYNC + PEERS_ASYNC + FLOORS + ["meshapi", "floor", "httpx"]
COLUMNS: list[tuple[str, str, str, str]] = [
    # (scenario, metric, heading, format)
    ("unary", "cpu_us_per_request", "non-streaming CPU µs/request", "{:.0f}"),
    ("stream", "cpu_us_per_chunk", "stream CPU µs/chunk", "{:.1f}"),
    ("models", "cpu_us_per_call", "models.list CPU µs/call", "{:.0f}"),
    ("fanout", "wall_s", "200×200 fan-out wall s", "{:.2f}"),
    ("fanout", "cpu_s", "fan-out CPU s", "{:.2f}"),
    ("fanout", "peak_rss_kb", "fan-out peak RSS MB", "kb"),
    ("fanout", "rss_growth_kb", "fan-out RSS growth MB", "kb"),
    ("hold1000", "rss_growth_kb_per_stream", "1,000 streams: KB/stream", "{:.1f}"),
    ("seq30", "new_connections", "30 streams: new conns", "{:.0f}"),
]


def _cell(summary: dict[str, Any], scenario: str, impl: str, metric: str, fmt: str) -> str:
    value = _get(summary["medians"], scenario, impl, metric)
    if value is None:
        return ""
    text = f"{value / 1024:.1f}" if fmt == "kb" else fmt.format(value)
    ratio = _get(summary["ratios"], scenario, impl, metric)
    if ratio is not None and metric != "new_connections":
        text += f" ({ratio:.2f}×)"
    return text


def markdown(report: dict[str, Any]) -> str:
    summary = report
    meta = report["meta"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench` (bench/run.py); do not edit by hand. Every number is a",
        f"median over {meta['reps']} repetitions (decoding: 5 timings, import: 7 processes), each",
        "in a fresh client process against a lean loopback server in its own process"
        + (
            f" (server pinned to CPU {meta['server_core']}, client to CPU {meta['client_core']})."
            if meta["client_core"] is not None
            else "."
        ),
        "Client CPU is `getrusage(RUSAGE_SELF)` of the client process; RSS is `VmRSS`/`VmHWM`.",
        "In parentheses: the ratio to the **floor** of the same HTTP library and I/O style (plain",
        "httpx or aiohttp with `json.loads` and lines split by hand, no models): the median,",
        "over the repetitions, of the ratio within each repetition, where the floor runs right",
        "beside the drivers measured against it (before them, then after, in turn).",
        "",
        f"Machine: {meta['machine']}; Python {meta['python']}; {meta['date']}; run took "
        f"{meta['elapsed_s']:.0f} s; load average {meta['load_average_before']:.1f} before, "
        f"{meta['load_average_after']:.1f} after (wall times suffer from other load first).",
        "",
        "![ratios to the floor](benchmarks.png)",
        "",
        "## Network scenarios",
        "",
        "| implementation | " + " | ".join(c[2] for c in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    impls = [i for i in ROW_ORDER if any(i in summary["medians"].get(s, {}) for s, *_ in COLUMNS)]
    for impl in impls:
        cells = [_cell(summary, s, impl, metric, fmt) for s, metric, _, fmt in COLUMNS]
        lines.append(f"| {impl} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Decoding alone and import",
        "",
        "| implementation | SSE decode, 20,000 events in 4 KB pieces, MB/s | one 10 MB event "
        "in 1 KB pieces, MB/s | import, ms |",
        "|---|---|---|---|",
    ]
    for impl in ["meshapi", "floor", "openai", "meshapi-0.1", *list(IMPORT_TARGETS)[1:3]]:
        cells = [
            _cell(summary, "decode20k", impl, "mb_per_s", "{:.1f}"),
            _cell(summary, "decode10m", impl, "mb_per_s", "{:.1f}"),
            _cell(summary, "import", impl, "ms", "{:.0f}"),
        ]
        if any(cells):
            lines.append(f"| {impl} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "`meshapi` rows are this checkout; `meshapi-0.1` is the 0.1.x package from the index",
        "and `openai` the official package, both in `bench/.venv-peers`.",
        "",
        "## Targets (issue 7)",
        "",
        "| target | driver | measured | limit | met |",
        "|---|---|---|---|---|",
    ]
    for t in report["targets"]:
        value = "n/a" if t["value"] is None else f"{t['value']:.3f}{t['unit']}"
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        lines.append(
            f"| {t['target']} | {t['impl']} | {value} | {t['op']} {t['limit']}{t['unit']} | {met} |"
        )
    if report["failures"]:
        lines += ["", "## Failures", ""]
        for scenario, by_impl in report["failures"].items():
            for impl, message in by_impl.items():
                lines.append(f"- {scenario} / {impl}: `{message}`")
    notes = report.get("notes") or []
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated scenarios")
    parser.add_argument("--peers-python", default=str(BENCH / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--out", default=str(BENCH / "results.json"))
    parser.add_argument("--docs", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--slow-peers", action="store_true", help="also time meshapi 0.1.x on the 10 MB event"
    )
    parser.add_argument(
        "--render-only", action="store_true", help="redraw the docs from --out, measure nothing"
    )
    args = parser.parse_args()
    args.peers_python = str(Path(args.peers_python).absolute())  # clients run in bench/
    if not Path(args.peers_python).exists():
        log(f"no bench venv at {args.peers_python}: the peers are left out")
        args.peers_python = None
    if args.render_only:
        report = json.loads(Path(args.out).read_text())
        report["targets"] = targets(report)
        report["notes"] = NOTES
        write_outputs(report, args)
        return
    chosen = [s for s in args.only.split(",") if s] or SCENARIOS
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    bench = Bench(args)
    if bench.client_core is not None:
        os.sched_setaffinity(
            0, {bench.server_core}
        )  # keep this waiting process off the client's core
    bench.start_server()
    try:
        for scenario in chosen:
            if scenario in NETWORK_SCENARIOS:
                bench.run_network(scenario)
            elif scenario.startswith("decode"):
                bench.run_decode(scenario)
            elif scenario == "import":
                bench.run_import()
            else:
                raise SystemExit(f"unknown scenario {scenario!r}; choose from {SCENARIOS}")
    finally:
        bench.stop_server()
    summary = summarise(bench)
    report: dict[str, Any] = {
        "meta": {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "server_core": bench.server_core,
            "client_core": bench.client_core,
            "reps": args.reps,
            "elapsed_s": time.monotonic() - started,
            # Other work on the machine skews wall times (CPU times much less): recorded.
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
            "scenarios": chosen,
        },
        **summary,
        "samples": bench.samples,
        "failures": bench.failures,
    }
    report["targets"] = targets(summary)
    report["notes"] = NOTES
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {args.out}")
    write_outputs(report, args)


def write_outputs(report: dict[str, Any], args: argparse.Namespace) -> None:
    if not args.no_docs:
        docs = Path(args.docs)
        docs.parent.mkdir(parents=True, exist_ok=True)
        docs.write_text(markdown(report))
        log(f"wrote {docs}")
        if args.peers_python:
            chart = docs.with_suffix(".png")
            subprocess.run(
                [args.peers_python, str(BENCH / "chart.py"), args.out, str(chart)],
                check=False,
                cwd=BENCH,
                timeout=120,
            )
    for t in report["targets"]:
        value = "n/a" if t["value"] is None else f"{t['value']:.3f}{t['unit']}"
        flag = {True: "met", False: "NOT MET", None: "n/a"}[t["met"]]
        log(f"{flag:8} {t['target']} [{t['impl']}]: {value} ({t['op']} {t['limit']}{t['unit']})")


if __name__ == "__main__":
    main()
