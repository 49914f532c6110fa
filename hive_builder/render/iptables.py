"""Pure: the host firewall, /etc/iptables/rules.v4 (reference §6.2.2).

The file is applied live with `iptables-restore --noflush`: it flushes INPUT and the hive chain
only, so the chains Docker keeps in the filter table (FORWARD, DOCKER*) survive. At boot
netfilter-persistent loads it before dockerd starts, which then adds its own chains again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHAIN = "HIVE-SERVICE"


@dataclass(frozen=True)
class RuleSet:
    name: str
    proto: str              # tcp | udp
    ports: tuple[str, ...]  # "2376" or a range "7000:7999"
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FirewallInput:
    stage_ips: tuple[str, ...]                # private IPs of every server of the stage
    is_repository: bool = False
    has_mirrored_disk: bool = False
    ssh_port: int = 22
    ssh_sources: tuple[str, ...] = ()         # hive_ssh_source_ips; empty = from anywhere
    internal_net: dict | None = None          # {if, addr, cidr} when hive_internal_net_if is set
    syslog_port: int = 10514
    registry_port: int = 5000
    repository_ips: tuple[str, ...] = ()      # the Zabbix server's addresses (the repository server)
    gwbridge_range: str | None = None
    extra_rule_sets: tuple[RuleSet, ...] = field(default_factory=tuple)


def normalize_sources(value) -> tuple[str, ...]:
    """hive_ssh_source_ips may be a list or one string (comma or blank separated)."""
    if value is None or value == "":
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return tuple(str(i).strip() for i in items if str(i).strip())


def rule_sets(fw: FirewallInput) -> list[RuleSet]:
    """Which ports are open to whom, in file order."""
    if fw.internal_net:
        peers: tuple[str, ...] = (f"{fw.internal_net['addr']}/{fw.internal_net['cidr']}",)
    else:
        peers = tuple(fw.stage_ips)
    sets = [
        RuleSet("docker_api_swarm", "tcp", ("2376", "2377", "7946"), peers),
        RuleSet("docker_swarm_udp", "udp", ("7946", "4789"), peers),
    ]
    if fw.has_mirrored_disk:
        sets.append(RuleSet("drbd", "tcp", ("7000:7999",), peers))
    # the agent answers the Zabbix server only (it runs on the repository server); without a
    # known repository (or on an internal network, whose range is the peers) the stage's servers
    zabbix_sources = tuple(fw.repository_ips) if fw.repository_ips and not fw.internal_net else peers
    sets.append(RuleSet("zabbix_tcp", "tcp", ("10050",), zabbix_sources))
    if fw.is_repository:
        # agents' active checks (log items) report to the server's trapper port
        sets.append(RuleSet("zabbix_server", "tcp", ("10051",), peers))
        sets.append(RuleSet("registry", "tcp", (str(fw.registry_port),), peers))
        syslog_sources = peers + ((fw.gwbridge_range,) if fw.gwbridge_range else ())
        sets.append(RuleSet("syslog", "udp", (str(fw.syslog_port),), syslog_sources))
    sets.extend(fw.extra_rule_sets)
    return sets


def _source(addr: str) -> str:
    return addr if "/" in addr else f"{addr}/32"


def _rule_set_lines(rs: RuleSet) -> list[str]:
    if len(rs.ports) == 1:
        match = f"-m {rs.proto} --dport {rs.ports[0]}"
    else:
        match = f"-m multiport --dports {','.join(rs.ports)}"
    return [f"-A {CHAIN} -s {_source(src)} -p {rs.proto} {match} -j ACCEPT" for src in rs.sources]


def _ssh_lines(fw: FirewallInput) -> list[str]:
    base = f"-p tcp -m conntrack --ctstate NEW -m tcp --dport {fw.ssh_port}"
    if not fw.ssh_sources:
        return [f"-A INPUT {base} -j ACCEPT"]
    # every listed source is kept (the original kept only the last one in the saved file)
    return [f"-A INPUT -s {_source(src)} {base} -m limit --limit 5/sec --limit-burst 20 -j ACCEPT"
            for src in fw.ssh_sources]


def render_rules_v4(fw: FirewallInput) -> str:
    lines = [
        "# Managed by hive-builder (setup-hosts, role firewall): change the inventory, not this file.",
        "*filter",
        ":INPUT ACCEPT [0:0]",
        f":{CHAIN} - [0:0]",
        "-F INPUT",
        "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A INPUT -p icmp -j ACCEPT",
        "-A INPUT -i lo -j ACCEPT",
        f"-A INPUT -j {CHAIN}",
    ]
    if fw.internal_net:
        lines.append(f"-A INPUT -i {fw.internal_net['if']} -s {fw.internal_net['addr']}/"
                     f"{fw.internal_net['cidr']} -m conntrack --ctstate NEW -j ACCEPT")
    lines += _ssh_lines(fw)
    lines.append("-A INPUT -j REJECT --reject-with icmp-host-prohibited")
    for rs in rule_sets(fw):
        lines.append(f"# rule set {rs.name}")
        lines += _rule_set_lines(rs)
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"
