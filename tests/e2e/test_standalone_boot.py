"""systemd as PID 1 under the exact settings a standalone service gets (render/standalone.py), on
the host's own engine: capabilities, tmpfs /run and /tmp, /sys/fs/cgroup read-only, and the
cgroup wrapper in front of /sbin/init.

This host runs cgroup v1; its hybrid layout also mounts the cgroup v2 hierarchy at
/sys/fs/cgroup/unified. Binding that one on /sys/fs/cgroup in a private cgroup namespace gives a
container what it sees on a cgroup v2 host, so the wrapper's v2 branch is exercised too.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from hive_builder.render import standalone as sd
from tests.e2e.site import _ensure_node_image  # an image with systemd, cached by the site tests

UNIFIED = Path("/sys/fs/cgroup/unified")


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=check)


def _boot(image: str, cgroup_args: list[str], wrapped: bool) -> tuple[str, str]:
    """(container state, `systemctl is-system-running`) a few seconds after the start."""
    name = f"hive-standalone-boot-{uuid.uuid4().hex[:8]}"
    caps = [arg for cap in sd.CAPABILITIES for arg in ("--cap-add", cap)]
    command = (["--entrypoint", sd.INIT_WRAPPER[0], image, *sd.INIT_WRAPPER[1:], sd.INIT] if wrapped
               else [image, sd.INIT])
    _docker("run", "-d", "--name", name, "--tmpfs", "/run", "--tmpfs", "/tmp", *caps, *cgroup_args,
            "--stop-signal", sd.STOP_SIGNAL, *command)
    try:
        state = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = _docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip()
            if status != "running":
                return status, ""
            state = _docker("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                return status, state
            time.sleep(1)
        return "running", state
    finally:
        _docker("rm", "-f", "-v", name, check=False)   # -v: the image declares anonymous volumes


@pytest.fixture(scope="module")
def image() -> str:
    return _ensure_node_image()


def test_systemd_boots_with_the_service_settings_on_this_host(image):
    status, state = _boot(image, ["-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro"], wrapped=True)
    assert status == "running" and state in ("running", "degraded"), (status, state)


@pytest.mark.skipif(not (UNIFIED / "cgroup.procs").exists(), reason="no cgroup v2 hierarchy at /sys/fs/cgroup/unified")
def test_wrapper_gives_systemd_its_own_cgroup2_tree(image):
    v2 = ["--cgroupns", "private", "-v", f"{UNIFIED}:/sys/fs/cgroup:ro"]
    # without the wrapper systemd finds a read-only cgroup2 tree and gives up at once
    assert _boot(image, v2, wrapped=False)[0] == "exited"
    status, state = _boot(image, v2, wrapped=True)
    assert status == "running" and state in ("running", "degraded"), (status, state)
