"""What setup-hosts does differently on the azure provider's Debian 12 VMs: the DRBD disk is found
by the guest agent's stable name by LUN (provider_facts.yml mirrored_device_links), not by an sd
name that follows the order the kernel finds the disks in; time comes from time.windows.com;
the admin is `hiveadmin`; what the model hands the provider for `hive check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hive_builder import drbd_host as dh
from hive_builder.plugins.filter import hive_drbd_filters as f
from hive_builder.providers import azure_render as r
from hive_builder.providers.plan import plan_from_stage
from tests.fixtures.inventories.builders import hive_def, load, write

GIB = 1024 ** 3
ROLES = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles"
LINK = "/dev/disk/azure/scsi1/lun0"


def disk(name, size, children=False, mount=None, fstype=None):
    d = {"name": name, "path": f"/dev/{name}", "type": "disk", "size": size, "fstype": fstype,
         "mountpoint": mount, "pkname": None, "ro": False, "rm": False, "serial": None}
    if children:
        d["children"] = [{"name": f"{name}1", "path": f"/dev/{name}1", "type": "part", "size": size,
                          "fstype": "ext4", "mountpoint": "/", "pkname": name, "ro": False, "rm": False}]
    return d


def lsblk(*disks):
    return json.dumps({"blockdevices": list(disks)})


def test_the_lun_link_wins_over_the_manuals_names():
    # the data disk came up as sdb, the (still unformatted) temporary resource disk as sdc: by
    # name alone sdc would be taken, and its content is lost whenever the VM is deallocated
    swapped = lsblk(disk("sda", 30 * GIB, children=True), disk("sdb", 20 * GIB), disk("sdc", 16 * GIB))
    assert dh.choose_mirrored_device(swapped).device == "/dev/sdc"
    choice = dh.choose_mirrored_device(swapped, link=LINK, link_target="/dev/sdb")
    assert choice.device == "/dev/sdb" and LINK in choice.reason
    assert f.hive_mirrored_device(swapped, "", False, "", LINK, "/dev/sdb")["device"] == "/dev/sdb"


def test_the_linked_disk_is_refused_when_in_use_and_names_apply_without_the_link():
    used = lsblk(disk("sda", 30 * GIB, children=True), disk("sdc", 20 * GIB, fstype="ext4"),
                 disk("sdb", 16 * GIB, mount="/mnt", fstype="ext4"))
    choice = dh.choose_mirrored_device(used, link=LINK, link_target="/dev/sdc")
    assert choice.device is None and f"{LINK} (/dev/sdc) holds a ext4 signature" in choice.reason
    # no udev rules for the link on a custom image: the resource disk is mounted, so refused by name
    fresh = lsblk(disk("sda", 30 * GIB, children=True), disk("sdb", 16 * GIB, mount="/mnt", fstype="ext4"),
                  disk("sdc", 20 * GIB))
    assert dh.choose_mirrored_device(fresh, link=LINK, link_target=None).device == "/dev/sdc"


def test_the_drbd_role_resolves_the_providers_link():
    device = (ROLES / "drbd" / "tasks" / "device.yml").read_text()
    assert "hive_provider_facts.mirrored_device_links" in device and "lnk_source" in device


def test_the_facts_name_the_lun_link_of_the_disk_the_vm_attached():
    assert r.DATA_DEVICE == LINK and r.DATA_LUN == 0


@pytest.mark.parametrize("variables, expected", [
    ({"hive_provider_facts": {"ntp_servers": ["time.windows.com"]}}, ["time.windows.com"]),
    ({"hive_provider_facts": {"ntp_servers": ["time.windows.com"]}, "hive_ntp_servers": "ntp.example"},
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


def test_the_ntp_client_role_writes_server_lines_only():
    # why time.windows.com and not the host's PTP clock: /dev/ptp_hyperv needs a chrony
    # `refclock PHC` line, which the role does not write
    tasks = (ROLES / "ntp-client" / "tasks" / "main.yml").read_text()
    assert "server {{ server }} iburst" in tasks and "refclock" not in tasks


STAGE = {"provider": "azure", "cidr": "10.0.0.0/24", "region": "japaneast", "instance_type": "Standard_D2s_v5",
         "repository_instance_type": "Standard_B2s_v2", "mirrored_disk_size": 20}


def test_the_model_gives_hiveadmin_zones_1_to_3_and_the_settings(tmp_path):
    from hive_builder.model.derived import ADMIN_BY_PROVIDER
    assert ADMIN_BY_PROVIDER["azure"] == r.ADMIN == "hiveadmin"
    site = load(write(tmp_path, hive_def({"private": STAGE})), "private")
    p = plan_from_stage(site, "private", context_dir=tmp_path, root_dir=tmp_path)
    assert p.admin_user == "hiveadmin" and p.settings["hive_region"] == "japaneast"
    assert [r.zone(s) for s in p.servers] == ["1", "2", "3", "1"][:len(p.servers)]
    lay = r.check_offline(p)   # the model's implicit subnet is the one the renderer names
    assert {r.server_subnet(lay, s).name for s in p.servers} == {f"{p.hive_name}-default"}
    assert r.vm_params(lay, p, r.Found())[0]["admin_username"] == "hiveadmin"


def test_a_subnets_zone_is_the_servers_zone(tmp_path):
    stage = {**STAGE, "subnets": [{"cidr": "10.0.0.0/26", "name": "a", "available_zone": 2},
                                  {"cidr": "10.0.0.64/26", "name": "b", "available_zone": 3}]}
    site = load(write(tmp_path, hive_def({"private": stage})), "private")
    p = plan_from_stage(site, "private", context_dir=tmp_path, root_dir=tmp_path)
    assert {r.zone(s) for s in p.servers} <= {"2", "3"}
    r.check_offline(p)


def test_the_drbd_role_takes_the_disk_the_lun_link_names(tmp_path):
    """setup-hosts' drbd role in check mode (fake lsblk/LVM tools, tests/unit/test_role_drbd.py):
    the provider's link, resolved on the host, decides over manual 7.1's order (vdc first)."""
    from tests.unit import test_role_drbd as role
    link = tmp_path / "lun0"
    link.symlink_to("/dev/vdb")   # a link as udev makes it (the target need not exist here)
    two = {"blockdevices": [*role.VM_LSBLK["blockdevices"],
                            {**role.VM_LSBLK["blockdevices"][1], "name": "vdc", "path": "/dev/vdc"}]}
    facts = {"mirrored_device_links": {"hive0.t": str(link)}, "ntp_servers": ["time.windows.com"]}
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    rc, tasks = role._run_setup(tmp_path / "with", lsblk=two, extra={"hive_provider_facts": facts})
    assert rc == 0
    assert tasks["mirrored device of this host"]["ansible_facts"]["hive_drbd_device"]["device"] == "/dev/vdb"
    rc, tasks = role._run_setup(tmp_path / "without", lsblk=two)
    assert tasks["mirrored device of this host"]["ansible_facts"]["hive_drbd_device"]["device"] == "/dev/vdc"
