"""What a provider must build for one stage: a pure value, derived from inventory host variables."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from hive_builder.errors import HiveError
from hive_builder.providers.sizing import server_sizes
from hive_builder.render.ssh_config import DEFAULT_SSH_PORT, sshd_port

ROLE_GROUPS = ("hives", "repository", "first_hive")
# Inventory variables a provider that makes its own network and machines (aws) reads besides the
# sizes: per stage (the mother's variables) and per server. The hive_provider module receives
# them from the role provider (filter hive_provider_settings), `hive check` from the model.
STAGE_SETTINGS = ("hive_region", "hive_subnets", "hive_vpc_name", "hive_aws_key_name",
                  "hive_published_ports_tcp", "hive_published_ports_udp",
                  # vagrant (reference §9.1): the mother's bridge/dev, the box, Vagrant's insert_key
                  "hive_bridge", "hive_dev", "hive_vagrant_box_name", "hive_vagrant_ssh_insert_key")
SERVER_SETTINGS = ("hive_subnet", "hive_available_zone", "hive_vm_image_name", "hive_published_ip",
                   "hive_no_mirrored_device")
ADMIN_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class ServerPlan:
    name: str                          # inventory host name, e.g. p-hive0.demo
    ip: str                            # private IP
    roles: tuple[str, ...] = ()        # subset of ROLE_GROUPS
    root_password: str | None = None   # prepared provider: bootstrap the admin by root login
    ssh_port: int = DEFAULT_SSH_PORT   # where sshd listens once setup-hosts ran (render.ssh_config.sshd_port)
    # the stage's size attributes as this server gets them (providers/sizing.py): memory_size (MB),
    # cpus, disk_size (GB), mirrored_disk_size (GB), instance_type
    sizes: Mapping[str, Any] = field(default_factory=dict)
    # SERVER_SETTINGS that are set (None and '' are dropped)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attr in ("memory_size", "cpus"):   # the sizes a provider may apply: whole numbers
            value = self.sizes.get(attr)
            if value not in (None, "") and not (str(value).isdigit() and int(value) >= 1):
                raise HiveError(f"server {self.name}: {attr} must be a positive integer, found {value!r}")

    @property
    def memory_mb(self) -> int | None:
        value = self.sizes.get("memory_size")
        return int(value) if value not in (None, "") else None

    @property
    def cpus(self) -> int | None:
        value = self.sizes.get("cpus")
        return int(value) if value not in (None, "") else None

    @property
    def short_name(self) -> str:
        """OS host name: the first DNS label (what setup-hosts sets on real servers)."""
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class ProvisionPlan:
    hive_name: str
    stage: str
    cidr: str
    servers: tuple[ServerPlan, ...]
    context_dir: Path
    root_dir: Path
    admin_user: str = "admin"
    private_key_path: Path | None = None
    public_key_path: Path | None = None
    labels_extra: Mapping[str, str] = field(default_factory=dict)
    # STAGE_SETTINGS that are set, and `hive_file` (the hive definition, named in messages)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            net = ipaddress.ip_network(self.cidr, strict=False)
        except ValueError:
            raise HiveError(f"stage {self.stage}: cidr {self.cidr!r} is not a network address") from None
        if not ADMIN_NAME.fullmatch(self.admin_user):
            raise HiveError(f"stage {self.stage}: admin user name {self.admin_user!r} is not a valid "
                            "user name (lowercase letters, digits, '_' and '-')")
        names = [s.name for s in self.servers]
        if len(set(names)) != len(names):
            raise HiveError(f"stage {self.stage}: duplicate server names {names}")
        for s in self.servers:
            if ipaddress.ip_address(s.ip) not in net:
                raise HiveError(f"stage {self.stage}: server {s.name} IP {s.ip} is outside cidr {self.cidr}")

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.cidr, strict=False)

    @property
    def gateway(self) -> str:
        return str(next(self.network.hosts()))

    @property
    def network_name(self) -> str:
        return f"hive-{self.hive_name}-{self.stage}"

    @property
    def private_key(self) -> Path:
        return self.private_key_path or self.context_dir / "id_rsa"

    @property
    def public_key(self) -> Path:
        return self.public_key_path or Path(f"{self.private_key}.pub")

    @property
    def labels(self) -> dict[str, str]:
        """Labels put on everything a provider creates, so destroy finds exactly its own objects."""
        return {"hive-builder.site": self.hive_name, "hive-builder.stage": self.stage,
                "hive-builder.root_dir": str(self.root_dir), **self.labels_extra}

    @property
    def ssh_config_path(self) -> Path:
        return self.context_dir / "ssh_config"


def natural_key(name: str) -> tuple:
    """Sort key putting p-hive2 before p-hive10 (inventory order of the servers of a stage)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def plan_from_hostvars(hostvars: Mapping[str, Mapping[str, Any]], servers: Sequence[str], *,
                       hive_name: str, stage: str, cidr: str, context_dir: str | Path,
                       root_dir: str | Path | None = None, admin_user: str = "admin",
                       private_key_path: str | Path | None = None,
                       public_key_path: str | Path | None = None,
                       settings: Mapping[str, Any] | None = None) -> ProvisionPlan:
    """Build the plan from Ansible host variables (hive_private_ip, group_names, hive_root_password,
    hive_sshd_port, hive_ssh_source_ips, the size variables hive_memory_size, hive_cpus, ...).

    `servers` are the stage's servers; `hostvars` maps each of them to its vars. Ansible's groups
    do not keep the hive definition's order, so servers are put back in natural name order
    (hive0, hive1, ..., hive10; the repository server is the last one).
    """
    plans = []
    for name in sorted(servers, key=natural_key):
        hv = hostvars.get(name)
        if hv is None or not hv.get("hive_private_ip"):
            raise HiveError(f"server {name}: no hive_private_ip in the inventory (is it a server of stage {stage}?)")
        groups = hv.get("group_names") or ()
        plans.append(ServerPlan(name=name, ip=str(hv["hive_private_ip"]),
                                roles=tuple(g for g in ROLE_GROUPS if g in groups),
                                root_password=hv.get("hive_root_password") or None,
                                ssh_port=_ssh_port(name, hv), sizes=server_sizes(hv),
                                settings=pick_settings(hv, SERVER_SETTINGS)))
    context = Path(context_dir)
    return ProvisionPlan(
        hive_name=hive_name, stage=stage, cidr=cidr, servers=tuple(plans), context_dir=context,
        root_dir=Path(root_dir) if root_dir else context.parent.parent,
        admin_user=admin_user or "admin",
        private_key_path=Path(private_key_path) if private_key_path else None,
        public_key_path=Path(public_key_path) if public_key_path else None,
        settings=pick_settings(settings or {}, (*STAGE_SETTINGS, "hive_file")))


def pick_settings(variables: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The variables among `names` that are set: unset ones reach the module as None or ''."""
    return {n: variables[n] for n in names if variables.get(n) not in (None, "")}


def _ssh_port(name: str, hv: Mapping[str, Any]) -> int:
    try:
        return sshd_port(hv.get("hive_sshd_port"), hv.get("hive_ssh_source_ips"))
    except ValueError as exc:
        raise HiveError(f"server {name}: {exc}") from None


def plan_from_stage(site: Any, stage: str, *, context_dir: str | Path, root_dir: str | Path) -> ProvisionPlan:
    """The plan straight from the model (`hive_builder.model.Site`), for checks made before Ansible
    runs. The admin user is the provider default; group_vars overrides are only known to Ansible."""
    from hive_builder.model import derived_host_vars  # the model is pure; imported on use
    st = site.stages[stage]
    derived = derived_host_vars(site, stage)
    admin = derived.get("hive_safe_admin", "admin")
    settings = pick_settings({**st.mother.vars, **derived}, STAGE_SETTINGS)
    return ProvisionPlan(
        hive_name=site.name, stage=stage, cidr=st.spec.cidr, context_dir=Path(context_dir),
        root_dir=Path(root_dir), admin_user=str(admin),
        settings={**settings, "hive_file": site.hive_file},
        servers=tuple(ServerPlan(name=s.name, ip=s.private_ip,
                                 roles=tuple(g for g in ROLE_GROUPS if g in s.groups),
                                 root_password=s.vars.get("hive_root_password") or None,
                                 ssh_port=_ssh_port(s.name, s.vars), sizes=server_sizes(s.vars),
                                 settings=pick_settings(s.vars, SERVER_SETTINGS))
                      for s in st.servers))
