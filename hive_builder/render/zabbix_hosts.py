"""The Zabbix hosts of a stage (role zabbix, module hive_zabbix): one per server, named by its
inventory name (the agents' Hostname), polled on its private IP, in the group and with the
templates of its kind (reference §8.4: hives get the server templates, the repository its own too).
"""

from __future__ import annotations

FSNAME_MACRO = "{$VFS.FS.FSNAME.NOT_MATCHES}"


def zabbix_hosts(servers: list[str], ips: list[str], repositories: list[str], *, hive_group: str,
                 repository_group: str, base_templates: list[str], repository_templates: list[str],
                 fsname_not_matches: str) -> list[dict]:
    if len(servers) != len(ips):
        raise ValueError(f"{len(servers)} servers but {len(ips)} private IPs")
    hosts = []
    for name, ip in zip(servers, ips):
        if not ip:
            raise ValueError(f"server {name} has no private IP")
        is_repository = name in repositories
        hosts.append({
            "name": name, "ip": str(ip),
            "groups": [repository_group if is_repository else hive_group],
            "templates": [*base_templates, *(repository_templates if is_repository else [])],
            "macros": {FSNAME_MACRO: fsname_not_matches},
        })
    return hosts
