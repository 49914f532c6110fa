"""follow-swarm-service: moves VIPs, node labels and NAT rules with the tasks of swarm services
(manual chapter 9, reference §7, decisions item 10).

Runs as root on every hive (systemd unit). The loop: full check at start, then a check on every
relevant Docker event, plus one at the end of each event window (missed events are caught up);
when the event stream breaks it reconnects with backoff and re-checks, keeping what is still
right. Only SIGTERM (or Ctrl-C) releases everything this node holds.

Uses only Docker SDK APIs present in both python3-docker 5.0.3 (Debian 12) and docker 7.x.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import sys
import time
from typing import Callable, Iterable, Protocol

from . import nat as natmod
from .hooks import Hook, LocalTask, hooks_of_services, local_tasks
from .mark import apply_labels
from .reconcile import AddVip, DelVip, Observation, Plan, plan
from .state import State, StateFile
from .system import Runner, Sleeper, real_sleep, run_command
from .vip import Placement, addr_add, addr_del, garp, parse_ip_json, ping

MAX_PING = 5
PING_RETRY_SLEEP = 10.0
EVENT_WINDOW = 30.0
MAX_BACKOFF = 30.0
CONTAINER_ACTIONS = {"start", "die", "stop", "kill", "destroy"}


class CheckError(RuntimeError):
    """A check could not see the node's state; nothing was changed."""


class DockerPort(Protocol):
    """The Docker calls the daemon makes (real: DockerAdapter; tests: a fake)."""

    def identity(self) -> tuple[str, str]: ...                       # (node name, swarm node id)
    def services(self) -> list[dict]: ...
    def tasks_on_node(self, node_id: str) -> list[dict]: ...
    def node_labels(self, node_id: str) -> dict[str, str]: ...
    def update_node_labels(self, node_id: str, add: list[str], remove: list[str]) -> None: ...
    def gwbridge_addresses(self) -> dict[str, tuple[str | None, str | None]]: ...
    def events(self, since: float, until: float) -> Iterable[dict]: ...


class DockerAdapter:
    """DockerPort over the low-level docker.APIClient."""

    def __init__(self, api):
        self.api = api

    def identity(self) -> tuple[str, str]:
        info = self.api.info()
        return info["Name"], (info.get("Swarm") or {}).get("NodeID") or ""

    def services(self) -> list[dict]:
        return self.api.services()

    def tasks_on_node(self, node_id: str) -> list[dict]:
        return self.api.tasks(filters={"node": node_id, "desired-state": "running"})

    def node_labels(self, node_id: str) -> dict[str, str]:
        return dict(self.api.inspect_node(node_id)["Spec"].get("Labels") or {})

    def update_node_labels(self, node_id: str, add: list[str], remove: list[str]) -> None:
        node = self.api.inspect_node(node_id)
        spec = node["Spec"]
        spec["Labels"] = apply_labels(spec.get("Labels") or {}, add, remove)
        self.api.update_node(node_id, node["Version"]["Index"], spec)

    def gwbridge_addresses(self) -> dict[str, tuple[str | None, str | None]]:
        net = self.api.inspect_network(natmod.GWBRIDGE)
        out = {}
        for cid, c in (net.get("Containers") or {}).items():
            v4 = (c.get("IPv4Address") or "").split("/")[0] or None
            v6 = (c.get("IPv6Address") or "").split("/")[0] or None
            out[cid] = (v4, v6)
        return out

    def events(self, since: float, until: float) -> Iterable[dict]:
        return self.api.events(since=int(since), until=int(until), decode=True)


def is_relevant(event: dict) -> bool:
    kind = event.get("Type")
    if kind == "service":
        return True
    return kind == "container" and (event.get("Action") or event.get("status")) in CONTAINER_ACTIONS


class Daemon:
    def __init__(self, docker: DockerPort, runner: Runner = run_command, state_file=None,
                 sleep: Sleeper = real_sleep, clock: Callable[[], float] = time.time,
                 logger: logging.Logger | None = None):
        self.docker = docker
        self.run_cmd = runner
        self.state_file = state_file or StateFile()
        self.sleep = sleep
        self.clock = clock
        self.node_name, self.node_id = docker.identity()
        self.log = logger or logging.getLogger(f"FollowSwarm@{self.node_name}")
        self._reported: set[str] = set()      # problems already logged (one error, not one per event)

    # ---- one full check ----------------------------------------------------------------------

    def observe(self, state: State) -> Observation:
        hooks = hooks_of_services(self.docker.services())
        local = local_tasks(self.docker.tasks_on_node(self.node_id), self.node_id)
        addrs = parse_ip_json(self._read(["ip", "-j", "addr", "show"]))
        labels = self.docker.node_labels(self.node_id)
        return Observation(hooks, local, addrs, labels, state)

    def reconcile(self) -> Plan:
        state = self.state_file.load()
        obs = self.observe(state)
        p = plan(obs)
        self._report(p)
        new_vips = {ident: {"ifname": pl.ifname, "cidr": pl.cidr} for ident, pl in p.kept_vips.items()}
        failed = dict(p.active_failed)
        for d in p.del_vips:
            if not self._del_vip(d):
                # keep it owned so that the next check tries again
                new_vips[f"undeleted:{d.placement.cidr}"] = {"ifname": d.placement.ifname, "cidr": d.placement.cidr}
        marks = self._labels(p, state)
        for a in p.add_vips:
            outcome = self._add_vip(a)
            if outcome == "added":
                new_vips[a.hook.ident] = {"ifname": a.placement.ifname, "cidr": a.placement.cidr}
            elif outcome == "unreachable":
                failed[a.hook.ident] = a.task_id      # not again for this task (no add/del loop)
        state = State(new_vips, marks, failed, state.nat)
        state.nat = self._nat(obs.hooks, obs.local, new_vips, state)
        self.state_file.save(state)
        return p

    def _read(self, argv: list[str]) -> str:
        r = self.run_cmd(argv)
        if not r.ok:
            # Without the node's addresses every decision would be wrong (and the state file
            # would forget owned VIPs): give up this check, the loop retries.
            raise CheckError(f"{' '.join(argv)} failed (rc {r.rc}): {r.stderr.strip()}")
        return r.stdout

    def _do(self, argv: list[str]) -> bool:
        r = self.run_cmd(argv)
        if r.ok:
            self.log.debug("ran: %s", " ".join(argv))
        else:
            self.log.error("%s failed (rc %s): %s", " ".join(argv), r.rc, r.stderr.strip())
        return r.ok

    def _report(self, p: Plan) -> None:
        current = {f"{pr.ident}:{pr.message}" for pr in p.problems}
        for pr in p.problems:
            if f"{pr.ident}:{pr.message}" not in self._reported:
                self.log.error("%s", pr.message)
        self._reported = current

    def _del_vip(self, d: DelVip) -> bool:
        self.log.info("remove VIP %s from %s (%s)", d.placement.cidr, d.placement.ifname, d.reason)
        return self._do(addr_del(d.placement))

    def _announce(self, p: Placement) -> None:
        if p.interface.version == 4:
            self._do(garp(p))
        else:
            # No dependable unsolicited-NA tool on the hosts; the kernel's DAD/NA after `ip -6 addr add`
            # is what neighbours get.
            self.log.debug("IPv6 VIP %s: no unsolicited neighbour advertisement sent", p.cidr)

    def _add_vip(self, a: AddVip) -> str:
        """"added", "unreachable" (router check failed, VIP withdrawn) or "error" (retry next check)."""
        p, router = a.placement, a.hook.router
        self.log.info("add VIP %s to %s for service %s", p.cidr, p.ifname, a.hook.service)
        if not self._do(addr_add(p)):
            return "error"
        self._announce(p)
        if not router:
            return "added"
        for attempt in range(1, MAX_PING + 1):
            if self.run_cmd(ping(p, router)).ok:
                return "added"
            self.log.warning("ping %s from %s failed (attempt %d/%d)", router, p.interface.ip, attempt, MAX_PING)
            if attempt == MAX_PING:
                break
            self.sleep(PING_RETRY_SLEEP)
            self._announce(p)        # the neighbours may have missed the previous one
        self.log.error("Exceed max retry ping test count:%d; VIP %s removed from %s", MAX_PING, p.cidr, p.ifname)
        self._do(addr_del(p))
        return "unreachable"

    def _labels(self, p: Plan, state: State) -> set[str]:
        if not (p.label_add or p.label_remove):
            return set(p.desired_marks)
        self.log.info("node labels: set %s, remove %s", p.label_add or "-", p.label_remove or "-")
        try:
            self.docker.update_node_labels(self.node_id, p.label_add, p.label_remove)
        except Exception as e:      # Docker API errors of either SDK version; retried next check
            self.log.error("updating labels of node %s failed: %s", self.node_name, e)
            return state.marks | set(p.label_remove)
        return set(p.desired_marks)

    # ---- NAT -----------------------------------------------------------------------------------

    def _nat(self, hooks: list[Hook], local: dict[str, LocalTask], vips: dict[str, dict],
             state: State) -> set[str]:
        nat_hooks = [h for h in hooks if not h.is_mark and (h.dnat_ports or h.snat)]
        families = {("v6" if h.v6 else "v4") for h in nat_hooks} | state.nat
        if not families:
            return set()
        desired: list[natmod.Rule] = []
        bridge = None
        for h in nat_hooks:
            owned = vips.get(h.ident)
            task = local.get(h.service_id)
            if owned is None or task is None or not task.container_id:
                continue
            if bridge is None:
                try:
                    bridge = self.docker.gwbridge_addresses()
                except Exception as e:
                    self.log.error("cannot read network %s: %s", natmod.GWBRIDGE, e)
                    return families           # keep present rules; retry next check
            cip = (bridge.get(task.container_id) or (None, None))[1 if h.v6 else 0]
            if not cip:
                self.log.debug("service %s: container not on %s yet, NAT pending", h.service, natmod.GWBRIDGE)
                continue
            vip = owned["cidr"].split("/")[0]
            try:
                desired += natmod.desired_rules(vip, owned["ifname"], cip, h.service, h.dnat_ports, h.snat, h.v6)
            except natmod.DnatPortsError as e:
                self.log.error("service %s: bad HIVE_DNAT_PORTS label: %s", h.service, e)
        present: list[natmod.PresentRule] = []
        for fam in sorted(families):
            v6 = fam == "v6"
            for table, chain in natmod.CHAINS:
                r = self.run_cmd([natmod.tool(v6), "-t", table, "-S", chain])
                if r.ok:
                    present += natmod.parse_listing(r.stdout, table, v6)
        for argv in natmod.plan_nat([r for r in desired if ("v6" if r.v6 else "v4") in families], present):
            self._do(argv)
        return {("v6" if r.v6 else "v4") for r in desired}

    # ---- release and loop ----------------------------------------------------------------------

    def release_all(self) -> None:
        """Undo everything this node holds (SIGTERM): VIPs, mark labels, NAT rules."""
        state = self.state_file.load()
        for ident, v in state.vips.items():
            self._del_vip(DelVip(Placement(v["ifname"], _iface(v["cidr"])), "daemon stopping"))
        if state.marks:
            try:
                labels = self.docker.node_labels(self.node_id)
                remove = sorted(k for k in state.marks if k in labels)
                if remove:
                    self.docker.update_node_labels(self.node_id, [], remove)
            except Exception as e:
                self.log.error("removing labels of node %s failed: %s", self.node_name, e)
        for fam in sorted(state.nat):
            v6 = fam == "v6"
            for table, chain in natmod.CHAINS:
                r = self.run_cmd([natmod.tool(v6), "-t", table, "-S", chain])
                if r.ok:
                    for rule in natmod.parse_listing(r.stdout, table, v6):
                        self._do(rule.delete())
        self.state_file.save(State())
        self.log.info("Follow Swarm Service Daemon Stopped")

    def run(self, windows: int | None = None) -> None:
        """Check, then follow events. `windows` bounds the loop (tests); None = forever."""
        self.log.info("Follow Swarm Service Daemon Started on node %s (%s)", self.node_name, self.node_id)
        self._safe_reconcile()
        since, backoff, n = self.clock(), 1.0, 0
        while windows is None or n < windows:
            n += 1
            until = since + EVENT_WINDOW
            try:
                for event in self.docker.events(since, until):
                    if is_relevant(event):
                        self.reconcile()
                self.reconcile()            # end of window: catch up anything missed
                since, backoff = until, 1.0
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as e:          # stream dropped, dockerd restarting, API error
                self.log.warning("lost the Docker event stream or a check failed (%s); re-checking in %.0f s",
                                 e, backoff)
                self.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                if self._safe_reconcile():
                    since = self.clock()

    def _safe_reconcile(self) -> bool:
        try:
            self.reconcile()
            return True
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:
            self.log.warning("check failed (%s); will retry", e)
            return False


def _iface(cidr: str):
    return ipaddress.ip_interface(cidr)


def _sigterm(signum, frame):
    raise SystemExit(0)


def log_level(env: dict[str, str]) -> int:
    """HIVE_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR; default and fallback INFO)."""
    level = logging.getLevelName((env.get("HIVE_LOG_LEVEL") or "INFO").strip().upper())
    return level if isinstance(level, int) else logging.INFO


def main() -> int:
    import docker  # the host's python3-docker; imported here so the pure modules need no SDK

    # journald adds time and unit; stdout keeps the lines in order with nothing buffered
    logging.basicConfig(stream=sys.stdout, format="%(name)s %(levelname)s %(message)s",
                        level=log_level(dict(os.environ)))
    for noisy in ("urllib3", "docker"):     # their DEBUG lines would drown ours
        logging.getLogger(noisy).setLevel(max(log_level(dict(os.environ)), logging.WARNING))
    signal.signal(signal.SIGTERM, _sigterm)
    daemon = Daemon(DockerAdapter(docker.APIClient(base_url="unix://var/run/docker.sock")))
    try:
        daemon.run()
    except (KeyboardInterrupt, SystemExit):
        daemon.release_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
