"""Pure: the /etc/hosts managed block listing the servers of the stage (reference §6.2 hostsfile).

One block for the whole stage (one task instead of one per server; the original had one block
per server).
"""

from __future__ import annotations


def hosts_block(names: list[str], ips: list[str]) -> str:
    """Server names (stage order) and their private IPs -> the block's lines.

    The short name is added as an alias so the OS hostname (first label, set by the base role)
    resolves too (sudo and swarm look it up).
    """
    if len(names) != len(ips):
        raise ValueError(f"{len(names)} server names but {len(ips)} private IPs")
    lines = []
    for name, ip in zip(names, ips):
        if not ip:
            raise ValueError(f"server {name} has no private IP (hive_private_ip)")
        short = name.split(".", 1)[0]
        aliases = [name] if short == name else [name, short]
        lines.append(f"{ip} {' '.join(aliases)}")
    return "\n".join(lines)
