"""Pure: <context_dir>/ssh_config, one Ansible-style managed block per host (reference §9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

MARKER = "# {edge} ANSIBLE MANAGED BLOCK {host}"
DEFAULT_SSH_PORT = 22


def sshd_port(sshd_port=None, ssh_source_ips=None) -> int:
    """The port sshd listens on after setup-hosts: the one decision shared by the firewall, the
    strict-source-ip role (sshd_config `Port`) and every provider's ssh_config.

    As in the original, sshd is moved to `hive_sshd_port` only by strict-source-ip, i.e. when
    `hive_ssh_source_ips` is set; without source IPs sshd stays on 22 whatever hive_sshd_port says
    (opening hive_sshd_port in the firewall then would lock everybody out).
    """
    if ssh_source_ips is None or ssh_source_ips == "" or ssh_source_ips == []:
        return DEFAULT_SSH_PORT
    if sshd_port is None or sshd_port == "":
        return DEFAULT_SSH_PORT
    try:
        port = int(sshd_port)
    except (TypeError, ValueError):
        raise ValueError(f"hive_sshd_port: {sshd_port!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"hive_sshd_port: {port} is not a port number (1-65535)")
    return port


@dataclass(frozen=True)
class SshHost:
    name: str            # inventory host name (what `ssh -F ssh_config <name>` and Ansible use)
    hostname: str        # address ssh connects to
    user: str
    identity_file: str
    port: int = DEFAULT_SSH_PORT


def render_block(host: SshHost, log_level: str = "ERROR") -> str:
    lines = [MARKER.format(edge="BEGIN", host=host.name),
             f"Host {host.name}",
             f"  HostName {host.hostname}"]
    if host.port != DEFAULT_SSH_PORT:
        lines.append(f"  Port {host.port}")
    lines += ["  UserKnownHostsFile /dev/null",
              f"  User {host.user}",
              "  StrictHostKeyChecking no",
              "  PasswordAuthentication no",
              f"  IdentityFile {host.identity_file}",
              "  IdentitiesOnly yes",
              f"  LogLevel {log_level}",
              MARKER.format(edge="END", host=host.name)]
    return "\n".join(lines) + "\n"


def render_ssh_config(hosts: Iterable[SshHost], log_level: str = "ERROR") -> str:
    """All blocks in the given order. LogLevel ERROR (not the original FATAL): it still hides the
    'Permanently added ... to known hosts' noise but keeps real connection errors visible."""
    return "".join(render_block(h, log_level) for h in hosts)


def hosts_in(text: str) -> list[str]:
    """Host names of the managed blocks of an existing ssh_config text."""
    prefix = MARKER.format(edge="BEGIN", host="")
    return [line[len(prefix):].strip() for line in text.splitlines() if line.startswith(prefix)]
