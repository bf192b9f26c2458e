#!/usr/bin/env python3
"""The driver of `make bench-compare`: AgentLedger against the OpenAI Agents SDK.

For each workload (a, g = a --advanced, b1, b100, c) and each repetition it runs the SDK
harness (Benchmarks/sdk_bench.py) and then the AgentLedger harness (`agentledger bench`),
each as its own process writing one JSON object, so that both see the same machine noise.
Then it prints machine information and ONE table with the median of every figure on each
side (the highest value for errors and descriptor counts), their ratio (> 1 means AgentLedger is better), the range of the ratios within each
repetition (whose two runs ran back to back) and the issue's target with PASS/MISS on the
ratio of the medians.
Raw and median results go to .build/bench-compare.json, the table as Markdown to
.build/bench-compare.md (for BENCHMARKS.md).

    python Benchmarks/compare.py [--reps 3] [--duration 5] [--only sdk|agentledger]
                                 [--workloads a,g,b1,b100,c] [--tmpdir DIR]

Standard library only; the SDK harness is run with --python (default: this interpreter).
See Benchmarks/README.md for the JSON contract between the two harnesses.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_cli import one_repetition

REPO = Path(__file__).resolve().parent.parent
SDK_HARNESS = REPO / "Benchmarks" / "sdk_bench.py"
SIDES = ("sdk", "agentledger")

RATE, TIME, COUNT = "rate", "time", "count"


@dataclass(frozen=True)
class Workload:
    """One row group of the table: which harness workload to run, with which flag."""

    name: str  # as shown in the table
    harness_workload: str  # the --workload value passed to both harnesses
    advanced: bool
    description: str


@dataclass(frozen=True)
class Figure:
    """One JSON key and how to compare it.

    kind RATE: higher is better, ratio = AgentLedger / SDK.
    kind TIME: lower is better, ratio = SDK / AgentLedger.
    kind COUNT: reported side by side, no ratio (errors, descriptors); the highest value over
    the repetitions rather than the median.
    target: the ratio the issue asks of AgentLedger, or None.
    """

    key: str
    label: str
    kind: str
    target: float | None = None


WORKLOADS = {
    "a": Workload("a", "a", False, "30 writers + 10 readers (limit 10), SQLiteSession"),
    "g": Workload("g", "a", True, "(a) with AdvancedSQLiteSession (turns, branches)"),
    "b1": Workload("b1", "b1", False, "1 writer, 1 item per awaited call"),
    "b100": Workload("b100", "b100", False, "1 writer, 100 items per awaited call"),
    "c": Workload("c", "c", False, "reads on a 10,000-item session (median per call)"),
}

_CONCURRENT = [
    Figure("write_p50_ms", "write p50 ms", TIME),
    Figure("write_p99_ms", "write p99 ms", TIME),
    Figure("read_p50_ms", "read p50 ms", TIME),
    Figure("read_p99_ms", "read p99 ms", TIME),
    Figure("errors", "errors", COUNT),
    Figure("fds_start", "open fds start", COUNT),
    Figure("fds_peak", "open fds peak", COUNT),
    Figure("fds_end", "open fds end", COUNT),
]

# The targets: (a) >= 25x writes/s and 10x reads/s; (g) >= 100x; (b) >= 2x with
# 1 item per call, 1.5x with 100 items per call; (c) >= 3x faster.
FIGURES = {
    "a": [
        Figure("writes_per_s", "writes/s", RATE, 25),
        Figure("reads_per_s", "reads/s", RATE, 10),
        *_CONCURRENT,
    ],
    "g": [
        Figure("writes_per_s", "writes/s", RATE, 100),
        Figure("reads_per_s", "reads/s", RATE),
        *_CONCURRENT,
    ],
    "b1": [
        Figure("calls_per_s", "calls/s", RATE, 2),
        Figure("items_per_s", "items/s", RATE),
    ],
    "b100": [
        Figure("calls_per_s", "calls/s", RATE),
        Figure("items_per_s", "items/s", RATE, 1.5),
    ],
    "c": [
        Figure("last20_ms", "items(limit: 20) ms", TIME, 3),
        Figure("all_ms", "all items ms", TIME, 3),
    ],
}


# ---------------------------------------------------------------------------------------
# Running the harnesses


def harness_command(side: str, workload: Workload, args: argparse.Namespace, seed: int,
                    out: Path) -> list[str]:
    """The command line of one repetition on one side (the contract in the README)."""
    common = [
        "--workload", workload.harness_workload,
        "--duration", f"{args.duration:g}",
        "--seed", str(seed),
        "--out", str(out),
    ]
    if workload.advanced:
        common.append("--advanced")
    if side == "sdk":
        return [args.python, str(SDK_HARNESS), *common]
    return [str(args.binary), "bench", *common, *one_repetition(args.binary)]


def run_harness(side: str, workload: Workload, args: argparse.Namespace, seed: int,
                scratch: Path) -> dict[str, Any]:
    """Runs one repetition; returns its JSON object, or {"failed": reason} on any failure."""
    out = scratch / f"{workload.name}-{side}-{seed}.json"
    command = harness_command(side, workload, args, seed, out)
    env = dict(os.environ)
    if args.tmpdir is not None:
        env["TMPDIR"] = str(args.tmpdir)  # both Python's tempfile and Foundation honour it
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True,
            timeout=args.duration + args.timeout,
        )
    except subprocess.TimeoutExpired:
        return {"failed": f"timed out after {args.duration + args.timeout:g} s",
                "command": shlex.join(command)}
    except OSError as exc:
        return {"failed": f"could not start: {exc}", "command": shlex.join(command)}
    wall = time.monotonic() - started
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        return {"failed": f"exit status {completed.returncode}: " + " | ".join(tail),
                "command": shlex.join(command)}
    try:
        result = json.loads(out.read_text())
    except (OSError, ValueError) as exc:
        return {"failed": f"no readable JSON in {out}: {exc}", "command": shlex.join(command)}
    if not isinstance(result, dict):
        return {"failed": f"{out} holds no JSON object", "command": shlex.join(command)}
    if result.get("workload") != workload.harness_workload or \
            bool(result.get("advanced", False)) != workload.advanced:
        print(f"  warning: {side} reported workload={result.get('workload')!r} "
              f"advanced={result.get('advanced')!r}", file=sys.stderr)
    if completed.stderr.strip():
        result["stderr"] = completed.stderr.strip()[-2000:]
    result["wall_s"] = wall
    return result


def summary_line(workload: str, result: dict[str, Any]) -> str:
    """A short progress line for one finished run."""
    if "failed" in result:
        return "FAILED: " + result["failed"]
    parts = [f"{f.label} {format_value(result.get(f.key), f)}"
             for f in FIGURES[workload][:2] if f.key in result]
    if "errors" in result:
        parts.append(f"errors {result['errors']}")
    return ", ".join(parts) + f"  ({result['wall_s']:.1f} s)"


# ---------------------------------------------------------------------------------------
# Figures, medians, ratios


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    """Median of one key over the runs that reported it (failed runs report nothing)."""
    values = [run[key] for run in runs if isinstance(run.get(key), (int, float))]
    return statistics.median(values) if values else None


def summary_of(runs: list[dict[str, Any]], figure: Figure) -> float | None:
    """A figure over the repetitions: the median, or for a count (errors, descriptors) the
    highest value, so that one repetition's errors or descriptor spike is not voted away."""
    if figure.kind != COUNT:
        return median_of(runs, figure.key)
    values = [run[figure.key] for run in runs if isinstance(run.get(figure.key), (int, float))]
    return max(values) if values else None


def ratio(figure: Figure, sdk: float | None, ours: float | None) -> float | None:
    """> 1 means AgentLedger is better: ours/sdk for rates, sdk/ours for times."""
    if figure.kind == COUNT or sdk is None or ours is None:
        return None
    numerator, denominator = (ours, sdk) if figure.kind == RATE else (sdk, ours)
    if denominator == 0:
        return float("inf") if numerator > 0 else None
    return numerator / denominator


def paired_ratios(figure: Figure, sdk_runs: list[dict[str, Any]],
                  our_runs: list[dict[str, Any]]) -> list[float]:
    """The ratio within each repetition: the two sides' runs of one repetition ran back to
    back, so their ratio shares that moment's machine noise. Repetitions where either side
    failed are left out."""
    ratios = []
    for sdk_run, our_run in zip(sdk_runs, our_runs):
        sdk, ours = sdk_run.get(figure.key), our_run.get(figure.key)
        if isinstance(sdk, (int, float)) and isinstance(ours, (int, float)):
            r = ratio(figure, sdk, ours)
            if r is not None:
                ratios.append(r)
    return ratios


def format_spread(values: list[float]) -> str:
    """min–max of the per-repetition ratios ("-" when there are none)."""
    if not values:
        return "-"
    low, high = min(values), max(values)
    return format_ratio(low) if low == high else f"{format_ratio(low)}–{format_ratio(high)}"


def verdict(figure: Figure, value: float | None) -> str:
    if figure.target is None:
        return ""
    if value is None:
        return f">= {figure.target:g}x  -"
    return f">= {figure.target:g}x  {'PASS' if value >= figure.target else 'MISS'}"


def format_value(value: float | None, figure: Figure) -> str:
    if value is None:
        return "-"
    if figure.kind == RATE:
        return f"{value:,.0f}"
    if figure.kind == COUNT:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_ratio(value: float | None, target: float | None = None) -> str:
    """The ratio to 2 decimals (1 from 10x up); to 3 when rounding would hide that it misses
    `target` (1.997 against 2 prints 1.997x, not 2.00x)."""
    if value is None:
        return "-"
    if value == float("inf"):
        return "inf"
    text = f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"
    if target is not None and value < target <= float(text[:-1]):
        text = f"{value:.3f}x"
    return text


def build_rows(results: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """One row per (workload, figure), medians over the repetitions on each side."""
    rows = []
    for name, by_side in results.items():
        for figure in FIGURES[name]:
            sdk = summary_of(by_side["sdk"], figure)
            ours = summary_of(by_side["agentledger"], figure)
            r = ratio(figure, sdk, ours)
            per_rep = paired_ratios(figure, by_side["sdk"], by_side["agentledger"])
            rows.append({
                "workload": name, "figure": figure.label, "key": figure.key,
                "kind": figure.kind, "sdk": sdk, "agentledger": ours, "ratio": r,
                "ratios_per_repetition": per_rep,
                "target": figure.target,
                "pass": None if figure.target is None or r is None else r >= figure.target,
                "text": [name, figure.label, format_value(sdk, figure),
                         format_value(ours, figure), format_ratio(r, figure.target),
                         format_spread(per_rep),
                         verdict(figure, r)],
            })
    return rows


HEADER = ["workload", "figure", "SDK", "AgentLedger", "ratio", "per repetition", "target"]


def plain_table(rows: list[dict[str, Any]]) -> str:
    cells = [HEADER] + [row["text"] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    right = {2, 3, 4, 5}
    lines = []
    for index, line in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i in right else c.ljust(w)
                               for i, (c, w) in enumerate(zip(line, widths))).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|--:|--:|--:|--:|---|"]
    lines += ["| " + " | ".join(row["text"]) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Machine information


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def filesystem_of(path: Path) -> str:
    """`<device> <fstype>` of the mount holding `path` (fsync cost depends on it)."""
    try:
        best = ("", "unknown", "unknown")
        target = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount_point, fstype = line.split()[:3]
            inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
            if inside and len(mount_point) >= len(best[0]):
                best = (mount_point, device, fstype)
        return f"{best[2]} ({best[1]} on {best[0]})"
    except (OSError, ValueError):
        return "unknown"


def version_of(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
        text = (out.stdout or out.stderr).strip()
        return text.splitlines()[0] if out.returncode == 0 and text else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def machine_info(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(args.tmpdir) if args.tmpdir is not None else Path(tempfile.gettempdir())
    info = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": f"{platform.system()} {platform.release()}",
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "temp_dir": f"{tmp} on {filesystem_of(tmp)}",
    }
    if args.only != "agentledger":
        info["python"] = version_of([args.python, "-c", "import sys; print(sys.version)"])
        info["sdk"] = version_of([
            args.python, "-c",
            "import importlib.metadata as m; print('openai-agents', m.version('openai-agents'))"])
    if args.only != "sdk":
        info["agentledger"] = version_of([str(args.binary), "--version"])
        info["commit"] = version_of(["git", "-C", str(REPO), "describe", "--always", "--dirty"])
    info["command"] = "python Benchmarks/compare.py " + shlex.join(sys.argv[1:])
    return info


# ---------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Alternate the OpenAI Agents SDK and AgentLedger on the bench-compare "
                    "workloads and print one table of medians and ratios.")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per side (default 3)")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per timed run (default 5)")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of repetition 1; repetition k uses seed+k-1 on both sides")
    parser.add_argument("--workloads", default="a,g,b1,b100,c",
                        help="comma-separated subset of a,g,b1,b100,c (default all)")
    parser.add_argument("--only", choices=SIDES, help="run one side only")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter with openai-agents installed (default: this one)")
    parser.add_argument("--binary", type=Path, default=REPO / ".build/release/agentledger",
                        help="the AgentLedger CLI (default .build/release/agentledger)")
    parser.add_argument("--tmpdir", type=Path,
                        help="TMPDIR for both harnesses (their stores go there); "
                             "default: the system's")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed per run beyond --duration (default 300)")
    parser.add_argument("--out-json", type=Path, default=REPO / ".build/bench-compare.json")
    parser.add_argument("--out-md", type=Path, default=REPO / ".build/bench-compare.md")
    args = parser.parse_args(argv)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown or not args.workloads:
        parser.error(f"unknown workload(s) {unknown}; choose from {','.join(WORKLOADS)}")
    if args.reps < 1 or args.duration <= 0:
        parser.error("--reps must be >= 1 and --duration > 0")
    args.binary = args.binary.absolute()  # the harnesses run with the repository as cwd
    if args.only != "sdk" and not os.access(args.binary, os.X_OK):
        parser.error(f"{args.binary} is missing or not executable: build it with "
                     "`make release`, or pass --only sdk")
    if args.tmpdir is not None:
        args.tmpdir = args.tmpdir.resolve()
        args.tmpdir.mkdir(parents=True, exist_ok=True)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sides = [args.only] if args.only else list(SIDES)
    info = machine_info(args)
    print("bench-compare: OpenAI Agents SDK vs AgentLedger")
    for key, value in info.items():
        print(f"  {key}: {value}")
    print(f"  runs: {args.reps} repetition(s) x {args.duration:g} s per workload and side, "
          f"{' then '.join(sides)}\n", flush=True)

    results = {name: {side: [] for side in SIDES} for name in args.workloads}
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
        for name in args.workloads:
            workload = WORKLOADS[name]
            print(f"[{name}] {workload.description}", file=sys.stderr, flush=True)
            for rep in range(1, args.reps + 1):
                seed = args.seed + rep - 1
                for side in sides:
                    result = run_harness(side, workload, args, seed, Path(scratch))
                    result.update(rep=rep, seed=seed)
                    failures += "failed" in result
                    results[name][side].append(result)
                    print(f"  rep {rep} {side:<11} {summary_line(name, result)}",
                          file=sys.stderr, flush=True)

    rows = build_rows(results)
    table = plain_table(rows)
    print("\n" + table)
    if failures:
        print(f"\n{failures} run(s) failed; their figures are missing from the medians "
              f"(details in {args.out_json}).")

    report = {
        "machine": info,
        "settings": {"reps": args.reps, "duration_s": args.duration, "seed": args.seed,
                     "workloads": args.workloads, "sides": sides},
        "medians": [{k: v for k, v in row.items() if k != "text"} for row in rows],
        "runs": results,
    }
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(report, indent=2) + "\n")
    machine_lines = "\n".join(f"- {key}: `{value}`" if key == "command" else f"- {key}: {value}"
                              for key, value in info.items())
    args.out_md.write_text(
        "## OpenAI Agents SDK vs AgentLedger (`make bench-compare`)\n\n"
        f"{machine_lines}\n"
        f"- runs: medians of {args.reps} alternating repetition(s) of {args.duration:g} s "
        "(errors and descriptors: the highest); "
        "ratio > 1 means AgentLedger is better (AgentLedger/SDK for rates, "
        "SDK/AgentLedger for times); \"per repetition\" is the range of the ratios of the two "
        "sides' back-to-back runs, the verdict is on the ratio of the medians\n\n"
        f"{markdown_table(rows)}\n")
    print(f"\nwrote {args.out_json} and {args.out_md}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
