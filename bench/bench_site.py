#!/usr/bin/env python3
"""Times a fresh local site (docker provider) up to build-networks, then the no-op rerun.

usage: bench/bench_site.py [--keep]
Builds tests/e2e/project in a temp dir with the `hive` next to this Python, prints one line per
phase and the totals, then destroys the site (unless --keep). Not a test: numbers go into the
closing notes. The node image is built first and not counted (it is cached between runs).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent / "tests" / "e2e" / "project"
HIVE = str(Path(sys.executable).parent / "hive")
PHASES = ["build-infra", "setup-hosts", "build-networks"]


def run_phase(root: Path, temp: Path, *args: str) -> float:
    t0 = time.monotonic()
    proc = subprocess.run([HIVE, "-r", str(root), "-W", str(temp), *args],
                          capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"hive {' '.join(args)} failed after {elapsed:.1f}s")
    return elapsed


def main() -> None:
    keep = "--keep" in sys.argv
    base = Path(tempfile.mkdtemp(prefix="hive-bench-"))
    root, temp = base / "project", base / "tmp"
    shutil.copytree(PROJECT, root)
    temp.mkdir()
    from hive_builder.providers.docker import ensure_node_image  # noqa: PLC0415
    t0 = time.monotonic()
    for kind in ("hive", "repository"):   # the docker provider builds both kinds
        ensure_node_image(kind=kind)
    print(f"node image ready (cached or built): {time.monotonic() - t0:.1f}s")
    try:
        for label in ("fresh", "no-op rerun"):
            total = 0.0
            for phase in PHASES:
                took = run_phase(root, temp, phase)
                total += took
                print(f"  {label:12} {phase:15} {took:6.1f}s", flush=True)
            print(f"{label}: {total:.1f}s up to build-networks", flush=True)
    finally:
        if not keep:
            run_phase(root, temp, "build-infra", "-D")
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
