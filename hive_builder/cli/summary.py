"""Text summary of a stage printed by `hive check`, computed from the ansible inventory dict
(`inventory_json.to_ansible_inventory`), so it shows exactly what the playbooks will see."""

from __future__ import annotations

from collections.abc import Mapping

from hive_builder.providers import sizing

# Groups that say what a server is; the stage group and `hosts` carry no information here.
ROLE_GROUPS = ("mother", "first_hive", "hives", "repository")


def group_members(inventory: Mapping) -> dict[str, set[str]]:
    """Every group's hosts, including those of its child groups."""
    direct = {g: set(body.get("hosts") or ()) for g, body in inventory.items()
              if g != "_meta" and isinstance(body, Mapping)}
    children = {g: list(body.get("children") or ()) for g, body in inventory.items()
                if g != "_meta" and isinstance(body, Mapping)}

    def members(group: str, seen: frozenset = frozenset()) -> set[str]:
        if group in seen:
            return set()
        result = set(direct.get(group, ()))
        for child in children.get(group, ()):
            result |= members(child, seen | {group})
        return result

    return {g: members(g) for g in direct}


def summarize(inventory: Mapping, stage: str) -> str:
    hostvars = (inventory.get("_meta") or {}).get("hostvars") or {}
    groups = group_members(inventory)
    in_stage = groups.get(stage, set())

    def of(group: str) -> list[str]:
        # hostvars are in the model's order (hive0, hive1, ...): keep it
        members = in_stage & groups.get(group, set())
        ordered = [h for h in hostvars if h in members]
        return ordered + sorted(members - set(ordered))

    lines = [f"stage {stage}"]

    def section(title: str, entries: list[str]) -> None:
        lines.append(f"{title}:")
        lines.extend(entries or ["  (none)"])

    hosts, sized, providers, internal = [], [], set(), set()
    for host in of("hosts") or of("servers"):
        hv = hostvars.get(host, {})
        address = hv.get("hive_private_ip") or ("local" if host in groups.get("mother", ()) else "-")
        roles = [g for g in ROLE_GROUPS if host in groups.get(g, set())]
        sizes = sizing.server_sizes(hv)
        shown = ", ".join(f"{attr} {sizing.describe(attr, value)}" for attr, value in sizes.items())
        hosts.append(f"  {host:<32} {address:<16} {' '.join(roles)}" + (f"  {shown}" if shown else ""))
        if "hive_private_ip" in hv:
            sized.append((roles, sizes))
            providers.add(hv.get("hive_provider"))
            internal.add(hv.get("hive_internal_cidr"))
    section("hosts", hosts)
    internal.discard(None)
    if internal:
        lines.append(f"internal_cidr: {', '.join(sorted(internal))} (docker's internal networks)")
    for provider in sorted(p for p in providers if p):
        note = sizing.notice(provider, sized)
        if note:   # build-infra says it too: a size attribute is never silently ignored
            lines.append(f"note: {note}")
    services = []
    for svc in of("services"):
        ports = [_port(p) for p in hostvars.get(svc, {}).get("hive_ports") or ()]
        services.append(f"  {svc:<32} {'ports: ' + ', '.join(ports) if ports else 'no published port'}")
    section("services", services)
    volumes = []
    for vol in of("volumes") + of("drbd_volumes"):
        spec = hostvars.get(vol, {}).get("hive_volume") or {}
        drbd = spec.get("drbd")
        kind = (f"drbd device_id {drbd.get('device_id', '?')}" if isinstance(drbd, Mapping)
                else f"driver {spec.get('driver', 'local')}")
        volumes.append(f"  {vol:<32} {kind}")
    section("volumes", volumes)
    return "\n".join(lines) + "\n"


def _port(port: object) -> str:
    if not isinstance(port, Mapping):
        return str(port)
    published = port.get("published_port", "?")
    target = port.get("target_port", "?")
    proto = port.get("protocol", "tcp")
    return f"{published}->{target}/{proto}"
