"""`internal_cidr` split (reference §3.10) in the dict shape roles and filters use.

The arithmetic lives in the model (`hive_builder.model.addressing.internal_networks`); this only
renames its fields for the playbooks.
"""

from __future__ import annotations

from hive_builder.model.addressing import internal_networks


def split_internal_cidr(cidr: str | None) -> dict:
    """Keys: overlay, ingress, ingress_gateway, gwbridge, gwbridge_range, docker0_bip, registry,
    zabbix, zabbix_ips (server, web, db). None where Docker picks by itself (no internal_cidr)."""
    nets = internal_networks(cidr or None)
    return {
        "overlay": nets.overlay,
        "ingress": nets.ingress,
        "ingress_gateway": nets.ingress_gateway,
        "gwbridge": nets.gwbridge,
        "gwbridge_range": nets.rsyslog_gwbridge,
        "docker0_bip": nets.docker0_bip,
        "registry": nets.registry,
        "zabbix": nets.zabbix,
        "zabbix_ips": [nets.zabbix_server_ip, nets.zabbix_web_ip, nets.zabbix_db_ip],
    }
