"""Pure: the /etc/hosts managed blocks, one per server of the stage (reference §6.2 hostsfile)."""

from __future__ import annotations


def hosts_blocks(names: list[str], ips: list[str]) -> list[dict]:
    """Server names (stage order) and their private IPs -> [{name, block}], one blockinfile each.

    The short name is added as an alias so the OS hostname (first label, set by the base role)
    resolves too (sudo and swarm look it up).
    """
    if len(names) != len(ips):
        raise ValueError(f"{len(names)} server names but {len(ips)} private IPs")
    blocks = []
    for name, ip in zip(names, ips):
        if not ip:
            raise ValueError(f"server {name} has no private IP (hive_private_ip)")
        short = name.split(".", 1)[0]
        aliases = [name] if short == name else [name, short]
        blocks.append({"name": name, "block": f"{ip} {' '.join(aliases)}"})
    return blocks
