"""Ansible filters for backups: setup-hosts (role backup-tools) and deploy-services.

Thin adapters over hive_builder.render.backup, where the scripts are made and unit-tested. A bad
value becomes an AnsibleFilterError naming the filter, not a Python traceback.
"""

from __future__ import annotations

from hive_builder.plugins.filter_guard import as_bool, guarded_filters
from hive_builder.render import backup


def hive_backup_fragment(service_vars, service):
    """`hostvars[svc] | hive_backup_fragment(svc)`: text of /var/lib/hive-backup.d/<svc>."""
    service_vars = service_vars or {}
    return backup.fragment(service, list(service_vars.get("hive_backup_scripts") or []),
                           standalone=as_bool(service_vars.get("hive_standalone", False)))


def hive_registry_backup_fragment(cleanup_days=backup.REGISTRY_CLEANUP_DAYS, data_dir=None):
    """`hive_registry_backup_cleanup_days_before | hive_registry_backup_fragment`: text of
    /var/lib/hive-backup.d/hive-registry."""
    return backup.registry_fragment(data_dir or backup.DATA_DIR, _days(cleanup_days))


def hive_zabbix_backup_fragment(cleanup_days=backup.REGISTRY_CLEANUP_DAYS, database="zabbix"):
    """`hive_zabbix_backup_cleanup_days_before | hive_zabbix_backup_fragment`: text of
    /var/lib/hive-backup.d/hive-zabbix."""
    return backup.zabbix_fragment(database, _days(cleanup_days))


def _days(value) -> int:
    # inventory knobs arrive as strings when set with -e or in INI files
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


class FilterModule:
    def filters(self):
        return guarded_filters(
            hive_backup_fragment, hive_registry_backup_fragment, hive_zabbix_backup_fragment)
