#!/usr/bin/env python3
"""What the read model's per-session item index costs a group commit, in SQLite alone.

The writer inserts each group commit's items into `item` and its index `item_position`
(session, branch, item_seq, item_index). New rows go to the end of their session's range,
which for every session but the last is the middle of the index, next to another session's
rows: each commit dirties a leaf per session and splits leaves there far more often than at
the index's end. This times transactions of 26 rows (workload (a)'s group commit) spread over
1, 3 and 30 sessions in a WAL-mode database shaped like the read model, with three indexes:

    none       no index on `item` (the floor);
    global     (item_seq, item_index): every row at the index's end;
    session    (session, branch, item_seq, item_index): today's `item_position`.

    python3 Benchmarks/index_hotspot.py [--commits 4000] [--rounds 3]

Prints, per round, the median µs per transaction of each index and session count (after the
first thousand transactions). The rounds alternate, so they share the machine's noise. It goes
through Python's sqlite3 module (the system's libsqlite3), so the figures carry Python's own
cost per row: compare them with each other, not with the ledger's. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time

SCHEMA = """
CREATE TABLE item (
    id INTEGER PRIMARY KEY, session TEXT NOT NULL, branch TEXT NOT NULL,
    item_seq INTEGER NOT NULL, item_index INTEGER NOT NULL, turn INTEGER NOT NULL,
    is_user INTEGER NOT NULL, item_type TEXT NOT NULL, tool_name TEXT,
    is_tool_call INTEGER NOT NULL, added_seq INTEGER NOT NULL, added_at INTEGER NOT NULL,
    removed_seq INTEGER, json TEXT NOT NULL, prev_seq INTEGER, prev_index INTEGER
) STRICT
"""
INDEXES = {
    "none": None,
    "global": "CREATE INDEX item_position ON item (item_seq, item_index)",
    "session": "CREATE INDEX item_position ON item (session, branch, item_seq, item_index)",
}
INSERT = """
INSERT INTO item (session, branch, item_seq, item_index, turn, is_user, item_type, is_tool_call,
                  added_seq, added_at, json, prev_seq, prev_index)
VALUES (?, ?, ?, ?, 0, 1, 'message', 0, ?, ?, ?, ?, 0)
"""
ROWS_PER_COMMIT = 26
CHECKPOINT_EVERY = 110  # group commits between the writer's passive checkpoints in (a)
WARM_UP = 1000


def median_commit_us(index: str, sessions: int, commits: int, directory: str) -> float:
    path = os.path.join(directory, f"{index}-{sessions}.sqlite")
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(SCHEMA)
    if INDEXES[index]:
        connection.execute(INDEXES[index])
    sequence, durations = 0, []
    for commit in range(commits):
        rows = []
        for writer in range(ROWS_PER_COMMIT):
            sequence += 1
            content = f'{{"role":"user","content":"writer {writer} message {sequence}"}}'
            rows.append((f"s{sequence % sessions}", "main", sequence, 0, sequence, sequence, content, sequence - sessions))
        start = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(INSERT, rows)
        connection.execute("COMMIT")
        durations.append(time.perf_counter() - start)
        if commit % CHECKPOINT_EVERY == 0:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    connection.close()
    return statistics.median(durations[WARM_UP:]) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    cases = [(index, sessions) for index in INDEXES for sessions in (1, 3, 30)]
    for round_number in range(arguments.rounds):
        with tempfile.TemporaryDirectory(prefix="index-hotspot-") as directory:
            figures = [
                f"{index}/{sessions}: {median_commit_us(index, sessions, arguments.commits, directory):.0f}"
                for index, sessions in cases
            ]
        print(f"round {round_number + 1}, µs per commit of {ROWS_PER_COMMIT} rows (index/sessions): " + ", ".join(figures))


if __name__ == "__main__":
    main()
