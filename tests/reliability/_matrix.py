"""The fault × driver → outcome table, filled by test_fault_matrix and printed at the end."""

from __future__ import annotations

from tests.client._harness import DRIVERS

__all__ = ["RESULTS", "record", "render"]

# fault id -> driver -> outcome text, in the order the tests ran.
RESULTS: dict[str, dict[str, str]] = {}


def record(fault: str, driver: str, outcome: str) -> None:
    RESULTS.setdefault(fault, {})[driver] = outcome


def render() -> str:
    """A Markdown table: one row per fault, one column per driver that ran."""
    drivers = [d for d in DRIVERS if any(d in row for row in RESULTS.values())]
    rows = [["fault", *drivers]]
    rows += [[fault, *(row.get(d, "—") for d in drivers)] for fault, row in RESULTS.items()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])
