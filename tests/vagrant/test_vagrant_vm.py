"""The vagrant provider on this machine's vagrant + libvirt/QEMU (opt-in: HIVE_TEST_VAGRANT=1).

`vagrant validate` of the rendered Vagrantfile needs vagrant and its libvirt plugin; the VM test
also needs libvirtd (started here when no systemd does it, scripts/vagrant-lib.sh) and the local
box (scripts/build-vagrant-box, cached; the first build takes minutes). One VM at a time, always
destroyed. Timings go to the test's output (pytest -s): boot-to-ssh and, with
HIVE_TEST_VAGRANT_APT=1, an `apt-get install` inside the VM (needs the Debian mirror)."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hive_builder.providers import apply
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.providers.vagrant import VagrantProvider
from hive_builder.providers.vagrant_render import VAGRANTFILE, vars_text

ROOT = Path(__file__).resolve().parents[2]
CIDR = os.environ.get("HIVE_TEST_VAGRANT_CIDR", "10.231.77.0/28")


def _skip_reason() -> str | None:
    if os.environ.get("HIVE_TEST_VAGRANT") != "1":
        return "opt-in: set HIVE_TEST_VAGRANT=1 to run the vagrant provider on this machine's libvirt"
    if not shutil.which("vagrant"):
        return "vagrant is not installed (apt-get install vagrant vagrant-libvirt)"
    plugins = subprocess.run(["vagrant", "plugin", "list"], capture_output=True, text=True).stdout
    if "vagrant-libvirt" not in plugins:
        return "the vagrant-libvirt plugin is not installed (apt-get install vagrant-libvirt)"
    return None


_SKIP = _skip_reason()
pytestmark = pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")


def stage_plan(context: Path, servers, **settings) -> ProvisionPlan:
    return ProvisionPlan(hive_name="vagranttest", stage="private", cidr=CIDR, servers=tuple(servers),
                         context_dir=context, root_dir=context.parent, admin_user="vagrant",
                         settings=settings)


def server(name: str, host: int, **sizes) -> ServerPlan:
    ip = str(ipaddress.ip_network(CIDR)[host])
    return ServerPlan(name, ip, roles=("hives",), sizes={k: str(v) for k, v in sizes.items()})


@pytest.mark.parametrize("settings", [{}, {"hive_bridge": "brHive"}, {"hive_dev": "br0"}],
                         ids=["private", "bridge", "dev"])
def test_rendered_vagrantfile_validates(tmp_path, settings):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    plan = stage_plan(ctx, [server("p-hive0.vagranttest", 5, memory_size=1024, cpus=2, disk_size=12,
                                   mirrored_disk_size=2),
                            server("p-hive1.vagranttest", 6)], **settings)
    (ctx / "Vagrantfile").write_text(VAGRANTFILE)
    (ctx / "vagrant_vars.yml").write_text(vars_text(plan, "qemu"))
    done = subprocess.run(["vagrant", "validate"], cwd=ctx, capture_output=True, text=True,
                          env={**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1"})
    if settings.get("hive_dev"):
        # vagrant-libvirt checks that `dev` exists on this machine: the setting reached it
        assert done.returncode == 1 and "host device 'br0' which does not exist" in done.stderr, done.stderr
    else:
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def libvirt_ready():
    subprocess.run(["bash", "-c", f". {ROOT}/scripts/vagrant-lib.sh && ensure_libvirtd"], check=True)
    started = time.monotonic()
    subprocess.run([str(ROOT / "scripts" / "build-vagrant-box")], check=True)
    print(f"\nbox ready in {time.monotonic() - started:.0f} s (cached after the first build)")


def _overlaps_a_route(cidr: str) -> bool:
    net = ipaddress.ip_network(cidr)
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    for line in routes.splitlines():
        dest = line.split()[0]
        if dest != "default" and ipaddress.ip_network(dest, strict=False).overlaps(net):
            return True
    return False


def _ssh(ssh_config: Path, host: str, command: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["ssh", "-F", str(ssh_config), "-o", "ConnectTimeout=20", "-o", "BatchMode=yes",
                           host, command], capture_output=True, text=True, timeout=timeout)


def test_one_vm_up_ssh_destroy(tmp_path, libvirt_ready):
    if _overlaps_a_route(CIDR):
        pytest.skip(f"{CIDR} overlaps a network of this machine: set HIVE_TEST_VAGRANT_CIDR")
    ctx = tmp_path / "ctx"
    name = "p-hive0.vagranttest"
    # disk_size above the box's 10 GB: the box grows its root file system at boot
    plan = stage_plan(ctx, [server(name, 5, memory_size=1024, cpus=2, disk_size=12, mirrored_disk_size=1)])
    provider = VagrantProvider()
    provider.sanity_check(plan)
    try:
        started = time.monotonic()
        result = apply(provider, plan)
        up = time.monotonic() - started
        assert result.changed
        ssh_config = ctx / "ssh_config"
        assert f"Host {name}" in ssh_config.read_text()
        done = _ssh(ssh_config, name, "true")
        print(f"\nvagrant up to ssh ({provider.backend()}, driver "
              f"{os.environ.get('HIVE_VAGRANT_LIBVIRT_DRIVER', 'auto')}): {up:.0f} s")
        assert done.returncode == 0, done.stderr
        # the admin user, passwordless sudo, the private address, the grown root file system
        # and the DRBD disk
        done = _ssh(ssh_config, name, "id -un; sudo -n true && echo sudo-ok; ip -4 -o addr; "
                                      "lsblk -dno NAME,SIZE; df -BG --output=size / | tail -1")
        assert done.returncode == 0, done.stderr
        lines = done.stdout.split("\n")
        assert lines[:2] == ["vagrant", "sudo-ok"]
        assert plan.servers[0].ip in done.stdout
        disks = dict(line.split() for line in lines if line.startswith("vd"))
        assert disks == {"vda": "12G", "vdb": "1G"}, done.stdout
        assert int(lines[-2].strip().rstrip("G")) >= 11, done.stdout
        assert not apply(VagrantProvider(), plan).changed   # idempotent: no second `up`
        if os.environ.get("HIVE_TEST_VAGRANT_APT") == "1":
            for what in ("apt-get update -q", "apt-get install -y -q jq"):
                started = time.monotonic()
                done = _ssh(ssh_config, name, f"sudo DEBIAN_FRONTEND=noninteractive {what} >/dev/null")
                print(f"{what} inside the VM: {time.monotonic() - started:.0f} s")
                assert done.returncode == 0, done.stderr
        started = time.monotonic()
        assert apply(VagrantProvider(), plan, "halted").changed
        print(f"vagrant halt: {time.monotonic() - started:.0f} s")
        state = subprocess.run(["virsh", "-c", "qemu:///system", "domstate",
                                f"hive_vagranttest_private_{name}"], capture_output=True, text=True)
        assert state.stdout.strip() == "shut off", state.stdout + state.stderr
        assert not apply(VagrantProvider(), plan, "halted").changed
    finally:
        started = time.monotonic()
        apply(VagrantProvider(), plan, "absent")
        print(f"vagrant destroy: {time.monotonic() - started:.0f} s")
    domains = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"],
                             capture_output=True, text=True).stdout
    assert "vagranttest" not in domains
