"""Pure: what the docker provider asks the engine for (networks, volumes, containers) as data.

The container flags are the measured recipe of shared/lab/docker-in-docker-site.md: systemd as
PID 1 with its own dockerd inside needs every capability but SYS_RESOURCE (--privileged is refused
by this engine) and SYS_TIME (the clock is the machine's), no seccomp/AppArmor/masked system
paths, the host cgroup namespace with /sys/fs/cgroup bound read-write, and /var/lib/docker on a volume (overlay2 cannot nest on the
container's own overlay root).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hive_builder.providers.plan import ProvisionPlan, ServerPlan

STOP_TIMEOUT = 30  # seconds: systemd shutdown waits for inner containers' 10 s grace
# memory_size / cpus of the stage (manual 7.1: MB, count) as container limits: the CPU limit as a
# quota per period, which is what `docker update` can change later (the SDK's update has no
# nano_cpus); swap allowed as much again as memory (what Docker gives when only --memory is set),
# stated explicitly so that `docker update` can raise the memory past the old swap limit.
CPU_PERIOD = 100_000
SWAP_RATIO = 2
CAP_DROP = ("SYS_RESOURCE", "SYS_TIME")  # SYS_RESOURCE is not in this machine's bounding set
# One host volume mounted in every node of the stage: storage all nodes see, on which later phases
# emulate DRBD volumes when the host kernel has no DRBD (provider_facts.yml `drbd: emulated`).
SHARED_DIR = "/var/lib/hive-shared"


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    subnet: str
    gateway: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    hostname: str
    network: str
    ip: str
    aliases: tuple[str, ...]
    volume: str
    labels: dict[str, str]
    shared_volume: str = ""
    # Host file bound on /etc/hosts: the engine rewrites its own /etc/hosts at every container
    # start, which would drop what setup-hosts added (a real server keeps it across reboots).
    hosts_file: str = ""
    memory_mb: int | None = None     # the server's memory_size: container memory limit
    cpus: int | None = None          # the server's cpus: container CPU limit

    def limits(self) -> dict:
        """Resource limits of the node as docker SDK host config / update_container arguments."""
        out: dict = {}
        if self.memory_mb:
            out.update(mem_limit=self.memory_mb * 2**20, memswap_limit=SWAP_RATIO * self.memory_mb * 2**20)
        if self.cpus:
            out.update(cpu_period=CPU_PERIOD, cpu_quota=self.cpus * CPU_PERIOD)
        return out

    def create_kwargs(self) -> dict:
        """Arguments of the docker SDK low-level API, in three parts:
        `container` for APIClient.create_container, `host_config` for create_host_config and
        `endpoint` for create_endpoint_config (the SDK's high-level API drops stop_timeout)."""
        return {
            "container": {
                "image": self.image,
                "name": self.name,
                "hostname": self.hostname,
                "labels": dict(self.labels),
                "detach": True,
                "stop_signal": "SIGRTMIN+3",
                "stop_timeout": STOP_TIMEOUT,
                "volumes": ["/sys/fs/cgroup", "/var/lib/docker", *([SHARED_DIR] if self.shared_volume else [])],
            },
            "host_config": {
                "cap_add": ["ALL"],
                # SYS_TIME: the node shares this machine's clock; a timezone change in a node
                # (timedatectl) warped the machine's clock by the zone offset (measured: -9 h)
                "cap_drop": list(CAP_DROP),
                "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
                "cgroupns": "host",
                "binds": {"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                          self.volume: {"bind": "/var/lib/docker", "mode": "rw"},
                          **({self.shared_volume: {"bind": SHARED_DIR, "mode": "rw"}} if self.shared_volume else {}),
                          **({self.hosts_file: {"bind": "/etc/hosts", "mode": "rw"}} if self.hosts_file else {})},
                "tmpfs": {"/run": "", "/run/lock": "", "/tmp": ""},
                "network_mode": self.network,
                **self.limits(),
            },
            # `--security-opt systempaths=unconfined` of the CLI: nothing masked or read-only under
            # /proc and /sys (the inner dockerd writes net sysctls). Raw HostConfig fields.
            "host_config_raw": {"MaskedPaths": [], "ReadonlyPaths": []},
            "endpoint": {"ipv4_address": self.ip, "aliases": list(self.aliases)},
        }

    def initial_hosts(self) -> str:
        """What the engine would have written into /etc/hosts: loopback names and the node's own."""
        return ("127.0.0.1\tlocalhost\n"
                "::1\tlocalhost ip6-localhost ip6-loopback\n"
                "fe00::0\tip6-localnet\n"
                "ff00::0\tip6-mcastprefix\n"
                "ff02::1\tip6-allnodes\n"
                "ff02::2\tip6-allrouters\n"
                f"{self.ip}\t{' '.join(self.aliases)}\n")

    def cli_args(self) -> list[str]:
        """The same as `docker create` arguments (for messages and for users reproducing by hand)."""
        k = self.create_kwargs()
        args = ["--name", self.name, "--hostname", self.hostname, "--network", self.network,
                "--ip", self.ip]
        for alias in self.aliases:
            args += ["--network-alias", alias]
        args += ["--cap-add", "ALL"]
        for cap in CAP_DROP:
            args += ["--cap-drop", cap]
        for opt in [*k["host_config"]["security_opt"], "systempaths=unconfined"]:
            args += ["--security-opt", opt]
        args += ["--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                 "-v", f"{self.volume}:/var/lib/docker"]
        if self.shared_volume:
            args += ["-v", f"{self.shared_volume}:{SHARED_DIR}"]
        if self.hosts_file:
            args += ["-v", f"{self.hosts_file}:/etc/hosts"]
        for mount in k["host_config"]["tmpfs"]:
            args += ["--tmpfs", mount]
        if self.memory_mb:
            args += ["--memory", f"{self.memory_mb}m", "--memory-swap", f"{SWAP_RATIO * self.memory_mb}m"]
        if self.cpus:
            args += ["--cpu-period", str(CPU_PERIOD), "--cpu-quota", str(self.cpus * CPU_PERIOD)]
        args += ["--stop-signal", "SIGRTMIN+3", "--stop-timeout", str(STOP_TIMEOUT)]
        for key, value in sorted(self.labels.items()):
            args += ["--label", f"{key}={value}"]
        return [*args, self.image]


def limit_changes(spec: ContainerSpec, memory_mb: int | None, cpus: float | None
                  ) -> tuple[bool, list[str]]:
    """Compare an existing node's limits with what the stage now asks for: (update needed,
    notes). A changed or new limit is applied to the running node (`docker update`); a limit the
    stage no longer sets is left as it is and said (the engine cannot lift a memory limit)."""
    update = bool((spec.memory_mb and spec.memory_mb != memory_mb) or (spec.cpus and spec.cpus != cpus))
    notes = []
    if memory_mb and not spec.memory_mb:
        notes.append(f"memory limit {memory_mb} MB")
    if cpus and not spec.cpus:
        notes.append(f"CPU limit {cpus:g} cpus")
    if notes:
        notes = [f"container {spec.name} keeps its {' and '.join(notes)}, set when it was created, "
                 "although the stage no longer sets it: the limit goes with the container "
                 "(`hive build-infra -D` removes the stage, the next build-infra creates it without)"]
    return update, notes


def network_spec(plan: ProvisionPlan) -> NetworkSpec:
    return NetworkSpec(name=plan.network_name, subnet=str(plan.network), gateway=plan.gateway,
                       labels=dict(plan.labels))


def volume_name(server: ServerPlan) -> str:
    return f"{server.name}-docker"


def shared_volume_name(plan: ProvisionPlan) -> str:
    return f"{plan.network_name}-shared"


def hosts_dir(plan: ProvisionPlan) -> Path:
    """Where the nodes' /etc/hosts files live on the machine running the engine."""
    return (plan.context_dir / "docker-nodes").absolute()


def hosts_file(plan: ProvisionPlan, server: ServerPlan) -> Path:
    return hosts_dir(plan) / f"{server.name}.hosts"


def container_spec(plan: ProvisionPlan, server: ServerPlan, image: str) -> ContainerSpec:
    labels = {**plan.labels, "hive-builder.host": server.name}
    return ContainerSpec(name=server.name, image=image, hostname=server.short_name,
                         network=plan.network_name, ip=server.ip,
                         aliases=tuple(dict.fromkeys((server.name, server.short_name))),
                         volume=volume_name(server), labels=labels, shared_volume=shared_volume_name(plan),
                         hosts_file=str(hosts_file(plan, server)), memory_mb=server.memory_mb,
                         cpus=server.cpus)


def node_kind(server: ServerPlan) -> str:
    """Which node image a server starts from (providers/docker/image.py NODE_KINDS)."""
    return "repository" if "repository" in server.roles else "hive"


def container_specs(plan: ProvisionPlan, images: Mapping[str, str]) -> list[ContainerSpec]:
    """images: node kind -> image tag."""
    return [container_spec(plan, s, images[node_kind(s)]) for s in plan.servers]


def admin_bootstrap_script(admin: str) -> str:
    """Shell run inside a node (as root) to ensure the admin account; prints `changed` if it acted.

    The public key comes in through the environment variable HIVE_PUBKEY. Idempotent.
    """
    return f"""set -e
A={admin}
changed=
getent group "$A" >/dev/null || {{ groupadd "$A"; changed=1; }}
id -u "$A" >/dev/null 2>&1 || {{ useradd -m -s /bin/bash -g "$A" "$A"; changed=1; }}
S=/etc/sudoers.d/"$A"
L="%$A ALL=(ALL) NOPASSWD: ALL"
[ "$(cat "$S" 2>/dev/null)" = "$L" ] || {{ printf '%s\\n' "$L" > "$S"; chmod 0440 "$S"; changed=1; }}
H=$(getent passwd "$A" | cut -d: -f6)
K="$H/.ssh/authorized_keys"
install -d -m 0700 -o "$A" -g "$A" "$H/.ssh"
grep -qxF "$HIVE_PUBKEY" "$K" 2>/dev/null || {{ printf '%s\\n' "$HIVE_PUBKEY" >> "$K"; changed=1; }}
chown "$A:$A" "$K"; chmod 0600 "$K"
[ -z "$changed" ] || echo changed
"""
