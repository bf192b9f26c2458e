#!/usr/bin/env python3
"""Two builds of AgentLedger side by side: the writer's profile and throughput, alternating.

A change to the write path is judged by running the binary before it and the binary after it
in turns (ABAB...), so that both see the same machine noise, each with
`agentledger bench --profile-writer`. Thread CPU time per group commit moves far less with the
noise than throughput does, so it shows a change of a few percent that writes/s cannot.

    swift build -c release && cp .build/release/agentledger /tmp/al-new
    git stash && swift build -c release && cp .build/release/agentledger /tmp/al-old && git stash pop
    python3 Benchmarks/ab.py /tmp/al-old /tmp/al-new [--reps 3] [--duration 3]
                             [--workloads a,g,b1,b100,a30,g30]

Prints, per workload and binary, the medians over the repetitions: the rate (writes/s or
calls/s, with every repetition), events per group commit, the writer's CPU in the apply and
COMMIT phases, and its CPU per group commit and per event. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from bench_cli import feature_mix, one_repetition

# "maintenance" (checkpoints and indexing between group commits) is missing from binaries
# built before it was profiled: counted as 0 there.
PHASES = ["derive", "write", "begin", "apply", "waitForSync", "commit", "resume", "maintenance"]
WORKLOADS = {
    "a": ["--workload", "a"],
    # AgentLedger's (g) makes the calls of (a); "g" here adds assistant items, a branch and usage
    # (`--feature-mix`, see bench_cli.feature_mix), the work this script profiles.
    "g": ["--workload", "a", "MIX"],
    "b1": ["--workload", "b1"],
    "b100": ["--workload", "b100"],
    # (a) and (g) with 30 sessions instead of 3: one per writer.
    "a30": ["--workload", "a", "--sessions", "30"],
    "g30": ["--workload", "a", "MIX", "--sessions", "30"],
    # (a) with session ids as long as a UUID (36 characters) instead of "s0".."s2", and over 30 sessions.
    "a-uuid": ["--workload", "a", "--session-prefix", "3f2a9c4e-1b7d-4e8a-9c3f-0000000000"],
    "a30-uuid": ["--workload", "a", "--sessions", "30", "--session-prefix", "3f2a9c4e-1b7d-4e8a-9c3f-0000000000"],
}


def run(binary: str, workload: str, duration: float) -> dict:
    command = [binary, "bench", "--duration", str(duration), "--profile-writer", *one_repetition(binary)]
    for argument in WORKLOADS[workload]:
        command += feature_mix(binary) if argument == "MIX" else [argument]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=duration * 10 + 60)
    if finished.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {finished.returncode}: {finished.stderr.strip()}")
    return json.loads(finished.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="the agentledger binary before the change")
    parser.add_argument("after", help="the agentledger binary after the change")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3)
    parser.add_argument("--workloads", default="a,g,b1,b100")
    args = parser.parse_args()
    workloads = args.workloads.split(",")
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}: use {', '.join(WORKLOADS)}")
    binaries = {"before": args.before, "after": args.after}
    results: dict[tuple[str, str], list[dict]] = {}
    for rep in range(args.reps):
        for workload in workloads:
            order = ["before", "after"] if rep % 2 == 0 else ["after", "before"]
            for name in order:
                results.setdefault((workload, name), []).append(run(binaries[name], workload, args.duration))
    for workload in workloads:
        for name in ["before", "after"]:
            runs = results[(workload, name)]
            rate = "writes_per_s" if "writes_per_s" in runs[0] else "calls_per_s"

            def median(key: str) -> float:
                return statistics.median(r.get(key, 0) for r in runs)

            cpu = sum(median(f"writer_{phase}_cpu_us") for phase in PHASES)
            events = median("writer_events_per_commit")
            every = ", ".join(f"{r[rate]:,.0f}" for r in runs)
            reads = f"; reads_per_s {median('reads_per_s'):,.0f}" if "reads_per_s" in runs[0] else ""
            print(
                f"{workload:5} {name:6}: {rate} {median(rate):,.0f} ({every}){reads}; events/commit {events:.1f}; "
                f"CPU us per commit: apply {median('writer_apply_cpu_us'):.0f}, "
                f"COMMIT {median('writer_commit_cpu_us'):.0f}, all {cpu:.0f} = {cpu / events:.1f} per event; "
                f"wall us per commit: wait for fsync {median('writer_waitForSync_wall_us'):.0f}, "
                f"maintenance {median('writer_maintenance_wall_us'):.0f}"
            )


if __name__ == "__main__":
    main()
