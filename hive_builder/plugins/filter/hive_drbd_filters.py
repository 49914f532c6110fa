"""Ansible filters for real DRBD 9: the setup-hosts `drbd` role and the real-DRBD path of
build-volumes (roles/drbd/tasks/volumes.yml).

Thin adapters over hive_builder.drbd_host, where the decisions are made and unit-tested. The
playbooks hand in raw command output (lsblk/pvs/vgs/lvs JSON, /proc/drbd, drbdadm and blkid
results) and run the argv lists that come back.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hive_builder.plugins.filter_guard import guard
from hive_builder import drbd_host
from hive_builder.render.drbd import render_global_common


def hive_mirrored_device(lsblk_json, pvs_json="", no_mirrored_device=False, volume_id="",
                         link="", link_target=""):
    """`lsblk.stdout | hive_mirrored_device(pvs.stdout, hive_no_mirrored_device, volume id, link,
    link target)` -> choice dict (volume id: the aws provider's EBS volume for DRBD; link: the
    stable name a provider gave the disk (gcp), link target: what it resolves to on the host;
    '' elsewhere)."""
    choice = drbd_host.choose_mirrored_device(lsblk_json, pvs_json or "",
                                              drbd_host._truthy(no_mirrored_device), volume_id or None,
                                              link or None, link_target or None)
    return asdict(choice)


def hive_mirrored_device_error(choice, host):
    return drbd_host.missing_device_message(host, drbd_host.DeviceChoice(**choice))


def hive_drbd_lvm_commands(choice, vgs_json="", lvs_json=""):
    return drbd_host.lvm_commands(drbd_host.DeviceChoice(**choice), vgs_json or "", lvs_json or "")


def hive_drbd_module_problem(host, modprobe_rc, modprobe_err="", version_text=""):
    """'' when the drbd module is DRBD 9, else the refusal message."""
    return drbd_host.module_problem(host, int(modprobe_rc), modprobe_err or "", version_text or "") or ""


def hive_drbd_hives(names, hostvars) -> list[dict[str, Any]]:
    """Stage hives in inventory order -> what the resource renderer needs from each."""
    hives = []
    for name in names:
        hv = hostvars[name]
        if "hive_private_ip" not in hv:
            raise ValueError(f"host {name} has no hive_private_ip")
        hives.append({"name": name, "address": hv["hive_private_ip"],
                      "no_mirrored_device": hv.get("hive_no_mirrored_device", False),
                      "has_mirrored_disk": "hive_mirrored_disk_size" in hv})
    return hives


def hive_drbd_volume(volume, hives, me):
    """`hostvars[vol].hive_volume | hive_drbd_volume(stage hives | hive_drbd_hives(hostvars), inventory_hostname)`"""
    return drbd_host.volume_facts(volume, list(hives), me)


def hive_drbd_md_missing(result):
    """From the registered result of `drbdadm dump-md <res>`."""
    return drbd_host.metadata_missing(int(result.get("rc", 0)), result.get("stdout", ""),
                                      result.get("stderr", ""))


def hive_drbd_resource_is_new(names, hostvars, var="hive_drbd_dstate"):
    """`disk_hosts | hive_drbd_resource_is_new(hostvars)`: every disk replica reported Inconsistent
    in its registered `drbdadm dstate` (a host that did not report counts as not new)."""
    states = []
    for name in names:
        result = hostvars[name].get(var) if name in hostvars else None
        states.append(drbd_host.local_disk_state((result or {}).get("stdout", "")))
    return drbd_host.resource_is_new(states)


def hive_drbd_fs_action(result, name, fstype, promoted=False):
    """From the registered result of `blkid -p -s TYPE -o value /dev/drbd<N>`: mkfs, keep or skip."""
    return drbd_host.filesystem_action(name, fstype, int(result.get("rc", 0)), result.get("stdout", ""),
                                       bool(promoted))


def hive_drbd_mkfs_argv(fstype, device):
    return drbd_host.mkfs_argv(fstype, device)


def hive_drbd_lvcreate_argv(name, size):
    return drbd_host.lvcreate_volume_argv(name, size)


def hive_drbd_global_common(_=None):
    return render_global_common()


class FilterModule:
    def filters(self):
        return {fn.__name__: guard(fn) for fn in (
            hive_mirrored_device, hive_mirrored_device_error, hive_drbd_lvm_commands,
            hive_drbd_module_problem, hive_drbd_hives, hive_drbd_volume, hive_drbd_md_missing,
            hive_drbd_resource_is_new, hive_drbd_fs_action,
            hive_drbd_mkfs_argv, hive_drbd_lvcreate_argv, hive_drbd_global_common)}
