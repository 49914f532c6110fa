"""Pure: <context_dir>/ssh_config, one Ansible-style managed block per host (reference §9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

MARKER = "# {edge} ANSIBLE MANAGED BLOCK {host}"


@dataclass(frozen=True)
class SshHost:
    name: str            # inventory host name (what `ssh -F ssh_config <name>` and Ansible use)
    hostname: str        # address ssh connects to
    user: str
    identity_file: str
    port: int = 22


def render_block(host: SshHost, log_level: str = "ERROR") -> str:
    lines = [MARKER.format(edge="BEGIN", host=host.name),
             f"Host {host.name}",
             f"  HostName {host.hostname}"]
    if host.port != 22:
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
