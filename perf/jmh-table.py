#!/usr/bin/env python3
"""Prints a Markdown table from a JMH JSON result file: score, error, unit, and gc.alloc.rate.norm.

Usage: perf/jmh-table.py RESULT.json
"""
import json
import sys

rows = json.load(open(sys.argv[1]))
print("| benchmark | params | score | ± error | unit | alloc B/op |")
print("|---|---|---|---|---|---|")
for r in rows:
    name = r["benchmark"].replace("io.kvbm4j.perf.", "")
    params = ", ".join(f"{k}={v}" for k, v in sorted((r.get("params") or {}).items()))
    m = r["primaryMetric"]
    alloc = (r.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm")
    a = f"{alloc['score']:.3f}" if alloc else "-"
    print(f"| {name} | {params} | {m['score']:.2f} | {m['scoreError']:.2f} | {m['scoreUnit']} | {a} |")
