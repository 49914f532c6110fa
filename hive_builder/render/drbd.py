"""DRBD 9 configuration files: `/etc/drbd.d/<volume>.res` and `/etc/drbd.d/global_common.conf`.

Pure text renderers; the build-volumes phase writes their output. Choices (reference §6.2.1, §6.5.1):

- TCP port = 7000 + device id (as the original's later versions), not 7788 + id (2.3.1): device
  ids go up to 255, and 7000 + 255 stays inside the 7000-7999 range the host firewall opens,
  whereas 7788 + id leaves it above id 211.
- Hosts are rendered in the order given (the stage's hive order): node-id = index, so a node's
  id never changes while the hive list is unchanged. DRBD keeps node ids in its metadata, so they
  must not be re-derived from, e.g., sorted names.
- `quorum majority` + `on-no-quorum io-error` always: a partitioned minority fails I/O instead of
  diverging (no split brain with three or more hives).
- Optional tuning (`DrbdTuning`, off by default so the output matches the documented example):
  the resync controller and buffer settings of the original's later versions. Disk flushes are
  deliberately NOT disabled: that is only safe with battery-backed write caches, which we cannot
  know about.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

PORT_BASE = 7000
DEFAULT_VG = "drbdvg"


@dataclass(frozen=True)
class DrbdHost:
    name: str            # must equal the host's `uname -n` (DRBD matches `on <name>` blocks by it)
    address: str         # private IPv4 or IPv6 address used for replication
    diskless: bool = False


@dataclass(frozen=True)
class DrbdTuning:
    c_plan_ahead: int = 1
    c_max_rate: str = "1024000"
    c_delay_target: int = 1
    c_fill_target: str = "1M"
    rs_discard_granularity: int = 1048576
    max_buffers: int = 16000
    max_epoch_size: int = 16000
    sndbuf_size: str = "1M"


@dataclass(frozen=True)
class DrbdResource:
    name: str
    device_id: int
    hosts: list[DrbdHost] = field(default_factory=list)
    vg: str = DEFAULT_VG
    tuning: DrbdTuning | None = None

    @property
    def port(self) -> int:
        return PORT_BASE + self.device_id

    @property
    def device(self) -> str:
        return f"/dev/drbd{self.device_id}"

    @property
    def disk(self) -> str:
        return f"/dev/{self.vg}/{self.name}"


def resource_port(device_id: int) -> int:
    return PORT_BASE + device_id


def _check(res: DrbdResource) -> None:
    # These are programming errors of the caller (the model validates user input first).
    if not 1 <= res.device_id <= 255:
        raise ValueError(f"DRBD resource {res.name}: device id {res.device_id} is not in 1..255")
    if not res.hosts:
        raise ValueError(f"DRBD resource {res.name}: no hosts")
    names = [h.name for h in res.hosts]
    if len(set(names)) != len(names):
        raise ValueError(f"DRBD resource {res.name}: duplicate host names {names}")
    if all(h.diskless for h in res.hosts):
        raise ValueError(f"DRBD resource {res.name}: every host is diskless, no replica would hold data")


def _address(host: DrbdHost, port: int) -> str:
    ip = ipaddress.ip_address(host.address)
    if ip.version == 6:
        return f"ipv6 [{ip}]:{port}"
    return f"{ip}:{port}"


def render_resource(res: DrbdResource) -> str:
    """Text of /etc/drbd.d/<name>.res."""
    _check(res)
    out = [
        f"resource {res.name} {{",
        "  options {",
        "    quorum majority;",
        "    on-no-quorum io-error;",
        "  }",
    ]
    if res.tuning:
        t = res.tuning
        out += [
            "  disk {",
            f"    c-plan-ahead {t.c_plan_ahead};",
            f"    c-max-rate {t.c_max_rate};",
            f"    c-delay-target {t.c_delay_target};",
            f"    c-fill-target {t.c_fill_target};",
            f"    rs-discard-granularity {t.rs_discard_granularity};",
            "  }",
        ]
    for node_id, host in enumerate(res.hosts):
        out += [
            f"  on {host.name} {{",
            f"    address   {_address(host, res.port)};",
            f"    node-id   {node_id};",
            f"    disk      {'none' if host.diskless else res.disk};",
            f"    device    minor {res.device_id};",
            "    meta-disk internal;",
            "  }",
        ]
    out += [
        "  connection-mesh {",
        f"    hosts {' '.join(h.name for h in res.hosts)};",
        "    net {",
        "        use-rle no;",
    ]
    if res.tuning:
        out += [
            f"        max-buffers {res.tuning.max_buffers};",
            f"        max-epoch-size {res.tuning.max_epoch_size};",
            f"        sndbuf-size {res.tuning.sndbuf_size};",
        ]
    out += ["    }", "  }", "}", ""]
    return "\n".join(out)


def render_global_common() -> str:
    """Text of /etc/drbd.d/global_common.conf.

    No `minor-count`: that is a DRBD 8.4 module limit (128); DRBD 9 allocates minors on demand and
    our device ids go up to 255. `udev-always-use-vnr` is Debian's packaged default, kept so the
    /dev/drbd/by-res/ links look the same as on a stock host.
    """
    return "\n".join([
        "# Managed by hive-builder (build-volumes); local edits are overwritten.",
        "global {",
        "  usage-count no;",
        "  udev-always-use-vnr;",
        "}",
        "common {",
        "}",
        "",
    ])
