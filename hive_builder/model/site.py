"""The whole site: hive definition + service definitions, cross-checked and allocated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hive_builder.model.addressing import NotEnoughAddresses
from hive_builder.model.allocation import AllocationStore, allocate_stage
from hive_builder.model.backups import check_backup_names
from hive_builder.model.checks import STAGES, did_you_mean
from hive_builder.model.files import read_inventory_dir
from hive_builder.model.hivedef import HiveDef, parse_hive
from hive_builder.model.knobs import check_group_vars
from hive_builder.model.ports import Port
from hive_builder.model.problems import Problems, Where
from hive_builder.model.services import (DEFAULT_NETWORK, Network, Service, ServicesFile,
                                         parse_services_file)
from hive_builder.model.stage import Stage, build_stage
from hive_builder.model.volumes import Volume, volume_label

GROUPS = ("servers", "hives", "repository", "first_hive", "mother", "hosts", "services", "images",
          "volumes", "drbd_volumes", "networks", "all", "ungrouped", *STAGES)


@dataclass(frozen=True)
class CreatedVolume:
    """A volume build-volumes creates (driver or drbd), shared by every service that mounts it."""

    volume: Volume
    stages: tuple[str, ...]
    services: tuple[str, ...]

    @property
    def host_name(self) -> str:
        return self.volume.host_name


@dataclass(frozen=True)
class Site:
    name: str
    stage: str  # the stage being built: allocations are made for it
    hive_file: str
    stages: dict[str, Stage]
    service_files: tuple[ServicesFile, ...]
    services: dict[str, Service]
    networks: dict[str, Network]
    volumes: dict[str, CreatedVolume]
    published_ports: dict[str, int] = field(default_factory=dict)  # Port.key -> number
    device_ids: dict[str, int] = field(default_factory=dict)  # volume source -> DRBD minor

    def published_port(self, port: Port) -> int | None:
        """Explicit or allocated number; None for an auto port of a service not on this stage."""
        return port.published if port.published is not None else self.published_ports.get(port.key)

    def device_id(self, volume: Volume) -> int | None:
        assert volume.drbd is not None
        explicit = volume.drbd.device_id
        return explicit if explicit is not None else self.device_ids.get(volume.source)

    def services_on(self, stage: str) -> list[Service]:
        return [s for s in self.services.values() if stage in s.stages]

    def groups(self) -> dict[str, dict[str, list[str]]]:
        """Group -> {"hosts": [...], "children": [...]} as `ansible-inventory --list` shows it."""
        from hive_builder.inventory_json import to_ansible_inventory
        return {k: v for k, v in to_ansible_inventory(self).items() if k != "_meta"}

    def hostvars(self) -> dict[str, dict[str, Any]]:
        from hive_builder.inventory_json import to_ansible_inventory
        return to_ansible_inventory(self)["_meta"]["hostvars"]


def load_site(inventory_dir: Path, stage: str, store: AllocationStore) -> Site:
    """Read, validate and expand the inventory; allocate ports and device ids for `stage`.

    Raises InventoryErrors listing every problem found. Writes nothing: new allocations go to
    `store.set()`, and persisting them is the store's (caller's) business.
    """
    problems = Problems()
    hive_source, service_sources = read_inventory_dir(Path(inventory_dir), problems)
    hive = parse_hive(hive_source, problems) if hive_source else None
    files = tuple(parse_services_file(s, problems) for s in service_sources)
    top = Where(problems, hive_source.rel if hive_source else None)
    if stage not in STAGES:
        top.error(f"stage must be one of {', '.join(STAGES)}, found {stage!r}")
    stages = _build_stages(hive, top) if hive else {}
    if hive and stage in STAGES and stage not in hive.stages and stage not in stages:
        top.error(f"stage {stage} is not defined in the hive definition (defined: "
                  f"{', '.join(hive.stages) or 'none'})", "stages")
    services = _collect_services(files, problems)
    networks = _collect_networks(files, problems)
    volumes = _collect_volumes(services, problems)
    _cross_check(stages, services, networks, problems)
    check_backup_names(services, problems)
    check_group_vars(Path(inventory_dir), problems)
    problems.raise_if_any()
    assert hive is not None and hive_source is not None
    ports, devices = _allocate(stage, services, store, problems)
    problems.raise_if_any()
    return Site(hive.name, stage, hive.file, stages, files, services, networks, volumes,
                ports, devices)


def _build_stages(hive: HiveDef, top: Where) -> dict[str, Stage]:
    stages = {}
    for name, spec in hive.stages.items():
        try:
            stages[name] = build_stage(hive.name, spec)
        except NotEnoughAddresses as exc:
            top.at(f"stage {name}").error(str(exc), "subnets" if spec.subnets else "cidr")
    return stages


def _where(problems: Problems, service: Service) -> Where:
    return Where(problems, service.file, f"service {service.name}")


def _collect_services(files: tuple[ServicesFile, ...], problems: Problems) -> dict[str, Service]:
    services: dict[str, Service] = {}
    for f in files:
        for service in f.services:
            if service.name in services:
                Where(problems, f.file, f"service {service.name}").error(
                    f"service {service.name} is already defined in {services[service.name].file}")
            else:
                services[service.name] = service
    return services


def _collect_networks(files: tuple[ServicesFile, ...], problems: Problems) -> dict[str, Network]:
    networks: dict[str, Network] = {}
    for f in files:
        for network in f.networks:
            if network.name in networks:
                Where(problems, f.file, f"network {network.name}").error(
                    f"network {network.name} is already defined in {networks[network.name].file}")
            else:
                networks[network.name] = network
    if DEFAULT_NETWORK not in networks and files:
        # implicit, on the stages of every file that does not define it (reference §4.2)
        stages = {s for f in files if not f.defines_default_network for s in f.available_on}
        networks[DEFAULT_NETWORK] = Network(DEFAULT_NETWORK, tuple(s for s in STAGES if s in stages))
    return networks


def _collect_volumes(services: dict[str, Service], problems: Problems) -> dict[str, CreatedVolume]:
    volumes: dict[str, CreatedVolume] = {}
    for service in services.values():
        for index, volume in enumerate(service.volumes, 1):
            if volume.kind == "plain":
                continue
            known = volumes.get(volume.source)
            if known is None:
                volumes[volume.source] = CreatedVolume(volume, service.stages, (service.name,))
            elif known.volume.definition() != volume.definition():
                _where(problems, service).at(volume_label(index, volume.source)).error(
                    f"volume {volume.source} is also created by service {known.services[0]} with "
                    "different driver/drbd settings: one volume needs one definition")
            else:
                stages = tuple(s for s in STAGES if s in known.stages or s in service.stages)
                volumes[volume.source] = CreatedVolume(known.volume, stages,
                                                       known.services + (service.name,))
    return volumes


def _cross_check(stages: dict[str, Stage], services: dict[str, Service],
                 networks: dict[str, Network], problems: Problems) -> None:
    hosts = {h for st in stages.values() for h in st.host_names()}
    servers = {s.name for st in stages.values() for s in st.servers}
    for service in services.values():
        w = _where(problems, service)
        if service.name in hosts:
            w.error(f"service name {service.name} is also a server name")
        if service.name in GROUPS:
            w.error(f"service name {service.name} is also a group name; choose another name")
        if service.name in networks:
            w.error(f"service name {service.name} is also a network name; services and networks "
                    "share one namespace of Ansible hosts")
        for net in service.copied.get("networks", []) or []:
            if isinstance(net, str) and net not in networks:
                w.error(f"network {net} is not defined (defined: {', '.join(networks)})"
                        + did_you_mean(net, networks), "networks")
        for index, volume in enumerate(service.volumes, 1):
            for host in (volume.drbd.diskless if volume.drbd else ()):
                if servers and host not in servers:  # no servers: hive def already failed
                    w.at(volume_label(index, volume.source)).at("drbd").error(
                        f"diskless host {host} is not a server of any stage"
                        + did_you_mean(host, sorted(servers)), "diskless")
    for network in networks.values():
        if network.name in hosts or network.name in GROUPS:
            Where(problems, network.file, f"network {network.name}").error(
                f"network name {network.name} is also a host or group name")


def _allocate(stage: str, services: dict[str, Service], store: AllocationStore, problems: Problems
              ) -> tuple[dict[str, int], dict[str, int]]:
    ports = []
    drbd = []
    for service in services.values():
        if stage not in service.stages:
            continue
        w = _where(problems, service)
        ports += [(p, w.at(f"port {p.target}/{p.protocol}")) for p in service.ports]
        drbd += [(v, w.at(volume_label(i, v.source))) for i, v in enumerate(service.volumes, 1) if v.drbd]
    return allocate_stage(store, stage, ports, drbd, Where(problems))
