"""Helpers to build an e2e site on the docker provider (used by provider tests and conftest).

Two ways to build a stage:
- `AnsibleSite`: build-infra.yml run directly by ansible-playbook with a hand-written ansible.cfg
  and static inventory (same groups/hostvars the hive plugins produce) — no CLI needed;
- the real CLI: tests/e2e/conftest.py's `site` fixture (one shared site per session).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hive_builder.providers.docker import ensure_node_image as _ensure_node_image

PACKAGE = Path(__file__).resolve().parents[2] / "hive_builder"
BIN = Path(sys.executable).parent
STAGE_PREFIX = {"private": "p-", "staging": "s-", "production": ""}


def ensure_node_image() -> str:
    """Tag of the docker provider's node image (built on first use, then reused)."""
    return _ensure_node_image()


def docker_available() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True).returncode == 0


def labelled(kind: str, site: str) -> list[str]:
    """Names of containers / networks / volumes carrying hive-builder.site=<site>."""
    listing = {"container": ["ps", "-a", "--format", "{{.Names}}"],
               "network": ["network", "ls", "--format", "{{.Name}}"],
               "volume": ["volume", "ls", "--format", "{{.Name}}"]}[kind]
    out = subprocess.run(["docker", *listing, "--filter", f"label=hive-builder.site={site}"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(line for line in out.splitlines() if line.strip())


# Every hive name the e2e suite builds sites under; nothing else on the engine may carry them.
E2E_SITES = ("e2e", "e2eprov", "e2eprepared", "e2eprepfull")


def sweep_aborted_sessions(keep_root: Path | None = None) -> list[str]:
    """Remove what an interrupted earlier test session left on the engine (killed runs never reach
    their teardown, and the provider rightly refuses to take over another project's objects).
    Only objects labelled with an e2e site are touched, except those of the kept site `keep_root`."""
    removed = []
    commands = {"container": (["ps", "-a"], "{{.Names}}", ["rm", "-f"]),
                "network": (["network", "ls"], "{{.Name}}", ["network", "rm"]),
                "volume": (["volume", "ls"], "{{.Name}}", ["volume", "rm", "-f"])}
    for kind, (listing, field_, removal) in commands.items():    # containers first: they hold the rest
        for site in E2E_SITES:
            out = subprocess.run(["docker", *listing, "--filter", f"label=hive-builder.site={site}", "--format",
                                  field_ + '\t{{.Label "hive-builder.root_dir"}}'],
                                 capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                name, _, root = line.partition("\t")
                if not name or (keep_root is not None and root == str(keep_root)):
                    continue
                subprocess.run(["docker", *removal, name], capture_output=True, check=True)
                removed.append(f"{kind} {name}")
    return removed


def inventory(name: str, stage: str, cidr: str, count: int, provider: str, root_dir: Path,
              context_dir: Path, root_password: str | None = None,
              ips: list[str] | None = None) -> dict:
    """Static YAML inventory with the groups and host variables the hive plugins produce."""
    prefix = STAGE_PREFIX.get(stage, f"{stage[0]}-")
    net = ipaddress.ip_network(cidr)
    addrs = ips or [str(a) for a in list(net.hosts())[3:3 + count]]
    servers = [f"{prefix}hive{i}.{name}" for i in range(len(addrs))]
    mother = f"{prefix}mother.{name}"
    server_vars = {}
    for host, ip in zip(servers, addrs):
        hv = {"hive_private_ip": ip, "hive_netmask": str(net.netmask), "hive_subnet": f"{name}-default"}
        if root_password:
            hv["hive_root_password"] = root_password
        server_vars[host] = hv
    common = {"hive_name": name, "hive_stage": stage, "hive_provider": provider,
              "hive_context_dir": str(context_dir), "hive_root_dir": str(root_dir)}
    return {"all": {"vars": common, "children": {
        "hosts": {"children": {
            "mother": {"hosts": {mother: {"ansible_connection": "local",
                                          "ansible_python_interpreter": sys.executable,
                                          "hive_cidr": cidr,
                                          "hive_subnets": [{"cidr": cidr, "name": f"{name}-default"}]}}},
            "servers": {"children": {
                "hives": {"hosts": {h: server_vars[h] for h in servers[:-1]}},
                "repository": {"hosts": {servers[-1]: server_vars[servers[-1]]}}}}}},
        "first_hive": {"hosts": {servers[0]: {}}},
        "private" if stage == "private" else stage: {"hosts": {h: {} for h in [mother, *servers]}},
    }}}


@dataclass
class AnsibleSite:
    """A stage built by running build-infra.yml with ansible-playbook (no hive CLI involved)."""
    workdir: Path
    name: str
    cidr: str
    count: int = 4
    stage: str = "private"
    provider: str = "docker"
    root_password: str | None = None
    ips: list[str] | None = None
    log: list[str] = field(default_factory=list)

    @property
    def root_dir(self) -> Path:
        return self.workdir / "project"

    @property
    def context_dir(self) -> Path:
        return self.root_dir / ".hive" / self.stage

    @property
    def ssh_config(self) -> Path:
        return self.context_dir / "ssh_config"

    @property
    def servers(self) -> list[str]:
        inv = yaml.safe_load((self.workdir / "inventory.yml").read_text())
        servers = inv["all"]["children"]["hosts"]["children"]["servers"]["children"]
        return [*servers["hives"]["hosts"], *servers["repository"]["hosts"]]

    def write(self) -> "AnsibleSite":
        self.context_dir.mkdir(parents=True, exist_ok=True)
        inv = inventory(self.name, self.stage, self.cidr, self.count, self.provider, self.root_dir,
                        self.context_dir, self.root_password, self.ips)
        (self.workdir / "inventory.yml").write_text(yaml.safe_dump(inv, sort_keys=False))
        (self.workdir / "ansible.cfg").write_text(
            "[defaults]\n"
            f"inventory = {self.workdir / 'inventory.yml'}\n"
            f"library = {PACKAGE / 'lib'}\n"
            f"filter_plugins = {PACKAGE / 'plugins' / 'filter'}\n"
            f"roles_path = {PACKAGE / 'playbooks' / 'roles'}:{PACKAGE / 'playbooks' / 'builtin_roles'}\n"
            "host_key_checking = False\n"
            "forks = 8\n"
            "interpreter_python = auto_silent\n"
            "[ssh_connection]\n"
            "pipelining = True\n"
            f"ssh_args = -F {self.ssh_config} -o ControlMaster=auto -o ControlPersist=60s\n"
            f"control_path_dir = {self.workdir / 'cp'}\n")
        return self

    def build_infra(self, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
        """Run build-infra.yml; args like `-e hive_halt=true` pass through."""
        env = {**os.environ, "ANSIBLE_CONFIG": str(self.workdir / "ansible.cfg"),
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
        argv = [str(BIN / "ansible-playbook"), "-l", self.stage, str(PACKAGE / "playbooks" / "build-infra.yml"), *args]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=self.workdir, stdin=subprocess.DEVNULL)
        self.log.append(proc.stdout)
        if check and proc.returncode != 0:
            raise AssertionError(f"build-infra {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
        return proc

    def halt(self) -> subprocess.CompletedProcess:
        return self.build_infra("-e", "hive_halt=true")

    def destroy(self, check: bool = True) -> subprocess.CompletedProcess:
        return self.build_infra("-e", "hive_destroy=true", check=check)

    def ssh(self, host: str, command: str, check: bool = True, timeout: int = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run(["ssh", "-F", str(self.ssh_config), host, command], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(f"ssh {host} {command!r} failed ({proc.returncode}): {proc.stderr}")
        return proc


COUNTS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
_RECAP_LINE = re.compile(r"^(\S+)\s+:\s+(ok=\d+.*)$")                  # ansible's PLAY RECAP
_COMPACT_LINE = re.compile(r"^\s+[\u2713\u2717] (\S+)\s+(ok=\d+.*)$")    # hive's closing recap


def play_recap(output: str) -> dict[str, dict[str, int]]:
    """Per-host counters of the last recap in `output`: ansible's PLAY RECAP (ansible-playbook
    run directly, or `hive -v`) or the `recap:` block of hive's progress output, which leaves
    zero counts out."""
    if "PLAY RECAP" in output:
        section, pattern = output.rsplit("PLAY RECAP", 1)[-1], _RECAP_LINE
    else:
        section, pattern = output.rsplit("\nrecap:", 1)[-1] if "\nrecap:" in output else "", _COMPACT_LINE
    recap = {}
    for line in section.splitlines():
        m = pattern.match(line)
        if m:
            counts = dict.fromkeys(COUNTS, 0)
            counts.update({k: int(v) for k, v in (c.split("=") for c in m.group(2).split())})
            recap[m.group(1)] = counts
    return recap


@dataclass
class PreparedHosts:
    """Existing servers for the prepared provider: node containers reachable as root with a password
    (sshd allows root password login) and WITHOUT the admin account, as after an OS install."""
    name: str
    cidr: str
    root_password: str
    count: int = 2
    # the hosts' own hostnames, in order (default: the container's short name, `host<i>`); a
    # stage that runs setup-hosts needs the inventory's (`p-hive0`, ...): Docker bind-mounts
    # /etc/hostname, so the base role could not rename the host as it does a real server
    hostnames: tuple[str, ...] = ()

    def plan(self):
        from hive_builder.providers.plan import ProvisionPlan, ServerPlan
        addrs = [str(a) for a in list(ipaddress.ip_network(self.cidr).hosts())[3:3 + self.count]]
        servers = tuple(ServerPlan(name=f"host{i}.{self.name}", ip=ip) for i, ip in enumerate(addrs))
        ctx = Path("/var/tmp") / f"hive-prepared-{self.name}"
        return ProvisionPlan(hive_name=self.name, stage="prepared", cidr=self.cidr, servers=servers,
                             context_dir=ctx, root_dir=ctx)

    @property
    def ips(self) -> list[str]:
        return [s.ip for s in self.plan().servers]

    def up(self) -> list[str]:
        from hive_builder.providers.docker.engine import Engine
        from hive_builder.providers.docker.provider import ssh_banner
        from hive_builder.providers.docker.runspec import container_specs, network_spec, shared_volume_name
        import time
        plan, eng = self.plan(), Engine()
        image = _ensure_node_image(eng.client, kind="bare")   # setup-hosts installs from nothing
        if eng.network(plan.network_name) is None:
            eng.create_network(network_spec(plan))
        if not eng.volume_exists(shared_volume_name(plan)):
            eng.create_volume(shared_volume_name(plan), plan.labels)
        setup = ("userdel -r admin 2>/dev/null; groupdel admin 2>/dev/null; rm -f /etc/sudoers.d/admin; "
                 f"echo 'root:{self.root_password}' | chpasswd; "
                 "printf 'PermitRootLogin yes\\nPasswordAuthentication yes\\n' > /etc/ssh/sshd_config.d/00-root.conf")
        specs = container_specs(plan, {"hive": image, "repository": image})
        if self.hostnames:
            specs = [dataclasses.replace(spec, hostname=h) for spec, h in zip(specs, self.hostnames, strict=True)]
        for spec in specs:
            if eng.container(spec.name) is None:
                eng.create_volume(spec.volume, plan.labels)
                eng.create_container(spec)
                eng.start(spec.name)
                rc, out = eng.exec(spec.name, ["sh", "-c", setup])
                assert rc == 0, out
        deadline = time.monotonic() + 120
        while not all(ssh_banner(ip) for ip in self.ips):
            assert time.monotonic() < deadline, "prepared hosts: sshd did not answer"
            time.sleep(0.5)
        return self.ips

    def down(self) -> None:
        from hive_builder.providers.docker.provider import DockerProvider
        DockerProvider().destroy(self.plan())
