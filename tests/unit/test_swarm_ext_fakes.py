"""Fakes for the follow-swarm-service tests (no test functions here): a Docker API double and a
host double that answers `ip`, `arping`, `ping`, `iptables` like a node would, recording argv."""

from __future__ import annotations

import ipaddress
import json
import shlex

from hive_builder.swarm_extension.system import Result

NODE_ID = "node-a"
OTHER_NODE = "node-b"


def service(sid: str, name: str, **labels: str) -> dict:
    return {"ID": sid, "Spec": {"Name": name, "Labels": dict(labels)}}


def task(sid: str, node: str = NODE_ID, desired: str = "running", tid: str | None = None,
         container: str | None = None) -> dict:
    return {"ID": tid or f"t-{sid}-{node}", "ServiceID": sid, "NodeID": node, "DesiredState": desired,
            "Status": {"ContainerStatus": {"ContainerID": container or f"c-{sid}"}}}


class FakeDocker:
    def __init__(self, services=(), tasks=(), labels=None, gwbridge=None, events=()):
        self.services_ = list(services)
        self.tasks_ = list(tasks)
        self.labels = dict(labels or {})
        self.gwbridge = dict(gwbridge or {})
        self.event_script = list(events)   # per window: a list of events, or an exception to raise
        self.label_updates: list[tuple[list[str], list[str]]] = []
        self.fail_services = 0              # next N services() calls raise

    def identity(self):
        return "hive0.test", NODE_ID

    def services(self):
        if self.fail_services:
            self.fail_services -= 1
            raise ConnectionError("docker daemon unavailable")
        return [json.loads(json.dumps(s)) for s in self.services_]

    def tasks_on_node(self, node_id):
        # the real API filters by node and desired state; the planner must not rely on it, so the
        # fake returns every task
        return list(self.tasks_)

    def node_labels(self, node_id):
        return dict(self.labels)

    def update_node_labels(self, node_id, add, remove):
        self.label_updates.append((list(add), list(remove)))
        for k in remove:
            self.labels.pop(k, None)
        for k in add:
            self.labels[k] = "true"

    def gwbridge_addresses(self):
        return dict(self.gwbridge)

    def events(self, since, until):
        if not self.event_script:
            return iter(())
        item = self.event_script.pop(0)
        if isinstance(item, Exception):
            raise item
        return iter(item)


class FakeHost:
    """A node's `ip`/`arping`/`ping`/`iptables`. `pings` scripts ping outcomes (True = reply)."""

    READS = (("ip", "-j", "addr", "show"),)

    def __init__(self, addrs: list[tuple[str, str]] | None = None, pings: list[bool] | None = None):
        # [(ifname, "192.168.0.10/24"), ...] in kernel order
        self.addrs: list[list] = [[i, c, False] for i, c in (addrs or [("lo", "127.0.0.1/8"),
                                                                         ("eth0", "192.168.0.10/24")])]
        self.pings = list(pings or [])
        self.rules: dict[tuple[str, str, str], list[str]] = {}   # (tool, table, chain) -> -S lines
        self.calls: list[list[str]] = []

    def __call__(self, argv):
        argv = list(argv)
        self.calls.append(argv)
        prog = argv[0]
        if prog == "ip":
            return self._ip(argv)
        if prog == "arping":
            return Result(0)
        if prog == "ping":
            return Result(0 if (self.pings.pop(0) if self.pings else True) else 1)
        if prog in ("iptables", "ip6tables"):
            return self._iptables(argv)
        return Result(127, "", f"{prog}: not found")

    def _ip(self, argv):
        if argv[1:] == ["-j", "addr", "show"]:
            links: dict[str, list] = {}
            for ifname, cidr, secondary in self.addrs:
                iface = ipaddress.ip_interface(cidr)
                info = {"family": "inet6" if iface.version == 6 else "inet", "local": str(iface.ip),
                        "prefixlen": iface.network.prefixlen}
                if secondary:
                    info["secondary"] = True
                links.setdefault(ifname, []).append(info)
            return Result(0, json.dumps([{"ifname": k, "addr_info": v} for k, v in links.items()]))
        _, fam, obj, op, cidr, _dev, ifname = argv
        assert obj == "addr" and fam in ("-4", "-6")
        if op == "add":
            if any(a[1].split("/")[0] == cidr.split("/")[0] for a in self.addrs):
                return Result(2, "", "RTNETLINK answers: File exists")
            net = ipaddress.ip_interface(cidr).network
            secondary = any(a[0] == ifname and ipaddress.ip_interface(a[1]).network == net for a in self.addrs)
            self.addrs.append([ifname, cidr, secondary])
            return Result(0)
        for a in self.addrs:
            if a[0] == ifname and a[1] == cidr:
                self.addrs.remove(a)
                return Result(0)
        return Result(2, "", "RTNETLINK answers: Cannot assign requested address")

    def _iptables(self, argv):
        tool, _t, table, op, chain, *rest = argv
        key = (tool, table, chain)
        lines = self.rules.setdefault(key, [])
        if op == "-S":
            return Result(0, "".join(f"{line}\n" for line in [f"-N {chain}"] + lines))
        line = shlex.join(["-A", chain, *rest])
        if op == "-I":
            lines.insert(0, line)
            return Result(0)
        if op == "-D":
            if line in lines:
                lines.remove(line)
                return Result(0)
            return Result(1, "", "iptables: Bad rule (does a matching rule exist in that chain?).")
        raise AssertionError(argv)

    # helpers for assertions
    def mutations(self) -> list[list[str]]:
        return [c for c in self.calls if tuple(c) not in self.READS and "-S" not in c]

    def has(self, cidr: str, ifname: str) -> bool:
        return any(a[0] == ifname and a[1] == cidr for a in self.addrs)

    def count(self, prog: str) -> int:
        return sum(1 for c in self.calls if c[0] == prog)
