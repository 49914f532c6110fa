"""Site -> Ansible inventory: one list of operations, two consumers.

`inventory_ops(site, file)` lists the add_group/add_child/add_host/set_variable calls that the
inventory plugins make for one source file. `apply_ops` replays them on Ansible's inventory (the
plugins); `to_ansible_inventory` replays them on a small imitation of Ansible's InventoryData and
prints what `ansible-inventory --list` prints (`hive inventory`). So both agree by construction.

Host vars emitted (reference §3.6, §4.2) — raw facts only, see model/derived.py:
- servers: hive_private_ip, hive_netmask, hive_subnet, [hive_available_zone], sizing vars,
  [hive_root_password, hive_internal_cidr(_v6), hive_vm_image_name], hive_provider;
- mother: hive_cidr, hive_subnets, [hive_region, hive_bridge, hive_dev, hive_kickstart_config,
  hive_nameservers], hive_provider;
- services: hive_<attr> for copied attributes, hive_image or hive_image_name, and always
  hive_ports and hive_volumes (lists, possibly empty). Ports of services not on the stage being
  built carry published_port only when it is explicit (allocation is per stage);
- image_<svc>: hive_<param> of the build spec; volume_<src>: hive_volume; networks: hive_<option>.
`hive_provider` is a host var (not a stage group var) so objects spanning stages get none.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from hive_builder.model.services import DEFAULT_NETWORK, ImageSpec, Service, ServicesFile
from hive_builder.model.site import Site
from hive_builder.model.volumes import standalone_mounts

Op = tuple  # ("group", g) | ("child", parent, child) | ("host", host, group) | ("var", target, k, v)
HIVE_GROUPS = ("servers", "hives", "repository", "first_hive", "mother", "hosts")
HIVE_CHILDREN = (("servers", "hives"), ("servers", "repository"), ("hosts", "servers"),
                 ("hosts", "mother"))
SERVICE_GROUPS = ("services", "images", "volumes", "drbd_volumes", "networks")


def source_files(site: Site) -> list[str]:
    """Inventory files in the order Ansible parses them (sorted names)."""
    return sorted([site.hive_file, *(f.file for f in site.service_files)])


def inventory_ops(site: Site, file: str | None = None) -> list[Op]:
    """Operations for one source file (its name relative to the inventory dir), or for all."""
    ops: list[Op] = []
    for name in source_files(site) if file is None else [file]:
        if name == site.hive_file:
            ops += _hive_ops(site)
        for services_file in site.service_files:
            if services_file.file == name:
                ops += _services_ops(site, services_file)
    return ops


def _host(ops: list[Op], host: str, groups: Any, variables: dict[str, Any]) -> None:
    ops.extend(("host", host, g) for g in groups)
    ops.extend(("var", host, k, v) for k, v in variables.items())


def _hive_ops(site: Site) -> list[Op]:
    ops: list[Op] = [("group", g) for g in HIVE_GROUPS]
    ops += [("child", p, c) for p, c in HIVE_CHILDREN]
    ops.append(("var", "all", "hive_name", site.name))
    for stage in site.stages.values():
        ops.append(("group", stage.name))
        _host(ops, stage.mother.name, ("mother", stage.name), stage.mother.vars)
        for server in stage.servers:
            roles = [g for g in ("hives", "repository") if g in server.groups]
            _host(ops, server.name, (stage.name, *roles), server.vars)
        ops.append(("host", stage.first_hive.name, "first_hive"))
    return ops


def _services_ops(site: Site, services_file: ServicesFile) -> list[Op]:
    ops: list[Op] = [("group", g) for g in (*SERVICE_GROUPS, *services_file.available_on)]
    for service in services_file.services:
        _host(ops, service.name, ("services", *service.stages), service_vars(site, service))
        for volume in service.volumes:
            if volume.kind == "plain":
                continue
            group = "drbd_volumes" if volume.drbd else "volumes"
            _host(ops, volume.host_name, (group, *service.stages),
                  {"hive_volume": volume_var(site, volume)})
        if isinstance(service.image, ImageSpec):
            _host(ops, service.image.host_name, ("images", *service.stages),
                  {f"hive_{k}": v for k, v in service.image.params.items()})
    for network in services_file.networks:
        _host(ops, network.name, ("networks", *network.stages),
              {f"hive_{k}": v for k, v in network.options.items()})
    if not services_file.defines_default_network:
        _host(ops, DEFAULT_NETWORK, ("networks", *services_file.available_on), {})
    return ops


def service_vars(site: Site, service: Service) -> dict[str, Any]:
    variables = {f"hive_{k}": v for k, v in service.copied.items()}
    mounts = standalone_mounts() if service.standalone else []
    variables["hive_volumes"] = mounts + [v.mount() for v in service.volumes]
    variables["hive_ports"] = [p.as_var(site.published_port(p)) for p in service.ports]
    if isinstance(service.image, ImageSpec):
        variables["hive_image_name"] = service.image.host_name
    elif service.image is not None:
        variables["hive_image"] = service.image
    return variables


def volume_var(site: Site, volume: Any) -> dict[str, Any]:
    if volume.drbd is not None:
        return {"name": volume.source, "drbd": volume.drbd.as_var(site.device_id(volume))}
    var = {"name": volume.source, "driver": volume.driver}
    if volume.driver_opts is not None:
        var["driver_options"] = volume.driver_opts
    return var


class InventoryLike(Protocol):
    def add_group(self, group: str) -> Any: ...
    def add_child(self, group: str, child: str) -> Any: ...
    def add_host(self, host: str, group: str | None = None) -> Any: ...
    def set_variable(self, entity: str, varname: str, value: Any) -> None: ...


def apply_ops(inventory: InventoryLike, ops: list[Op]) -> None:
    for op in ops:
        if op[0] == "group":
            inventory.add_group(op[1])
        elif op[0] == "child":
            inventory.add_child(op[1], op[2])
        elif op[0] == "host":
            inventory.add_group(op[2])
            inventory.add_host(op[1], group=op[2])
        else:
            inventory.set_variable(op[1], op[2], op[3])


class _ListedInventory:
    """Just enough of Ansible's InventoryData to reproduce `ansible-inventory --list`."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}
        self.hosts: dict[str, dict[str, Any]] = {}
        self.parents: dict[str, set[str]] = {}
        for g in ("all", "ungrouped"):
            self.add_group(g)
        self.add_child("all", "ungrouped")

    def add_group(self, group: str) -> None:
        if group not in self.groups:
            self.groups[group] = {"hosts": [], "children": [], "vars": {}}
            self.parents[group] = set()

    def add_child(self, group: str, child: str) -> None:
        if child in self.groups:
            if child not in self.groups[group]["children"]:
                self.groups[group]["children"].append(child)
                self.parents[child].add(group)
        else:
            self.add_host(child, group)

    def add_host(self, host: str, group: str | None = None) -> None:
        self.hosts.setdefault(host, {"vars": {}, "groups": []})
        if group is not None and host not in self.groups[group]["hosts"]:
            self.groups[group]["hosts"].append(host)
            self.hosts[host]["groups"].append(group)

    def set_variable(self, entity: str, varname: str, value: Any) -> None:
        target = self.groups[entity] if entity in self.groups else self.hosts[entity]
        target["vars"][varname] = value

    def listing(self) -> dict[str, Any]:
        for name in list(self.groups):
            if name != "all" and not self.parents[name]:
                self.add_child("all", name)
        for host, data in self.hosts.items():
            if not data["groups"]:
                self.add_host(host, "ungrouped")
        result: dict[str, Any] = {}
        seen: set[str] = set()

        def visit(name: str) -> None:
            group = self.groups[name]
            entry: dict[str, Any] = {}
            if name != "all" and group["hosts"]:
                entry["hosts"] = list(group["hosts"])
            if group["children"]:
                entry["children"] = list(group["children"])
            for child in group["children"]:
                if child not in seen:
                    seen.add(child)
                    visit(child)
            if entry:
                result[name] = entry

        visit("all")
        all_vars = self.groups["all"]["vars"]
        hostvars = {}
        for host, data in self.hosts.items():
            merged = {**all_vars, **_group_vars(self, data["groups"]), **data["vars"]}
            if merged:
                hostvars[host] = merged
        return {"_meta": {"hostvars": hostvars, "profile": "inventory_legacy"}, **result}


def _group_vars(inv: _ListedInventory, groups: list[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for g in sorted(groups):  # only `all` carries vars in hive inventories; kept simple
        merged.update(inv.groups[g]["vars"])
    return merged


def to_ansible_inventory(site: Site) -> dict[str, Any]:
    """The `ansible-inventory --list` document for the site (without group_vars/host_vars files)."""
    inventory = _ListedInventory()
    apply_ops(inventory, inventory_ops(site))
    return copy.deepcopy(inventory.listing())  # callers may edit it; the Site stays intact
