#!/usr/bin/env python3
"""Failover time of a 1-replica service with a virtual IP on a docker-provider site.

usage: bench_failover.py ROOT_DIR TEMP_DIR [--stage private] [--service hastate] [--runs 5]
                         [--cases follower,leader]

The site must run the service (tests/e2e/test_ha.py's `hastate`: label HIVE_VIP, one port
published in host mode). For each case the task is first moved onto the victim (a non-leader hive,
or the raft leader) with a placement constraint added then removed; then the victim's node
container is stopped (`docker stop`) and the script times, from the stop command:
  node_down_s   the swarm marks the victim down,
  task_s        a task of the service runs on another hive,
  http_s        HTTP answers on VIP:port again (from the new hive).
The victim is started again and the site waited for (3 Ready managers, one task, VIP on one hive)
before the next run. Prints one JSON line per run and min/median/max per case and measure.
TEMP_DIR is accepted for symmetry with `hive -W`; nothing is written there.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from http.client import HTTPException
from pathlib import Path

POLL = 0.3
TRIAL_LIMIT = 180.0


def sh(argv: list[str], timeout: float = 30) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False).stdout.strip()
    except subprocess.TimeoutExpired:
        return ""


def hives_of(root: Path, stage: str) -> list[str]:
    """Inventory host names from the generated ssh_config; the last is the repository server."""
    text = (root / ".hive" / stage / "ssh_config").read_text()
    hosts = [line.split()[1] for line in text.splitlines() if line.startswith("Host ")]
    return hosts[:-1]


class Site:
    """Swarm queries through `docker exec` into a node container that is up (docker provider)."""

    def __init__(self, hives: list[str], service: str):
        self.hives, self.service, self.down = hives, service, set()

    def host(self, node: str) -> str:
        return next((h for h in self.hives if node in (h, h.split(".")[0])), node)

    def docker(self, *args: str, timeout: float = 10, via: str | None = None) -> str:
        for h in ([via] if via else [h for h in self.hives if h not in self.down]):
            out = sh(["docker", "exec", h, "docker", *args], timeout)
            if out:
                return out
        return ""

    def nodes(self) -> dict[str, list[str]]:
        out = self.docker("node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}")
        return {self.host(l.split()[0]): l.split()[1:] for l in out.splitlines() if l}

    def leader(self) -> str | None:
        return next((h for h, s in self.nodes().items() if "Leader" in s), None)

    def running(self) -> list[str]:
        out = self.docker("service", "ps", self.service, "--filter", "desired-state=running",
                          "--format", "{{.Node}} {{.CurrentState}}", timeout=5)
        return [self.host(l.split()[0]) for l in out.splitlines() if l.split()[1:2] == ["Running"]]

    def vip_port(self) -> tuple[str, int]:
        spec = json.loads(self.docker("service", "inspect", self.service, "--format", "{{json .Spec}}"))
        vip = spec["Labels"]["HIVE_VIP"].split("/")[0].split("@")[0]
        port = spec["EndpointSpec"]["Ports"][0]["PublishedPort"]
        return vip, int(port)

    def vip_holders(self, vip: str) -> list[str]:
        return [h for h in self.hives if h not in self.down
                and f" {vip}/" in sh(["docker", "exec", h, "ip", "-4", "-o", "addr", "show"])]

    def containers(self) -> int:
        return sum(len(sh(["docker", "exec", h, "docker", "ps", "-q", "--filter",
                           f"label=com.docker.swarm.service.name={self.service}"]).split())
                   for h in self.hives)

    def move_to(self, target: str) -> None:
        node = target.split(".")[0] if target.split(".")[0] in self.nodes_raw() else target
        for op in ("--constraint-add", "--constraint-rm"):
            self.docker("service", "update", "-q", "--detach=false", op, f"node.hostname=={node}",
                        self.service, timeout=120)

    def nodes_raw(self) -> set[str]:
        return set(self.docker("node", "ls", "--format", "{{.Hostname}}").split())


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5) as r:
            return r.status == 200
    except (OSError, HTTPException):      # refused, timed out, cut off: not answering yet
        return False


def wait(what: str, probe, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_failover: not within {timeout:.0f} s: {what}")
        time.sleep(1)


def settled(site: Site, vip: str, url: str) -> bool:
    nodes = site.nodes()
    managers_ok = len(nodes) == len(site.hives) and all(s[:1] == ["Ready"] and len(s) == 2 for s in nodes.values())
    run = site.running()
    return (managers_ok and len(run) == 1 and site.containers() == 1 and site.vip_holders(vip) == run
            and answers(url))


def trial(site: Site, case: str, vip: str, url: str) -> dict:
    wait("site settled before the run", lambda: settled(site, vip, url))
    leader = site.leader()
    victim = leader if case == "leader" else next(h for h in site.hives if h != leader)
    for _ in range(3):
        if site.running() == [victim]:
            break
        site.move_to(victim)
        wait("task moved", lambda: len(site.running()) == 1 and settled(site, vip, url))
    if site.running() != [victim]:
        raise SystemExit(f"bench_failover: could not move {site.service} onto {victim}")
    wait("VIP on the victim", lambda: site.vip_holders(vip) == [victim] and answers(url))

    t0 = time.monotonic()
    stopper = subprocess.Popen(["docker", "stop", victim], stdout=subprocess.DEVNULL)
    site.down.add(victim)
    node_down = task = answered = stopped = None
    while time.monotonic() - t0 < TRIAL_LIMIT and (task is None or answered is None):
        now = time.monotonic() - t0
        if node_down is None and site.nodes().get(victim, [""])[0] == "Down":
            node_down = now
        if task is None:
            run = site.running()
            if run and run[0] != victim:
                task = time.monotonic() - t0
        # The victim answers until its dockerd has stopped the task: only count answers after that.
        if stopped is None and stopper.poll() is not None:
            stopped = time.monotonic() - t0
        if answered is None and stopped is not None and answers(url):
            answered = time.monotonic() - t0
        time.sleep(POLL)
    stopper.wait()
    result = {"case": case, "victim": victim, "was_leader": victim == leader,
              "node_down_s": node_down and round(node_down, 1), "task_s": task and round(task, 1),
              "http_s": answered and round(answered, 1), "docker_stop_s": stopped and round(stopped, 1)}
    sh(["docker", "start", victim], timeout=120)
    site.down.discard(victim)
    return result


def summary(results: list[dict]) -> list[str]:
    lines = []
    for case in sorted({r["case"] for r in results}):
        for key in ("docker_stop_s", "node_down_s", "task_s", "http_s"):
            values = [r[key] for r in results if r["case"] == case and r[key] is not None]
            missing = sum(1 for r in results if r["case"] == case and r[key] is None)
            if values:
                lines.append(f"{case:8} {key:12} min {min(values):5.1f}  median {statistics.median(values):5.1f}  "
                             f"max {max(values):5.1f}  (n={len(values)}{f', {missing} never' if missing else ''})")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root_dir", type=Path)
    ap.add_argument("temp_dir", type=Path)
    ap.add_argument("--stage", default="private")
    ap.add_argument("--service", default="hastate")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cases", default="follower,leader")
    args = ap.parse_args(argv)
    site = Site(hives_of(args.root_dir, args.stage), args.service)
    vip, port = site.vip_port()
    url = f"http://{vip}:{port}/"
    results = []
    try:
        for case in args.cases.split(","):
            for _ in range(args.runs):
                r = trial(site, case, vip, url)
                results.append(r)
                print(json.dumps(r), flush=True)
    finally:
        for h in sorted(site.down):
            sh(["docker", "start", h], timeout=120)
        print("\n".join(summary(results)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
