#!/usr/bin/env python3
"""Which SQLite pages each group commit of workload (a) writes to the read model's WAL.

Every page a COMMIT changes is written to the WAL as a 24-byte frame header and the page (two
pwrite calls, a checksum over the page, and later a copy into the database at a checkpoint), so
the pages per group commit are a large part of the writer's COMMIT cost. This runs
`agentledger bench --workload a`, traces the writer thread's pwrite calls with strace for one
second, copies the store, and names the b-tree each WAL page belongs to (SQLite's dbstat table):

    swift build -c release
    python3 Benchmarks/wal_pages.py .build/release/agentledger [--advanced] [--trace-seconds 1]

Prints the group commits traced, the WAL pages per group commit, and that figure per b-tree.
strace slows the writer, so the group commits it sees are larger than without it; compare
two builds with this script, not with the bench's figures. Needs strace; standard library only.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from bench_cli import feature_mix, one_repetition

WAL_FRAME_HEADER_BYTES = 24
CALL = re.compile(r'pwrite64\((\d+), "([^"]*)"(?:\.\.\.)?, (\d+), (\d+)\)')


def busiest_thread(pid: int) -> int:
    """The thread with the most CPU time so far: the ledger's writer during workload (a)."""
    busiest, most = pid, -1
    for name in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{name}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime and stime
        if ticks > most:
            busiest, most = int(name), ticks
    return busiest


def open_files(pid: int) -> dict[str, str]:
    """The bench's descriptors and the paths they name."""
    found = {}
    for descriptor in os.listdir(f"/proc/{pid}/fd"):
        try:
            found[descriptor] = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue
    return found


def page_owners(copy: str) -> dict[int, str]:
    """Page number to b-tree name, read from a copy of the read model."""
    connection = sqlite3.connect(os.path.join(copy, "views.sqlite"))
    try:
        return {page: name for name, page in connection.execute("SELECT name, pageno FROM dbstat")}
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--advanced", action="store_true",
                        help="writers alternate user and assistant items on a branch and record usage")
    parser.add_argument("--trace-seconds", type=float, default=1.0)
    arguments = parser.parse_args()
    if shutil.which("strace") is None:
        sys.exit("strace is not installed (apt-get install strace)")

    command = [arguments.binary, "bench", "--workload", "a", "--duration", str(arguments.trace_seconds + 5)]
    command += one_repetition(arguments.binary)
    if arguments.advanced:
        command += feature_mix(arguments.binary)
    bench = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="wal-pages-")
    try:
        time.sleep(3)
        if bench.poll() is not None:
            sys.exit(f"{' '.join(command)} exited {bench.returncode} before the trace")
        writer = busiest_thread(bench.pid)
        files = open_files(bench.pid)
        locks = [path for path in files.values() if path.endswith("/LOCK")]
        if not locks:
            sys.exit("the bench has no store open")
        store = os.path.dirname(locks[0])
        # The descriptors on the read model's WAL, and on log segments.
        wal = {fd for fd, path in files.items() if path.endswith("views.sqlite-wal")}
        log = {fd for fd, path in files.items() if path.endswith(".seg")}
        trace = os.path.join(work, "trace.txt")
        subprocess.run(
            ["timeout", str(arguments.trace_seconds), "strace", "-e", "trace=pwrite64", "-xx", "-s", "8",
             "-p", str(writer), "-o", trace],
            stderr=subprocess.DEVNULL,
        )
        copy = os.path.join(work, "store")
        shutil.copytree(store, copy)
        owners = page_owners(copy)
    finally:
        bench.wait()

    commits, pages = 0, collections.Counter()
    with open(trace) as lines:
        for line in lines:
            call = CALL.match(line)
            if call is None:
                continue
            descriptor, data, length = call.group(1), call.group(2), int(call.group(3))
            if descriptor in log:
                commits += 1
            elif descriptor in wal and length == WAL_FRAME_HEADER_BYTES:
                header = bytes(int(pair, 16) for pair in re.findall(r"\\x(..)", data))
                pages[owners.get(int.from_bytes(header[:4], "big"), "?")] += 1
    shutil.rmtree(work, ignore_errors=True)
    if commits == 0:
        sys.exit("no group commit was traced")
    total = sum(pages.values())
    print(f"group commits traced: {commits}; WAL pages per group commit: {total / commits:.2f}")
    for name, count in pages.most_common():
        print(f"  {name}: {count / commits:.2f}")


if __name__ == "__main__":
    main()
