"""AllocationStore over `<root_dir>/.hive/persistent_values.yml` (used by the Ansible plugins).

Touches only `published_port_map` and `drbd_device_map` (layout: var -> scope -> value); every
other key of the file is preserved. New allocations are buffered by `set()` and written by
`flush()`: the file is re-read, the two keys updated, and the result written atomically
(temp file + rename) in block style with sorted keys. The legacy `.hive/persistents.yml` is read
when the new file does not exist yet (decision 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hive_builder.config import persistence
from hive_builder.errors import InventoryError
from hive_builder.model.allocation import DEVICE_MAP, PORT_MAP

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the maps grow: use libyaml when present
FILE_NAME = "persistent_values.yml"
LEGACY_NAME = "persistents.yml"
KINDS = (PORT_MAP, DEVICE_MAP)


def persistent_path(root_dir: Path) -> Path:
    return Path(root_dir) / ".hive" / FILE_NAME


def _read(path: Path) -> dict[str, Any]:
    source = path if path.exists() else path.with_name(LEGACY_NAME)
    if not source.exists():
        return {}
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise InventoryError(f"cannot read persistent values: {exc}", file=str(source)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError("expected a mapping of variable -> scope -> value", file=str(source))
    return data


def global_stage(root_dir: Path) -> str | None:
    """The persisted global stage (`hive set stage X`), if any."""
    stage = _read(persistent_path(root_dir)).get("stage")
    return stage.get("global") if isinstance(stage, dict) else None


class PersistentFileStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._data = _read(self.path)
        self._pending: dict[tuple[str, str], dict[str, int]] = {}

    def get(self, kind: str, stage: str) -> dict[str, int]:
        if (kind, stage) in self._pending:
            return dict(self._pending[(kind, stage)])
        scopes = self._data.get(kind)
        value = scopes.get(stage, {}) if isinstance(scopes, dict) else {}
        return dict(value) if isinstance(value, dict) else value

    def set(self, kind: str, stage: str, mapping: dict[str, int]) -> None:
        if kind not in KINDS:
            raise ValueError(f"PersistentFileStore only stores {KINDS}, not {kind}")
        self._pending[(kind, stage)] = dict(mapping)

    @property
    def dirty(self) -> bool:
        return bool(self._pending)

    def flush(self) -> None:
        """Write the pending maps into the freshest file under the shared writer lock."""
        if not self._pending:
            return

        def merge(data: dict[str, Any]) -> None:
            for (kind, stage), mapping in self._pending.items():
                scopes = data.get(kind)
                if not isinstance(scopes, dict):
                    scopes = data[kind] = {}
                scopes[stage] = dict(mapping)

        self._data = persistence.update(self.path.parent.parent, merge)
        self._pending = {}
