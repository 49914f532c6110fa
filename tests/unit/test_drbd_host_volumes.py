"""DRBD kernel-module verdict and the per-volume decisions of build-volumes' real-DRBD path.

Rendered resources and every drbdadm command the playbook runs are checked with the real drbdadm
(config parse, per-node `-d` dry run) when drbd-utils is installed; metadata detection runs
drbdmeta for real on a loop device when the machine allows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hive_builder import drbd_host as dh

PROC_DRBD_9 = ("version: 9.2.8 (api:2/proto:86-122)\n"
               "GIT-hash: e163b05a76254c0f51f999970e861d72bb16409a build by root@h, 2024-03-01\n"
               "Transports (api:20): tcp (9.2.8)\n")
PROC_DRBD_84 = "version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 211FB288A383ED945B83420 \n"


# --------------------------------------------------------------------------------- module


def test_version_from_proc_drbd_and_modinfo():
    assert dh.parse_drbd_version(PROC_DRBD_9) == "9.2.8"
    assert dh.parse_drbd_version(PROC_DRBD_84) == "8.4.11"
    assert dh.parse_drbd_version("9.1.19\n") == "9.1.19"
    assert dh.parse_drbd_version("") is None


def test_drbd9_loaded_is_fine():
    assert dh.module_problem("hive0.x", 0, "", PROC_DRBD_9) is None


def test_debian_84_module_is_refused_naming_host_version_and_fix():
    msg = dh.module_problem("hive0.x", 0, "", PROC_DRBD_84)
    assert msg.startswith("hive0.x: mirrored volumes need DRBD 9")
    assert "version 8.4.11" in msg and "rmmod drbd" in msg and "LINBIT" in msg and "manual 13.10" in msg


def test_secure_boot_refusal_is_explained():
    err = "modprobe: ERROR: could not insert 'drbd': Required key not available"
    msg = dh.module_problem("hive1.x", 1, err, "9.2.8")
    assert err in msg and "module found: version 9.2.8" in msg
    assert "Secure Boot refuses unsigned kernel modules" in msg and "Note:" not in msg


def test_missing_module_says_modprobe_error():
    err = "modprobe: FATAL: Module drbd not found in directory /lib/modules/6.1.0-28-amd64"
    msg = dh.module_problem("hive2.x", 1, err, "")
    assert err in msg and "Note: UEFI Secure Boot" in msg


def test_modprobe_failure_without_text_gives_exit_code():
    assert "exit code 1" in dh.module_problem("h", 1, "", "")


# ------------------------------------------------------------------------------- volumes

HIVES = [
    {"name": "s-hive0.pdns", "address": "192.168.0.5", "has_mirrored_disk": True},
    {"name": "s-hive1.pdns", "address": "192.168.0.69", "has_mirrored_disk": True},
    {"name": "s-hive2.pdns", "address": "192.168.0.133", "has_mirrored_disk": True},
]
PDNSDB = {"name": "pdnsdb_data", "drbd": {"fstype": "xfs", "size": "500M", "diskless": ["s-hive0.pdns"],
                                          "device_id": 1}}


def test_volume_facts_for_the_documented_example():
    facts = {h["name"]: dh.volume_facts(PDNSDB, HIVES, h["name"]) for h in HIVES}
    assert [facts[h]["with_disk"] for h in facts] == [False, True, True]
    assert [facts[h]["first_disk"] for h in facts] == [False, True, False]
    one = facts["s-hive1.pdns"]
    assert (one["device"], one["disk"], one["port"], one["fstype"], one["size"]) == \
        ("/dev/drbd1", "/dev/drbdvg/pdnsdb_data", 7001, "xfs", "500M")
    assert one["disk_hosts"] == ["s-hive1.pdns", "s-hive2.pdns"]
    assert one["docker_options"] == {"type": "xfs", "device": "/dev/drbd1"}
    assert "on s-hive0.pdns {" in one["text"] and "disk      none;" in one["text"]
    assert len({f["text"] for f in facts.values()}) == 1   # every hive writes the same file


def test_no_mirrored_device_and_no_mirrored_disk_make_a_hive_diskless():
    hives = [dict(HIVES[0], no_mirrored_device="True"), dict(HIVES[1], has_mirrored_disk=False), HIVES[2]]
    vol = {"name": "v", "drbd": {"fstype": "ext4", "size": "1G", "device_id": 4}}
    res = dh.volume_resource(vol, hives)
    assert [h.diskless for h in res.hosts] == [True, True, False]
    assert dh.volume_facts(vol, hives, "s-hive2.pdns")["first_disk"]


def test_without_a_diskless_list_the_first_hive_is_first_disk():
    vol = {"name": "v", "drbd": {"fstype": "ext4", "size": "1G", "device_id": 4}}
    assert [dh.volume_facts(vol, HIVES, h["name"])["first_disk"] for h in HIVES] == [True, False, False]


def test_a_host_outside_the_stage_is_not_a_member():
    facts = dh.volume_facts(PDNSDB, HIVES, "p-hive0.pdns")
    assert not facts["member"] and not facts["with_disk"] and not facts["first_disk"]


def test_unknown_fstype_is_refused():
    with pytest.raises(ValueError, match="fstype 'btrfs'"):
        dh.volume_facts({"name": "v", "drbd": {"fstype": "btrfs", "size": "1G", "device_id": 2}}, HIVES, "x")


def test_lvcreate_thin_volume_argv():
    assert dh.lvcreate_volume_argv("pdnsdb_data", "500M") == [
        "lvcreate", "--type", "thin", "--virtualsize", "500M", "--thinpool", "drbdpool",
        "--name", "pdnsdb_data", "drbdvg"]


@pytest.mark.parametrize("rc, out, err, missing", [
    (1, "", "No valid meta data found\n", True),
    (0, "# DRBD meta data dump\nversion \"v09\";", "", False),
    (20, "", "Device '1' is configured!\n", False),   # resource up: never create-md over it
    (10, "", "open(/dev/drbdvg/x) failed: No such file or directory\n", False),
])
def test_metadata_missing_only_when_drbdmeta_says_so(rc, out, err, missing):
    assert dh.metadata_missing(rc, out, err) is missing


def test_local_disk_state_and_new_resource():
    assert dh.local_disk_state("Inconsistent/DUnknown\n") == "Inconsistent"
    assert dh.local_disk_state("UpToDate/UpToDate/Diskless") == "UpToDate"
    assert dh.local_disk_state("") == ""
    assert dh.resource_is_new(["Inconsistent", "Inconsistent"])
    assert not dh.resource_is_new(["Inconsistent", "UpToDate"])   # a replica holds data: resync, no force
    assert not dh.resource_is_new(["Inconsistent", ""])            # a host that did not answer
    assert not dh.resource_is_new([])


@pytest.mark.parametrize("rc, out, promoted, action", [
    (2, "", True, "mkfs"), (2, "", False, "mkfs"), (0, "xfs\n", True, "keep"), (0, "xfs", False, "keep"),
    (4, "", False, "skip"),   # Secondary not readable while a peer is Primary: in use, leave it
])
def test_filesystem_action(rc, out, promoted, action):
    assert dh.filesystem_action("db", "xfs", rc, out, promoted) == action


@pytest.mark.parametrize("promoted", [True, False])
def test_filesystem_of_another_type_is_never_reformatted(promoted):
    with pytest.raises(ValueError, match="holds a ext4 signature .* says fstype xfs; not reformatting"):
        dh.filesystem_action("db", "xfs", 0, "ext4", promoted)


def test_unreadable_device_just_promoted_is_an_error_not_a_mkfs():
    with pytest.raises(ValueError, match="cannot read its DRBD device after promoting"):
        dh.filesystem_action("db", "xfs", 4, "", True)


def test_mkfs_argv():
    assert dh.mkfs_argv("xfs", "/dev/drbd1") == ["mkfs.xfs", "-q", "/dev/drbd1"]
    assert dh.mkfs_argv("ext4", "/dev/drbd2") == ["mkfs.ext4", "-q", "/dev/drbd2"]
    with pytest.raises(ValueError):
        dh.mkfs_argv("zfs", "/dev/drbd1")


# ------------------------------------------------------------------ checked by drbd-utils

drbdadm = shutil.which("drbdadm") or ("/usr/sbin/drbdadm" if os.path.exists("/usr/sbin/drbdadm") else None)
needs_drbdadm = pytest.mark.skipif(drbdadm is None, reason="drbd-utils not installed")


def _as_host(host: str, argv: list[str], cwd) -> subprocess.CompletedProcess:
    # drbdadm picks the `on` block by `uname -n`: a UTS namespace (rootless when needed) fakes it
    unshare = ["unshare", "-u"] if os.geteuid() == 0 else ["unshare", "-Ur", "-u"]
    script = 'hostname "$0" && exec "$@"'
    return subprocess.run([*unshare, "sh", "-c", script, host, *argv], cwd=cwd, check=False, capture_output=True,
                          text=True, env=dict(os.environ, PATH=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"))


@needs_drbdadm
@pytest.mark.parametrize("host", [h["name"] for h in HIVES])
def test_every_drbdadm_command_of_the_playbook_passes_the_dry_run(host, tmp_path):
    facts = dh.volume_facts(PDNSDB, HIVES, host)
    (tmp_path / "r.res").write_text(facts["text"])
    for key, argv in facts["commands"].items():
        argv = argv[argv.index("drbdadm"):]   # without the `timeout` wrapper
        proc = _as_host(host, [argv[0], "-c", "r.res", "-d", *argv[1:]], tmp_path)
        if key in ("dump_md", "create_md") and not facts["with_disk"]:
            # the playbook runs them only where with_disk: drbdadm refuses them on a diskless node
            assert "requires a local disk" in proc.stderr
            continue
        assert proc.returncode == 0, (key, proc.stderr)
        if key == "primary_force":
            assert "drbdsetup primary pdnsdb_data --force" in proc.stdout
        if key == "create_md" and facts["with_disk"]:
            assert "create-md" in proc.stdout and "/dev/drbdvg/pdnsdb_data" in proc.stdout


@needs_drbdadm
def test_short_hostname_matches_the_inventory_name(tmp_path):
    # the base role sets the hostname to the first label; drbdadm must still find `on s-hive1.pdns`
    (tmp_path / "r.res").write_text(dh.volume_facts(PDNSDB, HIVES, "s-hive1.pdns")["text"])
    proc = _as_host("s-hive1", [drbdadm, "-c", "r.res", "-d", "up", "pdnsdb_data"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "attach 1 /dev/drbdvg/pdnsdb_data" in proc.stdout


def _loop_device(tmp_path):
    if os.geteuid() != 0 or not shutil.which("losetup"):
        return None
    image = tmp_path / "backing.img"
    with open(image, "wb") as f:
        f.truncate(32 * 1024 * 1024)
    proc = subprocess.run(["losetup", "-f", "--show", str(image)], check=False, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


@needs_drbdadm
def test_metadata_detection_and_creation_with_real_drbdmeta(tmp_path):
    loop = _loop_device(tmp_path)
    if loop is None:
        pytest.skip("needs root and a free loop device")
    try:
        facts = dh.volume_facts({"name": "lab", "drbd": {"fstype": "ext4", "size": "32M", "device_id": 9}},
                                HIVES[:2], "s-hive0.pdns")
        (tmp_path / "r.res").write_text(facts["text"].replace(facts["disk"], loop))
        cmd = facts["commands"]

        def run(key):
            argv = cmd[key]
            return _as_host("s-hive0.pdns", [argv[0], "-c", "r.res", *argv[1:]], tmp_path)

        first = run("dump_md")
        assert dh.metadata_missing(first.returncode, first.stdout, first.stderr)
        assert run("create_md").returncode == 0
        second = run("dump_md")
        assert second.returncode == 0 and not dh.metadata_missing(second.returncode, second.stdout, second.stderr)
        # the device is unreadable through DRBD here (no module), so probe the fs rule on the raw disk
        blkid = subprocess.run(["blkid", "-p", "-s", "TYPE", "-o", "value", loop], check=False,
                               capture_output=True, text=True)
        assert blkid.stdout.strip() == "drbd"   # metadata is a signature: a raw mkfs would be refused
    finally:
        subprocess.run(["losetup", "-d", loop], check=False)
