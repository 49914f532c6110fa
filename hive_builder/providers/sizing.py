"""Pure: the stage's size attributes (manual 7.1) as each server gets them, and which of them a
provider applies. What a provider cannot apply is reported (build-infra warns once per run,
`hive check` lists it), never silently ignored.

The model turns the stage attributes into host variables (model/stage.py HIVE_SIZING and
REPOSITORY_SIZING): `memory_size`/`repository_memory_size` -> `hive_memory_size`, and so on.
Here each server's sizes are keyed by the hive attribute name (`memory_size`, `cpus`,
`disk_size`, `mirrored_disk_size`, `instance_type`); messages name the stage attribute the user
wrote (`repository_` prefix on a repository server that is not a hive).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# hive attribute -> host variable, unit shown in messages
SIZE_VARS = {"memory_size": "hive_memory_size", "cpus": "hive_cpus", "disk_size": "hive_disk_size",
             "mirrored_disk_size": "hive_mirrored_disk_size", "instance_type": "hive_instance_type"}
UNITS = {"memory_size": " MB", "disk_size": " GB", "mirrored_disk_size": " GB"}
# attributes with a repository_ variant for the repository server (mirrored_disk_size has none)
REPOSITORY_VARIANT = ("memory_size", "cpus", "disk_size", "instance_type")

# What each implemented provider does with them, and why it cannot do the rest.
APPLIED = {
    # instance_type / repository_instance_type, root volume size, DRBD data volume (memory_size
    # and cpus are refused for IaaS providers by the model: the instance type sets them)
    "aws": ("instance_type", "disk_size", "mirrored_disk_size"),
    # VM size, managed OS disk size, managed data disk for DRBD
    "azure": ("instance_type", "disk_size", "mirrored_disk_size"),
    # machine type, boot disk size (25 GB when unset, manual), DRBD data disk
    "gcp": ("instance_type", "disk_size", "mirrored_disk_size"),
    # memory_size -> container memory limit (and swap 2x, Docker's default ratio); cpus -> CPU quota
    "docker": ("memory_size", "cpus"),
    # the hosts exist: only mirrored_disk_size counts, as "the hives have a disk for DRBD" (role drbd)
    "prepared": ("mirrored_disk_size",),
    # libvirt memory/cpus, the box disk grown to disk_size, an extra disk for DRBD
    "vagrant": ("memory_size", "cpus", "disk_size", "mirrored_disk_size"),
}
REASONS = {
    "aws": "an instance's memory and CPUs come from its instance_type",
    "azure": "a VM's memory and CPUs come from its size (instance_type)",
    "gcp": "an instance's memory and CPUs come from its machine type (instance_type)",
    "docker": "a node is a container on this machine: its disks are this machine's disk and DRBD "
              "volumes are emulated on shared storage",
    "prepared": "the hosts exist already: hive-builder does not resize them",
    "vagrant": "a Vagrant machine's size is its memory, CPUs and disks",
}


def server_sizes(hostvars: Mapping[str, Any]) -> dict[str, Any]:
    """A server's size attributes from its host variables (those that are set)."""
    return {attr: hostvars[var] for attr, var in SIZE_VARS.items()
            if hostvars.get(var) not in (None, "")}


def stage_attribute(attr: str, roles: Iterable[str]) -> str:
    """The stage attribute a server's size came from (repository_* for a repository server that
    is not also a hive)."""
    roles = set(roles)
    if "repository" in roles and "hives" not in roles and attr in REPOSITORY_VARIANT:
        return f"repository_{attr}"
    return attr


def describe(attr: str, value: Any) -> str:
    return f"{value}{UNITS.get(attr, '')}"


def unapplied(provider: str, servers: Iterable[tuple[Iterable[str], Mapping[str, Any]]]
              ) -> dict[str, list[str]]:
    """Stage attribute -> distinct values (as shown) that `provider` does not apply, over the
    servers given as (roles, sizes). Empty for providers not implemented (they refuse anyway)."""
    if provider not in APPLIED:
        return {}
    found: dict[str, list[str]] = {}
    for roles, sizes in servers:
        roles = tuple(roles)
        for attr, value in sizes.items():
            if attr in APPLIED[provider]:
                continue
            shown = found.setdefault(stage_attribute(attr, roles), [])
            if describe(attr, value) not in shown:
                shown.append(describe(attr, value))
    return found


def notice(provider: str, servers: Iterable[tuple[Iterable[str], Mapping[str, Any]]]) -> str | None:
    """The one line saying which size attributes `provider` leaves unapplied, or None."""
    found = unapplied(provider, servers)
    if not found:
        return None
    listing = ", ".join(f"{attr} ({', '.join(values)})" for attr, values in found.items())
    return f"{provider} provider does not apply {listing}: {REASONS[provider]}"
