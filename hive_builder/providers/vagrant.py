"""Provider `vagrant` (reference §9.1): the stage's servers are Vagrant machines on this machine,
libvirt/QEMU first, VirtualBox where only it is installed. The provider runs `vagrant` itself
in context_dir, where it writes the Vagrantfile and vagrant_vars.yml."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Callable, Mapping, Sequence

from hive_builder.errors import HiveError
from hive_builder.providers.base import Provider
from hive_builder.providers.plan import ProvisionPlan
from hive_builder.providers.prepared import KERNEL_PROBE, facts_from_probes
from hive_builder.providers.vagrant_render import (LIBVIRT_DRIVERS, VAGRANTFILE, VARS_FILE, box_name,
                                                   parse_status, ssh_config_text, vars_text)

INSTALL = "apt-get install vagrant vagrant-libvirt libvirt-daemon-system qemu-system-x86 qemu-utils"
BUILD_BOX = ("build it on this machine with `sudo scripts/build-vagrant-box` from the hive-builder "
             "source tree, or add another box with `vagrant box add` and name it in the inventory "
             "variable hive_vagrant_box_name")
LIBVIRT_SOCKETS = ("/run/libvirt/libvirt-sock", "/var/run/libvirt/libvirt-sock")
LOG_FILE = "vagrant.log"
# states of `vagrant status --machine-readable` meaning "no machine" / "machine running"
ABSENT = ("not_created",)
RUNNING = ("running",)
# `vagrant up` in TCG emulation boots in minutes; a stuck up must still end
DEFAULT_UP_TIMEOUT = 1800

Runner = Callable[..., subprocess.CompletedProcess]


def libvirtd_answers(paths: Sequence[str] = LIBVIRT_SOCKETS) -> bool:
    for path in paths:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(path)
                return True
        except OSError:
            continue
    return False


def up_timeout(env: Mapping[str, str]) -> int:
    """Seconds one `vagrant up` may take: HIVE_VAGRANT_TIMEOUT, else DEFAULT_UP_TIMEOUT. Read when
    needed, not at import, so a bad value is a HiveError of the command that uses it."""
    raw = env.get("HIVE_VAGRANT_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_UP_TIMEOUT
    # isascii: str.isdigit() admits digits such as '²' that int() refuses
    if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        raise HiveError(f"vagrant provider: HIVE_VAGRANT_TIMEOUT must be a positive whole number of "
                        f"seconds, not {raw!r}",
                        hint=f"set HIVE_VAGRANT_TIMEOUT={DEFAULT_UP_TIMEOUT} (the default) or another "
                             "number of seconds, or unset it")
    return int(raw)


def default_libvirt_driver(env: Mapping[str, str]) -> str:
    """`kvm` where /dev/kvm is usable, else `qemu` (TCG emulation, slow); HIVE_VAGRANT_LIBVIRT_DRIVER
    decides on machines where /dev/kvm exists but hangs (some nested setups)."""
    chosen = env.get("HIVE_VAGRANT_LIBVIRT_DRIVER", "").strip()
    if not chosen:
        return "kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "qemu"
    # the libvirt domain types the Vagrantfile passes to vagrant-libvirt; halt and destroy
    # write the Vagrantfile without sanity_check, so the refusal is here, not only there
    if chosen not in LIBVIRT_DRIVERS:
        raise HiveError(f"vagrant provider: HIVE_VAGRANT_LIBVIRT_DRIVER must be one of "
                        f"{', '.join(LIBVIRT_DRIVERS)}, not {chosen!r}",
                        hint="set HIVE_VAGRANT_LIBVIRT_DRIVER=kvm (hardware acceleration) or qemu "
                             "(emulation, where /dev/kvm is missing or hangs), or unset it to let "
                             "hive choose")
    return chosen


class VagrantProvider(Provider):
    name = "vagrant"
    # reads this machine only: `vagrant plugin list`, `vagrant box list`, libvirtd's socket
    offline_sanity_check = True
    host_probe = KERNEL_PROBE

    def __init__(self, env: Mapping[str, str] | None = None, run: Runner | None = None,
                 which: Callable[[str], str | None] | None = None,
                 libvirtd: Callable[[], bool] | None = None):
        self.env = {**os.environ, **(env or {})}
        # looked up on use, not bound at import, so tests can stand in for this machine
        self.run = run or (lambda *a, **kw: subprocess.run(*a, **kw))
        self.which = which or (lambda name: shutil.which(name))
        self.libvirtd = libvirtd or (lambda: libvirtd_answers())
        self._backend: str | None = None
        self._messages: list[str] = []

    # -- running vagrant -----------------------------------------------------------------------
    def _vagrant_env(self) -> dict[str, str]:
        return {**self.env, "VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_BOX_UPDATE_CHECK_DISABLE": "1"}

    def _vagrant(self, args: Sequence[str], cwd: Path | None = None, what: str = "",
                 timeout: int = 120, log: Path | None = None, stream: bool = False) -> str:
        """Run `vagrant ARGS`; its output, or a HiveError naming what failed and where the log is.
        `stream`: the output goes to `log` as it comes (`vagrant up` runs for minutes in TCG:
        `tail -f vagrant.log` shows where it is)."""
        cmd = ["vagrant", *args]
        try:
            if stream and log is not None:
                with open(log, "a") as fh:
                    fh.write(f"$ {' '.join(cmd)}\n")
                    fh.flush()
                    start = os.path.getsize(log)
                    done = self.run(cmd, cwd=str(cwd) if cwd else None, env=self._vagrant_env(),
                                    stdout=fh, stderr=subprocess.STDOUT, text=True, timeout=timeout)
                with open(log, "rb") as fh:
                    fh.seek(start)
                    output = fh.read().decode(errors="replace")
                done = subprocess.CompletedProcess(cmd, done.returncode, output, "")
            else:
                done = self.run(cmd, cwd=str(cwd) if cwd else None, env=self._vagrant_env(),
                                capture_output=True, text=True, timeout=timeout)
                if log is not None:
                    with open(log, "a") as fh:
                        fh.write(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}\n")
        except subprocess.TimeoutExpired:
            raise HiveError(f"vagrant provider: `{' '.join(cmd)}` did not finish in {timeout} s",
                            hint="see `virsh list --all` and the machine's console; raise "
                                 "HIVE_VAGRANT_TIMEOUT on slow (emulated) machines") from None
        if done.returncode != 0:
            # --machine-readable output escapes commas and newlines of its messages
            text = (done.stderr or done.stdout).replace("%!(VAGRANT_COMMA)", ",").replace("\\n", "\n")
            detail = text.strip().splitlines()[-15:]
            where = f" (full output in {log})" if log else ""
            raise HiveError(f"vagrant provider: {what or ' '.join(cmd)} failed{where}:\n" + "\n".join(detail),
                            hint="fix the cause above and run the command again")
        return done.stdout

    # -- checks --------------------------------------------------------------------------------
    def backend(self) -> str:
        """`libvirt` when the vagrant-libvirt plugin is installed, else `virtualbox` when
        VirtualBox is (manual 2.2.2: libvirt first)."""
        if self._backend:
            return self._backend
        if not self.which("vagrant"):
            raise HiveError("vagrant provider: the vagrant command is not installed on this machine",
                            hint=f"{INSTALL} (then start libvirtd)")
        plugins = self._vagrant(["plugin", "list"], what="listing vagrant plugins")
        if "vagrant-libvirt" in plugins:
            self._backend = "libvirt"
        elif self.which("VBoxManage"):
            self._backend = "virtualbox"
        else:
            raise HiveError("vagrant provider: the vagrant-libvirt plugin is not installed (and "
                            "VirtualBox is not either)",
                            hint="apt-get install vagrant-libvirt libvirt-daemon-system qemu-system-x86 "
                                 "(or `vagrant plugin install vagrant-libvirt`)")
        return self._backend

    def sanity_check(self, plan: ProvisionPlan) -> None:
        # the environment first: its errors need no vagrant to be found, so `hive check` shows them
        up_timeout(self.env)
        default_libvirt_driver(self.env)
        backend = self.backend()
        if backend == "libvirt" and not self.libvirtd():
            raise HiveError("vagrant provider: libvirtd does not answer on "
                            f"{LIBVIRT_SOCKETS[0]}",
                            hint="start it: `systemctl start libvirtd` (without systemd: "
                                 "`virtlogd -d; libvirtd -d`, as scripts/vagrant-lib.sh does)")
        box = box_name(plan)
        listed = self._vagrant(["box", "list", "--machine-readable"], what="listing vagrant boxes")
        if not _box_listed(listed, box, backend):
            raise HiveError(f"vagrant provider: box {box} for {backend} is not installed on this machine",
                            hint=BUILD_BOX)

    # -- actions -------------------------------------------------------------------------------
    def write_files(self, plan: ProvisionPlan) -> bool:
        from hive_builder.providers import write_if_changed   # the package imports this module
        ctx = plan.context_dir
        changed = write_if_changed(ctx / "Vagrantfile", VAGRANTFILE)
        driver = default_libvirt_driver(self.env)
        changed |= write_if_changed(ctx / VARS_FILE, vars_text(plan, driver))
        return changed

    def states(self, plan: ProvisionPlan) -> dict[str, str]:
        out = self._vagrant(["status", "--machine-readable"], cwd=plan.context_dir,
                            what="vagrant status", log=plan.context_dir / LOG_FILE)
        return parse_status(out)

    def provision(self, plan: ProvisionPlan) -> bool:
        self.sanity_check(plan)
        changed = self.write_files(plan)
        states = self.states(plan)
        todo = [s.name for s in plan.servers if states.get(s.name) not in RUNNING]
        if todo:
            self._vagrant(["up", f"--provider={self.backend()}", *todo], cwd=plan.context_dir,
                          what=f"vagrant up {' '.join(todo)}", timeout=up_timeout(self.env),
                          log=plan.context_dir / LOG_FILE, stream=True)
            changed = True
        return changed

    def _existing(self, plan: ProvisionPlan) -> dict[str, str] | None:
        if not (plan.context_dir / "Vagrantfile").is_file():
            return None   # never built from this context: nothing of ours exists
        if not self.which("vagrant"):
            raise HiveError("vagrant provider: the vagrant command is not installed on this machine",
                            hint=INSTALL)
        self.write_files(plan)   # the Vagrantfile must name the stage's machines as they are now
        return self.states(plan)

    def halt(self, plan: ProvisionPlan) -> bool:
        states = self._existing(plan)
        running = [n for n, st in (states or {}).items() if st in RUNNING]
        if running:
            self._vagrant(["halt", *running], cwd=plan.context_dir, what="vagrant halt",
                          timeout=600, log=plan.context_dir / LOG_FILE, stream=True)
        return bool(running)

    def destroy(self, plan: ProvisionPlan) -> bool:
        states = self._existing(plan)
        made = [n for n, st in (states or {}).items() if st not in ABSENT]
        if made:
            self._vagrant(["destroy", "-f", *made], cwd=plan.context_dir, what="vagrant destroy",
                          timeout=600, log=plan.context_dir / LOG_FILE, stream=True)
        return bool(made)

    def ssh_config(self, plan: ProvisionPlan) -> str:
        out = self._vagrant(["ssh-config", *(s.name for s in plan.servers)], cwd=plan.context_dir,
                            what="vagrant ssh-config", log=plan.context_dir / LOG_FILE)
        return ssh_config_text(plan, out)

    def host_facts(self, probes: Mapping[str, str]) -> dict:
        return facts_from_probes(probes)

    def messages(self) -> list[str]:
        return list(self._messages)


def _box_listed(machine_readable: str, box: str, backend: str) -> bool:
    """Whether `vagrant box list --machine-readable` holds `box` for `backend` (lines
    `ts,,box-name,NAME` followed by `ts,,box-provider,PROVIDER`)."""
    name = None
    for line in machine_readable.splitlines():
        fields = line.split(",", 3)
        if len(fields) < 4:
            continue
        if fields[2] == "box-name":
            name = fields[3].strip()
        elif fields[2] == "box-provider" and name == box and fields[3].strip() == backend:
            return True
    return False
