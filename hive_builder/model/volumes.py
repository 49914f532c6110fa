"""Service `volumes`: mounts, plus the Docker volumes (driver) and DRBD volumes they declare."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hive_builder.model.checks import (reject_unknown, want_bool, want_int, want_list, want_mapping,
                                       want_one_of, want_str)
from hive_builder.model.problems import Where, type_name

MOUNT_KEYS = ("source", "target", "type", "readonly")
VOLUME_KEYS = (*MOUNT_KEYS, "driver", "driver_opts", "drbd")
MOUNT_TYPES = ("volume", "bind", "tmpfs")
DRBD_KEYS = ("fstype", "size", "diskless", "device_id")
FSTYPES = ("xfs", "ext4")
SIZE = re.compile(r"^\d+(\.\d+)?[KMGTkmgt]$")
DEVICE_FIRST, DEVICE_LAST = 1, 255
VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Implicit mounts of a standalone (systemd) service, ahead of the user's (reference §4.7)
STANDALONE_MOUNTS = (
    {"source": "/sys/fs/cgroup", "target": "/sys/fs/cgroup", "type": "bind", "readonly": True},
    {"source": "", "target": "/run", "type": "tmpfs"},
    {"source": "", "target": "/tmp", "type": "tmpfs"},
)


@dataclass(frozen=True)
class DrbdSpec:
    fstype: str
    size: str
    diskless: tuple[str, ...] = ()
    device_id: int | None = None  # explicit; None = allocated

    def as_var(self, device_id: int | None) -> dict[str, Any]:
        var: dict[str, Any] = {"fstype": self.fstype, "size": self.size}
        if self.diskless:
            var["diskless"] = list(self.diskless)
        if device_id is not None:
            var["device_id"] = device_id
        return var


@dataclass(frozen=True)
class Volume:
    source: str
    target: str
    type: str | None = None
    readonly: bool | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] | None = None
    drbd: DrbdSpec | None = None

    @property
    def kind(self) -> str:
        """'drbd' or 'driver' (created by build-volumes) or 'plain' (a mount only)."""
        return "drbd" if self.drbd else "driver" if self.driver else "plain"

    @property
    def host_name(self) -> str:
        return f"volume_{self.source}"

    def mount(self) -> dict[str, Any]:
        mount: dict[str, Any] = {"source": self.source, "target": self.target}
        if self.type is not None:
            mount["type"] = self.type
        if self.readonly is not None:
            mount["readonly"] = self.readonly
        return mount

    def definition(self) -> tuple:
        """What must agree when two services declare the same created volume."""
        return (self.kind, self.driver, self.driver_opts, self.drbd)


def volume_label(index: int, source: Any) -> str:
    """How messages name the index-th volume (from 1): by its source when it has a usable one."""
    if isinstance(source, str) and source:
        return f"volume {source!r} (#{index})"
    return f"volume #{index}"


def parse_volumes(w: Where, value: Any) -> tuple[Volume, ...]:
    if not want_list(w, value, "volumes"):
        return ()
    result = []
    for index, item in enumerate(value, 1):
        vw = w.at(volume_label(index, item.get("source") if isinstance(item, dict) else None))
        if isinstance(item, str):
            vw.error(f"short syntax {item!r} is not supported: expected a mapping with source, "
                     "target and type")
            continue
        if not want_mapping(vw, item, None):
            continue
        volume = _parse_volume(vw, item)
        if volume is not None:
            result.append(volume)
    return tuple(result)


def _parse_volume(w: Where, item: dict) -> Volume | None:
    before = len(w.problems.errors)
    reject_unknown(w, item, VOLUME_KEYS, "a volume")
    missing = [key for key in ("source", "target") if key not in item]
    if missing:
        w.error('both "source" and "target" must be specified in a volume',
                missing[0] if len(missing) == 1 else None)
        return None
    source, target = item["source"], item["target"]
    want_str(w, source, "source", empty_ok=True)
    if want_str(w, target, "target") and not target.startswith("/"):
        w.error(f"expected an absolute path in the container, found {target!r}", "target")
    mount_type = item.get("type")
    if mount_type is not None:
        want_one_of(w, mount_type, "type", MOUNT_TYPES)
    if "readonly" in item:
        want_bool(w, item["readonly"], "readonly")
    if "driver" in item and "drbd" in item:
        w.error('both "driver" and "drbd" cannot be specified in one volume', "drbd")
    if "driver_opts" in item and "driver" not in item:
        w.error("driver_opts needs driver", "driver_opts")
    if "driver" in item:
        want_str(w, item["driver"], "driver")
    if "driver_opts" in item:
        want_mapping(w, item["driver_opts"], "driver_opts")
    drbd = _parse_drbd(w.at("drbd"), item["drbd"]) if "drbd" in item else None
    created = "driver" in item or "drbd" in item
    if created:
        if mount_type not in (None, "volume"):
            w.error(f"a volume with driver or drbd must have type volume, found {mount_type!r}",
                    "type")
        elif isinstance(source, str) and not VOLUME_NAME.match(source):
            w.error(f"expected a volume name (letters, digits, '_', '.', '-'), found {source!r}",
                    "source")
        # mounted as a named volume even when type is omitted (Docker's default would be bind)
        mount_type = "volume"
    elif mount_type in (None, "bind") and isinstance(source, str) and not source.startswith("/"):
        w.error(f"a bind mount needs an absolute host path, found {source!r}; for a named volume "
                "add 'type: volume'", "source")
    if len(w.problems.errors) > before:
        return None
    return Volume(source, target, mount_type, item.get("readonly"), item.get("driver"),
                  item.get("driver_opts"), drbd)


def _parse_drbd(w: Where, raw: Any) -> DrbdSpec | None:
    if not want_mapping(w, raw, None):
        return None
    before = len(w.problems.errors)
    reject_unknown(w, raw, DRBD_KEYS, "drbd")
    fstype, size = raw.get("fstype"), raw.get("size")
    if fstype is None:
        w.error(f"fstype must be specified: expected one of {', '.join(FSTYPES)}", "fstype")
    else:
        want_one_of(w, fstype, "fstype", FSTYPES)
    if size is None:
        w.error("size must be specified: expected a size with unit such as 500M or 20G", "size")
    elif not isinstance(size, str) or not SIZE.match(size):
        w.error(f"expected a size with unit such as 500M or 20G, found {type_name(size)}", "size")
    diskless = raw.get("diskless", [])
    if diskless is None:
        diskless = []
    if not (isinstance(diskless, list) and all(isinstance(d, str) for d in diskless)):
        w.error(f"expected a list of server names, found {type_name(diskless)}", "diskless")
    device_id = raw.get("device_id")
    if device_id is not None:
        want_int(w, device_id, "device_id", DEVICE_FIRST, DEVICE_LAST)
    if len(w.problems.errors) > before:
        return None
    return DrbdSpec(fstype, size, tuple(diskless), device_id)


def standalone_mounts() -> list[dict[str, Any]]:
    return [dict(m) for m in STANDALONE_MOUNTS]
