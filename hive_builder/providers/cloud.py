"""What the providers whose resources Ansible modules make (aws, gcp, azure) share: the servers
are reached at the public addresses the tasks made, nothing is done outside the tasks, and the
renderers' small helpers."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers.base import Provider
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.render.ssh_config import SshHost, render_ssh_config


def where(plan: ProvisionPlan) -> dict[str, str | None]:
    """InventoryError's file and object for a stage attribute."""
    return {"file": plan.settings.get("hive_file"), "obj": f"stage {plan.stage}"}


def region(plan: ProvisionPlan, provider: str, example: str) -> str:
    """The stage's region (hive_region); `example`, the message's words after the provider's name,
    shows the user a valid one in that cloud's spelling."""
    value = plan.settings.get("hive_region")
    if not value:
        raise InventoryError(f"region must be specified when provider is {provider}{example}",
                             attr="region", **where(plan))
    return str(value)


@dataclass(frozen=True)
class StageSubnet:
    """A subnet of the stage as the inventory gives it; each cloud names and zones it its way."""
    name: str
    cidr: str
    zone: str | int | None = None
    implicit: bool = False   # the whole stage cidr, the stage naming no subnets


def stage_subnets(plan: ProvisionPlan, default_name: str,
                  zone_name: str | None = None) -> tuple[StageSubnet, ...]:
    """The stage's subnets (hive_subnets), else the stage cidr as one subnet `default_name`.
    `zone_name` (e.g. "an AWS zone name such as ap-northeast-1a"): the cloud names its zones, so
    an available_zone that is not a name is refused; without it a zone number passes, as Azure's."""
    subnets = []
    for index, raw in enumerate(plan.settings.get("hive_subnets") or ()):
        # the model always gives a cidr; a hand-written inventory must not end in a KeyError
        if not isinstance(raw, Mapping) or not raw.get("cidr"):
            raise InventoryError(f"subnet #{index + 1} needs a cidr", attr="subnets", **where(plan))
        zone = raw.get("available_zone")
        if zone_name and zone is not None and not isinstance(zone, str):
            raise InventoryError(f"available_zone must be {zone_name}, found {zone!r}",
                                 file=plan.settings.get("hive_file"),
                                 obj=f"stage {plan.stage} / subnet #{index + 1}", attr="available_zone")
        subnets.append(StageSubnet(str(raw.get("name") or f"subnet{index}"), str(raw["cidr"]), zone))
    if not subnets:
        subnets.append(StageSubnet(default_name, plan.cidr, None, implicit=True))
    return tuple(subnets)


def ports(values: Any) -> tuple[int, ...]:
    """Published port numbers, sorted and distinct (the inventory's lists may repeat them)."""
    return tuple(sorted({int(v) for v in values or () if str(v).strip().isdigit()}))


def ssh_ports(plan: ProvisionPlan) -> tuple[int, ...]:
    """The ports sshd listens on across the stage (22 before strict-source-ip moves it)."""
    return tuple(sorted({22, *(sv.ssh_port for sv in plan.servers)}))


def published_ips(plan: ProvisionPlan) -> dict[str, str]:
    """server -> the public address the user gave it (hive_published_ip): used, never released."""
    return {sv.name: str(sv.settings["hive_published_ip"]) for sv in plan.servers
            if sv.settings.get("hive_published_ip")}


def server_subnet(subnets: Sequence, server: ServerPlan):
    """The subnet (objects with `name`) a server is in: its hive_subnet, or the only one."""
    name = server.settings.get("hive_subnet")
    for subnet in subnets:
        if subnet.name == name or len(subnets) == 1:
            return subnet
    raise HiveError(f"server {server.name}: subnet {name!r} is not one of the stage's subnets "
                    f"({', '.join(s.name for s in subnets)})",
                    hint="correct hive_subnet, or the subnets of the stage in the hive definition")


def check_address(server: ServerPlan, subnet, reserved: tuple[int, int], cloud: str,
                  where: dict) -> None:
    """Refuse a private IP outside its subnet or among the addresses the cloud keeps for itself
    (`reserved`: how many at the start and at the end of every subnet)."""
    net = ipaddress.IPv4Network(subnet.cidr)
    ip = ipaddress.IPv4Address(server.ip)
    if ip not in net:
        raise InventoryError(f"server {server.name}: {ip} is outside its subnet {subnet.name} "
                             f"({net})", attr="ip_address_list", **where)
    head, tail = reserved
    offset = int(ip) - int(net.network_address)
    if offset < head or offset >= net.num_addresses - tail:
        last = "the last" if tail == 1 else f"the last {tail}"
        raise InventoryError(f"server {server.name}: {ip} is one of the addresses {cloud} reserves "
                             f"in {net} (the first {head} and {last})",
                             attr="ip_address_list", **where)


class CloudProvider(Provider):
    """A provider whose tasks file makes everything (Provider.tasks_file). take_outcome sets
    `_built`: objects with `name` and `public_ip`, one per server."""

    machines = "instances"    # what the error messages call the servers

    @property
    def checked_by_hive_check(self) -> bool:
        return True   # the preflights make read-only requests with short timeouts

    def __init__(self) -> None:
        self._built: list | None = None
        self._notes: list[str] = []

    def provision(self, plan: ProvisionPlan) -> bool:
        return False   # made by the tasks (tasks_file)

    def halt(self, plan: ProvisionPlan) -> bool:
        return False

    def destroy(self, plan: ProvisionPlan) -> bool:
        # what was recorded (an image, addresses) goes with the site: a new site starts afresh
        facts = Path(plan.context_dir) / "provider_facts.yml"
        if facts.exists():
            facts.unlink()
            return True
        return False

    def ssh_config(self, plan: ProvisionPlan) -> str:
        if self._built is None:
            raise HiveError(f"{self.name} provider: ssh_config asked before the {self.machines} "
                            "were made", hint="rerun `hive build-infra`")
        ips = {b.name: b.public_ip for b in self._built}
        return render_ssh_config(SshHost(name=s.name, hostname=ips[s.name], user=plan.admin_user,
                                         identity_file=str(plan.private_key), port=s.ssh_port)
                                 for s in plan.servers)

    def messages(self) -> list[str]:
        return list(self._notes)
