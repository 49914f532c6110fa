"""Ansible filters for log collection (setup-hosts role rsyslogd) and error monitors
(deploy-services role monitor-service-log).

Thin adapters over hive_builder.render.rsyslog, where the configuration is decided and tested
against a real rsyslogd.
"""

from __future__ import annotations

from hive_builder.plugins.filter_guard import as_bool, guarded_filters
from hive_builder.render import rsyslog


def hive_rsyslog_services_conf(port, local_hostnames, addresses=None, load_imudp=True,
                               log_dir=rsyslog.LOG_DIR, include_dir=rsyslog.INCLUDE_DIR):
    """`hive_safe_syslog_port | hive_rsyslog_services_conf(<stage servers' inventory names>,
    <their private IPs>, <imudp not loaded elsewhere>)`: /etc/rsyslog.d/services.conf.
    Short names are added here (rsyslog names a sender by its first label or its FQDN)."""
    names = rsyslog.server_hostnames(list(local_hostnames or []), list(addresses or []))
    return rsyslog.services_conf(port=int(port), local_hostnames=names,
                                 load_imudp=as_bool(load_imudp), log_dir=str(log_dir),
                                 include_dir=str(include_dir))


def hive_rsyslog_monitor_rule(service_vars, service):
    """`hostvars[svc] | hive_rsyslog_monitor_rule(svc)`: /etc/rsyslog-services.d/<svc>.conf."""
    v = service_vars or {}
    return rsyslog.monitor_rule(str(service), standalone=as_bool(v.get("hive_standalone", False)),
                                monitor=list(v.get("hive_monitor_error") or []),
                                ignore=list(v.get("hive_ignore_error") or []))


def hive_logrotate_conf(log_dir=rsyslog.LOG_DIR):
    """`'/var/log/services' | hive_logrotate_conf`: /etc/logrotate.d/hive-services."""
    return rsyslog.logrotate_conf(str(log_dir or rsyslog.LOG_DIR))


class FilterModule:
    def filters(self):
        return guarded_filters(
            hive_rsyslog_services_conf, hive_rsyslog_monitor_rule, hive_logrotate_conf)
