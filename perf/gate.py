#!/usr/bin/env python3
"""The perf gate: measures the quick set, compares it with perf/baseline.json, fails on a regression.

    perf/gate.py quick                # make bench-quick: measure and print, judge nothing
    perf/gate.py check                # make perf-gate: measure, compare with perf/baseline.json
    perf/gate.py baseline [--runs N]  # make perf-baseline: measure N times (default 3), rewrite the baseline
    perf/gate.py judge DIR            # compare a measurement already on disk (DIR/results.json)

What it measures (docs/PERF.md, "Perf gate", says why):

* Allocation. A JMH run of our hot-path benchmarks (one fork each) with
  io.kvbm4j.perf.ThreadAllocationProfiler: alloc.worker.norm is what the benchmark thread (the
  manager's serving thread) allocates per operation. JMH's operation is a block (or a token), so the
  gate multiplies by the benchmark's operations per invocation to get bytes per call, and a call must
  allocate less than 1 byte: any allocation on every call is at least 16 bytes (one object header),
  JMH's residue is a thousandth of that. The figure is the median over the measured iterations but
  the last of the fork, which also runs the trial teardown (closing a manager allocates). This is
  what "exactly 0 B/op" means operationally.

* Speed, as ratios to peers. io.kvbm4j.perf.gate.PairedRatios runs ours and its peer in one JVM,
  alternating every 20 ms, and reports the median over rounds of the per-round ratio; the gate runs
  FORKS such JVMs per group, interleaved with the other groups, and takes the median over forks.
  A ratio fails when it exceeds baseline x (1 + tolerance); the tolerance is the larger of 25 % and
  twice the run-to-run spread the baseline measured.

A failure is measured again once (that benchmark, or that group of pairs), and the gate fails only
when the re-run fails too; the output says so. Exit status 0: pass; 1: a regression; 2: a usage or
measurement error. Needs the perf module built (the Makefile targets build it).
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
GROUPS = ["match", "allocate", "hashing", "metadata"]
FORKS = 3
PAIRED_ARGS = ["--warmup-ms", "5000", "--max-warmup-ms", "20000", "--rounds", "40", "--burst-ms", "20"]

# Allocation: our hot-path benchmarks, by the name the gate reports (Class.method[algorithm]).
ALLOCATION = [
    "MatchBenchmark.managerMatch",
    "MatchBenchmark.managerMatchRelease",
    "AllocateRegisterReleaseBenchmark.allocateFillCompleteRegisterRelease",
    "BlockHashingBenchmark.hashSequence[XXH3_128]",
    "MetadataHandlerBenchmark.handlerEvictRegister",
]
JMH_ARGS = ["-p", "fullRing=drain", "-p", "algorithm=XXH3_128", "-f", "1", "-wi", "3", "-i", "4",
            "-w", "1s", "-r", "1s", "-prof", "io.kvbm4j.perf.ThreadAllocationProfiler"]
ALLOC_LIMIT = 1.0  # bytes per call, exclusive

TOLERANCE_FLOOR = 0.25
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


def jmh_name(row):
    """Class.method, with [algorithm] when the benchmark has that parameter."""
    name = ".".join(row["benchmark"].split(".")[-2:])
    algorithm = (row.get("params") or {}).get("algorithm")
    return f"{name}[{algorithm}]" if algorithm else name


def jmh_regex(names):
    parts = []
    for name in names:
        name = name.split("[")[0]
        parts.append(r"\." + re.escape(name) + "$")
    return "|".join(parts)


def run_jmh(names, out_dir):
    """Runs the allocation benchmarks; returns {name: row of the JMH JSON}."""
    result = out_dir / "jmh.json"
    log = out_dir / "jmh.log"
    command = [str(ROOT / "perf" / "run-bench.sh"), jmh_regex(names), *JMH_ARGS, "-rf", "json", "-rff", str(result)]
    say(f"JMH allocation run, {len(names)} benchmarks (log: {log.relative_to(ROOT)})")
    with open(log, "w") as out:
        status = subprocess.call(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    if status != 0 or not result.is_file():
        tail = log.read_text(errors="replace").splitlines()[-30:]
        fail_usage("JMH run failed (exit %d): %s\n%s" % (status, " ".join(map(shlex.quote, command)), "\n".join(tail)))
    rows = {jmh_name(r): r for r in json.loads(result.read_text())}
    missing = [n for n in names if n not in rows]
    if missing:
        fail_usage(f"JMH produced no result for {missing}; see {log}")
    return rows


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


def measure(out_dir, groups=GROUPS, allocation=ALLOCATION, ops=None):
    """Measures the given groups' pairs and the given benchmarks' allocation; writes and returns results.

    ops: operations per call of allocation benchmarks whose group is not measured (a re-run)."""
    check_built()
    out_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    results = {"ratios": {}, "allocation": {}, "sides": {}, "load": {"before": load_before}}
    rows = run_jmh(allocation, out_dir) if allocation else {}
    forks = {}
    ops = dict(ops or {})
    for fork in range(1, FORKS + 1):
        for group in groups:
            data = run_paired(group, fork, out_dir)
            for name, pair in data["pairs"].items():
                forks.setdefault(name, []).append(pair)
            for name, side in data["sides"].items():
                ops[name] = side["opsPerInvocation"]
                entry = results["sides"].setdefault(name, {"nsPerOp": [], "allocBytesPerInvocation": []})
                entry["nsPerOp"].append(statistics.median(side["nsPerOp"]))
                entry["allocBytesPerInvocation"].append(statistics.median(side["allocBytesPerInvocation"]))
    for name, pairs in forks.items():
        ratios = [p["ratio"] for p in pairs]
        results["ratios"][name] = {
            "ratio": statistics.median(ratios),
            "forks": ratios,
            "quartiles": [[p["q1"], p["q3"]] for p in pairs],
            "ours": pairs[0]["ours"],
            "peer": pairs[0]["peer"],
        }
    for name in allocation:
        row = rows[name]
        per_fork = row["secondaryMetrics"]["alloc.worker.norm"]["rawData"]
        judged = [v for fork in per_fork for v in (fork[:-1] if len(fork) > 1 else fork)]
        norm = statistics.median(judged)
        per_call = ops[name]
        results["allocation"][name] = {
            "bytesPerCall": norm * per_call,
            "allocWorkerNorm": norm,
            "opsPerCall": per_call,
            "iterations": per_fork,
            "score": row["primaryMetric"]["score"],
            "scoreUnit": row["primaryMetric"]["scoreUnit"],
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
    if measured["bytesPerCall"] < ALLOC_LIMIT:
        return None
    return (f"{name} allocates {measured['bytesPerCall']:.1f} B per call on the serving thread "
            f"(alloc.worker.norm {measured['allocWorkerNorm']:.4f} B/op x {measured['opsPerCall']} ops per call); "
            f"limit < {ALLOC_LIMIT:g} B per call (baseline 0)")


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


def group_of(pair_name, results_dir):
    for path in results_dir.glob("pairs-*-1.json"):
        if pair_name in json.loads(path.read_text())["pairs"]:
            return path.name[len("pairs-"):-len("-1.json")]
    fail_usage(f"no group measures {pair_name}")


# ----------------------------------------------------------------------------------------------- reports

def print_table(results, baseline=None):
    print()
    print("| allocation (serving thread) | JMH score | alloc.worker.norm | B per call | limit |")
    print("|---|---|---|---|---|")
    for name, a in results["allocation"].items():
        print(f"| {name} | {a['score']:.1f} {a['scoreUnit']} | {a['allocWorkerNorm']:.4f} B/op | "
              f"{a['bytesPerCall']:.3f} | < {ALLOC_LIMIT:g} |")
    print()
    print("| ratio (ours / peer, time per op) | measured | forks | baseline | tolerance | spread |")
    print("|---|---|---|---|---|---|")
    for name, r in results["ratios"].items():
        entry = (baseline or {}).get("ratios", {}).get(name)
        base = (f"{entry['baseline']:.3f} | {entry['tolerance']:.2f} | {entry['spread']:.3f}" if entry
                else "- | - | -")
        print(f"| {name} | {r['ratio']:.3f} | {', '.join(f'{x:.3f}' for x in r['forks'])} | {base} |")
    print()
    print("| benchmark (paired runs) | ns/op, median of forks | alloc B/invocation |")
    print("|---|---|---|")
    for name, s in results["sides"].items():
        print(f"| {name} | {statistics.median(s['nsPerOp']):.1f} | "
              f"{statistics.median(s['allocBytesPerInvocation']):.1f} |")
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
        groups = sorted({group_of(name, first) for name in ratios})
        rerun = measure(again, groups=groups, allocation=sorted(allocation),
                        ops={name: a["opsPerCall"] for name, a in results["allocation"].items()})
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
                    f" (failed twice; first run {results['allocation'][name]['bytesPerCall']:.1f} B per call)"
            else:
                say(f"passed on the re-run: {name} allocates {rerun['allocation'][name]['bytesPerCall']:.3f} "
                    f"B per call (first run {results['allocation'][name]['bytesPerCall']:.1f})")
    for message in final.values():
        print(f"perf-gate: FAIL {message}", flush=True)
    verdict = "FAIL" if final else "PASS"
    say(f"{verdict}: {len(results['ratios'])} ratios, {len(results['allocation'])} allocation checks, "
        f"{time.monotonic() - START:.0f} s")
    return 1 if final else 0


def cmd_baseline(args):
    runs = []
    for run in range(1, args.runs + 1):
        say(f"baseline run {run} of {args.runs}")
        runs.append(measure(OUT / f"baseline-{run}"))
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
    allocation = {name: {"opsPerCall": runs[0]["allocation"][name]["opsPerCall"],
                         "bytesPerCallRuns": [round(r["allocation"][name]["bytesPerCall"], 4) for r in runs],
                         "limit": f"< {ALLOC_LIMIT:g} B per call"}
                  for name in runs[0]["allocation"]}
    baseline = {
        "about": "Perf gate baseline, written by make perf-baseline (perf/gate.py baseline); compared by make "
                 "perf-gate. Each ratio is ours / peer time per operation, the median over the runs of the "
                 "median over forks; spread = (max - min) / baseline over the runs; tolerance = max(floor, "
                 "spreadFactor x spread). Allocation is judged against the absolute limit, not the baseline. "
                 "See docs/PERF.md, 'Perf gate'.",
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "make perf-baseline" + (f" RUNS={args.runs}" if args.runs != 3 else ""),
        "machine": machine(),
        "jdk": jdk(),
        "load": [[round(x, 2) for x in r["load"]["before"][:1] + r["load"]["after"][:1]] for r in runs],
        "runs": args.runs,
        "forks": FORKS,
        "paired": " ".join(PAIRED_ARGS),
        "jmh": " ".join(JMH_ARGS),
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
    judge_parser = commands.add_parser("judge", help="compare DIR/results.json with the baseline")
    judge_parser.add_argument("dir")
    args = parser.parse_args()
    if args.command == "baseline" and args.runs < 3:
        fail_usage("the spread needs at least 3 runs")
    return {"quick": cmd_quick, "check": cmd_check, "baseline": cmd_baseline, "judge": cmd_judge}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
