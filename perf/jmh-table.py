#!/usr/bin/env python3
"""Prints a Markdown table from a JMH JSON result file: score, error, unit, and gc.alloc.rate.norm; with a
column for alloc.worker.norm (the benchmark thread's own allocation) when the run used
-prof io.kvbm4j.perf.ThreadAllocationProfiler.

Usage: perf/jmh-table.py RESULT.json
"""
import json
import sys


def number(value, digits):
    """value with the given decimals; JMH writes "NaN" (a string) for an error it could not compute."""
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) else str(value)


def table(rows):
    """The table's lines for the rows of a JMH JSON result."""
    worker = any("alloc.worker.norm" in (r.get("secondaryMetrics") or {}) for r in rows)
    head = "| benchmark | params | score | ± error | unit | alloc B/op |"
    rule = "|---|---|---|---|---|---|"
    if worker:
        head += " worker alloc B/op |"
        rule += "---|"
    lines = [head, rule]
    for r in rows:
        name = r["benchmark"].replace("io.kvbm4j.perf.", "")
        params = ", ".join(f"{k}={v}" for k, v in sorted((r.get("params") or {}).items()))
        m = r["primaryMetric"]
        secondary = r.get("secondaryMetrics") or {}
        cells = [name, params, number(m["score"], 2), number(m["scoreError"], 2), m["scoreUnit"]]
        for key in ["gc.alloc.rate.norm"] + (["alloc.worker.norm"] if worker else []):
            cells.append(number(secondary[key]["score"], 3) if key in secondary else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    print("\n".join(table(json.load(open(sys.argv[1])))))
