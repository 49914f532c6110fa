"""Provider `prepared`: servers that already exist and are reachable over SSH (reference §9.5)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping

from hive_builder.errors import HiveError
from hive_builder.providers.base import Provider
from hive_builder.providers.docker.kernel import KernelProbe, ipvs_available
from hive_builder.providers.plan import ProvisionPlan

NO_LIFECYCLE = "prepared provider does not support stop/destroy mode"

# What each server's kernel offers, read on the server itself (build-infra runs it once the server
# answers): the same observations the docker provider makes of this machine's kernel
# (providers/docker/kernel.py), as lines `release R`, `proc_ip_vs`, `proc_drbd`, `moddir`,
# `module NAME` (ip_vs and drbd files under /lib/modules/R) and `config LINE` (the options that
# matter, from /proc/config.gz or /boot/config-R). POSIX sh, no root needed.
KERNEL_PROBE = r"""r=$(uname -r)
echo "release $r"
[ -e /proc/net/ip_vs ] && echo proc_ip_vs
[ -e /proc/drbd ] && echo proc_drbd
if [ -d "/lib/modules/$r" ]; then
  echo moddir
  find "/lib/modules/$r" \( -name 'ip_vs.ko*' -o -name 'drbd.ko*' \) -printf 'module %f\n' 2>/dev/null
fi
{ zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$r" 2>/dev/null; } \
  | grep -E '^(# )?CONFIG_(MODULES|IP_VS|BLK_DEV_DRBD)( is not set|=)' | sed 's/^/config /'
exit 0
"""
# stands for "a module directory was read": KernelProbe reads an empty module set as "unknown"
_MODULE_DIR_READ = "(module directory read)"


def parse_kernel_probe(output: str) -> KernelProbe:
    """KernelProbe from the output of KERNEL_PROBE on one server."""
    lines = [line.strip() for line in output.splitlines()]
    config = [line[len("config "):] for line in lines if line.startswith("config ")]
    modules = {line.split(None, 1)[1].split(".ko", 1)[0].replace("-", "_")
               for line in lines if line.startswith("module ") and len(line.split()) > 1}
    if "moddir" in lines:
        modules.add(_MODULE_DIR_READ)
    return KernelProbe(config_text="\n".join(config) + "\n" if config else None,
                       proc_ip_vs="proc_ip_vs" in lines, proc_drbd="proc_drbd" in lines,
                       module_files=frozenset(modules))


def facts_from_probes(probes: Mapping[str, str]) -> dict:
    """provider_facts.yml of a prepared stage from KERNEL_PROBE's output on each server.

    `ipvs`: swarm's VIP load balancing and ingress routing mesh need IPVS on every node, so one
    server without it (e.g. a host that is itself a container on a kernel without IPVS) makes
    the stage publish in host mode. `drbd` stays `kernel`: emulation needs storage shared by the
    servers, which only the docker provider makes; on real hosts the drbd role checks the module
    and refuses DRBD volumes without DRBD 9."""
    if not probes:
        raise HiveError("prepared provider: no server's kernel was probed")
    return {"ipvs": all(ipvs_available(parse_kernel_probe(out)) for out in probes.values()),
            "drbd": "kernel"}


class PreparedProvider(Provider):
    name = "prepared"
    offline_sanity_check = True
    host_probe = KERNEL_PROBE

    def __init__(self) -> None:
        self._messages: list[str] = []

    def sanity_check(self, plan: ProvisionPlan) -> None:
        with_password = [s.name for s in plan.servers if s.root_password]
        if with_password and not shutil.which("sshpass"):
            raise HiveError(f"stage {plan.stage}: root_password is set (servers {', '.join(with_password)}) "
                            "but sshpass is not installed on this machine; Ansible needs it for password logins",
                            hint="apt-get install sshpass")

    def provision(self, plan: ProvisionPlan) -> bool:
        self.sanity_check(plan)
        return False  # the hosts exist; build-infra's second play bootstraps the admin if asked

    def halt(self, plan: ProvisionPlan) -> bool:
        self._messages.append(NO_LIFECYCLE)
        return False

    def destroy(self, plan: ProvisionPlan) -> bool:
        self._messages.append(NO_LIFECYCLE)
        return False

    def host_facts(self, probes: Mapping[str, str]) -> dict:
        return facts_from_probes(probes)

    def messages(self) -> list[str]:
        return list(self._messages)
