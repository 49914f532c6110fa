"""What setup-hosts does differently on the gcp provider's Debian 12 instances: the DRBD disk is
found through its stable name /dev/disk/by-id/google-drbd-<short> (provider_facts.yml
mirrored_device_links, resolved on the host), whatever the kernel calls it (sdb on SCSI, nvme0n2
on NVMe machine types); time comes from the metadata server; the admin is Debian's `admin`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hive_builder import drbd_host as dh
from hive_builder.plugins.filter import hive_drbd_filters as f
from hive_builder.providers import gcp_render
from tests.unit.test_aws_host_facts import disk, lsblk

GIB = 1024 ** 3
ROLES = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles"
LINK = "/dev/disk/by-id/google-drbd-p-hive0"


def test_scsi_data_disk_found_through_its_link():
    scsi = lsblk(disk("sda", 25 * GIB, children=True), disk("sdb", 20 * GIB))
    choice = dh.choose_mirrored_device(scsi, link=LINK, link_target="/dev/sdb")
    assert choice.device == "/dev/sdb" and LINK in choice.reason


def test_nvme_data_disk_found_through_its_link_where_the_manuals_names_would_miss_it():
    nvme = lsblk(disk("nvme0n1", 25 * GIB, children=True), disk("nvme0n2", 20 * GIB))
    assert dh.choose_mirrored_device(nvme, link=LINK, link_target="/dev/nvme0n2").device == "/dev/nvme0n2"
    assert dh.choose_mirrored_device(nvme).device is None   # nvme0n2 is not a name of manual 7.1


def test_the_linked_disk_is_refused_when_it_is_in_use_and_no_other_is_taken():
    used = lsblk(disk("sda", 25 * GIB, children=True), disk("sdb", 20 * GIB, mount="/data"),
                 disk("sdc", 20 * GIB))
    choice = dh.choose_mirrored_device(used, link=LINK, link_target="/dev/sdb")
    assert choice.device is None and f"{LINK} (/dev/sdb) is mounted on /data" in choice.reason


def test_without_the_link_on_the_host_the_manuals_names_apply():
    scsi = lsblk(disk("sda", 25 * GIB, children=True), disk("sdb", 20 * GIB))
    assert dh.choose_mirrored_device(scsi, link=LINK, link_target=None).device == "/dev/sdb"


def test_the_filter_passes_link_and_target_and_empty_ones_mean_none():
    data = lsblk(disk("nvme0n1", 25 * GIB, children=True), disk("nvme0n2", 20 * GIB))
    assert f.hive_mirrored_device(data, "", False, "", LINK, "/dev/nvme0n2")["device"] == "/dev/nvme0n2"
    assert f.hive_mirrored_device(data, "", False, "", "", "")["device"] is None
    assert f.hive_mirrored_device(data, "", True, "", LINK, "/dev/nvme0n2")["device"] is None   # diskless


def _run_play(tmp_path, tasks, variables):
    play = tmp_path / "play.yml"
    play.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "vars": variables, "tasks": tasks}]))
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FILTER_PLUGINS=str(ROLES.parent.parent / "plugins" / "filter"))
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", f"ansible_python_interpreter={sys.executable}", str(play)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("with_link", [True, False])
def test_the_drbd_role_resolves_the_link_on_the_host_and_hands_it_to_the_filter(tmp_path, with_link):
    """The role's own tasks (stat of the link, the choice) run by ansible-playbook on this machine,
    with a symlink standing for udev's by-id link and lsblk/pvs output given."""
    target = tmp_path / "sdb"
    target.write_text("")
    link = tmp_path / "google-drbd-localhost"
    link.symlink_to(target)
    wanted = ("stable name of the DRBD disk", "mirrored device of this host")
    tasks = [t for t in yaml.safe_load((ROLES / "drbd" / "tasks" / "device.yml").read_text()) if t["name"] in wanted]
    assert [t["name"] for t in tasks] == list(wanted)
    tasks.append({"ansible.builtin.copy": {"content": "{{ hive_drbd_device | to_json }}", "dest": str(tmp_path / "out.json")}})
    devices = {"blockdevices": [disk("sda", 25 * GIB, children=True),
                                {**disk("other", 20 * GIB), "path": str(target)}, disk("sdc", 20 * GIB)]}
    facts = {"mirrored_device_links": {"localhost": str(link)}} if with_link else {}
    _run_play(tmp_path, tasks, {"hive_provider_facts": facts, "hive_drbd_lsblk": {"stdout": json.dumps(devices)},
                                "hive_drbd_lvm": {"results": [{"stdout": ""}]}})
    choice = json.loads((tmp_path / "out.json").read_text())
    # through the link: the linked disk; without: the first of manual 7.1's names (sdc)
    assert choice["device"] == (str(target) if with_link else "/dev/sdc")


def test_time_from_the_metadata_server_unless_the_project_names_some(tmp_path):
    facts = gcp_render.facts(_plan(tmp_path), [], "p")
    out = tmp_path / "out.json"
    _run_play(tmp_path, [{"ansible.builtin.include_vars": str(ROLES / "ntp-client" / "defaults" / "main.yml")},
                         {"ansible.builtin.copy": {"content": "{{ ntp_client_servers | to_json }}", "dest": str(out)}}],
              {"hive_provider_facts": facts})
    assert json.loads(out.read_text()) == ["169.254.169.254"]


def _plan(tmp_path):
    from tests.unit.test_gcp_render import plan
    return plan(tmp_path)


def test_debian_images_admin_user_and_the_model_default():
    from hive_builder.model.derived import ADMIN_BY_PROVIDER, DEFAULT_ADMIN
    assert ADMIN_BY_PROVIDER.get("gcp", DEFAULT_ADMIN) == "admin"


def test_the_extra_and_the_collection_are_declared_for_gcp_only():
    root = Path(__file__).resolve().parents[2]
    import tomllib
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {e.split(">")[0] for e in extras["gcp"]} == {"google-auth", "requests"}
    requirements = yaml.safe_load((root / "hive_builder" / "ansible-requirements.yml").read_text())["collections"]
    entry = next(c for c in requirements if c["name"] == "google.cloud")
    assert entry == {"name": "google.cloud", "version": "1.10.2", "provider": "gcp"}


def test_ip_forwarding_is_kept_on_gcp_images_after_their_own_sysctl_file():
    tasks = yaml.safe_load((ROLES / "docker" / "tasks" / "main.yml").read_text())
    task = next(t for t in tasks if t["name"] == "IP forwarding kept on (gcp)")
    sysctl = task["ansible.posix.sysctl"]
    assert (sysctl["name"], sysctl["value"]) == ("net.ipv4.ip_forward", "1")
    # sysctl --system applies /etc/sysctl.d in name order: ours after GCE's 60-gce-network-security.conf
    assert Path(sysctl["sysctl_file"]).name > "60-gce-network-security.conf"
    assert "'gcp'" in task["when"]
