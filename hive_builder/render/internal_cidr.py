"""Pure: how `internal_cidr` is carved into the Docker networks of a host (reference §3.10).

Fixed layout (fractions of the block): default overlay 1/4, swarm ingress 1/4, then four eighths
for docker_gwbridge, docker0, the registry network and the zabbix network.
"""

from __future__ import annotations

import ipaddress

DEFAULT_DOCKER0_BIP = "172.17.128.1/16"
DEFAULT_ZABBIX_SUBNET = "172.19.0.0/16"
DEFAULT_GWBRIDGE_RANGE = "172.20.0.0/16"


def _block(network: ipaddress.IPv4Network, offset: int, extra_bits: int) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(
        f"{network.network_address + offset}/{network.prefixlen + extra_bits}")


def split_internal_cidr(cidr: str | None) -> dict:
    """Subnets derived from `internal_cidr`; without it the Docker defaults the original used.

    Keys: overlay, ingress, ingress_gateway, gwbridge, docker0_bip, registry, zabbix,
    zabbix_ips (server, web, db). Values are strings; None where Docker picks by itself.
    """
    if not cidr:
        return {"overlay": None, "ingress": None, "ingress_gateway": None,
                "gwbridge": None, "gwbridge_range": DEFAULT_GWBRIDGE_RANGE,
                "docker0_bip": DEFAULT_DOCKER0_BIP, "registry": None,
                "zabbix": DEFAULT_ZABBIX_SUBNET,
                "zabbix_ips": ["172.19.0.2", "172.19.0.3", "172.19.0.4"]}
    net = ipaddress.ip_network(cidr, strict=True)
    if net.version != 4:
        raise ValueError(f"internal_cidr {cidr} is not an IPv4 network")
    if net.prefixlen > 27:
        raise ValueError(f"internal_cidr {cidr} is too small: at least a /27 is needed")
    size = net.num_addresses
    ingress = _block(net, size // 4, 2)
    gwbridge = _block(net, size * 4 // 8, 3)
    docker0 = _block(net, size * 5 // 8, 3)
    zabbix = _block(net, size * 7 // 8, 3)
    return {
        "overlay": str(_block(net, 0, 2)),
        "ingress": str(ingress),
        "ingress_gateway": str(ingress.network_address + 1),
        "gwbridge": str(gwbridge),
        "gwbridge_range": str(gwbridge),
        "docker0_bip": f"{docker0.network_address + 1}/{docker0.prefixlen}",
        "registry": str(_block(net, size * 6 // 8, 3)),
        "zabbix": str(zabbix),
        "zabbix_ips": [str(zabbix.network_address + i) for i in (2, 3, 4)],
    }
