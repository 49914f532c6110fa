#!/usr/bin/env python3
"""Where a phase's time goes, read from a project's hive.log (no rerun needed).

usage: bench/log_profile.py HIVE_LOG [PHASE] [--top N]
Takes the last run of PHASE (default: every phase of the last run of each) and prints the time per
role and the slowest tasks. A task's time is from its TASK line to the next TASK/PLAY/HANDLER line
(ansible runs a task on all hosts before the next one starts), so it includes every host's share.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from datetime import datetime

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*?\| (.*)$")
PHASE = re.compile(r"=== PHASE (\S+) (START|END) at (\S+ \S+)")
STEP = re.compile(r"^(TASK|RUNNING HANDLER|PLAY) \[(.*)\]")


def runs(lines: list[str]) -> dict[str, list[tuple[datetime, str, str]]]:
    """The last finished run of each phase: its (time, kind, name) steps, the END marker last."""
    out: dict[str, list[tuple[datetime, str, str]]] = {}
    current: list[tuple[datetime, str, str]] | None = None
    name = ""
    for line in lines:
        p = PHASE.match(line)
        m = STAMP.match(line)
        if p:
            when = datetime.strptime(p.group(3), "%Y-%m-%d %H:%M:%S")
        elif m:
            when, text = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f"), m.group(2)
        else:
            continue
        if p and p.group(2) == "START":
            current, name = [], p.group(1)
        elif p and current is not None:
            current.append((when, "END", ""))
            out[name], current = current, None
        elif current is not None and (s := STEP.match(text)):
            current.append((when, s.group(1), s.group(2)))
    return out


def durations(steps: list[tuple[datetime, str, str]]) -> list[tuple[float, str, str]]:
    return [((nxt[0] - when).total_seconds(), kind, name)
            for (when, kind, name), nxt in zip(steps, steps[1:]) if kind != "PLAY"]


def role_of(name: str) -> str:
    return name.split(" : ", 1)[0] if " : " in name else "(play tasks)"


def main(argv: list[str]) -> None:
    top = 15
    if "--top" in argv:
        i = argv.index("--top")
        top = int(argv[i + 1])
        del argv[i:i + 2]
    if not argv:
        raise SystemExit(__doc__)
    with open(argv[0], errors="replace") as f:
        phases = runs(f.read().splitlines())
    wanted = argv[1:] or list(phases)
    for phase in wanted:
        steps = phases.get(phase)
        if not steps:
            print(f"{phase}: no run in the log")
            continue
        timed = durations(steps)
        total = sum(t for t, _, _ in timed)
        print(f"\n{phase}: {total:.1f}s in {len(timed)} tasks")
        per_role: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for t, _, name in timed:
            per_role[role_of(name)] += t
            count[role_of(name)] += 1
        for role, t in sorted(per_role.items(), key=lambda kv: -kv[1]):
            print(f"  {t:7.1f}s {count[role]:4d} tasks  {role}")
        print("  slowest tasks:")
        for t, kind, name in sorted(timed, reverse=True)[:top]:
            print(f"  {t:7.1f}s  {name}{' (handler)' if kind == 'RUNNING HANDLER' else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
