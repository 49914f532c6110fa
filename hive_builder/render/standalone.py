"""Standalone (systemd-style) containers: what builds and services need so systemd runs as PID 1.

Shared by build-images (the build container boots the image's systemd, so roles can start and
enable units as on a server) and deploy-services (the task container boots it the same way).

Measured on a cgroup v1 host (Docker 20.10): systemd 252 runs in a container with the host's
/sys/fs/cgroup bound read-only, tmpfs on /run and /tmp (the service's implicit mounts, reference
§4.7) and CAP_SYS_ADMIN; without that capability it exits at once with no output. On a cgroup v2
host the read-only bind shows the host's root cgroup, where the container may not create
anything; systemd needs its own writable subtree, which a fresh cgroup2 mount inside the
container's cgroup namespace gives (the wrapper below).
"""

from __future__ import annotations

# Capabilities systemd and the usual units (journald, logind, networkd-less setups) need; the
# rest of Docker's default set stays as it is.
CAPABILITIES = ("SYS_ADMIN", "NET_ADMIN", "SYSLOG", "SYS_PTRACE", "AUDIT_CONTROL")

INIT = "/sbin/init"
STOP_SIGNAL = "SIGRTMIN+3"   # systemd's "halt": `docker stop` becomes a clean shutdown

_CGROUP2 = ('if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then '
            "umount /sys/fs/cgroup 2>/dev/null; "
            "mount -t cgroup2 -o rw,nosuid,nodev,noexec cgroup2 /sys/fs/cgroup; fi; ")

# Swarm "command" (the image's ENTRYPOINT) of a standalone service: fixes the cgroup mount, then
# runs the service's args (the image's init unless the service says otherwise) as PID 1.
INIT_WRAPPER = ["/bin/sh", "-c", _CGROUP2 + 'exec "$@"', "hive-init"]

# Build container of a standalone image: boots systemd when the image has it; otherwise it waits
# (like a micro-service build container) until build-images has installed systemd and restarts it.
BUILD_COMMAND = ["/bin/sh", "-c",
                 f"if [ -x {INIT} ]; then {_CGROUP2}exec {INIT}; fi; "
                 "trap 'exit 0' TERM INT QUIT HUP; while :; do sleep 3600 & wait $!; done"]

def service_capabilities(user_caps: list[str] | None) -> list[str]:
    """The service's cap_add with systemd's needs added (user order first, no duplicates)."""
    caps = list(user_caps or [])
    return caps + [c for c in CAPABILITIES if c not in caps]


def build_mounts() -> list[dict]:
    """docker_container `mounts` of a standalone build container: the service's implicit mounts."""
    return [{"source": "/sys/fs/cgroup", "target": "/sys/fs/cgroup", "type": "bind", "read_only": True},
            {"target": "/run", "type": "tmpfs"},
            {"target": "/tmp", "type": "tmpfs"}]
