"""Service `ports`: short syntax "[PUBLISHED:]TARGET[/PROTO]" and long syntax mappings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hive_builder.model.checks import did_you_mean, is_int, reject_unknown, want_list, want_one_of
from hive_builder.model.problems import Where, type_name

PROTOCOLS = ("tcp", "udp", "sctp")
MODES = ("ingress", "host")
LONG_KEYS = ("published_port", "target_port", "protocol", "mode")
SHORT = re.compile(r"^(?:(\d+):)?(\d+)(?:/(.*))?$")
AUTO_FIRST, AUTO_LAST = 61001, 65534  # auto-assigned published ports
FIREWALL_LIMIT = 10000  # only published ports below this are opened in IaaS firewalls


@dataclass(frozen=True)
class Port:
    service: str
    target: int
    protocol: str
    published: int | None  # explicit published port, None = allocated
    mode: str | None = None

    @property
    def key(self) -> str:
        """Bookkeeping key in published_port_map (decision 5: protocol included)."""
        return f"{self.service}/{self.target}/{self.protocol}"

    def as_var(self, published: int | None) -> dict[str, Any]:
        """The hive_ports element; `published` is the explicit or allocated number (None: unknown)."""
        var: dict[str, Any] = {"target_port": self.target, "protocol": self.protocol}
        if published is not None:
            var["published_port"] = published
        if self.mode is not None:
            var["mode"] = self.mode
        return var


def _port_number(w: Where, value: Any, what: str, attr: str | None = None) -> int | None:
    if is_int(value) and 1 <= value <= 65535:
        return value
    w.error(f"{what}: expected a port number 1..65535, found {type_name(value)}", attr)
    return None


def parse_ports(w: Where, service: str, value: Any) -> tuple[Port, ...]:
    if not want_list(w, value, "ports"):
        return ()
    ports: list[Port] = []
    for index, item in enumerate(value, 1):
        pw = w.at(f"port {item!r}" if isinstance(item, str | int) else f"port #{index}")
        port = _parse_one(pw, service, item)
        if port is None:
            continue
        if any(p.key == port.key for p in ports):
            pw.error(f"target port {port.target}/{port.protocol} is listed twice in this service")
            continue
        ports.append(port)
    return tuple(ports)


def _parse_one(w: Where, service: str, item: Any) -> Port | None:
    if is_int(item):
        item = str(item)  # `- 80` unquoted: same as "80"
    if isinstance(item, str):
        match = SHORT.match(item.strip())
        if not match:
            w.error(f'expected "[PUBLISHED:]TARGET[/PROTOCOL]" such as "8080:80/tcp", found {item!r}')
            return None
        published, target, protocol = match.groups()
        protocol = "tcp" if protocol is None else protocol
        if protocol not in PROTOCOLS:
            w.error(f"unknown protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}"
                    + did_you_mean(protocol, PROTOCOLS))
            return None
        pub = _port_number(w, int(published), "published port") if published else None
        tgt = _port_number(w, int(target), "target port")
        if tgt is None or (published and pub is None):
            return None
        return Port(service, tgt, protocol, pub)
    if isinstance(item, dict):
        before = len(w.problems.errors)
        reject_unknown(w, item, LONG_KEYS, "a port")
        target = item.get("target_port")
        tgt = None
        if target is None:
            w.error("target_port must be specified in a long-syntax port", "target_port")
        else:
            tgt = _port_number(w, target, "target_port", "target_port")
        pub = _port_number(w, item["published_port"], "published_port", "published_port") \
            if "published_port" in item else None
        protocol = item.get("protocol", "tcp")
        if protocol not in PROTOCOLS:
            w.error(f"unknown protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}"
                    + did_you_mean(protocol, PROTOCOLS), "protocol")
        mode = item.get("mode")
        if mode is not None:
            want_one_of(w, mode, "mode", MODES)
        if len(w.problems.errors) > before or tgt is None:
            return None
        return Port(service, tgt, protocol, pub, mode)
    w.error(f"expected a string such as \"8080:80/tcp\" or a mapping, found {type_name(item)}")
    return None
