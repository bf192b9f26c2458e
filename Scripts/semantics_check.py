#!/usr/bin/env python3
"""Differential test of the `agentledger` CLI against a reference model of SEMANTICS.md.

Usage: semantics_check.py --bin PATH [--seeds 1,2,3] [--ops 300] [--work DIR] [--quiet]
(`make semantics-check` runs it on the release binary.) Exit status 1 when any check failed;
each seed's problems are in WORK/seedN/problems.txt.

The model keeps, per session: its branches (live and deleted, in creation order; names stay
reserved), their items (shared item records, so copies keep their add sequence and time), the
usage per (branch, turn), and the current branch. After every operation the new events are read
with `log --json --from-seq`, and a snapshot of the whole model is kept under the head sequence,
so that every `--as-of-seq N` read can be compared with the model's state at N.

Checks (each counted): current state after every operation (touched session) and in full every
few operations; as-of-seq at every sequence around a non-add event plus a sample; as-of-time;
checkout --as-of-seq N into a new store; deletion of views.sqlite in the middle of the run (the
rest of the run goes on over the rebuilt read model) with every answer compared byte for byte
before and after; invalid operations (nonzero exit, message, head unchanged).
Only the standard library is used.
"""
import argparse
import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
import unicodedata

BIN = ".build/release/agentledger"
FOCUS = 3  # extra weight of session s1

# ----------------------------------------------------------------------------------------------
# CLI runner


class CLI:
    def __init__(self, store):
        self.store = store
        self.calls = 0

    def run(self, args, stdin=None, store=None):
        self.calls += 1
        env = dict(os.environ)
        env["AGENTLEDGER_STORE"] = store or self.store
        p = subprocess.run([BIN] + args, input=(stdin or "").encode("utf-8"), capture_output=True, env=env)
        return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode("utf-8", "surrogateescape")


# ----------------------------------------------------------------------------------------------
# The model

CALL_TYPES = {
    "function_call", "computer_call", "file_search_call", "web_search_call", "code_interpreter_call",
    "tool_search_call", "custom_tool_call", "mcp_call", "mcp_approval_request", "shell_call", "apply_patch_call",
}
SELF_NAMED = {"computer_call", "file_search_call", "web_search_call", "code_interpreter_call", "shell_call",
              "apply_patch_call"}


def sstr(v):
    return v if isinstance(v, str) and v != "" else None


def tool_name(o):
    t = o.get("type") if isinstance(o.get("type"), str) else None
    name = sstr(o.get("name"))
    if t in ("mcp_call", "mcp_approval_request"):
        parts = [p for p in (sstr(o.get("server_label")), name) if p]
        return ".".join(parts) if parts else None
    if t in SELF_NAMED:
        return t
    if t in ("tool_search_call", "tool_search_output"):
        return "tool_search"
    if name:
        ns = sstr(o.get("namespace"))
        if ns and ns != name:
            return ns + "." + name
        return name
    return None


class Item:
    """One added item: exact text, parsed value, the add event's sequence and time. Shared, never copied."""

    def __init__(self, text, seq=None):
        self.text = text
        self.obj = json.loads(text)
        self.seq = seq
        self.time = None
        o = self.obj
        role = o.get("role")
        self.is_user = role == "user"
        if role in ("user", "assistant"):
            self.type = role
        elif isinstance(o.get("type"), str) and o.get("type") != "":
            self.type = o["type"]
        else:
            self.type = "other"
        self.tool = tool_name(o)
        self.is_call = self.type in CALL_TYPES
        self.is_tso = self.type == "tool_search_output"
        self.content = self.preview_text = None
        self.find_texts = []
        if self.is_user:
            c = o.get("content")
            if c is None:
                self.content = ""
                self.preview_text = "" if "content" not in o else "null"
            elif isinstance(c, str):
                self.content = self.preview_text = c
                self.find_texts = [c]
            else:
                self.content = json.dumps(c)
                self.preview_text = json.dumps(c, ensure_ascii=False)
                if isinstance(c, list):
                    for part in c:
                        if isinstance(part, str):
                            self.find_texts.append(part)
                        elif isinstance(part, dict) and isinstance(part.get("text"), str):
                            self.find_texts.append(part["text"])

    def __deepcopy__(self, memo):
        return self

    @property
    def preview(self):
        t = self.preview_text
        return t if len(t) <= 100 else t[:100] + "..."


def fold(s):
    return s.upper().lower()


class Branch:
    def __init__(self, name, parent=None, from_turn=None, created_seq=None):
        self.name = name
        self.parent = parent
        self.from_turn = from_turn
        self.created_seq = created_seq
        self.items = []
        self.usage = {}  # turn -> dict(requests,input,output,total,details(text|None),seq)
        self.deleted = False

    def user_count(self):
        return sum(1 for i in self.items if i.is_user)

    def turned(self):
        t = 0
        out = []
        for i in self.items:
            if i.is_user:
                t += 1
            out.append((t, i))
        return out


class Session:
    def __init__(self, sid):
        self.sid = sid
        self.exists = False
        self.branches = []  # creation order, deleted too
        self.current = "main"
        self.first_seq = None
        self.last_seq = None

    def live(self, name):
        for b in self.branches:
            if b.name == name and not b.deleted:
                return b
        return None

    def used(self, name):
        return name == "main" or any(b.name == name for b in self.branches)

    def cur(self):
        return self.live(self.current)


def blank(name):
    return name.strip() == ""


# ----------------------------------------------------------------------------------------------
# Expected answers


def exp_items(st, sid, branch=None, limit=None):
    s = st.get(sid)
    name = branch or (s.current if s else "main")
    if branch and branch != "main" and (not s or not s.live(branch)):
        return ("err", 65)
    b = s.live(name) if s else None
    items = [i.text for i in (b.items if b else [])]
    if limit is not None:
        items = items[max(0, len(items) - limit):] if limit > 0 else []
    return "[" + ",\n".join(items) + "]\n"


def exp_branch_list(st, sid, times):
    s = st.get(sid)
    if not s or not s.exists:
        return []
    out = []
    for b in s.branches:
        if b.deleted:
            continue
        out.append({"name": b.name, "current": b.name == s.current, "items": len(b.items),
                    "user_turns": b.user_count(), "created": times.get(b.created_seq),
                    "created_seq": b.created_seq, "parent": b.parent, "from_turn": b.from_turn})
    return out


def target_branch(st, sid, branch):
    s = st.get(sid)
    if branch and branch != "main" and (not s or not s.live(branch)):
        return None, True
    name = branch or (s.current if s else "main")
    return (s.live(name) if s else None), False


def turn_entry(t, i, times):
    return {"turn": t, "seq": i.seq, "time": times.get(i.seq), "preview": i.preview, "content": i.content}


def exp_turns(st, sid, branch, times):
    b, bad = target_branch(st, sid, branch)
    if bad:
        return ("err", 65)
    return [turn_entry(t, i, times) for t, i in (b.turned() if b else []) if i.is_user]


def exp_find(st, sid, branch, term, times):
    b, bad = target_branch(st, sid, branch)
    if bad:
        return ("err", 65)
    out = []
    for t, i in (b.turned() if b else []):
        if i.is_user and (term == "" or any(fold(term) in fold(x) for x in i.find_texts)):
            out.append(turn_entry(t, i, times))
    return out


def exp_tools(st, sid, branch):
    b, bad = target_branch(st, sid, branch)
    if bad:
        return ("err", 65)
    if not b:
        return []
    tt = b.turned()
    out = []
    for turn in sorted(set(t for t, _ in tt)):
        inturn = [i for t, i in tt if t == turn]
        has_tsc = any(i.is_call and i.type == "tool_search_call" for i in inturn)
        order, counts = [], {}
        for i in inturn:
            if not (i.is_call or (i.is_tso and not has_tsc)):
                continue
            if i.tool not in counts:
                order.append(i.tool)
                counts[i.tool] = 0
            counts[i.tool] += 1
        out += [{"turn": turn, "tool": k, "calls": counts[k]} for k in order]
    return out


def usage_json(bname, turn, u, times):
    return {"branch": bname, "turn": turn, "requests": u["requests"], "input_tokens": u["input"],
            "output_tokens": u["output"], "total_tokens": u["total"],
            "details": None if u["details"] is None else json.loads(u["details"]),
            "time": times.get(u["seq"]), "seq": u["seq"]}


def totals(records):
    if not records:
        return None
    return {"requests": sum(u["requests"] for u in records), "input_tokens": sum(u["input"] for u in records),
            "output_tokens": sum(u["output"] for u in records), "total_tokens": sum(u["total"] for u in records),
            "turns": len(records)}


def exp_usage(st, sid, branch, turn, times):
    b, bad = target_branch(st, sid, branch)
    if bad:
        return ("err", 65)
    if turn is not None and not 1 <= turn <= (b.user_count() if b else 0):
        return ("err", 65)  # a turn the branch does not have (at that position)
    s = st.get(sid)
    turns = []
    if b:
        for t in sorted(b.usage):
            if turn is None or t == turn:
                turns.append(usage_json(b.name, t, b.usage[t], times))
    if branch:
        tot = totals(list(b.usage.values()) if b else [])
    else:
        tot = totals([u for bb in (s.branches if s else []) if not bb.deleted for u in bb.usage.values()])
    return {"turns": turns, "totals": tot}


def exp_sessions(st, times):
    out = []
    for sid, s in st.items():
        if not s.exists:
            continue
        b = s.cur()
        out.append({"session": sid, "items": len(b.items) if b else 0, "branch": s.current,
                    "first_seq": s.first_seq, "last_seq": s.last_seq, "last_activity": times.get(s.last_seq)})
    out.sort(key=lambda d: -d["last_seq"])
    return out


# ----------------------------------------------------------------------------------------------
# Random content

WORDS = ["alpha", "Bravo", "charlie", "Delta", "echo", "refund", "weather", "Porto", "lisbon", "100%", "a_b",
         "it's", "back\\slash", "quote\"d", "DROP TABLE items;--", "café", "Straße", "naïve", "日本語", "🙂",
         "e\u0301cole", "Ωmega", "ΣΟΦΙΑ", "x" * 30]
FIND_TERMS = ["alpha", "ALPHA", "bRAVO", "refund", "100%", "a_b", "it's", "back\\slash", "quote\"d", "%", "_",
              "'", "\\", "café", "CAFÉ", "straße", "STRASSE", "日本", "🙂", "Porto lisbon", "zzznomatch", "role",
              "content", "text", "input_text", "tok", ""]
SESSION_IDS = ["s1", "caf\u00e9", "cafe\u0301", "日本 session 'q\""]
BRANCH_NAMES = ["alt", "feature/é", "日本語", "a b", " lead", "Main", "caf\u00e9", "cafe\u0301", "x" * 60,
                "trailing ", "retry", "%_'\"\\"]


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.tok = 0

    def words(self, lo=1, hi=6):
        return " ".join(self.r.choice(WORDS) for _ in range(self.r.randint(lo, hi)))

    def token(self):
        self.tok += 1
        return "tok%dq%d" % (self.r.randint(0, 10 ** 6), self.tok)

    def text(self, o):
        r = self.r.random()
        if r < 0.45:
            return json.dumps(o, ensure_ascii=False, separators=(",", ":"))
        if r < 0.8:
            return json.dumps(o, ensure_ascii=self.r.random() < 0.5)
        if r < 0.9:
            return json.dumps(o, ensure_ascii=True, separators=(",", ":"))
        return json.dumps(o, ensure_ascii=False, separators=(" , ", " : "))

    def user(self):
        r = self.r.random()
        if r < 0.6:
            c = self.words(1, 8)
            if self.r.random() < 0.15:
                c = (c + " ") * (100 // max(1, len(c)) + 2)  # over 100 code points
            if self.r.random() < 0.3:
                c += " " + self.token()
            o = {"role": "user", "content": c}
        elif r < 0.85:
            parts = [{"type": "input_text", "text": self.words(1, 5)}]
            if self.r.random() < 0.4:
                parts.append({"type": "input_image", "image_url": "http://x/alpha.png", "detail": "auto"})
            if self.r.random() < 0.3:
                parts.append({"type": "input_text", "text": self.words(1, 3) + " " + self.token()})
            o = {"role": "user", "content": parts}
            if self.r.random() < 0.3:
                o = {"type": "message", "role": "user", "content": parts}
        elif r < 0.93:
            o = {"role": "user", "content": "Ünïcödé " + "é" * 60 + "e\u0301" * 30 + "🙂" * 20}
        else:
            o = {"role": "user"}  # no content
        if self.r.random() < 0.1:
            o["unknown_field"] = {"nested": "{\"json\": [1, 2]}", "n": 12345678901234567890}
        return self.text(o)

    def other(self):
        r = self.r.randrange(22)
        cid = "c%d" % self.r.randint(1, 999)
        if r < 4:
            o = {"role": "assistant", "content": self.words()}
        elif r < 5:
            o = {"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": self.words() + " " + self.token()}]}
        elif r < 8:
            o = {"type": "function_call", "name": self.r.choice(["get_weather", "lookup", "f"]),
                 "arguments": json.dumps({"city": self.r.choice(WORDS)}), "call_id": cid}
            if self.r.random() < 0.3:
                o["namespace"] = self.r.choice(["ns", o["name"], ""])
        elif r < 9:
            o = {"type": "function_call", "arguments": "{}", "call_id": cid}  # no name
        elif r < 11:
            o = {"type": "function_call_output", "call_id": cid, "output": self.words() + " " + self.token()}
        elif r < 12:
            o = {"type": "mcp_call", "server_label": "srv", "name": "search", "arguments": "{}"}
            if self.r.random() < 0.3:
                del o[self.r.choice(["server_label", "name"])]
        elif r < 13:
            o = {"type": "mcp_approval_request", "server_label": "srv2", "name": "rm", "arguments": "{}"}
        elif r < 14:
            o = {"type": self.r.choice(["computer_call", "web_search_call", "file_search_call",
                                        "code_interpreter_call", "shell_call", "apply_patch_call"]), "id": cid}
        elif r < 15:
            o = {"type": "tool_search_call", "id": cid}
        elif r < 16:
            o = {"type": "tool_search_output", "id": cid}
        elif r < 17:
            o = {"type": "custom_tool_call", "name": "custom", "input": "x"}
        elif r < 18:
            o = {"type": "reasoning", "summary": [{"type": "summary_text", "text": self.words()}]}
        elif r < 19:
            o = {"foo": "bar", "list": [1, 2.5, None, True], "q": "SELECT * FROM item WHERE 1=1; --"}
        elif r < 20:
            o = {"role": "system", "content": self.words()}
        elif r < 21:
            o = {"role": "assistant", "type": "function_call", "name": "not_a_call", "arguments": "{}"}
        else:
            o = {"role": "developer", "type": "message", "content": self.words()}
        return self.text(o)

    def batch(self):
        n = self.r.randint(1, 5)
        out = []
        for _ in range(n):
            out.append(self.user() if self.r.random() < 0.35 else self.other())
        r = self.r.random()
        if r < 0.05:
            # handcrafted exact texts with escapes
            out.append('{"role":"assistant","content":"caf\\u00e9 \\"q\\" back\\\\slash \\/ \\ud83d\\ude42","x":1.0e5}')
        return out


# ----------------------------------------------------------------------------------------------
# The test


class Failure(Exception):
    pass


class Run:
    def __init__(self, seed, nops, work, quiet):
        self.seed = seed
        self.nops = nops
        self.r = random.Random(seed)
        self.g = Gen(self.r)
        self.dir = os.path.join(work, "seed%d" % seed)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.store = os.path.join(self.dir, "store")
        self.cli = CLI(self.store)
        self.state = {}
        self.snaps = {0: {}}  # seq -> deep copy of state (only at op boundaries)
        self.head = 0
        self.times = {}  # seq -> time string
        self.events = []
        self.interesting = set()
        self.checks = 0
        self.problems = []
        self.quiet = quiet
        self.oplog = []  # (description)
        self.stats = {}
        self.notes = set()

    # -- helpers
    def note(self, msg):
        if msg not in self.notes:
            self.notes.add(msg)
            if not self.quiet:
                print("  NOTE:", msg)

    def problem(self, msg):
        self.problems.append(msg)
        if not self.quiet:
            print("  PROBLEM:", msg[:2000])

    def sess(self, sid):
        if sid not in self.state:
            self.state[sid] = Session(sid)
        return self.state[sid]

    def new_events(self):
        rc, out, err = self.cli.run(["log", "--json", "--from-seq", str(self.head + 1)])
        if rc != 0:
            raise Failure("log failed: %s" % err)
        evs = [json.loads(l) for l in out.splitlines() if l.strip()]
        for e in evs:
            self.times[e["seq"]] = e["time"]
            self.events.append(e)
        if evs:
            if [e["seq"] for e in evs] != list(range(self.head + 1, self.head + 1 + len(evs))):
                self.problem("log sequences not continuous: %s" % [e["seq"] for e in evs])
            self.head = evs[-1]["seq"]
        return evs

    def snapshot(self):
        self.snaps[self.head] = copy.deepcopy(self.state)

    def count(self, k):
        self.stats[k] = self.stats.get(k, 0) + 1

    def expect_error(self, desc, rc, err, codes=(64, 65)):
        self.checks += 1
        evs = self.new_events()
        if rc == 0 or rc not in codes:
            self.problem("%s: expected failure (exit %s), got exit %d, stderr %r" % (desc, codes, rc, err[:300]))
        elif not err.strip():
            self.problem("%s: failed without a message" % desc)
        if evs:
            self.problem("%s: invalid operation wrote events %s" % (desc, [e["kind"] for e in evs]))
        self.count("error:" + " ".join(desc.split(" ")[:2]))
        return evs

    # -- operations
    def op_add(self, sid):
        s = self.sess(sid)
        texts = self.g.batch()
        fmt = self.r.random()
        if fmt < 0.7:
            stdin = "\n".join(texts) + "\n"
        elif fmt < 0.9:
            stdin = "[" + ",".join(texts) + "]"
        else:
            stdin = "[ " + " ,\n  ".join(texts) + "\n]\n"
        extra = ["--branch", s.current] if self.r.random() < 0.1 else []
        rc, out, err = self.cli.run(["add", sid, "--json"] + extra, stdin)
        if rc != 0:
            self.problem("add %r failed: %d %s" % (sid, rc, err))
            self.new_events()
            return
        evs = self.new_events()
        res = json.loads(out)
        self.checks += 1
        if len(evs) != 1 or res["sequence"] != self.head or res["items"] != len(texts) or evs[0]["kind"] != "items_added":
            self.problem("add: printed %s, events %s" % (out, [(e["seq"], e["kind"]) for e in evs]))
        if not s.exists:
            s.exists = True
            s.branches = [Branch("main", created_seq=self.head)]
            s.first_seq = self.head
        b = s.cur()
        for t in texts:
            it = Item(t, self.head)
            b.items.append(it)
        s.last_seq = self.head
        self.oplog.append(("add", sid, texts, self.head))

    def op_pop(self, sid):
        s = self.sess(sid)
        rc, out, err = self.cli.run(["pop", sid])
        evs = self.new_events()
        self.checks += 1
        if rc != 0:
            self.problem("pop %r failed: %d %s" % (sid, rc, err))
            return
        b = s.cur() if s.exists else None
        if not b or not b.items:
            if out != "null\n":
                self.problem("pop of empty branch printed %r" % out)
            if evs:
                self.note("pop of an empty branch wrote an event")
                s.last_seq = self.head
            self.interesting.add(self.head)
            self.oplog.append(("pop", sid, None, self.head))
            return
        tt = b.turned()
        turn, it = tt[-1]
        if out != it.text + "\n":
            self.problem("pop %r printed %r, expected %r" % (sid, out, it.text))
        if len(evs) != 1 or evs[0]["kind"] != "item_popped":
            self.problem("pop wrote %s" % [(e["seq"], e["kind"]) for e in evs])
        b.items.pop()
        if not any(t == turn for t, _ in tt[:-1]):
            b.usage.pop(turn, None)
        s.last_seq = self.head
        self.interesting.update([self.head - 1, self.head])
        self.oplog.append(("pop", sid, None, self.head))

    def op_clear(self, sid):
        s = self.sess(sid)
        rc, out, err = self.cli.run(["clear", sid])
        evs = self.new_events()
        self.checks += 1
        if rc != 0:
            self.problem("clear %r failed: %d %s" % (sid, rc, err))
            return
        if not s.exists:
            if evs:
                self.note("clear of a session that does not exist wrote an event")
            return
        if len(evs) != 1:
            self.problem("clear wrote %s" % [(e["seq"], e["kind"]) for e in evs])
        for b in s.branches:
            b.items = []
            b.usage = {}
            if b.name != "main":
                b.deleted = True
        s.current = "main"
        s.last_seq = self.head
        self.interesting.update([self.head - 1, self.head])
        self.oplog.append(("clear", sid, None, self.head))

    def valid_name(self, s, name):
        return name is None or (not blank(name) and not s.used(name))

    def event_secs(self, seq):
        import datetime
        t = datetime.datetime.strptime(self.times[seq], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        return int(t.timestamp())

    def op_create(self, sid, invalid=False, turn_arg=None, name_arg=None, force_name=False):
        s = self.sess(sid)
        b = s.cur() if s.exists else None
        uc = b.user_count() if b else 0
        by_text = turn_arg is None and self.r.random() < 0.25
        if by_text:
            if b and uc and self.r.random() < 0.85:
                users = [i for i in b.items if i.is_user and i.find_texts]
                term = None
                if users:
                    src = self.r.choice(users).find_texts[0]
                    ws = [w for w in src.split(" ") if w and "\u0301" not in w]
                    term = self.r.choice(ws) if ws else None
                if term is None:
                    term = self.r.choice(FIND_TERMS)
            else:
                term = self.r.choice(FIND_TERMS)
            turn = None
            for t, i in (b.turned() if b else []):
                if i.is_user and (term == "" or any(fold(term) in fold(x) for x in i.find_texts)):
                    turn = t
                    break
            args = ["branch", "create", sid, "--from-turn-containing", term]
        else:
            if turn_arg is not None:
                turn = turn_arg
            elif invalid or uc == 0 or self.r.random() < 0.1:
                turn = self.r.choice([0, -1, uc + 1, 999, uc])
            else:
                turn = self.r.randint(1, uc)
            args = ["branch", "create", sid, "--from-turn", str(turn)]
            if not (1 <= turn <= uc):
                turn = None
        if force_name:
            name = name_arg
        else:
            r = self.r.random()
            if r < 0.4:
                name = None
            elif r < 0.9:
                name = self.r.choice(BRANCH_NAMES) + ("" if self.r.random() < 0.5 else str(self.r.randint(1, 40)))
            else:
                name = self.r.choice(["", "   ", "\t", "main"] + [bb.name for bb in s.branches])
        if name is not None:
            args += ["--name", name]
        ok = turn is not None and self.valid_name(s, name)
        rc, out, err = self.cli.run(args)
        desc = "branch create %r %s" % (sid, args[3:])
        if not ok:
            self.expect_error(desc, rc, err)
            return None
        evs = self.new_events()
        self.checks += 1
        if rc != 0:
            self.problem("%s: failed unexpectedly: %d %s" % (desc, rc, err))
            return None
        created = out.rstrip("\n")
        if name is None:
            base = "branch_from_turn_%d_%d" % (turn, self.event_secs(self.head))
            cand, k = base, 2
            while s.used(cand):
                cand = "%s_%d" % (base, k)
                k += 1
            if base != cand:
                self.count("generated-name-collision")
            if created != cand:
                self.problem("%s: generated name %r, expected %r (used: %s)" % (
                    desc, created, cand, [bb.name for bb in s.branches]))
            name = created
        elif created != name:
            self.problem("%s printed %r" % (desc, created))
        if len(evs) != 1 or evs[0]["kind"] != "branch_created":
            self.problem("%s wrote %s" % (desc, [(e["seq"], e["kind"]) for e in evs]))
        nb = Branch(name, parent=s.current, from_turn=turn, created_seq=self.head)
        nb.items = [i for t, i in b.turned() if t < turn]
        s.branches.append(nb)
        s.current = name
        s.last_seq = self.head
        self.interesting.update([self.head - 1, self.head])
        self.count("create-ok")
        self.oplog.append(("create", sid, args, self.head))
        return name

    def op_collide(self, sid):
        """A named branch taking the name a generated one would take in this second, then a generated one."""
        s = self.sess(sid)
        b = s.cur() if s.exists else None
        if not b or b.user_count() == 0 or not self.times:
            return self.op_add(sid)
        parent = s.current
        turn = self.r.randint(1, b.user_count())
        secs = self.event_secs(max(self.times))
        bait = "branch_from_turn_%d_%d" % (turn, secs)
        for k in range(self.r.randint(0, 2)):
            if not s.used(bait):
                break
            bait = "branch_from_turn_%d_%d_%d" % (turn, secs, k + 2)
        if s.used(bait):
            return
        self.snapshot()
        if self.op_create(sid, turn_arg=turn, name_arg=bait, force_name=True) is None:
            return
        self.snapshot()
        self.op_switch(sid, name_arg=parent)
        self.snapshot()
        self.op_create(sid, turn_arg=turn, name_arg=None, force_name=True)

    def op_switch(self, sid, invalid=False, name_arg=None):
        s = self.sess(sid)
        live = [b.name for b in s.branches if not b.deleted]
        dead = [b.name for b in s.branches if b.deleted]
        if name_arg is not None:
            name = name_arg
        elif invalid or not live or self.r.random() < 0.15:
            name = self.r.choice(dead + ["nosuch", "", "  ", "MAIN"] + (["main"] if not live else []))
        else:
            name = self.r.choice(live + ["main"])
        ok = name == "main" or (s.live(name) is not None)
        if blank(name):
            ok = False
        rc, out, err = self.cli.run(["branch", "switch", sid, name])
        desc = "branch switch %r %r" % (sid, name)
        if not ok:
            self.expect_error(desc, rc, err)
            return
        evs = self.new_events()
        self.checks += 1
        if rc != 0:
            self.problem("%s failed: %d %s" % (desc, rc, err))
            return
        if name == s.current:
            if evs:
                self.note("switch to the current branch writes an event")
                s.last_seq = self.head
            return
        if len(evs) != 1 or evs[0]["kind"] != "branch_switched":
            self.problem("%s wrote %s" % (desc, [(e["seq"], e["kind"]) for e in evs]))
        s.current = name
        s.last_seq = self.head
        self.interesting.update([self.head - 1, self.head])
        self.count("switch-ok")
        self.oplog.append(("switch", sid, name, self.head))

    def op_delete(self, sid, invalid=False):
        s = self.sess(sid)
        live = [b.name for b in s.branches if not b.deleted and b.name != "main"]
        dead = [b.name for b in s.branches if b.deleted]
        if invalid or not live or self.r.random() < 0.2:
            name = self.r.choice(dead + ["nosuch", "", " ", "main"])
        else:
            name = self.r.choice(live)
        force = self.r.random() < 0.5
        ok = name != "main" and not blank(name) and s.live(name) is not None and (force or name != s.current)
        args = ["branch", "delete", sid, name] + (["--force"] if force else [])
        rc, out, err = self.cli.run(args)
        desc = "branch delete %r %r force=%s" % (sid, name, force)
        if not ok:
            self.expect_error(desc, rc, err)
            return
        evs = self.new_events()
        self.checks += 1
        if rc != 0:
            self.problem("%s failed: %d %s" % (desc, rc, err))
            return
        if not evs:
            self.problem("%s wrote no event" % desc)
        b = s.live(name)
        b.deleted = True
        b.items = []
        b.usage = {}
        if s.current == name:
            s.current = "main"
            self.count("delete-current")
        s.last_seq = self.head
        self.interesting.update([self.head - 1, self.head])
        self.count("delete-ok")
        self.oplog.append(("delete", sid, args, self.head))

    def op_usage(self, sid, invalid=False):
        s = self.sess(sid)
        b = s.cur() if s.exists else None
        uc = b.user_count() if b else 0
        vals = [self.r.randint(0, 1000) for _ in range(4)]
        details = self.r.choice([None, None, '{"a": 1}', '{"cached_tokens":5,"x":[1,2,"é"]}', '[1, 2]', '"s"',
                                 '{"k" : {"n": null}}'])
        ok = uc > 0
        if invalid or self.r.random() < 0.08:
            kind = self.r.randrange(3)
            if kind == 0:
                details = self.r.choice(["{bad", "", "[1,", "nul"])
            elif kind == 1:
                vals[self.r.randrange(4)] = 10 ** 12 + 1
            else:
                vals[self.r.randrange(4)] = -1
            ok = False
        elif self.r.random() < 0.05:
            vals[self.r.randrange(4)] = 10 ** 12
        args = ["usage", "record", sid, "--requests", str(vals[0]), "--input-tokens", str(vals[1]),
                "--output-tokens", str(vals[2]), "--total-tokens", str(vals[3])]
        if details is not None:
            args += ["--details", details]
        rc, out, err = self.cli.run(args)
        desc = "usage record %r %s details=%r (user turns %d)" % (sid, vals, details, uc)
        if not ok:
            self.expect_error(desc, rc, err)
            return
        evs = self.new_events()
        self.checks += 1
        if rc != 0:
            self.problem("%s failed: %d %s" % (desc, rc, err))
            return
        if len(evs) != 1 or out.strip() != str(self.head):
            self.problem("%s printed %r wrote %s" % (desc, out, [(e["seq"], e["kind"]) for e in evs]))
        b.usage[uc] = {"requests": vals[0], "input": vals[1], "output": vals[2], "total": vals[3],
                       "details": details, "seq": self.head}
        s.last_seq = self.head
        self.count("usage-ok")
        self.oplog.append(("usage", sid, args, self.head))

    def op_bad_add(self, sid):
        texts = self.g.batch()
        k = self.r.randrange(len(texts) + 1)
        bad = self.r.choice(['1', '"str"', '[{"role":"user"}]', '{"role":', 'null', '{"a":1}}'])
        texts.insert(k, bad)
        if self.r.random() < 0.5:
            stdin = "\n".join(texts) + "\n"
        else:
            stdin = "[" + ",".join(texts) + "]"
        rc, out, err = self.cli.run(["add", sid], stdin)
        self.expect_error("add with invalid item at %d (%s)" % (k, bad), rc, err, codes=(65,))
        if rc == 65 and str(k) not in err and str(k + 1) not in err:
            self.problem("add invalid item: message does not name index %d: %r" % (k, err))

    def op_bad_other(self, sid):
        r = self.r.randrange(3)
        s = self.sess(sid)
        if r == 0:
            rc, out, err = self.cli.run(["items", sid, "--limit", "-1"])
            self.expect_error("items --limit -1", rc, err, codes=(64,))
        elif r == 1:
            cur = s.current
            other = "nosuch" if self.r.random() < 0.5 else ("main" if cur != "main" else "retry")
            for form in ("NFC", "NFD"):
                v = unicodedata.normalize(form, cur)
                if v != cur:
                    other = v  # canonically equivalent, other bytes: another branch name
            if other == cur:
                return
            rc, out, err = self.cli.run(["add", sid, "--branch", other], '{"role":"user","content":"x"}\n')
            evs = self.expect_error("add --branch %r while on %r" % (other, cur), rc, err, codes=(65,))
            for e in evs:
                # reported above; follow the product so that the run goes on comparing the rest
                if e["kind"] == "items_added" and s.exists and e["branch"] == s.current:
                    s.cur().items += [Item(json.dumps(o, ensure_ascii=False, separators=(",", ":")), e["seq"])
                                      for o in e["items"]]
                    s.last_seq = e["seq"]
        else:
            rc, out, err = self.cli.run(["add", sid], "")
            evs = self.new_events()
            self.checks += 1
            if rc != 0 or out != "" or evs:
                self.problem("empty add: rc %d out %r events %d" % (rc, out, len(evs)))

    def step(self):
        sid = self.r.choice(SESSION_IDS[:1] * FOCUS + SESSION_IDS)
        s = self.sess(sid)
        w = self.r.random()
        if w < 0.34:
            self.op_add(sid)
        elif w < 0.45:
            self.op_pop(sid)
        elif w < 0.475:
            self.op_clear(sid)
        elif w < 0.60:
            self.op_create(sid)
        elif w < 0.62:
            self.op_collide(sid)
        elif w < 0.71:
            self.op_switch(sid)
        elif w < 0.77:
            self.op_delete(sid)
        elif w < 0.88:
            self.op_usage(sid)
        elif w < 0.92:
            self.op_bad_add(sid)
        elif w < 0.95:
            self.op_bad_other(sid)
        else:
            self.r.choice([self.op_create, self.op_switch, self.op_delete, self.op_usage])(sid, invalid=True)
        self.snapshot()
        return sid

    # -- checks
    def cmp(self, label, got, want):
        self.checks += 1
        if got != want:
            self.problem("%s:\n    got      %s\n    expected %s" % (label, trunc(got), trunc(want)))
            return False
        return True

    def read(self, args, asof, store=None):
        a = list(args)
        if asof is not None:
            a += asof
        rc, out, err = self.cli.run(a, store=store)
        return rc, out, err

    def check_json(self, label, args, want, asof=None, store=None, raw=None):
        rc, out, err = self.read(args, asof, store)
        if isinstance(want, tuple) and want[0] == "err":
            self.checks += 1
            if rc != want[1]:
                self.problem("%s: expected exit %d, got %d (%r) %r" % (label, want[1], rc, err[:200], out[:200]))
            return
        if rc != 0:
            self.checks += 1
            self.problem("%s: exit %d: %s" % (label, rc, err.strip()[:300]))
            return
        if raw:
            self.cmp(label, out, want)
        else:
            try:
                got = json.loads(out)
            except Exception:
                self.problem("%s: not JSON: %r" % (label, out[:300]))
                return
            self.cmp(label, got, want)
        return out

    def check_session(self, st, sid, asof=None, full=True, store=None, tag=""):
        label = "%s[%s%s]" % (sid, tag, "" if asof is None else " ".join(asof))
        s = st.get(sid)
        self.check_json(label + " branch list", ["branch", "list", sid, "--json"], exp_branch_list(st, sid, self.times),
                        asof, store)
        self.check_json(label + " items", ["items", sid], exp_items(st, sid), asof, store, raw=True)
        self.check_json(label + " usage", ["usage", "show", sid, "--json"], exp_usage(st, sid, None, None, self.times),
                        asof, store)
        self.check_json(label + " turns", ["turns", sid, "--json"], exp_turns(st, sid, None, self.times), asof, store)
        if not full:
            return
        self.check_json(label + " tools", ["tools", sid, "--json"], exp_tools(st, sid, None), asof, store)
        names = [b.name for b in (s.branches if s else [])]
        dead = [n for n in names if not s.live(n)]
        live = [n for n in names if s.live(n)]
        for n in live:
            bl = "%s --branch %r" % (label, n)
            self.check_json(bl + " items", ["items", sid, "--branch", n], exp_items(st, sid, n), asof, store, raw=True)
            self.check_json(bl + " turns", ["turns", sid, "--branch", n, "--json"], exp_turns(st, sid, n, self.times),
                            asof, store)
            self.check_json(bl + " tools", ["tools", sid, "--branch", n, "--json"], exp_tools(st, sid, n), asof, store)
            self.check_json(bl + " usage", ["usage", "show", sid, "--branch", n, "--json"],
                            exp_usage(st, sid, n, None, self.times), asof, store)
            bb = s.live(n)
            if bb.usage and self.r.random() < 0.5:
                t = self.r.choice(sorted(bb.usage))
                self.check_json(bl + " usage --turn %d" % t, ["usage", "show", sid, "--branch", n, "--turn", str(t),
                                "--json"], exp_usage(st, sid, n, t, self.times), asof, store)
            if self.r.random() < 0.3:
                term = self.r.choice(FIND_TERMS)
                self.check_json(bl + " find %r" % term, ["find", sid, term, "--branch", n, "--json"],
                                exp_find(st, sid, n, term, self.times), asof, store)
        future = []
        if asof is not None:
            nows = self.state.get(sid)
            future = [b.name for b in (nows.branches if nows else []) if b.name not in names and b.name != "main"][:2]
        variants = []
        for n in live:
            for form in ("NFC", "NFD"):
                v = unicodedata.normalize(form, n)
                if v != n and v not in live and v not in variants:
                    variants.append(v)
        for n in dead[:2] + ["nosuch"] + future + variants:
            self.check_json("%s --branch %r items" % (label, n), ["items", sid, "--branch", n], ("err", 65), asof, store)
        b = s.cur() if s else None
        if b and b.items:
            lim = self.r.randint(0, len(b.items) + 1)
            self.check_json(label + " items --limit %d" % lim, ["items", sid, "--limit", str(lim)],
                            exp_items(st, sid, None, lim), asof, store, raw=True)
        if b and b.usage:
            t = self.r.choice(sorted(b.usage) + [99])
            self.check_json(label + " usage --turn %d" % t, ["usage", "show", sid, "--turn", str(t), "--json"],
                            exp_usage(st, sid, None, t, self.times), asof, store)
        terms = [self.r.choice(FIND_TERMS) for _ in range(2)]
        if b:
            users = [i for i in b.items if i.is_user and i.find_texts]
            if users:
                ws = [w for w in self.r.choice(users).find_texts[0].split(" ") if w and "\u0301" not in w]
                if ws:
                    terms.append(self.r.choice(ws).swapcase())
        for term in terms:
            self.check_json(label + " find %r" % term, ["find", sid, term, "--json"],
                            exp_find(st, sid, None, term, self.times), asof, store)

    def check_search(self, st, store=None):
        # unique tokens of live items: one hit per (session, branch) holding the item
        toks = {}
        for sid, s in st.items():
            for b in s.branches:
                if b.deleted:
                    continue
                for t, i in b.turned():
                    for m in re.findall(r"tok\d+q\d+", i.text):
                        toks.setdefault(m, []).append((sid, b.name, t, i.seq, i.text))
        alltoks = sorted(set(m for e in self.events if e["kind"] == "items_added"
                             for m in re.findall(r"tok\d+q\d+", json.dumps(e["items"]))))
        pick = self.r.sample(alltoks, min(6, len(alltoks)))
        for tok in pick:
            want = sorted(toks.get(tok, []))
            rc, out, err = self.cli.run(["search", tok, "--json", "--limit", "1000"], store=store)
            if rc != 0:
                self.problem("search %s: exit %d %s" % (tok, rc, err))
                continue
            got = sorted((h["session"], h["branch"], h["turn"], h["seq"], None) for h in json.loads(out))
            self.cmp("search %s" % tok, got, sorted((a, b, c, d, None) for a, b, c, d, _ in want))
            if want:
                sid, br = want[0][0], want[0][1]
                rc, out, err = self.cli.run(["search", sid, tok, "--branch", br, "--json", "--limit", "1000"],
                                            store=store)
                got = sorted((h["session"], h["branch"], h["turn"], h["seq"]) for h in json.loads(out or "[]"))
                self.cmp("search %r %s --branch %r" % (sid, tok, br), got,
                         sorted((a, b, c, d) for a, b, c, d, _ in want if a == sid and b == br))

    def check_current(self, full=True, sids=None, store=None, tag="now"):
        for sid in (sids or SESSION_IDS + ["never-used"]):
            self.check_session(self.state, sid, None, full, store, tag)
        if full:
            self.check_json("sessions", ["sessions", "--json"], exp_sessions(self.state, self.times), None, store)
            self.check_search(self.state, store)

    def check_asof(self, seq, full, store=None, sids=None, tag="asof"):
        st = self.snaps[seq]
        for sid in (sids or SESSION_IDS):
            self.check_session(st, sid, ["--as-of-seq", str(seq)], full, store, tag)

    def snapshot_outputs(self, queries):
        return [self.cli.run(q) for q in queries]

    # -- the run
    def main(self):
        print("seed %d: %d operations, store %s" % (self.seed, self.nops, self.store))
        rebuild_points = sorted(self.r.sample(range(self.nops // 5, self.nops), 2))
        for n in range(self.nops):
            before = self.head
            sid = self.step()
            self.check_session(self.state, sid, None, full=False, tag="op%d" % n)
            if n % 25 == 24:
                self.check_current(full=True)
            if n in rebuild_points:
                self.rebuild_check("op %d" % n)
        self.check_current(full=True)
        self.asof_checks()
        self.time_checks()
        self.log_checks()
        self.checkout_checks()
        self.import_checks()
        for v in (["verify"], ["verify", "--deep"]):
            rc, out, err = self.cli.run(v)
            self.checks += 1
            if rc != 0 or "ok" not in out:
                self.problem("%s: %d %s %s" % (" ".join(v), rc, out, err))
        return self

    def asof_checks(self):
        seqs = set(s for s in self.interesting if s in self.snaps)
        allseqs = sorted(self.snaps)
        seqs.update(self.r.sample(allseqs, min(25, len(allseqs))))
        seqs.update([0, 1, self.head])
        seqs = sorted(seqs)
        if len(seqs) > 90:
            seqs = sorted(self.r.sample(seqs, 90))
        print("  as-of checks at %d sequence numbers (head %d)" % (len(seqs), self.head))
        for i, seq in enumerate(seqs):
            self.check_asof(seq, full=(i % 4 == 0))
        # past the head: the current state
        for sid in SESSION_IDS:
            self.check_session(self.state, sid, ["--as-of-seq", str(self.head + 7)], False, tag="past-head")
        self.stats["asof-points"] = len(seqs)

    def time_checks(self):
        import datetime
        def us(t):
            d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
            return int(d.timestamp()) * 1000000 + d.microsecond
        def fmt(u, style):
            d = datetime.datetime.fromtimestamp(u // 1000000, datetime.timezone.utc).replace(microsecond=u % 1000000)
            if style == "z":
                return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            if style == "nozone":
                return d.strftime("%Y-%m-%dT%H:%M:%S.%f")
            if style == "offset":
                return d.astimezone(datetime.timezone(datetime.timedelta(hours=2))).strftime("%Y-%m-%dT%H:%M:%S.%f+02:00")
            if style == "ms":
                return d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        tus = {seq: us(t) for seq, t in self.times.items()}
        seqs = self.r.sample(sorted(self.times), min(16, len(self.times)))
        for seq in seqs:
            style = self.r.choice(["z", "z", "nozone", "offset", "ms"])
            q = tus[seq] + self.r.choice([0, 0, -1, 1])
            qs = fmt(q, style)
            qv = q - q % 1000 if style == "ms" else q
            cands = [s for s, u in tus.items() if u <= qv]
            last = max(cands) if cands else 0
            if last not in self.snaps:
                continue
            for sid in self.r.sample(SESSION_IDS, 2):
                self.check_session(self.snaps[last], sid, ["--as-of-time", qs], False, tag="time@%d->%d" % (seq, last))
        self.stats["time-points"] = len(seqs)
        first = tus[1] - 5000000
        for sid in SESSION_IDS[:2]:
            self.check_session({}, sid, ["--as-of-time", fmt(first, "z")], False, tag="before-first")

    def log_checks(self):
        for sid in SESSION_IDS:
            rc, out, err = self.cli.run(["log", "--json", "--session", sid])
            got = [json.loads(l)["seq"] for l in out.splitlines() if l.strip()]
            self.cmp("log --session %r" % sid, got, [e["seq"] for e in self.events if e["session"] == sid])
        for kind in ["items_added", "item_popped", "session_cleared", "branch_created", "branch_switched",
                     "branch_deleted", "usage_recorded"]:
            rc, out, err = self.cli.run(["log", "--json", "--kind", kind])
            got = [json.loads(l)["seq"] for l in out.splitlines() if l.strip()]
            self.cmp("log --kind %s" % kind, got, [e["seq"] for e in self.events if e["kind"] == kind])
        a = self.r.randint(1, self.head)
        b = self.r.randint(a, self.head)
        rc, out, err = self.cli.run(["log", "--json", "--from-seq", str(a), "--to-seq", str(b)])
        got = [json.loads(l)["seq"] for l in out.splitlines() if l.strip()]
        self.cmp("log --from-seq %d --to-seq %d" % (a, b), got, list(range(a, b + 1)))

    def checkout_checks(self):
        allseqs = sorted(s for s in self.snaps if s > 0)
        picks = self.r.sample(allseqs, min(3, len(allseqs)))
        for k, n in enumerate(picks):
            into = os.path.join(self.dir, "co%d" % k)
            rc, out, err = self.cli.run(["checkout", "--as-of-seq", str(n), "--into", into])
            self.checks += 1
            if rc != 0:
                self.problem("checkout %d: %d %s" % (n, rc, err))
                continue
            rc, out, err = self.cli.run(["log", "--json"], store=into)
            seqs = [json.loads(l)["seq"] for l in out.splitlines() if l.strip()]
            self.cmp("checkout %d: log sequences" % n, seqs, list(range(1, n + 1)))
            st = self.snaps[n]
            for sid in SESSION_IDS:
                self.check_session(st, sid, None, True, store=into, tag="checkout@%d" % n)
            self.check_json("checkout@%d sessions" % n, ["sessions", "--json"], exp_sessions(st, self.times), None,
                            into)
            for m in self.r.sample([s for s in allseqs if s <= n], min(3, len([s for s in allseqs if s <= n]))):
                for sid in SESSION_IDS:
                    self.check_session(self.snaps[m], sid, ["--as-of-seq", str(m)], False, store=into,
                                       tag="checkout@%d" % n)
            # the copy takes the next sequence number
            rc, out, err = self.cli.run(["add", "s1", "--json"], '{"role":"user","content":"after checkout"}\n',
                                        store=into)
            self.checks += 1
            if rc != 0 or json.loads(out)["sequence"] != n + 1:
                self.problem("checkout@%d: add printed %r %r" % (n, out, err))
            self.stats["checkouts"] = self.stats.get("checkouts", 0) + 1

    def import_checks(self):
        """export, then import into a fresh store (one process replays every command): same log, same answers."""
        exp = os.path.join(self.dir, "export.jsonl")
        rc, out, err = self.cli.run(["export"])
        self.checks += 1
        if rc != 0:
            self.problem("export: %d %s" % (rc, err))
            return
        open(exp, "w").write(out)
        imp = os.path.join(self.dir, "imported")
        rc, iout, err = self.cli.run(["import", "--file", exp], store=imp)
        self.checks += 1
        if rc != 0:
            self.problem("import: %d %s" % (rc, err[:1000]))
        rc, out, err = self.cli.run(["log", "--json"], store=imp)
        evs = [json.loads(l) for l in out.splitlines() if l.strip()]
        strip = lambda e: {k: v for k, v in e.items() if k != "time"}
        self.cmp("import: log (without times)", [strip(e) for e in evs], [strip(e) for e in self.events])
        saved = self.times
        self.times = {e["seq"]: e["time"] for e in evs}
        try:
            self.check_current(full=True, store=imp, tag="imported")
            for seq in self.r.sample(sorted(self.snaps), min(15, len(self.snaps))):
                self.check_asof(seq, full=False, store=imp, tag="imported")
            tl = [e["time"] for e in evs]
            self.cmp("import: times non-decreasing", tl, sorted(tl))
            for e in self.r.sample(evs, min(8, len(evs))):
                last = max(x["seq"] for x in evs if x["time"] <= e["time"])
                if last in self.snaps:
                    sid = self.r.choice(SESSION_IDS)
                    self.check_session(self.snaps[last], sid, ["--as-of-time", e["time"]], False, store=imp,
                                       tag="imported time->%d" % last)
        finally:
            self.times = saved
        self.stats["imports"] = 1

    def rebuild_check(self, where):
        # every answer before deleting views.sqlite, byte for byte after
        queries = []
        seqs = self.r.sample(sorted(self.snaps), min(6, len(self.snaps)))
        for sid in SESSION_IDS:
            s = self.state.get(sid)
            names = [b.name for b in (s.branches if s else [])] + ["main"]
            for asof in [[]] + [["--as-of-seq", str(q)] for q in seqs]:
                queries.append(["branch", "list", sid, "--json"] + asof)
                queries.append(["items", sid] + asof)
                queries.append(["turns", sid, "--json"] + asof)
                queries.append(["tools", sid, "--json"] + asof)
                queries.append(["usage", "show", sid, "--json"] + asof)
            for n in names:
                queries.append(["items", sid, "--branch", n])
                queries.append(["usage", "show", sid, "--branch", n, "--json"])
                queries.append(["find", sid, "a", "--branch", n, "--json"])
        queries.append(["sessions", "--json"])
        queries.append(["log", "--json"])
        before = self.snapshot_outputs(queries)
        os.remove(os.path.join(self.store, "views.sqlite"))
        for extra in ("views.sqlite-wal", "views.sqlite-shm"):
            p = os.path.join(self.store, extra)
            if os.path.exists(p):
                if os.path.getsize(p) > 0 and extra.endswith("wal"):
                    self.note("%s non-empty after a clean close" % extra)
                os.remove(p)
        after = self.snapshot_outputs(queries)
        bad = 0
        for q, a, b in zip(queries, before, after):
            self.checks += 1
            if a[:2] != b[:2]:
                bad += 1
                if bad <= 5:
                    self.problem("after deleting views.sqlite (%s), %s answered differently:\n   before %r\n   after  %r"
                                 % (where, q, a[:3], b[:3]))
        self.stats["rebuilds"] = self.stats.get("rebuilds", 0) + 1
        self.stats["rebuild-compared"] = self.stats.get("rebuild-compared", 0) + len(queries)


def trunc(v, n=1500):
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def main():
    global BIN, FOCUS
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--work", default=".build/semantics-check")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--focus", type=int, default=3, help="extra weight of session s1 (deeper histories)")
    a = ap.parse_args()
    BIN = a.bin
    FOCUS = a.focus
    total_checks = total_calls = 0
    allprob = []
    for seed in [int(x) for x in a.seeds.split(",")]:
        run = Run(seed, a.ops, a.work, a.quiet).main()
        print("seed %d: head %d, %d checks, %d CLI calls, %d problems; %s" % (
            seed, run.head, run.checks, run.cli.calls, len(run.problems), json.dumps(run.stats, sort_keys=True)))
        for n in sorted(run.notes):
            print("  note:", n)
        with open(os.path.join(run.dir, "problems.txt"), "w") as f:
            for p in run.problems:
                f.write(p + "\n\n")
        for p in run.problems[:40]:
            print("  problem:", p[:1500])
        total_checks += run.checks
        total_calls += run.cli.calls
        allprob += ["seed %d: %s" % (seed, p) for p in run.problems]
    print("TOTAL: %d checks, %d CLI calls, %d problems" % (total_checks, total_calls, len(allprob)))
    return 1 if allprob else 0


if __name__ == "__main__":
    sys.exit(main())
