"""Imports randomized Agents SDK AdvancedSQLiteSession databases and compares every branch.

For each seed, two AdvancedSQLiteSession objects of openai-agents (the version `make
bench-compare` installs) run 120 random operations on one database file: adds of 1 to 3 user
or assistant items, branches created from a random existing turn, switches, deletes of a branch
that is neither main nor current, pops and clears. Then `agentledger import-sdk-sqlite` copies
the file into a fresh store, and each branch the SDK lists (and main) must read back exactly as
the SDK's `get_items(branch_id=...)` returns it. A branch the SDK holds no items for may be
missing from the store (the SDK lists only branches with rows).

    make sdk-check [SDK_CHECK_SEEDS="1 41"]
    .build/bench-venv/bin/python Benchmarks/sdk_import_check.py BINARY FIRST_SEED END_SEED

Prints one line per seed with a mismatch and a summary; exits 1 when any branch differs.
"""
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

from agents.extensions.memory import AdvancedSQLiteSession


def run(binary, store, *args):
    done = subprocess.run([binary, *args, "--store", store], capture_output=True)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


async def one_seed(binary, seed, directory):
    rnd = random.Random(seed)
    database = os.path.join(directory, f"sdk-{seed}.db")
    sessions = {sid: AdvancedSQLiteSession(session_id=sid, db_path=database, create_tables=True) for sid in ("s1", "s2")}
    names = 0
    for step in range(120):
        sid = rnd.choice(sorted(sessions))
        session = sessions[sid]
        draw = rnd.random()
        try:
            if draw < 0.45:
                count = rnd.randint(1, 3)
                roles = [rnd.choice(["user", "assistant", "assistant"]) for _ in range(count)]
                await session.add_items([{"role": role, "content": f"{sid}-{step}-{k}"} for k, role in enumerate(roles)])
            elif draw < 0.6:
                turns = await session.get_conversation_turns()
                if turns:
                    names += 1
                    await session.create_branch_from_turn(rnd.choice(turns)["turn"], f"b{names}")
            elif draw < 0.72:
                branches = await session.list_branches()
                if branches:
                    await session.switch_to_branch(rnd.choice(branches)["branch_id"])
            elif draw < 0.8:
                current = session._current_branch_id
                branches = [b["branch_id"] for b in await session.list_branches() if b["branch_id"] not in ("main", current)]
                if branches:
                    await session.delete_branch(rnd.choice(branches))
            elif draw < 0.95:
                await session.pop_item()
            else:
                await session.clear_session()
        except Exception:  # the SDK refusing an operation is part of the walk
            pass
    expected = {}
    for sid, session in sessions.items():
        for branch in await session.list_branches():
            expected[(sid, branch["branch_id"])] = await session.get_items(branch_id=branch["branch_id"])
        expected[(sid, "main")] = await session.get_items(branch_id="main")
    for session in sessions.values():
        session.close()
    store = os.path.join(directory, f"store-{seed}")
    status, out, err = run(binary, store, "import-sdk-sqlite", database)
    problems = [] if status == 0 else [f"import exited {status}: {err.strip()}"]
    for (sid, branch), items in sorted(expected.items()):
        status, out, err = run(binary, store, "items", sid, "--branch", branch)
        got = json.loads(out) if status == 0 else None
        if got != items and not (got is None and items == []):
            problems.append(f"{sid}/{branch}: SDK {len(items)} items, AgentLedger {err.strip() if got is None else len(got)}")
    return len(expected), problems


async def main():
    binary, first, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    directory = tempfile.mkdtemp(prefix="agentledger-sdk-check-")
    compared = failed = 0
    try:
        for seed in range(first, end):
            count, problems = await one_seed(binary, seed, directory)
            compared += count
            if problems:
                failed += 1
                print(f"seed {seed}: " + "; ".join(problems[:3]))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{compared} branches compared over seeds {first} to {end - 1}; seeds with a mismatch: {failed}")
    sys.exit(1 if failed else 0)


asyncio.run(main())
