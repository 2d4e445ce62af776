#!/usr/bin/env python3
"""The perf gate: measures the quick set, compares it with perf/baseline.json, fails on a regression.

    perf/gate.py quick                # make bench-quick: measure and print, judge nothing
    perf/gate.py check                # make perf-gate: measure, compare with perf/baseline.json
    perf/gate.py baseline [--runs N]  # make perf-baseline: measure N times (default 3), rewrite the baseline
    perf/gate.py judge DIR            # compare a measurement already on disk (DIR/results.json)

What it measures (docs/PERF.md, "Perf gate", says why), all with io.kvbm4j.perf.gate.PairedRatios,
which runs ours and its peer in one JVM, alternating every 20 ms (--burst-ms), after a warm-up that lasts
until every pair's ratio is steady:

* Speed, as ratios to peers. Per pair, the median over rounds of the per-round ratio ours/peer (time
  per operation); the gate runs FORKS such JVMs per group, interleaved with the other groups, and takes
  the median over forks. A ratio fails when it exceeds baseline x (1 + tolerance); the tolerance is the
  larger of TOLERANCE_FLOOR and SPREAD_FACTOR x the run-to-run spread the baseline measured.

* Allocation on the hot paths (the sides named in ALLOCATION). Every invocation's heap allocation on
  the calling thread (the manager's serving thread) is read with getCurrentThreadAllocatedBytes(),
  exact to the byte, just outside the timed window (helpers and harness not counted). The figure is,
  per fork, the median over rounds of bytes per invocation, and the gate takes the largest over forks:
  it must be exactly 0. An allocation on every call, or on one call in a thousand, is in every 20 ms
  round and fails; a one-off (class loading, a deoptimisation) in a few rounds is reported, not failed.

A failure is measured again once (that group of pairs), and the gate fails only when the re-run fails
too; the output says so. Exit status 0: pass; 1: a regression; 2: a usage or measurement error. Needs
the perf module built (the Makefile targets build it).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "perf" / "target" / "perf-gate"
BASELINE = ROOT / "perf" / "baseline.json"
JAR = ROOT / "perf" / "target" / "kvbm4j-perf.jar"
JVM_OPTIONS = ROOT / "perf" / "target" / "classes" / "jvm.options"

# Paired ratios: the groups of io.kvbm4j.perf.gate.GatePairs, JVMs per group, and each JVM's schedule.
GROUPS = ["match", "allocate", "hashing", "metadata", "copy", "policy"]
FORKS = 3
PAIRED_ARGS = ["--warmup-ms", "3000", "--max-warmup-ms", "20000", "--rounds", "24", "--burst-ms", "20"]

# Allocation: our hot-path sides (PairedRatios side names), each must allocate exactly 0 bytes per call.
ALLOCATION = [
    "MatchBenchmark.managerMatch",
    "MatchBenchmark.managerMatchRelease",
    "AllocateRegisterReleaseBenchmark.allocateFillCompleteRegisterRelease",
    "AllocateRegisterReleaseBenchmark.allocateCommitRelease",
    "BlockHashingBenchmark.hashSequence[XXH3_128]",
    "MetadataHandlerBenchmark.handlerEvictRegister",
    "HostCopyBenchmark.hostSlotCopy",
    "PolicyAccessBenchmark.access[lru]",
    "PolicyAccessBenchmark.access[lfuda]",
    "PolicyAccessBenchmark.access[tinylfu]",
    "PolicyAccessBenchmark.access[prefix]",
]

TOLERANCE_FLOOR = 0.40  # the widest run-to-run spread seen under load (docs/PERF.md, "Perf gate")
SPREAD_FACTOR = 2.0

START = time.monotonic()


def say(message):
    print(f"perf-gate: [{time.monotonic() - START:5.0f} s] {message}", flush=True)


def fail_usage(message):
    print(f"perf-gate: ERROR {message}", file=sys.stderr, flush=True)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------- measuring

def java():
    return os.environ.get("JAVA", "java")


def check_built():
    if not JAR.is_file() or not JVM_OPTIONS.is_file():
        fail_usage(f"{JAR.relative_to(ROOT)} is missing: build with "
                   "'mvn -B -q -pl perf -am package -DskipTests' (make perf-gate does)")


def run_paired(group, fork, out_dir):
    result = out_dir / f"pairs-{group}-{fork}.json"
    log = out_dir / f"pairs-{group}-{fork}.log"
    flags = JVM_OPTIONS.read_text().split()
    classpath = f"{JAR}{os.pathsep}{ROOT / 'perf' / 'target' / 'lib' / '*'}"
    command = [java(), *flags, "-cp", classpath, "io.kvbm4j.perf.gate.PairedRatios", group, *PAIRED_ARGS,
               "--out", str(result)]
    with open(log, "w") as out:
        status = subprocess.call(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    if status != 0 or not result.is_file():
        tail = log.read_text(errors="replace").splitlines()[-30:]
        fail_usage("PairedRatios failed (exit %d): %s\n%s" % (status, " ".join(map(shlex.quote, command)),
                                                              "\n".join(tail)))
    data = json.loads(result.read_text())
    warmup = f"warm-up {data['warmupMs'] / 1000:.1f} s" + ("" if data["steady"] else " NOT STEADY")
    say(f"{group} {fork}/{FORKS}: " + ", ".join(f"{name.split('.', 1)[1]} {p['ratio']:.3f}"
                                                for name, p in data["pairs"].items()) + f" ({warmup})")
    return data


def measure(out_dir, groups=GROUPS):
    """Measures the given groups' pairs and sides; writes and returns the results."""
    check_built()
    out_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    results = {"ratios": {}, "allocation": {}, "sides": {}, "groups": {}, "load": {"before": load_before}}
    forks = {}
    for fork in range(1, FORKS + 1):
        for group in groups:
            data = run_paired(group, fork, out_dir)
            for name, pair in data["pairs"].items():
                forks.setdefault(name, []).append(pair)
                results["groups"][name] = group
            for name, side in data["sides"].items():
                results["groups"][name] = group
                alloc = side["allocBytesPerInvocation"]
                entry = results["sides"].setdefault(name, {"opsPerInvocation": side["opsPerInvocation"],
                                                           "nsPerOp": [], "allocMedian": [], "allocMax": []})
                entry["nsPerOp"].append(statistics.median(side["nsPerOp"]))
                entry["allocMedian"].append(statistics.median(alloc))
                entry["allocMax"].append(max(alloc))
    for name, pairs in forks.items():
        ratios = [p["ratio"] for p in pairs]
        results["ratios"][name] = {
            "ratio": statistics.median(ratios),
            "forks": ratios,
            "quartiles": [[p["q1"], p["q3"]] for p in pairs],
            "ours": pairs[0]["ours"],
            "peer": pairs[0]["peer"],
        }
    for name in ALLOCATION:
        side = results["sides"].get(name)
        if side is None:
            continue
        results["allocation"][name] = {
            "bytesPerInvocation": max(side["allocMedian"]),
            "forks": side["allocMedian"],
            "maxRound": max(side["allocMax"]),
            "opsPerInvocation": side["opsPerInvocation"],
        }
    results["load"]["after"] = os.getloadavg()
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


# ----------------------------------------------------------------------------------------------- judging

def tolerance_of(entry):
    return max(TOLERANCE_FLOOR, SPREAD_FACTOR * entry["spread"])


def judge_ratio(name, measured, baseline):
    """None when within tolerance, else the failure message."""
    entry = baseline["ratios"].get(name)
    if entry is None:
        return f"{name} has no baseline in {BASELINE.relative_to(ROOT)}; run make perf-baseline"
    base = entry["baseline"]
    tolerance = entry["tolerance"]
    limit = base * (1 + tolerance)
    if measured["ratio"] > limit:
        return (f"{name} ratio {measured['ratio']:.2f} > baseline {base:.2f} x (1 + tolerance {tolerance:.2f}) "
                f"(spread {entry['spread']:.2f}; forks {', '.join(f'{r:.2f}' for r in measured['forks'])})")
    return None


def judge_allocation(name, measured):
    if measured["bytesPerInvocation"] == 0:
        return None
    return (f"{name} allocates {measured['bytesPerInvocation']:.1f} B per call on the serving thread "
            f"(median round of the worst fork; forks {', '.join(f'{b:.1f}' for b in measured['forks'])}; "
            f"{measured['opsPerInvocation']} ops per call); baseline 0 B, limit exactly 0")


def judge(results, baseline):
    """(failed ratios, failed allocations): {name: message}."""
    ratios = {}
    for name, measured in results["ratios"].items():
        message = judge_ratio(name, measured, baseline)
        if message:
            ratios[name] = message
    for name in baseline["ratios"]:
        if name not in results["ratios"] and not results.get("partial"):
            ratios[name] = f"{name} is in the baseline but was not measured"
    allocation = {}
    for name, measured in results["allocation"].items():
        message = judge_allocation(name, measured)
        if message:
            allocation[name] = message
    return ratios, allocation


# ----------------------------------------------------------------------------------------------- reports

def print_table(results, baseline=None):
    print()
    print("| allocation (serving thread) | B per call, median round, per fork | worst round | limit |")
    print("|---|---|---|---|")
    for name, a in results["allocation"].items():
        print(f"| {name} | {', '.join(f'{b:.1f}' for b in a['forks'])} | {a['maxRound']:.1f} | 0 |")
    print()
    print("| ratio (ours / peer, time per op) | measured | forks | baseline | tolerance | spread |")
    print("|---|---|---|---|---|---|")
    for name, r in results["ratios"].items():
        entry = (baseline or {}).get("ratios", {}).get(name)
        base = (f"{entry['baseline']:.3f} | {entry['tolerance']:.2f} | {entry['spread']:.3f}" if entry
                else "- | - | -")
        print(f"| {name} | {r['ratio']:.3f} | {', '.join(f'{x:.3f}' for x in r['forks'])} | {base} |")
    print()
    print("| benchmark (paired runs) | ns/op, median of forks | alloc B/call, median round |")
    print("|---|---|---|")
    for name, side in results["sides"].items():
        print(f"| {name} | {statistics.median(side['nsPerOp']):.1f} | {statistics.median(side['allocMedian']):.1f} |")
    print()
    before, after = results["load"]["before"], results["load"]["after"]
    print(f"load average before {before[0]:.2f}, after {after[0]:.2f}; raw results under "
          f"{OUT.relative_to(ROOT)}")
    print(flush=True)


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / (1 << 20):.0f} GiB"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}{memory}, {platform.system()} {platform.machine()}"


def jdk():
    try:
        out = subprocess.run([java(), "-version"], capture_output=True, text=True).stderr.splitlines()
        return out[1] if len(out) > 1 else out[0]
    except OSError:
        return "unknown"


def load_baseline():
    if not BASELINE.is_file():
        fail_usage(f"{BASELINE.relative_to(ROOT)} is missing; run make perf-baseline")
    return json.loads(BASELINE.read_text())


# ---------------------------------------------------------------------------------------------- commands

def cmd_quick(_args):
    results = measure(OUT / "quick")
    print_table(results, json.loads(BASELINE.read_text()) if BASELINE.is_file() else None)
    say("done")
    return 0


def cmd_check(_args):
    baseline = load_baseline()
    first = OUT / "check"
    results = measure(first)
    print_table(results, baseline)
    ratios, allocation = judge(results, baseline)
    for name, message in {**ratios, **allocation}.items():
        say(f"over the limit, measuring again: {message}")
    final = {}
    if ratios or allocation:
        again = OUT / "check-rerun"
        groups = [g for g in GROUPS if g in {results["groups"][name] for name in {**ratios, **allocation}}]
        say(f"re-running {', '.join(groups)}")
        rerun = measure(again, groups=groups)
        rerun["partial"] = True
        ratios2, allocation2 = judge(rerun, baseline)
        for name in ratios:
            if name in ratios2:
                final[name] = ratios2[name] + f" (failed twice; first run {results['ratios'][name]['ratio']:.2f})"
            else:
                say(f"passed on the re-run: {name} ratio {rerun['ratios'][name]['ratio']:.2f} "
                    f"(first run {results['ratios'][name]['ratio']:.2f})")
        for name in allocation:
            if name in allocation2:
                final[name] = allocation2[name] + \
                    f" (failed twice; first run {results['allocation'][name]['bytesPerInvocation']:.1f} B per call)"
            else:
                say(f"passed on the re-run: {name} allocates {rerun['allocation'][name]['bytesPerInvocation']:.1f} "
                    f"B per call (first run {results['allocation'][name]['bytesPerInvocation']:.1f})")
    for message in final.values():
        print(f"perf-gate: FAIL {message}", flush=True)
    verdict = "FAIL" if final else "PASS"
    say(f"{verdict}: {len(results['ratios'])} ratios, {len(results['allocation'])} allocation checks, "
        f"{time.monotonic() - START:.0f} s")
    return 1 if final else 0


def cmd_baseline(args):
    runs = []
    sources = []
    for run in range(1, args.runs + 1):
        say(f"baseline run {run} of {args.runs}")
        runs.append(measure(OUT / f"baseline-{run}"))
        sources.append(f"measured: {(OUT / f'baseline-{run}').relative_to(ROOT)}")
    for directory in args.include:
        data = json.loads((Path(directory) / "results.json").read_text())
        if data.get("partial") or set(data["ratios"]) != set(runs[0]["ratios"] if runs else data["ratios"]):
            fail_usage(f"{directory}: not a full quick-set measurement of the same pairs")
        runs.append(data)
        sources.append(f"included: {directory}")
    if len(runs) < 3:
        fail_usage("the spread needs at least 3 runs (--runs plus --include)")
    ratios = {}
    for name in runs[0]["ratios"]:
        figures = [r["ratios"][name]["ratio"] for r in runs]
        base = statistics.median(figures)
        entry = {
            "ours": runs[0]["ratios"][name]["ours"],
            "peer": runs[0]["ratios"][name]["peer"],
            "baseline": round(base, 4),
            "runs": [round(f, 4) for f in figures],
            "forks": [[round(f, 4) for f in r["ratios"][name]["forks"]] for r in runs],
            "spread": round((max(figures) - min(figures)) / base, 4),
        }
        entry["tolerance"] = round(tolerance_of(entry), 4)
        ratios[name] = entry
    allocation = {name: {"opsPerInvocation": runs[0]["allocation"][name]["opsPerInvocation"],
                         "bytesPerInvocationRuns": [r["allocation"][name]["bytesPerInvocation"] for r in runs],
                         "limit": "exactly 0 B per call (median round of the worst fork)"}
                  for name in runs[0]["allocation"]}
    baseline = {
        "about": "Perf gate baseline, written by make perf-baseline (perf/gate.py baseline); compared by make "
                 "perf-gate. Each ratio is ours / peer time per operation, the median over the runs of the "
                 "median over forks; spread = (max - min) / baseline over the runs; tolerance = max(floor, "
                 "spreadFactor x spread). Allocation is judged against the absolute limit of exactly 0 B per call, not the baseline. "
                 "See docs/PERF.md, 'Perf gate'.",
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": ("make perf-baseline" + (f" RUNS={args.runs}" if args.runs != 3 else "")) if not args.include
        else "perf/gate.py baseline --runs " + str(args.runs) + "".join(f" --include {d}" for d in args.include),
        "machine": machine(),
        "jdk": jdk(),
        "load": [[round(x, 2) for x in r["load"]["before"][:1] + r["load"]["after"][:1]] for r in runs],
        "runs": len(runs),
        "sources": sources,
        "forks": FORKS,
        "paired": " ".join(PAIRED_ARGS),
        "toleranceFloor": TOLERANCE_FLOOR,
        "spreadFactor": SPREAD_FACTOR,
        "ratios": ratios,
        "allocation": allocation,
    }
    BASELINE.write_text(json.dumps(baseline, indent=2) + "\n")
    print_table(runs[-1], baseline)
    for name, entry in ratios.items():
        say(f"{name}: baseline {entry['baseline']:.3f}, runs {entry['runs']}, spread {entry['spread']:.3f}, "
            f"tolerance {entry['tolerance']:.2f}")
    say(f"wrote {BASELINE.relative_to(ROOT)}")
    return 0


def cmd_judge(args):
    baseline = load_baseline()
    results = json.loads((Path(args.dir) / "results.json").read_text())
    print_table(results, baseline)
    ratios, allocation = judge(results, baseline)
    for message in {**ratios, **allocation}.values():
        print(f"perf-gate: FAIL {message} (one run, not re-run)")
    return 1 if ratios or allocation else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("quick", help="measure the quick set and print it (make bench-quick)")
    commands.add_parser("check", help="measure and compare with perf/baseline.json (make perf-gate)")
    baseline = commands.add_parser("baseline", help="measure N times, rewrite perf/baseline.json")
    baseline.add_argument("--runs", type=int, default=3)
    baseline.add_argument("--include", action="append", default=[], metavar="DIR",
                          help="also count DIR/results.json (an earlier full measurement of the same code) as a run")
    judge_parser = commands.add_parser("judge", help="compare DIR/results.json with the baseline")
    judge_parser.add_argument("dir")
    args = parser.parse_args()
    if args.command == "baseline" and args.runs < 0:
        fail_usage("--runs must be >= 0")
    return {"quick": cmd_quick, "check": cmd_check, "baseline": cmd_baseline, "judge": cmd_judge}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
