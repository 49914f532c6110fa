"""Pure: /etc/docker/daemon.json of a server (reference §6.2 docker role, test idea 45)."""

from __future__ import annotations

import json

from hive_builder.render.internal_cidr import split_internal_cidr

TLS_CA_PATH = "/usr/local/share/ca-certificates/hive-ca.crt"


def host_cert_path(host: str) -> str:
    return f"/etc/pki/tls/certs/{host}_cert.pem"


def host_key_path(host: str) -> str:
    return f"/etc/pki/tls/private/{host}_key.pem"


def daemon_config(host: str, *, internal_cidr: str | None = None, provider: str | None = None,
                  provider_facts: dict | None = None, api_port: int = 2376) -> dict:
    """dockerd settings for server `host`.

    `hosts` lives here, so the systemd unit must start dockerd without `-H fd://` (a drop-in
    clears ExecStart; dockerd refuses the same setting from both places).
    On the docker provider the server is a container: its own resolv.conf points at the outer
    engine's 127.0.0.11, unusable from inner containers, so the resolver the provider reports is
    given explicitly; the systemd cgroup driver nests inner containers under the node's cgroup.
    """
    config = {
        "hosts": ["unix:///var/run/docker.sock", f"tcp://0.0.0.0:{api_port}"],
        "tls": True,
        "tlsverify": True,
        "tlscacert": TLS_CA_PATH,
        "tlscert": host_cert_path(host),
        "tlskey": host_key_path(host),
        "userland-proxy": False,
        "iptables": True,
        "bip": split_internal_cidr(internal_cidr)["docker0_bip"],
        "storage-driver": "overlay2",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "3"},
    }
    if provider == "docker":
        config["exec-opts"] = ["native.cgroupdriver=systemd"]
        dns = (provider_facts or {}).get("dns")
        if dns:
            config["dns"] = [dns] if isinstance(dns, str) else list(dns)
    return config


def render_daemon_json(host: str, **kwargs) -> str:
    return json.dumps(daemon_config(host, **kwargs), indent=2, sort_keys=True) + "\n"


DAEMON_JSON_PATH = "/etc/docker/daemon.json"


def restart_throttle(created_paths_per_server: list[list[str] | None]) -> int:
    """How many servers the `restart docker` handler restarts at once (0: all).

    One at a time keeps a swarm's raft quorum. A server whose daemon.json hive has just written
    for the first time has never run hive's dockerd, so it cannot be a swarm manager yet (the
    swarm role comes later in setup-hosts): when that holds for every server of the play, they
    restart together. `created_paths_per_server` is the docker role's `hive_files` created_paths of
    each server of the play (None or [] where the role did not write or did not run).
    """
    servers = list(created_paths_per_server)
    if servers and all(DAEMON_JSON_PATH in (paths or []) for paths in servers):
        return 0
    return 1
