"""What the host kernel offers to a site made of containers (they all share it).

Two gaps matter to later phases: IPVS (swarm's VIP load balancing and ingress routing mesh) and
the DRBD module (mirrored volumes). Decisions are pure functions over text read from /proc.
"""

from __future__ import annotations

import gzip
import os
import platform
from dataclasses import dataclass
from pathlib import Path


def kernel_config_value(config_text: str, option: str) -> str | None:
    """`y`, `m`, a value, `n` for '# CONFIG_X is not set', or None when the option is not mentioned."""
    for line in config_text.splitlines():
        line = line.strip()
        if line == f"# {option} is not set":
            return "n"
        if line.startswith(f"{option}="):
            return line.split("=", 1)[1].strip('"')
    return None


@dataclass(frozen=True)
class KernelProbe:
    """Raw observations (gathered by `probe_kernel`, or made up in tests)."""
    config_text: str | None          # /proc/config.gz (or /boot/config-<release>), None if unreadable
    proc_ip_vs: bool                 # /proc/net/ip_vs exists (IPVS loaded or built in)
    proc_drbd: bool                  # /proc/drbd exists (DRBD module loaded)
    module_files: frozenset[str] = frozenset()   # module basenames found under /lib/modules/<release>


def ipvs_available(p: KernelProbe) -> bool:
    if p.proc_ip_vs:
        return True
    if p.config_text is not None:
        value = kernel_config_value(p.config_text, "CONFIG_IP_VS")
        if value == "y":
            return True
        if value == "m":
            # a module is only usable if the kernel loads modules and the file is installed
            return kernel_config_value(p.config_text, "CONFIG_MODULES") == "y" and (
                not p.module_files or "ip_vs" in p.module_files)
        if value in ("n", None):
            return False
    # no config to read: a module on disk is the best evidence; ordinary distro kernels have it
    return "ip_vs" in p.module_files or not p.module_files


def drbd_mode(p: KernelProbe) -> str:
    """`kernel` when a DRBD module is loaded (or loadable), else `emulated`."""
    if p.proc_drbd:
        return "kernel"
    if p.config_text is not None and kernel_config_value(p.config_text, "CONFIG_MODULES") != "y":
        return "emulated"
    return "kernel" if "drbd" in p.module_files else "emulated"


def facts_from_probe(p: KernelProbe) -> dict:
    return {"ipvs": ipvs_available(p), "drbd": drbd_mode(p)}


def nameservers(resolv_conf_text: str) -> list[str]:
    """Resolvers of the host usable from inside containers (loopback ones are not reachable there).

    Inner dockerds need them as `"dns"` in daemon.json: the node's own resolv.conf points at
    docker's embedded DNS 127.0.0.11, which containers of an inner engine cannot use."""
    servers = []
    for line in resolv_conf_text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "nameserver" and not words[1].startswith(("127.", "::1")):
            servers.append(words[1])
    return servers


def host_nameservers() -> list[str]:
    try:
        return nameservers(Path("/etc/resolv.conf").read_text())
    except OSError:
        return []


def probe_kernel() -> KernelProbe:
    release = platform.release()
    config = None
    try:
        config = gzip.decompress(Path("/proc/config.gz").read_bytes()).decode(errors="replace")
    except OSError:
        try:
            config = Path(f"/boot/config-{release}").read_text(errors="replace")
        except OSError:
            pass
    modules = set()
    moddir = Path("/lib/modules") / release
    if moddir.is_dir():
        for root, _dirs, files in os.walk(moddir):
            for f in files:
                if ".ko" in f:
                    modules.add(f.split(".ko", 1)[0].replace("-", "_"))
    return KernelProbe(config_text=config, proc_ip_vs=Path("/proc/net/ip_vs").exists(),
                       proc_drbd=Path("/proc/drbd").exists(), module_files=frozenset(modules))
