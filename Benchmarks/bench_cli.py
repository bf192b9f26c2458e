"""How the scripts of Benchmarks/ call `agentledger bench`."""

from __future__ import annotations

import subprocess
from functools import cache


@cache
def bench_help(binary: str) -> str:
    """`BINARY bench --help`, read once per binary."""
    return subprocess.run([str(binary), "bench", "--help"], capture_output=True, text=True, timeout=60).stdout


def feature_mix(binary: str) -> list[str]:
    """The flag for writers that alternate user and assistant items on a branch and record usage:
    `--feature-mix`, or `--advanced` for a binary older than it, whose (g) did that."""
    return ["--feature-mix"] if "--feature-mix" in bench_help(binary) else ["--advanced"]


def one_repetition(binary: str) -> list[str]:
    """The arguments that make `BINARY bench` run exactly one repetition.

    The scripts alternate runs themselves and take the medians, so each call must be one
    repetition. `--repetitions 1`, or nothing for a binary older than that option (a commit
    `ab.py` compares against), which always ran one.
    """
    return ["--repetitions", "1"] if "--repetitions" in bench_help(binary) else []
