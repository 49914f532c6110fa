"""Pure: configuration of the private registry (Debian package `docker-registry`) on the
repository server (reference §6.2 play B; lab recipe §5)."""

from __future__ import annotations

import ipaddress

import yaml

CONFIG_DIR = "/etc/docker/registry"
DATA_DIR = "/var/lib/docker-registry"


def listen_address(port: int = 5000, private_ip: str | None = None) -> str:
    """Where the registry listens: the repository server's private IP (reference §6.2.2), which is
    what every server reaches through the hostsfile name `<repository>:5000`; all addresses only
    when the private IP is unknown."""
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"hive_registry_port: {port} is not a port number (1-65535)")
    if not private_ip:
        return f":{int(port)}"
    ip = ipaddress.ip_address(private_ip)
    return f"[{ip}]:{int(port)}" if ip.version == 6 else f"{ip}:{int(port)}"


def registry_config(host: str, *, port: int = 5000, private_ip: str | None = None) -> dict:
    """config.yml for `docker-registry serve`: TLS with the host certificate (key copied next to
    the config, readable by the service user), bcrypt htpasswd auth, deletes allowed."""
    return {
        "version": 0.1,
        "log": {"level": "info"},
        "storage": {
            "filesystem": {"rootdirectory": DATA_DIR},
            "delete": {"enabled": True},
        },
        "http": {
            "addr": listen_address(port, private_ip),
            "tls": {
                "certificate": f"/etc/pki/tls/certs/{host}_cert.pem",
                "key": f"{CONFIG_DIR}/{host}_key.pem",
            },
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "auth": {"htpasswd": {"realm": "Registry Realm", "path": f"{CONFIG_DIR}/htpasswd"}},
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
    }


def render_registry_config(host: str, *, port: int = 5000, private_ip: str | None = None) -> str:
    return ("# Managed by hive-builder (setup-hosts, role registry)\n"
            + yaml.safe_dump(registry_config(host, port=port, private_ip=private_ip), sort_keys=False))
