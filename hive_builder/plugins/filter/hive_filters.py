"""Ansible filters for the setup-hosts and build-networks phases.

Thin adapters: every decision is made by the pure renderers in hive_builder.render (unit-tested);
playbooks only pass inventory values in and write the result out.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import yaml

from hive_builder.plugins.filter_guard import guard
from hive_builder.render import (daemon_json, docker_client_config, hosts_block,
                                 iptables, networks, registry_config, ssh_config,
                                 swarm_labels, tls_certificate)
from hive_builder.render.internal_cidr import split_internal_cidr


def hive_internal_cidr(cidr):
    return split_internal_cidr(cidr or None)


def hive_daemon_json(host, internal_cidr=None, provider=None, provider_facts=None):
    return daemon_json.render_daemon_json(host, internal_cidr=internal_cidr or None,
                                          provider=provider, provider_facts=provider_facts or {})


def hive_docker_restart_throttle(created_paths_per_server):
    return daemon_json.restart_throttle(list(created_paths_per_server))


def hive_hosts_block(names, ips):
    return hosts_block.hosts_block(list(names), list(ips))


def hive_rules_v4(stage_ips, is_repository=False, has_mirrored_disk=False, ssh_port=22,
                  ssh_sources=None, internal_net=None, syslog_port=10514, registry_port=5000,
                  internal_cidr=None, repository_ips=None):
    nets = hive_internal_cidr(internal_cidr)
    fw = iptables.FirewallInput(
        stage_ips=tuple(stage_ips), is_repository=bool(is_repository),
        has_mirrored_disk=bool(has_mirrored_disk), ssh_port=int(ssh_port),
        ssh_sources=iptables.normalize_sources(ssh_sources),
        internal_net=internal_net or None, syslog_port=int(syslog_port),
        registry_port=int(registry_port), repository_ips=tuple(repository_ips or ()),
        gwbridge_range=nets["gwbridge_range"])
    return iptables.render_rules_v4(fw)


def hive_sshd_port(sshd_port=None, ssh_source_ips=None):
    """The port sshd listens on (firewall, strict-source-ip and ssh_config all use this)."""
    return ssh_config.sshd_port(sshd_port, ssh_source_ips)


def hive_registry_config(host, port=5000, private_ip=None):
    return registry_config.render_registry_config(host, port=int(port), private_ip=private_ip or None)


def hive_swarm_label_args(current, group_names, known_groups=()):
    return swarm_labels.node_update_args(current or {}, list(group_names), list(known_groups))


def hive_host_certificate(host, hive_name, private_ip=None, sub_prefix=None):
    """Key and request parameters of a server's certificate (role tls-certificate)."""
    return tls_certificate.host_certificate(host, hive_name, private_ip or None, sub_prefix or None)


def hive_docker_config_with_proxies(existing, env):
    return docker_client_config.with_proxies(existing, dict(env or {}))


def hive_network_params(name, ipam=None, driver_opts=None, internal_cidr=None):
    return networks.network_params(name, ipam or None, driver_opts or None, internal_cidr or None)


_IFACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}")


def hive_ifupdown_stanza(iface, address, cidr):
    """/etc/network/interfaces.d stanza of the internal-network role: `iface` with the static
    `address/cidr` (cidr = prefix length or netmask; the address must be a host of that network)."""
    iface = str(iface)
    if not _IFACE_NAME.fullmatch(iface):
        raise ValueError(f"hive_internal_net_if: {iface!r} is not a network interface name")
    try:
        addr = ipaddress.ip_interface(f"{address}/{cidr}")
    except ValueError:
        raise ValueError(f"hive_private_ip/hive_internal_net_cidr: {address}/{cidr} is not an "
                         "interface address") from None
    if addr.ip in (addr.network.network_address, addr.network.broadcast_address) and addr.network.prefixlen < 31:
        raise ValueError(f"hive_private_ip {addr.ip} is not a host address of {addr.network}")
    family = "inet6" if addr.version == 6 else "inet"
    return ("# Managed by hive-builder (setup-hosts, role internal-network)\n"
            f"auto {iface}\n"
            f"iface {iface} {family} static\n"
            f"    address {addr.with_prefixlen}\n")


def hive_load_yaml_file(path):
    """Mapping in a YAML file on the mother, {} when the file does not exist."""
    p = Path(path)
    if not p.is_file():
        return {}
    data = yaml.safe_load(p.read_text())
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def hive_resolv_nameservers(path="/etc/resolv.conf"):
    """Non-loopback nameservers of a resolv.conf on the mother (loopback ones, e.g.
    systemd-resolved's 127.0.0.53, mean nothing inside another network namespace)."""
    p = Path(path)
    found = []
    if p.is_file():
        for line in p.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[0] == "nameserver":
                try:
                    if not ipaddress.ip_address(fields[1]).is_loopback:
                        found.append(fields[1])
                except ValueError:
                    continue
    return found


def hive_file_entries(paths, dest_dir, mode="0644"):
    """hive_files entries copying local files into dest_dir: one module call for many files."""
    return [{"path": f"{str(dest_dir).rstrip('/')}/{Path(p).name}", "content": Path(p).read_text(), "mode": mode}
            for p in sorted(paths)]


class FilterModule:
    def filters(self):
        fns = [hive_internal_cidr, hive_daemon_json, hive_docker_restart_throttle, hive_hosts_block,
               hive_rules_v4, hive_sshd_port,
               hive_registry_config, hive_swarm_label_args, hive_host_certificate,
               hive_docker_config_with_proxies, hive_network_params,
               hive_load_yaml_file, hive_resolv_nameservers, hive_file_entries, hive_ifupdown_stanza]
        return {fn.__name__: guard(fn) for fn in fns}
