"""Decisions for real DRBD 9 on the hosts: the setup-hosts `drbd` role and the real-DRBD path of
build-volumes. Pure functions over what the host reported (lsblk/pvs/lvs JSON, /proc/drbd,
drbdadm and blkid results); the playbooks gather those outputs and run the argv lists returned.

Choices that differ from the original (reference §6.2.1, §6.5):
- The mirrored device is a whole, untouched disk, used as an LVM physical volume. The original
  added a partition to the first disk that answered `parted`, even one holding the OS; we never
  touch a disk with a filesystem, partitions, holders, a mount, or that is read-only/removable.
  An existing volume group `drbdvg` (on any device, e.g. the original's partition) is kept as is.
- Thin pool and its metadata get explicit sizes, so a rerun compares equal and LVM's own
  estimates (which change between versions) never decide whether the pool fits.
- A filesystem is made only on a device that holds none (checked through DRBD), and a brand-new
  resource is recognised by every disk replica being Inconsistent, not by "the unit did not exist
  yet": the original could force a stale replica primary and reformat it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hive_builder.render.drbd import DEFAULT_VG, DrbdHost, DrbdResource, render_resource

POOL = "drbdpool"
# manual 7.1: the names a mirrored device may have, in the order they are probed. sdc before sdb
# because Azure's sdb is the temporary resource disk.
CANDIDATES = ("sdc", "sdb", "vdc", "vdb", "xvdb", "nvme1n1", "sda")
EXTENT_MIB = 4          # LVM's default physical extent
POOL_ALIGN_MIB = 16
CHUNK_KIB = 1024        # as the original: large chunks, small metadata, fast provisioning
FSTYPES = ("xfs", "ext4")
SECURE_BOOT_MARKERS = ("Required key not available", "Key was rejected by service")
FIX_MODULE = ("install LINBIT's DRBD 9 kernel module for this kernel (drbd-dkms or a drbd kmod "
              "package from LINBIT's repository; Debian 12 only ships DRBD 8.4), then rerun "
              "`hive setup-hosts -T drbd`")
SECURE_BOOT_NOTE = ("UEFI Secure Boot refuses unsigned kernel modules: disable Secure Boot in the "
                    "firmware/hypervisor settings or sign the module (manual 13.10)")


# ------------------------------------------------------------------------- block devices


@dataclass(frozen=True)
class BlockDevice:
    name: str
    path: str
    type: str
    size: int
    fstype: str | None = None
    mountpoint: str | None = None
    ro: bool = False
    rm: bool = False
    children: tuple[BlockDevice, ...] = ()
    serial: str | None = None   # an EBS volume on NVMe: the volume id without '-' (vol0abc...)


@dataclass(frozen=True)
class DeviceChoice:
    device: str | None          # e.g. /dev/vdb; None: no mirrored disk on this host
    reason: str                 # why this device, or why none
    existing: bool = False      # volume group drbdvg already exists (nothing to create)
    size: int = 0               # bytes of the device (new) or of the volume group (existing)
    rejected: dict[str, str] = field(default_factory=dict)   # candidate -> why not


def _flag(value: Any) -> bool:
    # lsblk >= 2.37 prints JSON booleans, older versions "0"/"1"
    if isinstance(value, str):
        return value.strip() not in ("", "0", "false")
    return bool(value)


def _loads(data: str | dict) -> dict:
    return json.loads(data) if isinstance(data, str) else data


def _device(raw: dict) -> BlockDevice:
    name = raw["name"]
    return BlockDevice(
        name=name, path=raw.get("path") or f"/dev/{name}", type=raw.get("type") or "",
        size=int(raw.get("size") or 0), fstype=raw.get("fstype") or None,
        mountpoint=raw.get("mountpoint") or None, ro=_flag(raw.get("ro")), rm=_flag(raw.get("rm")),
        children=tuple(_device(c) for c in raw.get("children") or ()),
        serial=(raw.get("serial") or "").strip() or None)


def parse_lsblk(data: str | dict) -> list[BlockDevice]:
    """`lsblk -J -b -o NAME,PATH,TYPE,SIZE,FSTYPE,MOUNTPOINT,PKNAME,RO,RM[,SERIAL]` -> top-level devices."""
    return [_device(raw) for raw in _loads(data).get("blockdevices") or ()]


def parse_lvm_report(data: str | dict) -> list[dict[str, str]]:
    """Rows of `pvs|vgs|lvs --reportformat json ...` (pv, vg and lv sections; the log is dropped)."""
    if isinstance(data, str) and not data.strip():
        return []
    rows: list[dict[str, str]] = []
    for section in _loads(data).get("report") or ():
        for kind in ("pv", "vg", "lv"):
            rows.extend(section.get(kind) or ())
    return rows


def _mib(value: str | int) -> int:
    """An LVM size printed with `--units b --nosuffix` (or an int of bytes) in whole MiB."""
    return int(float(str(value).rstrip("Bb"))) // (1024 * 1024)


def disk_rejection(disk: BlockDevice, pv_vg: dict[str, str]) -> str | None:
    """Why `disk` must not become the mirrored device (None: it may)."""
    if disk.type != "disk":
        return f"is a {disk.type or 'device of unknown type'}, not a disk"
    if disk.ro:
        return "is read-only"
    if disk.rm:
        return "is removable"
    if disk.size <= 0:
        return "has no size (no medium)"
    if disk.mountpoint:
        return f"is mounted on {disk.mountpoint}"
    if disk.children:
        kinds = sorted({c.type for c in disk.children})
        return f"holds {', '.join(kinds)} ({', '.join(c.name for c in disk.children)})"
    if disk.path in pv_vg:
        vg = pv_vg[disk.path]
        return f"is already an LVM physical volume of {'volume group ' + vg if vg else 'no volume group'}"
    if disk.fstype:
        return f"holds a {disk.fstype} signature"
    return None


def ebs_serial(volume_id: str) -> str:
    """The serial an EBS volume shows on an NVMe (Nitro) instance: its id without the '-'."""
    return volume_id.replace("-", "")


def choose_mirrored_device(lsblk: str | dict, pvs: str | dict = "",
                           no_mirrored_device: bool = False, volume_id: str | None = None,
                           link: str | None = None, link_target: str | None = None) -> DeviceChoice:
    """The device for volume group drbdvg (manual 7.1), or none with the reason.

    `volume_id`: the EBS volume the aws provider attached for DRBD (provider_facts.yml
    mirrored_volume_ids). On Nitro instances every EBS volume is an NVMe disk whose numbering
    follows discovery, not the API's /dev/sdb, so the disk is the one with that serial; on Xen
    instances (no serial) the names of manual 7.1 apply (xvdb).

    `link`: a stable name the provider gave the DRBD disk (provider_facts.yml
    mirrored_device_links; gcp: /dev/disk/by-id/google-<device name>; azure:
    /dev/disk/azure/scsi1/lun0, the guest agent's udev name by LUN), `link_target` the device
    it resolves to on the host ('' or None: it does not exist). The kernel's name of a GCP disk
    follows attachment order and interface (sdb on SCSI, nvme0n2 on NVMe machine types); the link
    does not; on Azure sdb is the temporary resource disk and the data disk's sd name follows
    the order the kernel finds them. Without the link (no udev rules in a custom image) the
    names of manual 7.1 apply."""
    if no_mirrored_device:
        return DeviceChoice(None, "hive_no_mirrored_device is true: this host is a diskless DRBD node")
    pv_rows = [r for r in parse_lvm_report(pvs) if r.get("pv_name")]
    ours = [r for r in pv_rows if r.get("vg_name") == DEFAULT_VG]
    if ours:
        size = sum(_mib(r.get("pv_size", 0)) for r in ours) * 1024 * 1024
        names = ", ".join(r["pv_name"] for r in ours)
        return DeviceChoice(ours[0]["pv_name"], f"volume group {DEFAULT_VG} already exists on {names}",
                            existing=True, size=size)
    pv_vg = {r["pv_name"]: r.get("vg_name", "") for r in pv_rows}
    disks = {d.name: d for d in parse_lsblk(lsblk)}
    rejected: dict[str, str] = {}
    if volume_id:
        serial = ebs_serial(volume_id)
        for disk in disks.values():
            if disk.serial and ebs_serial(disk.serial) == serial:
                why = disk_rejection(disk, pv_vg)
                if why is None:
                    return DeviceChoice(disk.path, f"{disk.path} is EBS volume {volume_id} "
                                        f"({disk.size} bytes), attached for DRBD", size=disk.size)
                return DeviceChoice(None, f"EBS volume {volume_id} ({disk.path}) {why}",
                                    rejected={disk.path: why})
    if link and link_target:
        for disk in disks.values():
            if disk.path == link_target:
                why = disk_rejection(disk, pv_vg)
                if why is None:
                    return DeviceChoice(disk.path, f"{disk.path} is {link} ({disk.size} bytes), "
                                        "attached for DRBD", size=disk.size)
                return DeviceChoice(None, f"{link} ({disk.path}) {why}", rejected={disk.path: why})
    for name in CANDIDATES:
        disk = disks.get(name)
        if disk is None:
            continue
        why = disk_rejection(disk, pv_vg)
        if why is None:
            return DeviceChoice(disk.path, f"{disk.path} is an unused disk of {disk.size} bytes",
                                size=disk.size, rejected=rejected)
        rejected[disk.path] = why
    others = sorted(set(disks) - set(CANDIDATES) - {n for n in disks if n.startswith(("zram", "loop", "sr"))})
    reason = "no usable mirrored device"
    if rejected:
        reason += ": " + "; ".join(f"{p} {why}" for p, why in rejected.items())
    else:
        reason += f": none of {', '.join('/dev/' + n for n in CANDIDATES)} exists"
    if others:
        reason += f" (not candidates by name, manual 7.1: {', '.join(others)})"
    return DeviceChoice(None, reason, rejected=rejected)


def missing_device_message(host: str, choice: DeviceChoice) -> str:
    return (f"{host}: {choice.reason}. Attach an empty disk named as in manual 7.1 "
            f"({', '.join('/dev/' + n for n in CANDIDATES)}) without partitions or filesystem, "
            "or set hive_no_mirrored_device: true for this host (diskless DRBD node)")


# ------------------------------------------------------------------------------ LVM


def thin_pool_sizes_mib(vg_mib: int) -> tuple[int, int]:
    """(data, metadata) MiB of thin pool drbdpool in a volume group of `vg_mib` usable MiB.

    Metadata: 128 bytes per chunk (twice LVM's estimate, we never snapshot), at least one
    extent; LVM keeps a spare copy of the same size, so the data gets what is left, aligned.
    """
    chunks = vg_mib * 1024 // CHUNK_KIB
    meta = max(EXTENT_MIB, math.ceil(chunks * 128 / (1024 * 1024) / EXTENT_MIB) * EXTENT_MIB)
    data = (vg_mib - 2 * meta) // POOL_ALIGN_MIB * POOL_ALIGN_MIB
    if data < POOL_ALIGN_MIB:
        raise ValueError(f"volume group of {vg_mib} MiB is too small for a thin pool")
    return data, meta


def usable_vg_mib(device_bytes: int) -> int:
    """MiB a new volume group on a whole device of `device_bytes` offers (1 MiB PV header, extents)."""
    return (device_bytes // (1024 * 1024) - 1) // EXTENT_MIB * EXTENT_MIB


def lvm_commands(choice: DeviceChoice, vgs: str | dict = "", lvs: str | dict = "") -> list[list[str]]:
    """argv lists that create drbdvg and drbdvg/drbdpool where missing ([] when both exist)."""
    if choice.device is None:
        return []
    commands: list[list[str]] = []
    vg_rows = [r for r in parse_lvm_report(vgs) if r.get("vg_name") == DEFAULT_VG]
    if vg_rows:
        vg_mib = _mib(vg_rows[0].get("vg_size", 0))
    elif choice.existing:
        vg_mib = choice.size // (1024 * 1024)
    else:
        # no -y/-f: LVM refuses a device with a signature lsblk did not show, which is what we want
        commands.append(["vgcreate", DEFAULT_VG, choice.device])
        vg_mib = usable_vg_mib(choice.size)
    if not any(r.get("vg_name") == DEFAULT_VG and r.get("lv_name") == POOL for r in parse_lvm_report(lvs)):
        data, meta = thin_pool_sizes_mib(vg_mib)
        commands.append(["lvcreate", "--type", "thin-pool", "--size", f"{data}m",
                         "--poolmetadatasize", f"{meta}m", "--chunksize", f"{CHUNK_KIB}k",
                         "--zero", "n", "--name", POOL, DEFAULT_VG])
    return commands


# -------------------------------------------------------------------------- kernel module


def parse_drbd_version(text: str) -> str | None:
    """Version from /proc/drbd ("version: 9.2.8 (api:2/proto:86-122)") or `modinfo -F version`."""
    match = re.search(r"version:\s*(\d+\.\d+(?:\.\d+)?)", text or "") or \
        re.match(r"\s*(\d+\.\d+(?:\.\d+)?)", text or "")
    return match.group(1) if match else None


def module_problem(host: str, modprobe_rc: int, modprobe_err: str, version_text: str) -> str | None:
    """Why DRBD 9 cannot run on `host` (None: the loaded module is DRBD 9 or later)."""
    version = parse_drbd_version(version_text)
    if modprobe_rc == 0 and version and int(version.split(".")[0]) >= 9:
        return None
    if modprobe_rc != 0:
        err = (modprobe_err or "").strip() or f"exit code {modprobe_rc}"
        found = f"the drbd kernel module does not load: {err}"
        if version:
            found += f" (module found: version {version})"
    else:
        found = f"the loaded drbd kernel module is version {version or 'unknown'}, DRBD 9 is required"
        if version and version.startswith("8."):
            found += " (Debian's in-tree module; unload it with `rmmod drbd` after installing DRBD 9)"
    message = f"{host}: mirrored volumes need DRBD 9: {found}. Fix: {FIX_MODULE}"
    if any(marker in (modprobe_err or "") for marker in SECURE_BOOT_MARKERS):
        message += f". {SECURE_BOOT_NOTE}"
    else:
        message += f". Note: {SECURE_BOOT_NOTE}"
    return message


# ------------------------------------------------------------------------ volumes (build-volumes)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def volume_resource(volume: dict, hives: list[dict]) -> DrbdResource:
    """The resource of a drbd volume (`hive_volume` host var) over the stage's hives, in order.

    `hives`: [{name, address, no_mirrored_device, has_mirrored_disk}]. A hive is diskless when
    the volume lists it in `diskless`, when it has hive_no_mirrored_device, or when it has no
    mirrored disk at all (no hive_mirrored_disk_size, so no drbdvg was made there).
    """
    drbd = volume["drbd"]
    listed = set(drbd.get("diskless") or ())
    hosts = [DrbdHost(h["name"], h["address"],
                      diskless=h["name"] in listed or _truthy(h.get("no_mirrored_device"))
                      or not _truthy(h.get("has_mirrored_disk", True)))
             for h in hives]
    return DrbdResource(volume["name"], int(drbd["device_id"]), hosts)


def volume_facts(volume: dict, hives: list[dict], me: str) -> dict[str, Any]:
    """Everything one hive needs to realise a drbd volume (rendered file included)."""
    res = volume_resource(volume, hives)
    fstype = volume["drbd"]["fstype"]
    if fstype not in FSTYPES:
        raise ValueError(f"volume {res.name}: fstype {fstype!r} is not one of {', '.join(FSTYPES)}")
    mine = [h for h in res.hosts if h.name == me]
    disk_hosts = [h.name for h in res.hosts if not h.diskless]
    return {
        "name": res.name, "device_id": res.device_id, "device": res.device, "disk": res.disk,
        "port": res.port, "fstype": fstype, "size": volume["drbd"]["size"],
        "text": render_resource(res), "member": bool(mine),
        "with_disk": bool(mine) and not mine[0].diskless,
        "first_disk": bool(disk_hosts) and disk_hosts[0] == me, "disk_hosts": disk_hosts,
        "docker_options": {"type": fstype, "device": res.device},
        "commands": drbdadm_commands(res.name),
    }


def drbdadm_commands(name: str) -> dict[str, list[str]]:
    """The drbdadm calls build-volumes makes for resource `name` (each checked by `drbdadm -d`)."""
    return {
        "dump_md": ["drbdadm", "dump-md", name],          # is there metadata? (resource down)
        "create_md": ["drbdadm", "--force", "create-md", name],
        "dstate": ["drbdadm", "dstate", name],
        "wait_connect": ["timeout", "60", "drbdadm", "wait-connect", name],
        "primary_force": ["drbdadm", "primary", "--force", name],
        "secondary": ["drbdadm", "secondary", name],
        "down": ["drbdadm", "down", name],
    }


def lvcreate_volume_argv(name: str, size: str) -> list[str]:
    """Thin LV of `size` (e.g. 500M, 1.5G as in the service definition) in drbdvg/drbdpool."""
    return ["lvcreate", "--type", "thin", "--virtualsize", size, "--thinpool", POOL,
            "--name", name, DEFAULT_VG]


def metadata_missing(rc: int, stdout: str, stderr: str) -> bool:
    """From `drbdadm dump-md <res>`: True only when drbdmeta positively found no metadata.

    Any other failure (e.g. the resource is up, so drbdmeta may not open the disk) means "do not
    create": `create-md --force` over existing metadata would reset the replica's history.
    """
    return rc != 0 and "No valid meta data found" in f"{stdout}\n{stderr}"


def local_disk_state(dstate_stdout: str) -> str:
    """`drbdadm dstate <res>` prints "Local/Peer..." (one line per volume); the local state."""
    first = (dstate_stdout or "").strip().splitlines()
    return first[0].split("/")[0].strip() if first else ""


def resource_is_new(disk_states: list[str]) -> bool:
    """A never-used resource: every disk replica Inconsistent (nobody ever held the data)."""
    return bool(disk_states) and all(s == "Inconsistent" for s in disk_states)


def filesystem_action(name: str, fstype: str, blkid_rc: int, blkid_stdout: str, promoted: bool) -> str:
    """From `blkid -p -s TYPE -o value /dev/drbd<N>` on the first disk node: "mkfs" (nothing on
    it), "keep" (the expected filesystem) or "skip" (unreadable here: a Secondary may not be
    readable while a peer is Primary, and a device in use elsewhere certainly has its filesystem).

    `promoted`: this node was just forced Primary, so the device must be readable.
    Raises ValueError when the device holds something else (we never reformat) or when a device
    we just promoted cannot be read.
    """
    found = (blkid_stdout or "").strip()
    if blkid_rc == 2 and not found:
        return "mkfs"
    if blkid_rc == 0 and found == fstype:
        return "keep"
    if blkid_rc == 0:
        raise ValueError(f"volume {name}: its DRBD device holds a {found or 'unknown'} signature but the "
                         f"service definition says fstype {fstype}; not reformatting it. Change fstype, "
                         f"or destroy the volume (hive build-volumes -D -l {name}) and build it again")
    if promoted:
        raise ValueError(f"volume {name}: cannot read its DRBD device after promoting it (blkid exit "
                         f"code {blkid_rc}); check `drbdadm status {name}` on the hives")
    return "skip"


def mkfs_argv(fstype: str, device: str) -> list[str]:
    # no -f/-F: should a signature have appeared since blkid looked, mkfs refuses instead of erasing
    if fstype == "xfs":
        return ["mkfs.xfs", "-q", device]
    if fstype == "ext4":
        return ["mkfs.ext4", "-q", device]
    raise ValueError(f"fstype {fstype!r} is not one of {', '.join(FSTYPES)}")
