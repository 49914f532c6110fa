"""Pure: what the vagrant provider writes into context_dir (reference §9.1): a fixed Vagrantfile
that reads `vagrant_vars.yml`, the variables rendered from the stage, and the reading of
`vagrant ssh-config` / `vagrant status --machine-readable` output."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import yaml

from hive_builder.errors import HiveError
from hive_builder.providers.plan import ProvisionPlan
from hive_builder.render.ssh_config import DEFAULT_SSH_PORT, SshHost, render_ssh_config

# built on this machine by scripts/build-vagrant-box: machines without Vagrant Cloud (the
# original's centos/8 is gone from it anyway) need a box nobody downloads
DEFAULT_BOX = "hive-builder/debian12"
LIBVIRT_DRIVERS = ("kvm", "qemu")
VARS_FILE = "vagrant_vars.yml"

# Ruby, read by `vagrant` in context_dir. Fixed (as in the original) so that everything
# stage-specific is data in vagrant_vars.yml, which the tests check without Ruby.
VAGRANTFILE = """\
# Written by hive build-infra (vagrant provider); the stage's values are in vagrant_vars.yml.
require "yaml"

vars = YAML.safe_load(File.read(File.join(__dir__, "vagrant_vars.yml")))

Vagrant.configure("2") do |config|
  config.vm.box = vars["vagrant_box_name"]
  # offline machines: no update check against Vagrant Cloud on every `up`
  config.vm.box_check_update = false
  config.ssh.insert_key = vars["vagrant_ssh_insert_key"] unless vars["vagrant_ssh_insert_key"].nil?
  config.vm.synced_folder ".", "/vagrant", disabled: true
  if Vagrant.has_plugin?("vagrant-proxyconf") && ENV["HTTP_PROXY"]
    config.proxy.http = ENV["HTTP_PROXY"]
    config.proxy.https = ENV["HTTPS_PROXY"] || ENV["HTTP_PROXY"]
    config.proxy.no_proxy = ENV["NO_PROXY"] if ENV["NO_PROXY"]
  end

  vars["vagrant_hosts"].each do |host|
    config.vm.define host["name"] do |node|
      node.vm.hostname = host["name"]
      address = { ip: host["ip"], netmask: host["netmask"] }
      if vars["vagrant_dev"]
        node.vm.network :public_network, **address, dev: vars["vagrant_dev"], type: "bridge"
      elsif vars["vagrant_bridge"]
        node.vm.network :public_network, **address, bridge: vars["vagrant_bridge"]
      else
        node.vm.network :private_network, **address,
                        libvirt__network_name: vars["libvirt_network_name"],
                        libvirt__dhcp_enabled: false
      end

      node.vm.provider :libvirt do |lv|
        lv.default_prefix = vars["libvirt_prefix"]
        lv.driver = vars["libvirt_driver"]
        if vars["libvirt_driver"] == "kvm"
          lv.cpu_mode = "host-passthrough"
        else
          # TCG emulation cannot pass the host CPU through
          lv.cpu_mode = "custom"
          lv.cpu_model = "qemu64"
        end
        lv.memory = host["memory_size"] if host["memory_size"]
        lv.cpus = host["cpus"] if host["cpus"]
        lv.machine_virtual_size = host["disk_size"] if host["disk_size"]
        lv.storage :file, size: "#{host["mirrored_disk_size"]}G" if host["mirrored_disk_size"]
      end

      node.vm.provider :virtualbox do |vb, override|
        vb.name = host["name"]
        vb.memory = host["memory_size"] if host["memory_size"]
        vb.cpus = host["cpus"] if host["cpus"]
        vb.customize ["modifyvm", :id, "--audio", "none"]
        if host["disk_size"] && Vagrant.has_plugin?("vagrant-disksize")
          override.disksize.size = "#{host["disk_size"]}GB"
        end
        if host["mirrored_disk_size"]
          disk = File.join(vars["hive_context_dir"], "drbdpool#{host["name"]}.vdi")
          unless File.exist?(disk)
            vb.customize ["createmedium", "disk", "--filename", disk, "--variant", "Fixed",
                          "--size", host["mirrored_disk_size"] * 1024]
          end
          vb.customize ["storageattach", :id, "--storagectl", "IDE", "--port", 1, "--device", 0,
                        "--type", "hdd", "--medium", disk]
        end
      end
    end
  end
end
"""


def _positive(plan: ProvisionPlan, name: str, attr: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    if not (str(value).isdigit() and int(value) >= 1):
        raise HiveError(f"stage {plan.stage}: server {name}: {attr} must be a positive number of GB, "
                        f"found {value!r}", hint=f"fix {attr} in the stage of the hive definition")
    return int(value)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def box_name(plan: ProvisionPlan) -> str:
    return str(plan.settings.get("hive_vagrant_box_name") or DEFAULT_BOX)


def libvirt_prefix(plan: ProvisionPlan) -> str:
    """Prefix of the libvirt domain names: vagrant-libvirt's default is the directory's name,
    i.e. the stage name, which two projects would share."""
    return f"hive_{plan.hive_name}_{plan.stage}_"


def vagrant_vars(plan: ProvisionPlan, libvirt_driver: str = "kvm") -> dict[str, Any]:
    """What the Vagrantfile reads (vagrant_vars.yml): reference §9.1's keys, and the libvirt
    domain type (`qemu` where hardware acceleration is unusable)."""
    if libvirt_driver not in LIBVIRT_DRIVERS:
        raise HiveError(f"libvirt driver must be one of {', '.join(LIBVIRT_DRIVERS)}, not {libvirt_driver!r}",
                        hint="set HIVE_VAGRANT_LIBVIRT_DRIVER=kvm (hardware acceleration) or qemu (emulation)")
    netmask = str(ipaddress.ip_network(plan.cidr, strict=False).netmask)
    hosts = []
    for s in plan.servers:
        host: dict[str, Any] = {"name": s.name, "ip": s.ip, "netmask": netmask}
        if s.memory_mb:
            host["memory_size"] = s.memory_mb
        if s.cpus:
            host["cpus"] = s.cpus
        disk = _positive(plan, s.name, "disk_size", s.sizes.get("disk_size"))
        if disk:
            host["disk_size"] = disk
        mirrored = _positive(plan, s.name, "mirrored_disk_size", s.sizes.get("mirrored_disk_size"))
        if mirrored and not _truthy(s.settings.get("hive_no_mirrored_device", False)):
            host["mirrored_disk_size"] = mirrored
        hosts.append(host)
    insert_key = plan.settings.get("hive_vagrant_ssh_insert_key")
    out: dict[str, Any] = {
        "vagrant_box_name": box_name(plan),
        "vagrant_ssh_insert_key": None if insert_key in (None, "") else _truthy(insert_key),
        "hive_root_dir": str(plan.root_dir),
        "hive_context_dir": str(plan.context_dir),
        "libvirt_driver": libvirt_driver,
        "libvirt_prefix": libvirt_prefix(plan),
        "libvirt_network_name": plan.network_name,
        "vagrant_hosts": hosts,
    }
    for key in ("dev", "bridge"):
        if plan.settings.get(f"hive_{key}"):
            out[f"vagrant_{key}"] = str(plan.settings[f"hive_{key}"])
    return out


def vars_text(plan: ProvisionPlan, libvirt_driver: str = "kvm") -> str:
    return yaml.safe_dump(vagrant_vars(plan, libvirt_driver), sort_keys=False, default_flow_style=False)


@dataclass(frozen=True)
class VagrantSsh:
    host: str
    hostname: str
    user: str
    port: int
    identity_file: str


def parse_ssh_config(text: str) -> dict[str, VagrantSsh]:
    """`vagrant ssh-config` output -> machine name -> where vagrant reaches it."""
    found: dict[str, VagrantSsh] = {}
    current: dict[str, str] = {}

    def close() -> None:
        if current.get("host"):
            found[current["host"]] = VagrantSsh(
                host=current["host"], hostname=current.get("hostname", ""),
                user=current.get("user", "vagrant"), port=int(current.get("port", DEFAULT_SSH_PORT)),
                identity_file=current.get("identityfile", "").strip('"'))

    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or parts[0].startswith("#"):
            continue
        key, value = parts[0].lower(), parts[1].strip()
        if key == "host":
            close()
            current = {"host": value}
        elif key not in current:   # ssh uses the first IdentityFile that works: keep the first
            current[key] = value
    close()
    return found


def ssh_config_text(plan: ProvisionPlan, vagrant_output: str) -> str:
    """<context_dir>/ssh_config from `vagrant ssh-config`: one block per server, named as in the
    inventory. sshd moves to the server's ssh_port after setup-hosts, so that port replaces 22;
    a NAT port forward on this machine (VirtualBox) does not follow sshd: those servers are
    reached at their private IP instead."""
    machines = parse_ssh_config(vagrant_output)
    missing = [s.name for s in plan.servers if s.name not in machines]
    if missing:
        raise HiveError(f"vagrant provider: `vagrant ssh-config` in {plan.context_dir} says nothing "
                        f"about {', '.join(missing)}",
                        hint=f"run `hive -s {plan.stage} build-infra` to bring them up")
    hosts = []
    for s in plan.servers:
        m = machines[s.name]
        if m.hostname in ("127.0.0.1", "localhost", "::1"):
            hostname, port = s.ip, s.ssh_port
        else:
            hostname, port = m.hostname, (s.ssh_port if m.port == DEFAULT_SSH_PORT else m.port)
        hosts.append(SshHost(name=s.name, hostname=hostname, user=m.user,
                             identity_file=m.identity_file, port=port))
    return render_ssh_config(hosts)


def parse_status(text: str) -> dict[str, str]:
    """`vagrant status --machine-readable` -> machine name -> state (running, shutoff,
    poweroff, not_created, ...)."""
    states: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split(",", 3)
        if len(fields) == 4 and fields[2] == "state" and fields[1]:
            states[fields[1]] = fields[3].strip()
    return states
