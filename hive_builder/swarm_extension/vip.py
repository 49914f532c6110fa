"""Virtual IP labels and interface addresses (reference §7.5).

Label forms: `A.B.C.D`, `A.B.C.D/len`, `A.B.C.D/len@ifname` (IPv6 the same with an IPv6 address).
Without `@ifname` the VIP goes on the first interface having an address whose network contains it,
with that network's prefix length unless `/len` is given.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class VipLabelError(ValueError):
    pass


@dataclass(frozen=True)
class VipSpec:
    address: IPAddress
    prefixlen: int | None = None
    ifname: str | None = None


def parse_vip(value: str, v6: bool = False) -> VipSpec:
    text, _, ifname = value.strip().partition("@")
    if "@" in value and not ifname:
        raise VipLabelError(f"'{value}': interface name missing after '@'")
    addr_text, slash, plen_text = text.partition("/")
    try:
        address = ipaddress.ip_address(addr_text)
    except ValueError:
        raise VipLabelError(f"'{value}': '{addr_text}' is not an IP address") from None
    if address.version != (6 if v6 else 4):
        raise VipLabelError(f"'{value}': expected an IPv{6 if v6 else 4} address")
    prefixlen = None
    if slash:
        if not plen_text.isdigit() or int(plen_text) > address.max_prefixlen:
            raise VipLabelError(f"'{value}': '{plen_text}' is not a prefix length")
        prefixlen = int(plen_text)
    if ifname and prefixlen is None:
        prefixlen = address.max_prefixlen
    return VipSpec(address, prefixlen, ifname or None)


@dataclass(frozen=True)
class IfAddr:
    ifname: str
    interface: ipaddress.IPv4Interface | ipaddress.IPv6Interface   # address with prefix
    secondary: bool = False     # the kernel's flag: another address of the same subnet came first


def parse_ip_json(text: str) -> list[IfAddr]:
    """Addresses from `ip -j addr show`, interfaces and addresses in kernel order."""
    out = []
    for link in json.loads(text or "[]"):
        for a in link.get("addr_info") or []:
            if a.get("family") in ("inet", "inet6") and "local" in a:
                out.append(IfAddr(link["ifname"], ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}"),
                                  bool(a.get("secondary"))))
    return out


@dataclass(frozen=True)
class Placement:
    ifname: str
    interface: ipaddress.IPv4Interface | ipaddress.IPv6Interface

    @property
    def cidr(self) -> str:
        return str(self.interface)


def find_present(addrs: list[IfAddr], address: IPAddress) -> Placement | None:
    for a in addrs:
        if a.interface.ip == address:
            return Placement(a.ifname, a.interface)
    return None


def choose_placement(spec: VipSpec, addrs: list[IfAddr]) -> Placement | None:
    """Where the VIP should go, or None when no interface fits."""
    if spec.ifname:
        return Placement(spec.ifname, ipaddress.ip_interface(f"{spec.address}/{spec.prefixlen}"))
    for a in addrs:
        if a.interface.ip != spec.address and spec.address in a.interface.network:
            plen = spec.prefixlen if spec.prefixlen is not None else a.interface.network.prefixlen
            return Placement(a.ifname, ipaddress.ip_interface(f"{spec.address}/{plen}"))
    return None


def _family(p: Placement) -> str:
    return "-6" if p.interface.version == 6 else "-4"


def addr_add(p: Placement) -> list[str]:
    return ["ip", _family(p), "addr", "add", p.cidr, "dev", p.ifname]


def addr_del(p: Placement) -> list[str]:
    return ["ip", _family(p), "addr", "del", p.cidr, "dev", p.ifname]


def garp(p: Placement) -> list[str]:
    """Gratuitous ARP as an unsolicited ARP *request* (-U), the "ARP announcement" of RFC 5227 §3:
    neighbours update an existing cache entry for either form, but some routers only process
    requests; -U is also what was measured to move a VIP between hosts on this project's lab."""
    return ["arping", "-c", "1", "-U", "-I", p.ifname, str(p.interface.ip)]


def ping(p: Placement, router: str) -> list[str]:
    return ["ping", _family(p), "-c", "1", "-W", "2", "-I", str(p.interface.ip), router]
