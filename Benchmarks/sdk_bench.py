#!/usr/bin/env python3
"""The OpenAI Agents SDK side of `make bench-compare`.

Runs ONE repetition of ONE workload against the SDK's file-backed `SQLiteSession`
(or `AdvancedSQLiteSession` with --advanced) and writes one JSON object to --out, with
the same keys as `agentledger bench` writes (see Benchmarks/README.md for the contract):

    python Benchmarks/sdk_bench.py --workload a --duration 5 --seed 1 --out run.json [--advanced]

Workloads
  a     30 writer tasks (`add_items` of 1 item, writer w on session "s{w % 3}") and
        10 reader tasks (`get_items(limit=10)` on session "s{r % 3}"), all on one asyncio
        loop, for --duration seconds. Reports writes/s, reads/s, p50/p99 latency of each,
        errors (exceptions raised by a call) and open descriptors at start, peak and end.
  b1    one writer awaiting each `add_items` of 1 item: calls/s and items/s.
  b100  the same with 100 items per call.
  c     a session holding 10,000 items (inserted in one untimed call), then
        `get_items(limit=20)` and `get_items()` alternately for --duration seconds:
        the median time per call of each, in milliseconds.
  f     bytes on disk: the corpus (--corpus, 5,000 items as 100 sessions of 50, like
        `agentledger bench --workload f`) added 1 and 100 items per call; the database's
        bytes (file, WAL and journal, after the sessions are closed) against the items'
        raw JSON bytes. Not part of `make bench-compare`.

The SDK is used exactly as shipped: its sessions run their sqlite3 calls through
`asyncio.to_thread` on the loop's default executor, and that is part of what is compared.
Only the standard library and the SDK are imported.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# Shape of the workloads; the AgentLedger harness uses the same numbers.
WRITERS = 30
READERS = 10
SESSIONS = 3
READ_LIMIT = 10
C_ITEMS = 10_000
C_LIMIT = 20
FD_SAMPLE_INTERVAL_S = 0.1
WORKLOADS = ("a", "b1", "b100", "c", "f")
CORPUS_CONVERSATION = 50  # items per session in workload f, as in the AgentLedger harness
SDK_DISTRIBUTION = "openai-agents"


def message(writer: int, n: int) -> dict[str, str]:
    """The item every workload writes: `{"role":"user","content":"writer W message N"}`."""
    return {"role": "user", "content": f"writer {writer} message {n}"}


def percentile_ms(latencies_s: list[float], p: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least p% of values <= it), in ms."""
    if not latencies_s:
        return None
    ordered = sorted(latencies_s)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1] * 1000


def open_fds() -> int:
    """Open file descriptors of this process (the listing's own descriptor included)."""
    return len(os.listdir("/proc/self/fd"))


class FdSampler:
    """Samples the open-descriptor count every 100 ms on its own thread and keeps the peak.

    A thread rather than an asyncio task, so a busy event loop cannot delay the samples.
    """

    def __init__(self, first_sample: int) -> None:
        self.peak = first_sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fd-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(FD_SAMPLE_INTERVAL_S):
            self.peak = max(self.peak, open_fds())

    def start(self) -> None:
        self._thread.start()

    def stop(self, last_sample: int) -> int:
        """Stops sampling, folds in a final sample and returns the peak."""
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, last_sample)
        return self.peak


def make_session(advanced: bool, session_id: str, db_path: Path) -> Any:
    """Opens one SDK session on the file `db_path`.

    `AdvancedSQLiteSession` needs `create_tables=True` to create (and claim) its structure
    tables; the creation is idempotent (`CREATE TABLE IF NOT EXISTS` in one transaction),
    so every session in a run passes it.
    """
    if advanced:
        from agents.extensions.memory import AdvancedSQLiteSession

        return AdvancedSQLiteSession(session_id=session_id, db_path=db_path, create_tables=True)
    from agents.memory import SQLiteSession

    return SQLiteSession(session_id=session_id, db_path=db_path)


async def workload_a(advanced: bool, db_path: Path, duration_s: float, rng: random.Random) -> dict:
    """30 writers and 10 readers on 3 sessions of one file for `duration_s` seconds.

    A task starts a new call only before the deadline; calls in flight at the deadline are
    awaited and counted, and rates divide by the elapsed time until the last task ended.
    """
    sessions = [make_session(advanced, f"s{i}", db_path) for i in range(SESSIONS)]
    write_latencies: list[float] = []
    read_latencies: list[float] = []
    errors = 0
    error_kinds: dict[str, int] = {}

    def record_error(exc: Exception) -> None:
        nonlocal errors
        errors += 1
        kind = f"{type(exc).__name__}: {exc}"
        error_kinds[kind] = error_kinds.get(kind, 0) + 1

    async def timed_loop(call: Callable[[int], Awaitable[Any]], latencies: list[float]) -> None:
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call(n)
            except Exception as exc:  # an error is a result here, not a reason to stop
                record_error(exc)
            else:
                latencies.append(time.perf_counter() - started)
            n += 1

    def writer(w: int) -> Awaitable[None]:
        session = sessions[w % SESSIONS]
        return timed_loop(lambda n: session.add_items([message(w, n)]), write_latencies)

    def reader(r: int) -> Awaitable[None]:
        session = sessions[r % SESSIONS]
        return timed_loop(lambda _n: session.get_items(limit=READ_LIMIT), read_latencies)

    # Seeded start order: writers and readers interleave the same way for a given --seed.
    roles = [("w", w) for w in range(WRITERS)] + [("r", r) for r in range(READERS)]
    rng.shuffle(roles)

    fds_start = open_fds()
    sampler = FdSampler(fds_start)
    sampler.start()
    started = time.perf_counter()
    deadline = started + duration_s
    await asyncio.gather(*(writer(i) if role == "w" else reader(i) for role, i in roles))
    elapsed = time.perf_counter() - started

    for session in sessions:
        session.close()
    fds_end = open_fds()
    fds_peak = sampler.stop(fds_end)

    for kind, count in sorted(error_kinds.items(), key=lambda kv: -kv[1])[:5]:
        print(f"sdk_bench: {count} x {kind}", file=sys.stderr)

    return {
        "writes_per_s": len(write_latencies) / elapsed,
        "reads_per_s": len(read_latencies) / elapsed,
        "write_p50_ms": percentile_ms(write_latencies, 50),
        "write_p99_ms": percentile_ms(write_latencies, 99),
        "read_p50_ms": percentile_ms(read_latencies, 50),
        "read_p99_ms": percentile_ms(read_latencies, 99),
        "errors": errors,
        "fds_start": fds_start,
        "fds_peak": fds_peak,
        "fds_end": fds_end,
        "elapsed_s": elapsed,
    }


async def workload_b(
    advanced: bool, db_path: Path, duration_s: float, items_per_call: int
) -> dict:
    """One writer awaiting each `add_items` of `items_per_call` items for `duration_s` seconds.

    Exceptions are not counted here: they abort the run (the harness exits non-zero).
    """
    session = make_session(advanced, "s0", db_path)
    calls = 0
    started = time.perf_counter()
    deadline = started + duration_s
    while time.perf_counter() < deadline:
        base = calls * items_per_call
        await session.add_items([message(0, base + i) for i in range(items_per_call)])
        calls += 1
    elapsed = time.perf_counter() - started
    session.close()
    return {
        "calls_per_s": calls / elapsed,
        "items_per_s": calls * items_per_call / elapsed,
        "elapsed_s": elapsed,
    }


async def workload_c(advanced: bool, db_path: Path, duration_s: float) -> dict:
    """Median time of `get_items(limit=20)` and of `get_items()` on a 10,000-item session.

    The two calls alternate until the deadline; each result's length is checked so a
    wrong answer cannot pass for a fast one.
    """
    session = make_session(advanced, "s0", db_path)
    await session.add_items([message(0, n) for n in range(C_ITEMS)])  # setup, not timed
    last20: list[float] = []
    everything: list[float] = []
    deadline = time.perf_counter() + duration_s
    while time.perf_counter() < deadline or not everything:
        started = time.perf_counter()
        items = await session.get_items(limit=C_LIMIT)
        last20.append(time.perf_counter() - started)
        if len(items) != C_LIMIT or items[-1] != message(0, C_ITEMS - 1):
            raise RuntimeError(f"get_items(limit={C_LIMIT}) returned a wrong answer")

        started = time.perf_counter()
        items = await session.get_items()
        everything.append(time.perf_counter() - started)
        if len(items) != C_ITEMS or items[0] != message(0, 0):
            raise RuntimeError(f"get_items() returned {len(items)} items, not {C_ITEMS}")
    session.close()
    return {
        "last20_ms": statistics.median(last20) * 1000,
        "all_ms": statistics.median(everything) * 1000,
        "last20_calls": len(last20),
        "all_calls": len(everything),
    }


async def workload_f(advanced: bool, db_path: Path, corpus: Path) -> dict:
    """Database bytes for the corpus added 1 and 100 items per call, against its raw JSON."""
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line]
    figures: dict[str, Any] = {}
    for per_call in (1, 100):
        for suffix in ("", "-wal", "-journal"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        for start in range(0, len(lines), CORPUS_CONVERSATION):
            conversation = [json.loads(line) for line in lines[start:start + CORPUS_CONVERSATION]]
            session = make_session(advanced, f"corpus-{start // CORPUS_CONVERSATION}", db_path)
            for first in range(0, len(conversation), per_call):
                await session.add_items(conversation[first:first + per_call])
            session.close()
        size = sum(os.path.getsize(str(db_path) + suffix) for suffix in ("", "-wal", "-journal")
                   if os.path.exists(str(db_path) + suffix))
        raw = sum(len(line.encode("utf-8")) for line in lines)
        figures[f"corpus_{per_call}_per_call_raw_bytes"] = raw
        figures[f"corpus_{per_call}_per_call_db_bytes"] = size
        figures[f"corpus_{per_call}_per_call_ratio"] = size / raw
    return figures


def implementation_name(advanced: bool) -> str:
    """E.g. `openai-agents 0.24.0 SQLiteSession`."""
    version = importlib.metadata.version(SDK_DISTRIBUTION)
    kind = "AdvancedSQLiteSession" if advanced else "SQLiteSession"
    return f"{SDK_DISTRIBUTION} {version} {kind}"


async def run(args: argparse.Namespace) -> dict:
    """Runs the selected workload in a fresh temporary directory and returns its JSON object."""
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="sdk-bench-") as directory:
        db_path = Path(directory) / "sessions.sqlite"
        if args.workload == "a":
            figures = await workload_a(args.advanced, db_path, args.duration, rng)
        elif args.workload == "b1":
            figures = await workload_b(args.advanced, db_path, args.duration, 1)
        elif args.workload == "b100":
            figures = await workload_b(args.advanced, db_path, args.duration, 100)
        elif args.workload == "f":
            figures = await workload_f(args.advanced, db_path, args.corpus)
        else:
            figures = await workload_c(args.advanced, db_path, args.duration)
    return {
        "implementation": implementation_name(args.advanced),
        "workload": args.workload,
        "advanced": args.advanced,
        **{key: value for key, value in figures.items() if value is not None},
        "duration_s": args.duration,
        "seed": args.seed,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="One repetition of one bench-compare workload on the OpenAI Agents SDK.",
    )
    parser.add_argument("--workload", required=True, choices=WORKLOADS)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the task start order")
    parser.add_argument("--out", required=True, type=Path, help="file to write the JSON to")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path("../shared/corpus/responses-items.jsonl"),
        help="the corpus JSON Lines file of workload f (default ../shared/corpus/responses-items.jsonl)",
    )
    parser.add_argument(
        "--advanced",
        action="store_true",
        help="use AdvancedSQLiteSession (workload a with it is (g))",
    )
    args = parser.parse_args(argv)
    if args.duration <= 0:
        parser.error("--duration must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(args.out)  # a reader never sees half a result
    return 0


if __name__ == "__main__":
    sys.exit(main())
