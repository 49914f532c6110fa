"""Ansible filters for Zabbix (role zabbix: the templates it imports and the hosts it registers).

Thin adapters over hive_builder.render.zabbix_templates, where the templates are described and
unit-tested. A bad value becomes an AnsibleFilterError naming the filter, not a Python traceback.
"""

from __future__ import annotations

from hive_builder.plugins.filter_guard import guarded_filters
from hive_builder.render import zabbix_hosts, zabbix_templates


def hive_zabbix_templates(_ignored=None):
    """`None | hive_zabbix_templates`: the YAML document for configuration.import.

    A filter needs an input; the templates depend on nothing from the inventory, so it is ignored.
    """
    return zabbix_templates.templates_yaml()


def hive_zabbix_templates_digest(_ignored=None):
    """`None | hive_zabbix_templates_digest`: sha256 hex of that document, to skip an unchanged
    import."""
    return zabbix_templates.templates_digest()


def hive_zabbix_hosts(servers, ips, repositories, **kwargs):
    """`stage servers | hive_zabbix_hosts(private ips, groups.repository, ...)`: the hosts the
    module hive_zabbix registers."""
    return zabbix_hosts.zabbix_hosts(list(servers), list(ips), list(repositories or []), **kwargs)


class FilterModule:
    def filters(self):
        return guarded_filters(hive_zabbix_templates, hive_zabbix_templates_digest, hive_zabbix_hosts)
