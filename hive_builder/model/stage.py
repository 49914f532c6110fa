"""Stages expanded into hosts: the mother and the servers with their groups and raw host vars."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hive_builder.model.addressing import (DEFAULT_INTERNAL_CIDR, InternalNetworks,
                                           assign_addresses, available_zone, internal_networks)
from hive_builder.model.hivedef import StageSpec

DEFAULT_AZ_SUFFIXES = ("-a", "-b", "-c")
# stage key -> host var, for hives and (repository_* first) for the repository server
HIVE_SIZING = {"memory_size": "hive_memory_size", "cpus": "hive_cpus", "disk_size": "hive_disk_size",
               "instance_type": "hive_instance_type", "mirrored_disk_size": "hive_mirrored_disk_size"}
REPOSITORY_SIZING = {"repository_memory_size": "hive_memory_size", "repository_cpus": "hive_cpus",
                     "repository_disk_size": "hive_disk_size",
                     "repository_instance_type": "hive_instance_type"}
SERVER_PASSTHROUGH = {"root_password": "hive_root_password", "internal_cidr": "hive_internal_cidr",
                      "internal_cidr_v6": "hive_internal_cidr_v6", "image_name": "hive_vm_image_name"}
MOTHER_PASSTHROUGH = {"region": "hive_region", "bridge": "hive_bridge", "dev": "hive_dev",
                      "kickstart_config": "hive_kickstart_config", "nameservers": "hive_nameservers"}


@dataclass(frozen=True)
class Server:
    name: str
    stage: str
    index: int
    private_ip: str
    netmask: str
    subnet: str
    available_zone: str | int | None
    groups: tuple[str, ...]  # role groups it is a direct member of: hives, repository, first_hive
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def group_names(self) -> list[str]:
        """Ansible's `group_names` (also the swarm node labels): roles, parents and the stage."""
        return sorted({*self.groups, "servers", "hosts", self.stage})

    @property
    def is_hive(self) -> bool:
        return "hives" in self.groups

    @property
    def is_repository(self) -> bool:
        return "repository" in self.groups


@dataclass(frozen=True)
class Mother:
    name: str
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    name: str
    prefix: str
    provider: str
    spec: StageSpec
    mother: Mother
    servers: tuple[Server, ...]
    internal: InternalNetworks

    @property
    def hives(self) -> tuple[Server, ...]:
        return tuple(s for s in self.servers if s.is_hive)

    @property
    def repository(self) -> Server:
        return self.servers[-1]

    @property
    def first_hive(self) -> Server:
        return self.servers[0]

    def host_names(self) -> list[str]:
        return [self.mother.name] + [s.name for s in self.servers]


def build_stage(hive_name: str, spec: StageSpec) -> Stage:
    """Expand a validated stage (raises addressing.NotEnoughAddresses when the cidr is too small)."""
    p, prefix = spec.params, spec.prefix
    count = spec.number_of_hosts
    addresses = assign_addresses(count, spec.cidr, f"{hive_name}-default", spec.subnets,
                                 spec.ip_address_list)
    internal_cidr = p.get("internal_cidr", DEFAULT_INTERNAL_CIDR)   # the manual's default
    internal = internal_networks(internal_cidr)
    region = p.get("region")
    suffixes = tuple(p.get("az_suffix_list", DEFAULT_AZ_SUFFIXES))
    servers = []
    for index, address in enumerate(addresses):
        last = index == count - 1
        groups = []
        hive_vars: dict[str, Any] = {"hive_provider": spec.provider}
        for key, var in SERVER_PASSTHROUGH.items():
            if key in p:
                hive_vars[var] = p[key]
        hive_vars["hive_internal_cidr"] = internal_cidr
        if not last or not spec.separate_repository:
            groups.append("hives")
            hive_vars.update({var: p[key] for key, var in HIVE_SIZING.items() if key in p})
        if last:
            groups.append("repository")
            hive_vars.update({var: p[key] for key, var in REPOSITORY_SIZING.items() if key in p})
        if index == 0:
            groups.append("first_hive")
        zone = None
        if region is not None:
            zone = available_zone(index, spec.provider, region, suffixes,
                                  address.subnet.available_zone)
            hive_vars["hive_available_zone"] = zone
        hive_vars.update(hive_private_ip=address.ip, hive_netmask=address.netmask,
                         hive_subnet=address.subnet.name)
        servers.append(Server(f"{prefix}hive{index}.{hive_name}", spec.name, index, address.ip,
                              address.netmask, address.subnet.name, zone, tuple(groups), hive_vars))
    return Stage(spec.name, prefix, spec.provider, spec, _mother(hive_name, spec), tuple(servers),
                 internal)


def _mother(hive_name: str, spec: StageSpec) -> Mother:
    p = spec.params
    if spec.subnets:
        # names filled in as on the servers, so provider roles can rely on `name` (ref §12.2 #8)
        subnets = [dict(raw, name=s.name) for raw, s in zip(p["subnets"], spec.subnets)]
    else:
        subnets = [{"cidr": spec.cidr, "name": f"{hive_name}-default"}]
    mother_vars: dict[str, Any] = {"hive_provider": spec.provider, "hive_cidr": p["cidr"],
                                   "hive_subnets": subnets}
    mother_vars.update({var: p[key] for key, var in MOTHER_PASSTHROUGH.items() if key in p})
    return Mother(f"{spec.prefix}mother.{hive_name}", mother_vars)
