#!/usr/bin/env python3
"""Times `hive all` for the demo project (examples/demo) from nothing, then its no-op rerun.

usage: bench/bench_demo.py [--keep] [--failover]
Copies examples/demo to a temp dir, runs `hive all` there with the `hive` next to this Python
(targets of issue 13: fresh <= 180 s, no-op <= 30 s), prints the phase lines hive itself prints and both
totals, checks that the demo page answers, then destroys the site (unless --keep). --failover then
stops the hive running the database (its data on a mirrored volume) and times until the web page
shows the rows again from a surviving hive. Not a test:
numbers go into the closing notes. The node image is built first and not counted (it is cached
between runs).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent / "examples" / "demo"
HIVE = str(Path(sys.executable).parent / "hive")
PHASE_LINE = re.compile(r"=== PHASE (\S+) END .*\(([\d.]+)s\)")


def hive(root: Path, temp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HIVE, "-r", str(root), "-W", str(temp), *args], capture_output=True, text=True)


def _checked(root: Path, temp: Path, *args: str) -> subprocess.CompletedProcess:
    proc = hive(root, temp, *args)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-4000:])
        raise SystemExit(f"hive {' '.join(args)} failed")
    return proc


def timed_all(root: Path, temp: Path, label: str) -> float:
    t0 = time.monotonic()
    proc = _checked(root, temp, "all")
    total = time.monotonic() - t0
    for phase, took in PHASE_LINE.findall(proc.stdout + proc.stderr):
        print(f"  {label:12} {phase:20} {float(took):6.1f}s", flush=True)
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout))
    print(f"{label}: hive all {total:.1f}s (sum of changed= in the recaps: {changed})", flush=True)
    return total


def demo_url(root: Path, temp: Path) -> str:
    inventory = json.loads(_checked(root, temp, "inventory").stdout)
    hostvars = inventory["_meta"]["hostvars"]
    first = inventory["first_hive"]["hosts"][0]
    return f"http://{hostvars[first]['hive_private_ip']}:8080/"


def _page_with_rows(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status == 200 and "loaded by initialize-services" in resp.read().decode(errors="replace")
    except OSError:
        return False


def _node_running(service: str, nodes: list[str]) -> str | None:
    for node in nodes:
        out = subprocess.run(["docker", "exec", node, "docker", "ps", "-q", "--filter",
                              f"label=com.docker.swarm.service.name={service}"],
                             capture_output=True, text=True).stdout
        if out.strip():
            return node
    return None


def failover(root: Path, temp: Path) -> float:
    inventory = json.loads(_checked(root, temp, "inventory").stdout)
    hostvars = inventory["_meta"]["hostvars"]
    hives = inventory["hives"]["hosts"]
    victim = _node_running("db", hives)
    if victim is None:
        raise SystemExit("no hive runs the db task")
    t0 = time.monotonic()
    subprocess.run(["docker", "stop", victim], check=True, capture_output=True)
    urls = [f"http://{hostvars[h]['hive_private_ip']}:8080/" for h in hives if h != victim]
    try:
        while not any(_page_with_rows(u) for u in urls):
            if time.monotonic() - t0 > 180:
                raise SystemExit("the page did not come back within 180 s")
            time.sleep(0.5)
        took = time.monotonic() - t0
        print(f"RESULT db failover: {victim} stopped, rows served again after {took:.1f}s "
              f"(db now on {_node_running('db', [h for h in hives if h != victim])})")
        return took
    finally:
        subprocess.run(["docker", "start", victim], check=True, capture_output=True)


def main() -> None:
    keep = "--keep" in sys.argv
    base = Path(tempfile.mkdtemp(prefix="hive-bench-demo-"))
    root, temp = base / "demo", base / "tmp"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns(".hive"))
    temp.mkdir()
    from hive_builder.providers.docker import ensure_node_image  # noqa: PLC0415
    t0 = time.monotonic()
    for kind in ("hive", "repository"):   # the docker provider builds both kinds
        ensure_node_image(kind=kind)
    print(f"node image ready (cached or built): {time.monotonic() - t0:.1f}s")
    try:
        fresh = timed_all(root, temp, "fresh")
        url = demo_url(root, temp)
        with urllib.request.urlopen(url, timeout=10) as resp:
            print(f"{url} -> {resp.status}: {resp.read(300).decode(errors='replace')!r}")
        noop = timed_all(root, temp, "no-op rerun")
        print(f"RESULT fresh {fresh:.1f}s (target 180), no-op {noop:.1f}s (target 30)")
        if "--failover" in sys.argv:
            failover(root, temp)
    finally:
        if not keep:
            hive(root, temp, "build-infra", "-D")
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
