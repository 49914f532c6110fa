"""Derived host variables (reference §3.9) as a pure function, for tests and `hive check`.

Design choice: the inventory (plugins and `hive inventory`) emits only raw facts — what the
original plugins emitted, plus `hive_provider` on every server and mother. The `hive_safe_*` values are computed by the packaged
playbooks/group_vars/hosts.yml with Jinja `default()`, so a user's group_vars/host_vars
(`hive_admin`, `hive_registry_port`, ...) still override them. This function states the same rules
in Python; `overrides` plays the role of those user variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hive_builder.model.ports import FIREWALL_LIMIT

if TYPE_CHECKING:
    from hive_builder.model.site import Site

# aws: Debian's AMIs (cloud-init's default user), not 2.3.1's Amazon Linux `ec2-user`
ADMIN_BY_PROVIDER = {"vagrant": "vagrant", "azure": "hiveadmin"}
DEFAULT_ADMIN = "admin"  # aws, gcp, openstack, prepared, kickstart, docker
SELINUX_DISABLED = ("aws", "docker")  # no SELinux to manage (AWS images, containers)


def published_ports(site: "Site", stage: str, protocol: str) -> list[str]:
    """Published ports < 10000 of `protocol` over the stage's services only (fixes §3.9)."""
    numbers = {site.published_port(p) for s in site.services_on(stage) for p in s.ports
               if p.protocol == protocol}
    return [str(n) for n in sorted(n for n in numbers if n is not None and n < FIREWALL_LIMIT)]


def derived_host_vars(site: "Site", stage: str, overrides: Mapping[str, Any] | None = None,
                      context_dir: str | None = None, mother: bool = False) -> dict[str, Any]:
    o = dict(overrides or {})
    st = site.stages[stage]
    admin = o.get("hive_admin") or ADMIN_BY_PROVIDER.get(st.provider, DEFAULT_ADMIN)
    fqdn = st.repository.name
    private_key = o.get("hive_private_key_path") or (f"{context_dir}/id_rsa" if context_dir else None)
    return {
        "hive_safe_email": o.get("hive_email") or "hive@example.com",
        "hive_safe_docker_login_user": o.get("hive_docker_login_user") or "hive",
        "hive_registry_fqdn": fqdn,
        "hive_registry": f"{fqdn}:{o.get('hive_registry_port') or 5000}",
        "hive_safe_private_key_path": private_key,
        "hive_safe_public_key_path": o.get("hive_public_key_path")
        or (f"{private_key}.pub" if private_key else None),
        "hive_published_ports_tcp": published_ports(site, stage, "tcp"),
        "hive_published_ports_udp": published_ports(site, stage, "udp"),
        "hive_safe_admin": admin,
        "hive_home_dir": context_dir if mother else f"/home/{admin}",
        "hive_safe_sshd_port": o.get("hive_sshd_port") or 22,
        "hive_safe_selinux": "disabled" if st.provider in SELINUX_DISABLED
        else o.get("hive_selinux") or "permissive",
        "hive_safe_syslog_port": o.get("hive_syslog_port") or 10514,
    }
