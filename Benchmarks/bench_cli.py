"""How the scripts of Benchmarks/ call `agentledger bench`."""

from __future__ import annotations

import subprocess
from functools import cache


@cache
def one_repetition(binary: str) -> list[str]:
    """The arguments that make `BINARY bench` run exactly one repetition.

    The scripts alternate runs themselves and take the medians, so each call must be one
    repetition. `--repetitions 1`, or nothing for a binary older than that option (a commit
    `ab.py` compares against), which always ran one.
    """
    shown = subprocess.run([str(binary), "bench", "--help"], capture_output=True, text=True, timeout=60)
    return ["--repetitions", "1"] if "--repetitions" in shown.stdout else []
