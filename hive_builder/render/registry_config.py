"""Pure: configuration of the private registry (Debian package `docker-registry`) on the
repository server (reference §6.2 play B; lab recipe §5)."""

from __future__ import annotations

import yaml

CONFIG_DIR = "/etc/docker/registry"
DATA_DIR = "/var/lib/docker-registry"


def registry_config(host: str, *, port: int = 5000) -> dict:
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
            "addr": f":{port}",
            "tls": {
                "certificate": f"/etc/pki/tls/certs/{host}_cert.pem",
                "key": f"{CONFIG_DIR}/{host}_key.pem",
            },
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "auth": {"htpasswd": {"realm": "Registry Realm", "path": f"{CONFIG_DIR}/htpasswd"}},
        "health": {"storagedriver": {"enabled": True, "interval": "10s", "threshold": 3}},
    }


def render_registry_config(host: str, *, port: int = 5000) -> str:
    return ("# Managed by hive-builder (setup-hosts, role registry)\n"
            + yaml.safe_dump(registry_config(host, port=port), sort_keys=False))
