"""What setup-hosts does differently on the aws provider's Debian 12 instances: the DRBD disk is
found by its EBS volume id (provider_facts.yml), not by the API name /dev/sdb that a Nitro
guest never sees; time comes from the Amazon Time Sync Service; the admin is Debian's `admin`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hive_builder import drbd_host as dh
from hive_builder.plugins.filter import hive_drbd_filters as f

GIB = 1024 ** 3
ROLES = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles"


def disk(name, size, serial=None, children=(), mount=None):
    d = {"name": name, "path": f"/dev/{name}", "type": "disk", "size": size, "fstype": None,
         "mountpoint": mount, "pkname": None, "ro": False, "rm": False, "serial": serial}
    if children:
        d["children"] = [{"name": f"{name}p1", "path": f"/dev/{name}p1", "type": "part", "size": size,
                          "fstype": "ext4", "mountpoint": "/", "pkname": name, "ro": False, "rm": False}]
    return d


def lsblk(*disks):
    return json.dumps({"blockdevices": list(disks)})


def test_nitro_data_volume_found_by_its_serial_whatever_its_nvme_number():
    # NVMe numbering follows discovery: the data volume may come first
    swapped = lsblk(disk("nvme0n1", 20 * GIB, "vol0abc123"), disk("nvme1n1", 16 * GIB, "vol0root", children=True),
                    disk("nvme2n1", 30 * GIB, "vol0other"))
    choice = dh.choose_mirrored_device(swapped, volume_id="vol-0abc123")
    assert choice.device == "/dev/nvme0n1" and "EBS volume vol-0abc123" in choice.reason
    # without the volume id the manual's names would take nvme1n1... which holds the OS: refused,
    # and no other candidate name exists
    assert dh.choose_mirrored_device(swapped).device is None


def test_the_named_volume_is_refused_when_it_is_in_use():
    used = lsblk(disk("nvme0n1", 16 * GIB, "vol0root", children=True))
    choice = dh.choose_mirrored_device(used, volume_id="vol-0root")
    assert choice.device is None and "EBS volume vol-0root (/dev/nvme0n1) holds part" in choice.reason


def test_xen_instances_have_no_serial_and_keep_the_manuals_names():
    xen = lsblk(disk("xvda", 16 * GIB, children=True), disk("xvdb", 20 * GIB))
    assert dh.choose_mirrored_device(xen, volume_id="vol-0abc123").device == "/dev/xvdb"


def test_the_filter_passes_the_volume_id_and_an_empty_one_means_none():
    data = lsblk(disk("nvme1n1", 16 * GIB, "vol0root", children=True), disk("nvme0n1", 20 * GIB, "vol0d"))
    assert f.hive_mirrored_device(data, "", False, "vol-0d")["device"] == "/dev/nvme0n1"
    assert f.hive_mirrored_device(data, "", False, "")["device"] is None   # nvme1n1 holds the OS


def test_the_drbd_role_reads_the_serial_and_the_provider_facts():
    device = (ROLES / "drbd" / "tasks" / "device.yml").read_text()
    assert "RO,RM,SERIAL" in device
    assert "hive_provider_facts.mirrored_volume_ids" in device


@pytest.mark.parametrize("variables, expected", [
    ({}, []),                                                              # the distribution's pools
    ({"hive_provider_facts": {"ntp_servers": ["169.254.169.123"]}}, ["169.254.169.123"]),
    ({"hive_provider_facts": {"ntp_servers": ["169.254.169.123"]}, "hive_ntp_servers": "ntp.example"},
     "ntp.example"),                                                       # the project's choice wins
])
def test_time_servers_from_the_provider_unless_the_project_names_some(tmp_path, variables, expected):
    play = tmp_path / "play.yml"
    play.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False, "vars_files": [str(ROLES / "ntp-client" / "defaults" / "main.yml")],
        "vars": variables,
        "tasks": [{"ansible.builtin.copy": {"content": "{{ ntp_client_servers | to_json }}",
                                            "dest": str(tmp_path / "out.json")}}]}]))
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path),
               ANSIBLE_NOCOLOR="1")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", f"ansible_python_interpreter={sys.executable}", str(play)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "out.json").read_text()) == expected


def test_debian_amis_admin_user(tmp_path):
    from hive_builder.model.derived import ADMIN_BY_PROVIDER, DEFAULT_ADMIN
    assert ADMIN_BY_PROVIDER.get("aws", DEFAULT_ADMIN) == "admin"
    hosts = (ROLES.parent / "group_vars" / "hosts.yml").read_text()
    assert "'aws': 'ec2-user'" not in hosts
