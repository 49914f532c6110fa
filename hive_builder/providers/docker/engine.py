"""The only code of the docker provider that talks to the Docker engine (docker SDK)."""

from __future__ import annotations

from pathlib import Path

import ipaddress
import os
from dataclasses import dataclass

from hive_builder.errors import HiveError
from hive_builder.providers.docker.runspec import ContainerSpec, NetworkSpec

START_HINT = ("start one with `systemctl start docker` (or `dockerd >/var/log/dockerd.log 2>&1 &` on a "
              "machine without systemd) and check it with `docker info`; scripts/test starts one too")


@dataclass(frozen=True)
class ContainerState:
    name: str
    status: str                 # created | running | exited | paused | ...
    labels: dict[str, str]
    image: str
    ip: str | None              # address on the stage network, if attached
    memory_mb: int | None = None   # memory limit (None: unlimited)
    cpus: float | None = None      # CPU limit in cpus (quota / period, or NanoCpus)


def overlapping(cidr: str, subnets: dict[str, list[str]], skip: str) -> list[tuple[str, str]]:
    """Pure: (network, subnet) pairs among `subnets` (network name -> subnets) overlapping cidr."""
    mine = ipaddress.ip_network(cidr, strict=False)
    hits = []
    for name, nets in sorted(subnets.items()):
        if name == skip:
            continue
        for subnet in nets:
            try:
                other = ipaddress.ip_network(subnet, strict=False)
            except ValueError:
                continue
            if other.version == mine.version and other.overlaps(mine):
                hits.append((name, subnet))
    return hits


class Engine:
    """Narrow interface over the docker SDK: only the calls the provider needs."""

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = self.connect()
        return self._client

    @staticmethod
    def connect():
        import docker
        import docker.errors
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        try:
            client = docker.from_env()
            client.ping()
        except docker.errors.DockerException as exc:
            reason = str(exc).splitlines()[0][:300]
            raise HiveError(f"docker provider: no Docker engine answers at {where} ({reason})",
                            hint=START_HINT) from None
        return client

    # -- networks --
    def network_subnets(self) -> dict[str, list[str]]:
        out = {}
        for net in self.client.api.networks():
            configs = (net.get("IPAM") or {}).get("Config") or []
            out[net["Name"]] = [c["Subnet"] for c in configs if c.get("Subnet")]
        return out

    def network(self, name: str) -> dict | None:
        import docker.errors
        try:
            return self.client.api.inspect_network(name)
        except docker.errors.NotFound:
            return None

    def create_network(self, spec: NetworkSpec) -> None:
        import docker.types
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=spec.subnet,
                                                                           gateway=spec.gateway)])
        self.client.api.create_network(spec.name, driver="bridge", ipam=ipam, labels=spec.labels,
                                       check_duplicate=True)

    def networks_labelled(self, labels: dict[str, str]) -> list[str]:
        return [n["Name"] for n in self.client.api.networks(filters={"label": _label_filter(labels)})]

    def remove_network(self, name: str) -> None:
        self.client.api.remove_network(name)

    # -- volumes --
    def volume_exists(self, name: str) -> bool:
        import docker.errors
        try:
            self.client.api.inspect_volume(name)
            return True
        except docker.errors.NotFound:
            return False

    def create_volume(self, name: str, labels: dict[str, str]) -> None:
        self.client.api.create_volume(name=name, labels=labels)

    def volumes_labelled(self, labels: dict[str, str]) -> list[str]:
        vols = self.client.api.volumes(filters={"label": _label_filter(labels)}).get("Volumes") or []
        return [v["Name"] for v in vols]

    def remove_volume(self, name: str) -> None:
        self.client.api.remove_volume(name, force=True)

    # -- containers --
    def container(self, name: str, network: str | None = None) -> ContainerState | None:
        import docker.errors
        try:
            info = self.client.api.inspect_container(name)
        except docker.errors.NotFound:
            return None
        nets = info.get("NetworkSettings", {}).get("Networks") or {}
        ep = nets.get(network) if network else None
        ip = ep and ((ep.get("IPAMConfig") or {}).get("IPv4Address") or ep.get("IPAddress")) or None
        memory_mb, cpus = _limits(info.get("HostConfig") or {})
        return ContainerState(name=name, status=info["State"]["Status"],
                              labels=info["Config"].get("Labels") or {}, image=info["Config"]["Image"], ip=ip,
                              memory_mb=memory_mb, cpus=cpus)

    def containers_labelled(self, labels: dict[str, str]) -> list[ContainerState]:
        found = self.client.api.containers(all=True, filters={"label": _label_filter(labels)})
        return [ContainerState(name=c["Names"][0].lstrip("/"), status=c["State"], labels=c["Labels"] or {},
                               image=c["Image"], ip=None) for c in found]

    def create_container(self, spec: ContainerSpec) -> None:
        if spec.hosts_file:
            _ensure_file(Path(spec.hosts_file), spec.initial_hosts())
        api = self.client.api
        k = spec.create_kwargs()
        host_config = api.create_host_config(**k["host_config"])
        host_config.update(k["host_config_raw"])
        networking = api.create_networking_config({spec.network: api.create_endpoint_config(**k["endpoint"])})
        api.create_container(host_config=host_config, networking_config=networking, **k["container"])

    def update_limits(self, spec: ContainerSpec) -> None:
        """Apply the spec's memory / CPU limits to an existing container (`docker update`)."""
        self.client.api.update_container(spec.name, **spec.limits())

    def start(self, name: str) -> None:
        self.client.api.start(name)

    def stop(self, name: str, timeout: int) -> None:
        self.client.api.stop(name, timeout=timeout)

    def remove_container(self, name: str) -> None:
        self.client.api.remove_container(name, force=True)

    def exec(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
        api = self.client.api
        exec_id = api.exec_create(name, argv, environment=env or {}, user="root")["Id"]
        output = api.exec_start(exec_id).decode(errors="replace")
        return api.exec_inspect(exec_id)["ExitCode"], output


def _ensure_file(path: Path, text: str) -> None:
    """Create a file to bind into a container (the engine would make a directory of a missing
    source); an existing one is kept, with what was written into it since."""
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()   # what the engine leaves when it was asked to bind a missing file
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o644)


def _limits(host_config: dict) -> tuple[int | None, float | None]:
    """Pure: (memory MB, cpus) limits from a container's HostConfig (0 or absent: none)."""
    memory = host_config.get("Memory") or 0
    quota, period = host_config.get("CpuQuota") or 0, host_config.get("CpuPeriod") or 100_000
    nano = host_config.get("NanoCpus") or 0
    cpus = quota / period if quota > 0 else nano / 1e9 if nano > 0 else None
    return (memory // 2**20 if memory > 0 else None), cpus


def _label_filter(labels: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(labels.items())]
