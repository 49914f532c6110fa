"""Role drbd: syntax of both entry points, and the setup role's decisions run for real by
ansible-playbook against localhost in check mode, with fake lsblk/pvs/vgs/lvs/modprobe/modinfo.

Nothing here installs packages or touches disks: check mode, the package task skipped by tag, and
the LVM commands are `command` tasks that check mode does not run (their argv is still reported).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hive_builder.plugins.filter import hive_drbd_filters as f

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
FILTERS = PLAYBOOKS.parent / "plugins" / "filter"
BIN = Path(sys.executable).parent
GIB = 1024 ** 3

SETUP_PLAY = """\
- hosts: hives
  gather_facts: false
  roles:
    - drbd
"""
VOLUMES_PLAY = """\
- hosts: hives
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: drbd
        tasks_from: volumes
"""
INVENTORY = """\
[hives]
hive0.t ansible_connection=local ansible_python_interpreter={python} hive_private_ip=127.0.0.1
[drbd_volumes]
{volumes}
[private:children]
hives
drbd_volumes
"""


def _env(tmp_path):
    return dict(os.environ,
                ANSIBLE_ROLES_PATH=f"{PLAYBOOKS / 'roles'}:{PLAYBOOKS / 'builtin_roles'}",
                ANSIBLE_FILTER_PLUGINS=str(FILTERS), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
                ANSIBLE_HOME=str(tmp_path), ANSIBLE_RETRY_FILES_ENABLED="0",
                ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="0")


def _project(tmp_path, play, volumes=""):
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "hosts").write_text(INVENTORY.format(python=sys.executable, volumes=volumes))


@pytest.mark.parametrize("play", [SETUP_PLAY, VOLUMES_PLAY], ids=["setup", "volumes"])
def test_syntax(play, tmp_path):
    _project(tmp_path, play)
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(tmp_path / "hosts"),
                           str(tmp_path / "play.yml")], env=_env(tmp_path), check=False, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------- check-mode run, fake tools

VM_LSBLK = {"blockdevices": [
    {"name": "vda", "path": "/dev/vda", "type": "disk", "size": 20 * GIB, "fstype": None, "mountpoint": None,
     "pkname": None, "ro": False, "rm": False, "children": [
         {"name": "vda1", "path": "/dev/vda1", "type": "part", "size": 20 * GIB, "fstype": "ext4",
          "mountpoint": "/", "pkname": "vda", "ro": False, "rm": False}]},
    {"name": "vdb", "path": "/dev/vdb", "type": "disk", "size": 10 * GIB, "fstype": None, "mountpoint": None,
     "pkname": None, "ro": False, "rm": False}]}
NO_LVM = {"pvs": {"report": [{"pv": []}]}, "vgs": {"report": [{"vg": []}]}, "lvs": {"report": [{"lv": []}]}}
OUR_LVM = {"pvs": {"report": [{"pv": [{"pv_name": "/dev/vdb", "vg_name": "drbdvg", "pv_size": str(10 * GIB)}]}]},
           "vgs": {"report": [{"vg": [{"vg_name": "drbdvg", "vg_size": str(10236 * 1024 ** 2)}]}]},
           "lvs": {"report": [{"lv": [{"lv_name": "drbdpool", "vg_name": "drbdvg"}]}]}}
PROC_9 = "version: 9.2.8 (api:2/proto:86-122)"
PROC_84 = "version: 8.4.11 (api:1/proto:86-101)"
SECURE_BOOT = "modprobe: ERROR: could not insert 'drbd': Required key not available"


def _fake_tools(bindir: Path, lsblk: dict, lvm: dict, modprobe_err: str, version: str):
    bindir.mkdir()
    tools = {"lsblk": ("", json.dumps(lsblk)), "modinfo": ("", version)}
    for name, report in lvm.items():
        tools[name] = ("", json.dumps(report))
    for name, (_, out) in tools.items():
        (bindir / name).write_text(f"#!/bin/sh\ncat <<'EOF'\n{out}\nEOF\n")
    (bindir / "modprobe").write_text(
        f"#!/bin/sh\necho \"{modprobe_err}\" >&2\nexit 1\n" if modprobe_err else "#!/bin/sh\nexit 0\n")
    for tool in bindir.iterdir():
        tool.chmod(0o755)


def _run_setup(tmp_path, *, lsblk=VM_LSBLK, lvm=NO_LVM, modprobe_err="", version=PROC_9, volumes="volume_db",
               extra=None):
    _project(tmp_path, SETUP_PLAY, volumes)
    _fake_tools(tmp_path / "bin", lsblk, lvm, modprobe_err, version)
    env = _env(tmp_path)
    env.update(PATH=f"{tmp_path / 'bin'}:{env['PATH']}", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    evars = {"hive_stage_name": "private", "hive_provider_facts": {}, "hive_mirrored_disk_size": 10,
             **(extra or {})}
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-C", "--skip-tags", "drbd-packages",
                           "-i", str(tmp_path / "hosts"), "-e", json.dumps(evars), str(tmp_path / "play.yml")],
                          env=env, check=False, capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON from ansible-playbook: {proc.stdout}\n{proc.stderr}")
    tasks = {t["task"]["name"].removeprefix("drbd : "): t["hosts"].get("hive0.t", {})
             for play in report["plays"] for t in play["tasks"]}
    return proc.returncode, tasks


def test_vm_with_empty_vdb_plans_vg_and_pool(tmp_path):
    rc, tasks = _run_setup(tmp_path)
    assert rc == 0
    assert tasks["mirrored device of this host"]["ansible_facts"]["hive_drbd_device"]["device"] == "/dev/vdb"
    planned = [r["item"] for r in tasks["volume group drbdvg and thin pool drbdpool"]["results"]]
    assert planned[0] == ["vgcreate", "drbdvg", "/dev/vdb"] and planned[1][:3] == ["lvcreate", "--type", "thin-pool"]
    assert "verdict on the drbd kernel module" in tasks and not tasks["mirrored volumes need DRBD 9"].get("failed")


def test_rerun_on_a_prepared_host_plans_nothing(tmp_path):
    lsblk = json.loads(json.dumps(VM_LSBLK))
    lsblk["blockdevices"][1]["fstype"] = "LVM2_member"
    rc, tasks = _run_setup(tmp_path, lsblk=lsblk, lvm=OUR_LVM)
    assert rc == 0
    assert tasks["volume group drbdvg and thin pool drbdpool"].get("results", []) == []
    assert tasks["mirrored device of this host"]["ansible_facts"]["hive_drbd_device"]["existing"] is True


def test_debian_84_module_is_refused_when_the_stage_has_drbd_volumes(tmp_path):
    rc, tasks = _run_setup(tmp_path, version=PROC_84)
    assert rc != 0
    msg = tasks["mirrored volumes need DRBD 9"]["msg"]
    assert msg.startswith("hive0.t: mirrored volumes need DRBD 9") and "8.4.11" in msg and "LINBIT" in msg


def test_missing_module_is_only_a_warning_without_drbd_volumes(tmp_path):
    rc, tasks = _run_setup(tmp_path, modprobe_err=SECURE_BOOT, version="", volumes="")
    assert rc == 0
    assert "Secure Boot" in tasks["no DRBD 9 here (no drbd volume in this stage yet)"]["msg"]


def test_all_disks_used_is_refused_with_the_reason(tmp_path):
    lsblk = json.loads(json.dumps(VM_LSBLK))
    lsblk["blockdevices"][1]["mountpoint"] = "/srv"
    rc, tasks = _run_setup(tmp_path, lsblk=lsblk)
    assert rc != 0
    msg = tasks["a mirrored device is needed (manual 7.1)"]["msg"]
    assert msg.startswith("hive0.t: no usable mirrored device") and "/dev/vdb is mounted on /srv" in msg


def test_no_mirrored_device_host_is_diskless(tmp_path):
    rc, tasks = _run_setup(tmp_path, extra={"hive_no_mirrored_device": True})
    assert rc == 0
    assert "diskless" in tasks["mirrored device"]["msg"]
    assert tasks["volume group drbdvg and thin pool drbdpool"].get("results", []) == []


def test_emulated_drbd_skips_the_whole_role(tmp_path):
    rc, tasks = _run_setup(tmp_path, version=PROC_84, extra={"hive_provider_facts": {"drbd": "emulated"}})
    assert rc == 0
    assert "verdict on the drbd kernel module" not in tasks
    assert "mirrored device of this host" not in tasks


# ------------------------------------------------------------------------- filter adapters


def test_filters_are_registered_and_guarded():
    filters = f.FilterModule().filters()
    assert {"hive_mirrored_device", "hive_drbd_volume", "hive_drbd_fs_action"} <= set(filters)
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="hive_drbd_fs_action: volume db: .*not reformatting"):
        filters["hive_drbd_fs_action"]({"rc": 0, "stdout": "ext4"}, "db", "xfs")


def test_hive_drbd_hives_reads_hostvars_in_order():
    hostvars = {"a": {"hive_private_ip": "10.0.0.1", "hive_mirrored_disk_size": 10},
                "b": {"hive_private_ip": "10.0.0.2", "hive_no_mirrored_device": True}}
    assert f.hive_drbd_hives(["b", "a"], hostvars) == [
        {"name": "b", "address": "10.0.0.2", "no_mirrored_device": True, "has_mirrored_disk": False},
        {"name": "a", "address": "10.0.0.1", "no_mirrored_device": False, "has_mirrored_disk": True}]
    with pytest.raises(ValueError, match="host c has no hive_private_ip"):
        f.hive_drbd_hives(["c"], {"c": {}})


def test_resource_is_new_reads_registered_dstates():
    hostvars = {"a": {"hive_drbd_dstate": {"stdout": "Inconsistent/DUnknown"}},
                "b": {"hive_drbd_dstate": {"stdout": "Inconsistent/Inconsistent"}},
                "c": {"hive_drbd_dstate": {"stdout": "UpToDate/Inconsistent"}}}
    assert f.hive_drbd_resource_is_new(["a", "b"], hostvars)
    assert not f.hive_drbd_resource_is_new(["a", "c"], hostvars)
    assert not f.hive_drbd_resource_is_new(["a", "gone"], hostvars)


def test_choice_round_trips_through_ansible_facts():
    choice = f.hive_mirrored_device(json.dumps(VM_LSBLK), "", "false")
    assert choice["device"] == "/dev/vdb"
    assert f.hive_drbd_lvm_commands(json.loads(json.dumps(choice)))[0] == ["vgcreate", "drbdvg", "/dev/vdb"]
    none = f.hive_mirrored_device(json.dumps(VM_LSBLK), "", "True")
    assert f.hive_drbd_lvm_commands(none) == []
    assert "diskless" in none["reason"]
    missing = f.hive_mirrored_device(json.dumps({"blockdevices": []}))
    assert f.hive_mirrored_device_error(missing, "h").startswith("h: no usable mirrored device")


def test_module_problem_filter_empty_when_fine():
    assert f.hive_drbd_module_problem("h", 0, "", PROC_9) == ""
    assert f.hive_drbd_module_problem("h", "1", SECURE_BOOT, "").startswith("h: mirrored volumes need DRBD 9")


def test_volume_filter_and_small_adapters():
    vol = {"name": "db", "drbd": {"fstype": "xfs", "size": "1G", "device_id": 3}}
    facts = f.hive_drbd_volume(vol, [{"name": "hive0.t", "address": "10.0.0.1"}], "hive0.t")
    assert facts["first_disk"] and facts["with_disk"] and facts["device"] == "/dev/drbd3"
    assert f.hive_drbd_md_missing({"rc": 1, "stderr": "No valid meta data found"})
    assert not f.hive_drbd_md_missing({"rc": 20, "stderr": "Device '3' is configured!"})
    assert f.hive_drbd_fs_action({"rc": 2, "stdout": ""}, "db", "xfs") == "mkfs"
    assert f.hive_drbd_mkfs_argv("xfs", "/dev/drbd3") == ["mkfs.xfs", "-q", "/dev/drbd3"]
    assert f.hive_drbd_lvcreate_argv("db", "1G")[-3:] == ["--name", "db", "drbdvg"]
    assert "usage-count no;" in f.hive_drbd_global_common()


UNIT = (PLAYBOOKS / "roles" / "drbd" / "files" / "drbd-resource@.service").read_text()


def test_unit_orders_resources_before_docker_and_brings_them_down_on_stop():
    lines = set(UNIT.splitlines())
    assert {"Before=docker.service", "WantedBy=docker.service", "Type=oneshot", "RemainAfterExit=yes",
            "ExecStart=/usr/local/sbin/hive-drbd-up %i", "ExecStop=/usr/sbin/drbdadm down %i"} <= lines


def test_up_script_retries_adjust(tmp_path):
    # run the real script with a drbdadm that fails twice, then succeeds
    script = (PLAYBOOKS / "roles" / "drbd" / "files" / "hive-drbd-up").read_text()
    fake = tmp_path / "drbdadm"
    fake.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo "$@" >> {tmp_path}/calls
        n=$(wc -l < {tmp_path}/calls)
        [ "$n" -ge 3 ]
    """))
    fake.chmod(0o755)
    (tmp_path / "up").write_text(script.replace("/usr/sbin/drbdadm", str(fake)))
    proc = subprocess.run(["sh", str(tmp_path / "up"), "db"], check=False, capture_output=True, text=True)
    assert proc.returncode == 0
    assert (tmp_path / "calls").read_text().splitlines() == ["adjust db"] * 3


# ---------------------------------------- build-volumes path, three hives, check mode, fakes

FAKE_DRBDADM = """#!/bin/sh
# dump-md: no metadata yet; dstate: a brand-new replica ($HIVE_FAKE_DSTATE); anything else: fine
for a in "$@"; do
  case "$a" in
    dump-md) echo "No valid meta data found" >&2; exit 1 ;;
    dstate) echo "$HIVE_FAKE_DSTATE/DUnknown"; exit 0 ;;
  esac
done
exit 0
"""
FAKE_SYSTEMCTL = """#!/bin/sh
case "$1" in
  show) printf 'Id=%s\\nLoadState=loaded\\nActiveState=inactive\\nSubState=dead\\nUnitFileState=disabled\\n' "$2" ;;
  is-enabled) echo disabled; exit 1 ;;
  is-active) echo inactive; exit 3 ;;
  *) exit 0 ;;
esac
"""
VOLUME_INVENTORY = """\
[hives]
{hives}
[volumes_db]
volume_db
[drbd_volumes:children]
volumes_db
[private:children]
hives
drbd_volumes
"""


def _run_volumes(tmp_path, dstates, destroy=False):
    """One ansible-playbook -C run of tasks_from volumes on three local 'hives'; each gets its own
    fake tools through a python wrapper that puts its bin dir first on PATH."""
    hive_lines = []
    for i, state in enumerate(dstates):
        bindir = tmp_path / f"bin{i}"
        bindir.mkdir()
        for name, text in (("drbdadm", FAKE_DRBDADM), ("systemctl", FAKE_SYSTEMCTL),
                           ("modprobe", "#!/bin/sh\nexit 0\n"), ("modinfo", f"#!/bin/sh\necho '{PROC_9}'\n")):
            (bindir / name).write_text(text)
            (bindir / name).chmod(0o755)
        wrapper = tmp_path / f"python{i}"
        wrapper.write_text(f"#!/bin/sh\nexport PATH={bindir}:$PATH HIVE_FAKE_DSTATE={state}\n"
                           f"exec {sys.executable} \"$@\"\n")
        wrapper.chmod(0o755)
        hive_lines.append(f"hive{i}.t ansible_connection=local ansible_python_interpreter={wrapper} "
                          f"hive_private_ip=127.0.0.{i + 1} hive_mirrored_disk_size=10")
    (tmp_path / "hosts").write_text(VOLUME_INVENTORY.format(hives="\n".join(hive_lines)))
    (tmp_path / "play.yml").write_text(VOLUMES_PLAY)
    evars = {"hive_stage_name": "private", "hive_provider_facts": {}, "hive_drbd_hosts": ["volume_db"],
             "hive_destroy": destroy,
             "hive_volume": {"name": "db", "drbd": {"fstype": "xfs", "size": "1G", "diskless": ["hive0.t"],
                                                    "device_id": 3}}}
    env = _env(tmp_path)
    env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-C", "--skip-tags", "drbd-docker-volume",
                           "-i", str(tmp_path / "hosts"), "-e", json.dumps(evars), str(tmp_path / "play.yml")],
                          env=env, check=False, capture_output=True, text=True)
    report = json.loads(proc.stdout)
    tasks = {t["task"]["name"].removeprefix("drbd : "): t["hosts"] for play in report["plays"] for t in play["tasks"]}
    return proc.returncode, tasks


def _ran(result):
    """Chosen by the play's conditions (check mode then only reports the command)."""
    return "false_condition" not in result


def test_volume_first_run_plans_metadata_then_promotes_only_the_first_disk_hive(tmp_path):
    rc, tasks = _run_volumes(tmp_path, ["Diskless", "Inconsistent", "Inconsistent"])
    assert rc == 0, tasks
    facts = {h: r["ansible_facts"]["hive_drbd"] for h, r in tasks["what this hive does for the volume"].items()}
    assert [facts[h]["with_disk"] for h in sorted(facts)] == [False, True, True]
    assert "on hive0.t {" in facts["hive0.t"]["text"] and "disk      none;" in facts["hive0.t"]["text"]
    assert all(r["changed"] for r in tasks["/etc/drbd.d/<volume>.res"].values())
    lv = tasks["thin LV backing the volume"]
    assert not _ran(lv["hive0.t"]) and lv["hive1.t"]["cmd"][:3] == ["lvcreate", "--type", "thin"]
    meta = tasks["DRBD metadata"]
    assert not _ran(meta["hive0.t"]) and meta["hive1.t"]["cmd"] == ["drbdadm", "--force", "create-md", "db"]
    assert _ran(meta["hive2.t"])
    promote = tasks["first disk node takes the initial data role"]
    assert promote["hive1.t"]["cmd"] == ["drbdadm", "primary", "--force", "db"]
    assert not _ran(promote["hive0.t"]) and not _ran(promote["hive2.t"])
    unit = tasks["resource up now and at boot (before docker)"]
    assert all(unit[h]["changed"] for h in ("hive0.t", "hive1.t", "hive2.t"))


def test_volume_rerun_with_a_replica_holding_data_never_forces_primary(tmp_path):
    rc, tasks = _run_volumes(tmp_path, ["Diskless", "Inconsistent", "UpToDate"])
    assert rc == 0
    assert not any(_ran(r) for r in tasks["first disk node takes the initial data role"].values())


def test_volume_destroy_plans_unit_stop_and_lv_removal(tmp_path):
    rc, tasks = _run_volumes(tmp_path, ["Diskless", "UpToDate", "UpToDate"], destroy=True)
    assert rc == 0
    assert all(_ran(r) for r in tasks["resource file present?"].values())
    assert set(tasks["thin LV removed"]) == {"hive0.t", "hive1.t", "hive2.t"}
    assert "DRBD metadata" not in tasks   # the create path is not included
    assert not any(_ran(r) for r in tasks["DRBD 9 kernel module"].values())   # no module needed to destroy
