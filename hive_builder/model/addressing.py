"""Pure address arithmetic: server IPs (3 modes), availability zones, the internal_cidr split."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

# Reserved at the start of a network besides the network address: the gateway and two more
# (Azure style) for the implicit subnet, the gateway and three more (AWS style) for explicit subnets.
SKIP_IMPLICIT = 3
SKIP_SUBNET = 4


@dataclass(frozen=True)
class Subnet:
    cidr: str
    name: str
    available_zone: str | int | None = None

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)


@dataclass(frozen=True)
class HostAddress:
    ip: str
    netmask: str
    subnet: Subnet


class NotEnoughAddresses(ValueError):
    pass


def _usable(network: ipaddress.IPv4Network, skip: int) -> Iterator[str]:
    hosts = iter(network.hosts())  # a list for /31 and /32
    for _ in range(skip):
        next(hosts, None)
    return (str(ip) for ip in hosts)


def assign_addresses(count: int, cidr: str, default_name: str, subnets: Sequence[Subnet] = (),
                     ip_address_list: Sequence[str] = ()) -> list[HostAddress]:
    """Addresses of hosts 0..count-1.

    With `subnets`, host i goes to subnet i mod len(subnets) and takes its next free address;
    with `ip_address_list`, host i gets list[i] in an implicit subnet `default_name` = cidr;
    otherwise consecutive addresses of cidr. Raises NotEnoughAddresses naming the short network.
    """
    if subnets:
        pools = [(s, _usable(s.network, SKIP_SUBNET)) for s in subnets]
    else:
        implicit = Subnet(cidr, default_name)
        ips = iter(ip_address_list) if ip_address_list else _usable(implicit.network, SKIP_IMPLICIT)
        pools = [(implicit, ips)]
    result = []
    for index in range(count):
        subnet, pool = pools[index % len(pools)]
        ip = next(pool, None)
        if ip is None:
            need = sum(1 for i in range(count) if i % len(pools) == index % len(pools))
            raise NotEnoughAddresses(
                f"network {subnet.cidr} has too few usable addresses for {need} hosts "
                f"(the first {SKIP_SUBNET if subnets else SKIP_IMPLICIT} are reserved)")
        result.append(HostAddress(ip, str(subnet.network.netmask), subnet))
    return result


def available_zone(index: int, provider: str, region: str, az_suffix_list: Sequence[str],
                   subnet_zone: str | int | None) -> str | int:
    """The zone of host `index`: the subnet's zone, else Azure's 1/2/3, else region + suffix."""
    if subnet_zone is not None:
        return subnet_zone
    if provider == "azure":
        return index % 3 + 1
    return region + az_suffix_list[index % len(az_suffix_list)]


@dataclass(frozen=True)
class InternalNetworks:
    """Docker-internal networks carved out of `internal_cidr` (reference §3.10).

    Without internal_cidr only docker0, the zabbix network and the rsyslog "gwbridge" ACL range
    have fixed values; the others are left to Docker (None). The model always has one (a stage
    without it gets DEFAULT_INTERNAL_CIDR); None remains for playbooks run on a hand-written
    inventory.
    """

    internal_cidr: str | None
    overlay: str | None
    ingress: str | None
    ingress_gateway: str | None
    gwbridge: str | None
    docker0_bip: str
    registry: str | None
    zabbix: str
    zabbix_server_ip: str
    zabbix_web_ip: str
    zabbix_db_ip: str
    rsyslog_gwbridge: str

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


MAX_INTERNAL_PREFIX = 26  # each eighth must hold zabbix's network, gateway and three fixed IPs
# The manual's default (stage attribute table, 7.1): a stage without internal_cidr gets it, so the
# docker-internal networks never come from Docker's own pools (172.17-172.31/16, 10.0.0.0/24 for
# ingress), which collide with many private networks. The original had no default in its code.
DEFAULT_INTERNAL_CIDR = "172.31.252.0/22"


def internal_cidr_conflict(cidr: str, internal_cidr: object) -> str | None:
    """Why the stage's internal_cidr (its default when None) cannot be used with the stage's cidr,
    or None. Containers could not reach servers whose addresses are docker-internal ones."""
    chosen = DEFAULT_INTERNAL_CIDR if internal_cidr is None else internal_cidr
    if not isinstance(chosen, str):
        return None   # reported as not a network by the caller
    try:
        servers, internal = ipaddress.ip_network(cidr), ipaddress.ip_network(chosen)
    except (TypeError, ValueError):
        return None   # reported as an invalid network by the caller
    if servers.version != internal.version or not servers.overlaps(internal):
        return None
    which = (f"internal_cidr {internal}" if internal_cidr is not None
             else f"the default internal_cidr {internal}")
    return (f"{which} overlaps the stage cidr {servers}: docker's internal networks (overlay, "
            "ingress, docker_gwbridge, docker0, ...) must not use the servers' addresses; "
            "set internal_cidr to a free range (/26 or larger)")


def internal_networks(internal_cidr: str | None) -> InternalNetworks:
    """Split internal_cidr A/p (S addresses): quarters for overlay and ingress, eighths for the rest.

    Raises ValueError for an invalid network or one smaller than /26.
    """
    if internal_cidr is None:
        return InternalNetworks(None, None, None, None, None, "172.17.128.1/16", None,
                                "172.19.0.0/16", "172.19.0.2", "172.19.0.3", "172.19.0.4",
                                "172.20.0.0/16")
    net = ipaddress.IPv4Network(internal_cidr)
    if net.prefixlen > MAX_INTERNAL_PREFIX:
        raise ValueError(f"internal_cidr must be /{MAX_INTERNAL_PREFIX} or larger, found {internal_cidr}")
    base, size, p = net.network_address, net.num_addresses, net.prefixlen

    def block(offset: int, prefix: int) -> str:
        return f"{base + offset}/{prefix}"

    zabbix = base + 7 * size // 8
    return InternalNetworks(
        internal_cidr=str(net),
        overlay=block(0, p + 2),
        ingress=block(size // 4, p + 2),
        ingress_gateway=str(base + size // 4 + 1),
        gwbridge=block(4 * size // 8, p + 3),
        docker0_bip=block(5 * size // 8 + 1, p + 3),
        registry=block(6 * size // 8, p + 3),
        zabbix=block(7 * size // 8, p + 3),
        zabbix_server_ip=str(zabbix + 2),
        zabbix_web_ip=str(zabbix + 3),
        zabbix_db_ip=str(zabbix + 4),
        rsyslog_gwbridge=block(4 * size // 8, p + 3),
    )
