"""Mirrored device detection (manual 7.1) and the LVM plan of the drbd role, on realistic
`lsblk -J -b -o NAME,PATH,TYPE,SIZE,FSTYPE,MOUNTPOINT,PKNAME,RO,RM` and `pvs/vgs/lvs` JSON."""

from __future__ import annotations

import json

import pytest

from hive_builder import drbd_host as dh

GIB = 1024 ** 3


def dev(name, size, type_="disk", fstype=None, mount=None, ro=False, rm=False, children=(), pk=None):
    d = {"name": name, "path": f"/dev/{name}", "type": type_, "size": size, "fstype": fstype,
         "mountpoint": mount, "pkname": pk, "ro": ro, "rm": rm}
    if children:
        d["children"] = list(children)
    return d


def lsblk(*devices):
    return json.dumps({"blockdevices": list(devices)})


def pvs(*rows):
    return json.dumps({"report": [{"pv": [{"pv_name": p, "vg_name": v, "pv_size": str(s)} for p, v, s in rows]}]})


VM = lsblk(  # Debian cloud image on KVM: vda OS, vdb the empty mirrored disk
    dev("vda", 20 * GIB, children=[
        dev("vda1", 20 * GIB - 128 * 1024 ** 2, "part", "ext4", "/", pk="vda"),
        dev("vda14", 3 * 1024 ** 2, "part", pk="vda"),
        dev("vda15", 124 * 1024 ** 2, "part", "vfat", "/boot/efi", pk="vda")]),
    dev("vdb", 10 * GIB),
    dev("sr0", 1024 ** 2, "rom", "iso9660", rm=True))

NVME = lsblk(  # AWS Nitro: nvme0n1 root, nvme1n1 the EBS mirrored volume
    dev("nvme0n1", 8 * GIB, children=[
        dev("nvme0n1p1", 8 * GIB - 128 * 1024 ** 2, "part", "xfs", "/", pk="nvme0n1"),
        dev("nvme0n1p128", 1024 ** 2, "part", pk="nvme0n1")]),
    dev("nvme1n1", 20 * GIB))

AZURE = lsblk(  # sda OS, sdb the temporary resource disk (mounted), sdc the data disk
    dev("sda", 30 * GIB, children=[dev("sda1", 30 * GIB, "part", "ext4", "/", pk="sda")]),
    dev("sdb", 8 * GIB, children=[dev("sdb1", 8 * GIB, "part", "ext4", "/mnt", pk="sdb")]),
    dev("sdc", 20 * GIB))


@pytest.mark.parametrize("sample, expected", [
    (VM, "/dev/vdb"), (NVME, "/dev/nvme1n1"), (AZURE, "/dev/sdc"),
])
def test_the_empty_disk_is_chosen(sample, expected):
    choice = dh.choose_mirrored_device(sample, pvs())
    assert choice.device == expected and not choice.existing
    assert choice.size > 0 and expected in choice.reason


def test_manual_order_prefers_sdc_over_sdb():
    both_empty = lsblk(dev("sda", 30 * GIB, children=[dev("sda1", 30 * GIB, "part", "ext4", "/")]),
                       dev("sdb", 8 * GIB), dev("sdc", 9 * GIB))
    assert dh.choose_mirrored_device(both_empty).device == "/dev/sdc"


def test_os_disk_sda_is_never_taken_even_as_last_candidate():
    only_os = lsblk(dev("sda", 30 * GIB, children=[dev("sda1", 30 * GIB, "part", "ext4", "/")]))
    choice = dh.choose_mirrored_device(only_os)
    assert choice.device is None
    assert "/dev/sda holds part (sda1)" in choice.reason


def test_all_disks_used_gives_none_with_every_reason():
    used = lsblk(
        dev("vda", 20 * GIB, children=[dev("vda1", 20 * GIB, "part", "ext4", "/")]),
        dev("vdb", 10 * GIB, fstype="ext4"),                                # filesystem, not mounted
        dev("vdc", 10 * GIB, fstype="LVM2_member"),                         # PV of another VG
        dev("sdb", 4 * GIB, rm=True),                                       # USB stick
        dev("sdc", 4 * GIB, ro=True),                                       # read-only
        dev("xvdb", 5 * GIB, fstype="swap", mount="[SWAP]"))
    choice = dh.choose_mirrored_device(used, pvs(("/dev/vdc", "datavg", 10 * GIB)))
    assert choice.device is None
    assert choice.rejected == {
        "/dev/sdc": "is read-only",
        "/dev/sdb": "is removable",
        "/dev/vdc": "is already an LVM physical volume of volume group datavg",
        "/dev/vdb": "holds a ext4 signature",
        "/dev/xvdb": "is mounted on [SWAP]",
    }
    assert "vda" in choice.reason   # named as "not a candidate" so the user sees every disk


def test_disk_with_lvm_children_is_rejected_before_pvs_is_read():
    lvm_disk = lsblk(dev("vdb", 10 * GIB, fstype="LVM2_member",
                         children=[dev("data-lv", 10 * GIB, "lvm", "xfs", "/srv", pk="vdb")]))
    choice = dh.choose_mirrored_device(lvm_disk, "")
    assert choice.device is None and choice.rejected["/dev/vdb"] == "holds lvm (data-lv)"


def test_orphan_pv_is_not_taken():
    orphan = lsblk(dev("vdb", 10 * GIB, fstype="LVM2_member"))
    choice = dh.choose_mirrored_device(orphan, pvs(("/dev/vdb", "", 10 * GIB)))
    assert choice.device is None and "of no volume group" in choice.reason


def test_existing_drbdvg_is_kept_even_on_the_originals_partition():
    original = lsblk(dev("sdb", 20 * GIB, children=[dev("sdb1", 20 * GIB, "part", "LVM2_member")]))
    choice = dh.choose_mirrored_device(original, pvs(("/dev/sdb1", "drbdvg", 20 * GIB - 4 * 1024 ** 2)))
    assert choice.existing and choice.device == "/dev/sdb1"
    assert choice.size == 20 * GIB - 4 * 1024 ** 2


def test_rerun_on_our_own_pv_is_idempotent():
    ours = lsblk(dev("vda", 20 * GIB, children=[dev("vda1", 20 * GIB, "part", "ext4", "/")]),
                 dev("vdb", 10 * GIB, fstype="LVM2_member",
                     children=[dev("drbdvg-drbdpool_tmeta", 4 * 1024 ** 2, "lvm")]))
    choice = dh.choose_mirrored_device(ours, pvs(("/dev/vdb", "drbdvg", 10 * GIB)))
    assert choice.existing and choice.device == "/dev/vdb"


def test_no_mirrored_device_means_diskless_whatever_the_disks():
    choice = dh.choose_mirrored_device(VM, pvs(), no_mirrored_device=True)
    assert choice.device is None and "diskless" in choice.reason


def test_no_candidate_names_at_all():
    choice = dh.choose_mirrored_device(lsblk(dev("hda", 10 * GIB), dev("zram0", 0)))
    assert choice.device is None
    assert "none of /dev/sdc" in choice.reason and "hda" in choice.reason and "zram0" not in choice.reason


def test_old_lsblk_string_flags_and_missing_path():
    old = json.dumps({"blockdevices": [{"name": "vdb", "type": "disk", "size": str(10 * GIB),
                                        "fstype": None, "mountpoint": None, "ro": "1", "rm": "0"}]})
    assert dh.parse_lsblk(old)[0].path == "/dev/vdb"
    assert dh.choose_mirrored_device(old).rejected == {"/dev/vdb": "is read-only"}


def test_empty_disk_without_medium():
    assert dh.disk_rejection(dh.BlockDevice("sdb", "/dev/sdb", "disk", 0), {}) == "has no size (no medium)"


def test_missing_device_message_names_host_and_fix():
    msg = dh.missing_device_message("hive1.pdns", dh.choose_mirrored_device(AZURE.replace('"sdc"', '"sdz"')))
    assert msg.startswith("hive1.pdns: no usable mirrored device")
    assert "hive_no_mirrored_device: true" in msg and "/dev/nvme1n1" in msg


def test_lvm_report_drops_log_section():
    report = {"report": [{"pv": [{"pv_name": "/dev/vdb", "vg_name": "drbdvg"}]}],
              "log": [{"log_seq_num": "1"}]}
    assert dh.parse_lvm_report(report) == [{"pv_name": "/dev/vdb", "vg_name": "drbdvg"}]
    assert dh.parse_lvm_report("  \n") == []


# ---------------------------------------------------------------------------------- LVM plan


@pytest.mark.parametrize("vg_mib", [64, 1020, 10236, 20476, 102396, 1048572, 16 * 1048576 - 4])
def test_thin_pool_fits_with_metadata_and_spare(vg_mib):
    data, meta = dh.thin_pool_sizes_mib(vg_mib)
    assert data % 16 == 0 and meta % 4 == 0
    assert data + 2 * meta <= vg_mib
    assert vg_mib - (data + 2 * meta) < 16 + 4   # little waste
    chunks = data  # 1 MiB chunks
    assert meta * 1024 * 1024 >= chunks * 64     # at least LVM's own estimate


def test_thin_pool_refuses_a_tiny_group():
    with pytest.raises(ValueError, match="too small"):
        dh.thin_pool_sizes_mib(20)


def test_usable_vg_size_subtracts_pv_header_and_rounds_to_extents():
    assert dh.usable_vg_mib(10 * GIB) == 10236
    assert dh.usable_vg_mib(10 * GIB + 3 * 1024 ** 2) == 10240


def test_lvm_commands_for_a_new_disk():
    choice = dh.choose_mirrored_device(VM)
    data, meta = dh.thin_pool_sizes_mib(10236)
    assert dh.lvm_commands(choice, "", "") == [
        ["vgcreate", "drbdvg", "/dev/vdb"],
        ["lvcreate", "--type", "thin-pool", "--size", f"{data}m", "--poolmetadatasize", f"{meta}m",
         "--chunksize", "1024k", "--zero", "n", "--name", "drbdpool", "drbdvg"],
    ]


def test_lvm_commands_pool_only_when_vg_exists_without_pool():
    choice = dh.choose_mirrored_device(VM, pvs(("/dev/vdb", "drbdvg", 10236 * 1024 ** 2)))
    vgs = json.dumps({"report": [{"vg": [{"vg_name": "drbdvg", "vg_size": str(10236 * 1024 ** 2)}]}]})
    commands = dh.lvm_commands(choice, vgs, json.dumps({"report": [{"lv": []}]}))
    assert [c[:3] for c in commands] == [["lvcreate", "--type", "thin-pool"]]
    assert commands[0][4] == f"{dh.thin_pool_sizes_mib(10236)[0]}m"


def test_lvm_commands_nothing_on_rerun_or_without_device():
    choice = dh.choose_mirrored_device(VM, pvs(("/dev/vdb", "drbdvg", 10 * GIB)))
    lvs = json.dumps({"report": [{"lv": [{"lv_name": "drbdpool", "vg_name": "drbdvg"},
                                         {"lv_name": "db", "vg_name": "drbdvg"}]}]})
    assert dh.lvm_commands(choice, "", lvs) == []
    assert dh.lvm_commands(dh.choose_mirrored_device(VM, no_mirrored_device=True)) == []


def test_a_pool_named_alike_in_another_vg_does_not_count():
    lvs = json.dumps({"report": [{"lv": [{"lv_name": "drbdpool", "vg_name": "othervg"}]}]})
    assert dh.lvm_commands(dh.choose_mirrored_device(VM), "", lvs)[-1][0] == "lvcreate"


def test_this_machines_real_lsblk_output_never_yields_a_used_disk():
    # the JSON shape of the installed util-linux, not a hand-written sample
    import shutil
    import subprocess
    if not shutil.which("lsblk"):
        pytest.skip("no lsblk")
    proc = subprocess.run(["lsblk", "-J", "-b", "-o", "NAME,PATH,TYPE,SIZE,FSTYPE,MOUNTPOINT,PKNAME,RO,RM"],
                          check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"lsblk failed: {proc.stderr}")
    devices = dh.parse_lsblk(proc.stdout)
    assert devices, proc.stdout
    for disk in devices:
        if disk.mountpoint or disk.children or disk.fstype:
            assert dh.disk_rejection(disk, {}) is not None, disk
    choice = dh.choose_mirrored_device(proc.stdout)
    if choice.device:
        chosen = next(d for d in devices if d.path == choice.device)
        assert not (chosen.mountpoint or chosen.children or chosen.fstype or chosen.ro or chosen.rm)
    else:
        assert choice.reason.startswith("no usable mirrored device")
