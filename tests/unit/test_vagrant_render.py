"""vagrant provider, pure part: vagrant_vars.yml from the stage, ssh-config and status parsing."""

import pytest
import yaml

from hive_builder.errors import HiveError
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.providers.vagrant_render import (DEFAULT_BOX, VAGRANTFILE, parse_ssh_config,
                                                   parse_status, ssh_config_text, vagrant_vars,
                                                   vars_text)


def plan(tmp_path, servers=None, **settings):
    servers = servers or (
        ServerPlan("p-hive0.demo", "192.168.0.98", roles=("hives",),
                   sizes={"memory_size": "4096", "cpus": "2", "disk_size": "20", "mirrored_disk_size": "10"}),
        ServerPlan("p-hive1.demo", "192.168.0.99", roles=("hives",),
                   sizes={"mirrored_disk_size": "10"}, settings={"hive_no_mirrored_device": True}),
        ServerPlan("p-repository.demo", "192.168.0.100", roles=("repository",),
                   sizes={"memory_size": "2048"}, ssh_port=2222))
    return ProvisionPlan(hive_name="demo", stage="private", cidr="192.168.0.96/27", servers=servers,
                         context_dir=tmp_path / "ctx", root_dir=tmp_path, admin_user="vagrant",
                         settings=settings)


def test_vars_per_host(tmp_path):
    v = vagrant_vars(plan(tmp_path), "qemu")
    assert v["vagrant_box_name"] == DEFAULT_BOX
    assert v["libvirt_driver"] == "qemu"
    assert v["vagrant_ssh_insert_key"] is None
    assert v["hive_context_dir"] == str(tmp_path / "ctx") and v["hive_root_dir"] == str(tmp_path)
    assert v["libvirt_network_name"] == "hive-demo-private"
    assert v["libvirt_prefix"] == "hive_demo_private_"
    assert v["vagrant_hosts"] == [
        {"name": "p-hive0.demo", "ip": "192.168.0.98", "netmask": "255.255.255.224",
         "memory_size": 4096, "cpus": 2, "disk_size": 20, "mirrored_disk_size": 10},
        # no_mirrored_device: no DRBD disk even though the stage has a mirrored size
        {"name": "p-hive1.demo", "ip": "192.168.0.99", "netmask": "255.255.255.224"},
        {"name": "p-repository.demo", "ip": "192.168.0.100", "netmask": "255.255.255.224",
         "memory_size": 2048},
    ]
    assert "vagrant_bridge" not in v and "vagrant_dev" not in v


def test_box_bridge_dev_and_insert_key_from_settings(tmp_path):
    v = vagrant_vars(plan(tmp_path, hive_vagrant_box_name="generic/debian12", hive_bridge="brHive",
                          hive_dev="br0", hive_vagrant_ssh_insert_key="false"))
    assert v["vagrant_box_name"] == "generic/debian12"
    assert v["vagrant_bridge"] == "brHive" and v["vagrant_dev"] == "br0"
    assert v["vagrant_ssh_insert_key"] is False
    assert v["libvirt_driver"] == "kvm"


def test_vars_text_is_yaml_the_vagrantfile_reads(tmp_path):
    text = vars_text(plan(tmp_path), "qemu")
    assert yaml.safe_load(text) == vagrant_vars(plan(tmp_path), "qemu")
    for key in ("vagrant_box_name", "vagrant_hosts", "libvirt_driver", "vagrant_dev", "vagrant_bridge",
                "mirrored_disk_size", "machine_virtual_size", "libvirt_network_name", "libvirt_prefix"):
        assert key in VAGRANTFILE


def test_bad_values_are_refused(tmp_path):
    with pytest.raises(HiveError, match="libvirt driver must be one of"):
        vagrant_vars(plan(tmp_path), "xen")
    bad = (ServerPlan("p-hive0.demo", "192.168.0.98", sizes={"disk_size": "big"}),)
    with pytest.raises(HiveError, match="disk_size must be a positive number of GB"):
        vagrant_vars(plan(tmp_path, servers=bad))


SSH_CONFIG = """\
Host p-hive0.demo
  HostName 192.168.121.57
  User vagrant
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /root/.vagrant.d/boxes/hive-builder-VAGRANTSLASH-debian12/0/libvirt/hive_vagrant_key
  IdentityFile /root/.vagrant.d/insecure_private_key
  IdentitiesOnly yes
  LogLevel FATAL

Host p-hive1.demo
  HostName 192.168.121.58
  User vagrant
  Port 22
  IdentityFile "/root/key with space"

Host p-repository.demo
  HostName 127.0.0.1
  User vagrant
  Port 2200
  IdentityFile /root/.vagrant.d/insecure_private_key
"""


def test_parse_ssh_config():
    m = parse_ssh_config(SSH_CONFIG)
    assert set(m) == {"p-hive0.demo", "p-hive1.demo", "p-repository.demo"}
    assert m["p-hive0.demo"].hostname == "192.168.121.57" and m["p-hive0.demo"].port == 22
    assert m["p-hive0.demo"].identity_file.endswith("libvirt/hive_vagrant_key")
    assert m["p-hive1.demo"].identity_file == "/root/key with space"
    assert m["p-repository.demo"].port == 2200


def test_ssh_config_rewritten_to_hive_servers(tmp_path):
    text = ssh_config_text(plan(tmp_path), SSH_CONFIG)
    blocks = text.split("# BEGIN ANSIBLE MANAGED BLOCK ")[1:]
    assert [b.split("\n", 1)[0] for b in blocks] == ["p-hive0.demo", "p-hive1.demo", "p-repository.demo"]
    assert "HostName 192.168.121.57" in blocks[0] and "Port" not in blocks[0]
    assert "User vagrant" in blocks[0] and "libvirt/hive_vagrant_key" in blocks[0]
    # a NAT port forward does not follow sshd to hive_sshd_port: the private IP does
    assert "HostName 192.168.0.100" in blocks[2] and "Port 2222" in blocks[2]


def test_ssh_config_names_missing_machines(tmp_path):
    with pytest.raises(HiveError, match="says nothing about p-repository.demo") as err:
        ssh_config_text(plan(tmp_path), SSH_CONFIG.split("Host p-repository.demo")[0])
    assert "build-infra" in err.value.hint


def test_parse_status():
    out = ("1700000000,p-hive0.demo,metadata,provider,libvirt\n"
           "1700000000,p-hive0.demo,provider-name,libvirt\n"
           "1700000000,p-hive0.demo,state,running\n"
           "1700000000,p-hive1.demo,state,shutoff\n"
           "1700000000,p-repository.demo,state,not_created\n"
           "1700000000,,ui,info,Current machine states:\n")
    assert parse_status(out) == {"p-hive0.demo": "running", "p-hive1.demo": "shutoff",
                                 "p-repository.demo": "not_created"}
