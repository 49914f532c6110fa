"""NAT for a VIP (reference §7.6): HIVE_DNAT_PORTS and HIVE_ENABLE_VIP_SNAT.

Rules are identified by their iptables comment (`hive_dnat_<vip>_<proto>_<port>_<service>`,
`hive_accept_...`, `hive_snat_<vip>_<service>`), so the daemon can list what it installed with
`iptables -S` and reconcile desired against present rules on every check. There is no waiting
thread to cancel (the original's cancel bug): while the task's container has no docker_gwbridge
address yet, its rules are simply not desired yet and appear at the check after its start event.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

PREFIXES = ("hive_dnat_", "hive_accept_", "hive_snat_")
GWBRIDGE = "docker_gwbridge"
# (table, chain) pairs in which our rules live
CHAINS = (("nat", "DOCKER"), ("filter", "DOCKER"), ("nat", "POSTROUTING"))


class DnatPortsError(ValueError):
    pass


def parse_ports(value: str) -> list[tuple[str, int]]:
    """`53/udp,80` -> [("udp", 53), ("tcp", 80)]."""
    out = []
    for item in (p.strip() for p in value.split(",")):
        if not item:
            continue
        port, _, proto = item.partition("/")
        proto = (proto or "tcp").lower()
        if proto not in ("tcp", "udp") or not port.isdigit() or not 0 < int(port) < 65536:
            raise DnatPortsError(f"'{item}' is not <port>[/tcp|/udp]")
        out.append((proto, int(port)))
    return out


@dataclass(frozen=True)
class Rule:
    v6: bool
    table: str
    chain: str
    comment: str
    spec: tuple[str, ...]        # match + target, without the comment
    marker: str                  # text that an `iptables -S` line of the current rule contains

    def insert(self) -> list[str]:
        return [tool(self.v6), "-t", self.table, "-I", self.chain, *self.spec,
                "-m", "comment", "--comment", self.comment]


def tool(v6: bool) -> str:
    return "ip6tables" if v6 else "iptables"


def desired_rules(vip: str, ifname: str, container_ip: str, service: str, dnat_ports: str | None,
                  snat: bool, v6: bool) -> list[Rule]:
    host = 128 if v6 else 32
    dest = (lambda p: f"[{container_ip}]:{p}") if v6 else (lambda p: f"{container_ip}:{p}")
    rules = []
    for proto, port in parse_ports(dnat_ports or ""):
        rules.append(Rule(v6, "nat", "DOCKER", f"hive_dnat_{vip}_{proto}_{port}_{service}",
                          ("-d", f"{vip}/{host}", "-p", proto, "--dport", str(port),
                           "-j", "DNAT", "--to-destination", dest(port)),
                          f"--to-destination {dest(port)}"))
        rules.append(Rule(v6, "filter", "DOCKER", f"hive_accept_{vip}_{proto}_{port}_{service}",
                          ("-d", f"{container_ip}/{host}", "!", "-i", GWBRIDGE, "-o", GWBRIDGE,
                           "-p", proto, "--dport", str(port), "-j", "ACCEPT"),
                          f"-d {container_ip}/{host}"))
    if snat:
        rules.append(Rule(v6, "nat", "POSTROUTING", f"hive_snat_{vip}_{service}",
                          ("-s", f"{container_ip}/{host}", "-o", ifname, "-j", "SNAT", "--to-source", vip),
                          f"-s {container_ip}/{host}"))
    return rules


@dataclass(frozen=True)
class PresentRule:
    v6: bool
    table: str
    comment: str
    line: str                    # the `-A ...` line printed by `iptables -S`

    def delete(self) -> list[str]:
        args = shlex.split(self.line)
        return [tool(self.v6), "-t", self.table, "-D", *args[1:]]


def parse_listing(text: str, table: str, v6: bool) -> list[PresentRule]:
    """Our rules in the output of `iptables -t <table> -S <chain>`."""
    out = []
    for line in text.splitlines():
        if not line.startswith("-A "):
            continue
        args = shlex.split(line)
        if "--comment" in args:
            comment = args[args.index("--comment") + 1]
            if comment.startswith(PREFIXES):
                out.append(PresentRule(v6, table, comment, line))
    return out


def _contains(tokens: list[str], seq: list[str]) -> bool:
    n = len(seq)
    return any(tokens[i:i + n] == seq for i in range(len(tokens) - n + 1))


def plan_nat(desired: list[Rule], present: list[PresentRule]) -> list[list[str]]:
    """Commands that make the present rules equal the desired ones; correct rules are untouched."""
    want = {(r.v6, r.table, r.comment): r for r in desired}
    cmds, kept = [], set()
    for p in present:
        r = want.get((p.v6, p.table, p.comment))
        key = (p.v6, p.table, p.comment)
        if r is not None and _contains(shlex.split(p.line), r.marker.split()) and key not in kept:
            kept.add(key)
        else:
            cmds.append(p.delete())
    cmds += [r.insert() for k, r in want.items() if k not in kept]
    return cmds
