"""How the Ansible plugins find the project and share one load per process.

root_dir: plugin option (ansible.cfg `[hive] root_dir`, env HIVE_ROOT_DIR), else the parent of
the inventory directory. stage: option (`[hive] stage`, env HIVE_STAGE), else the persisted
global stage, else `private` (decision 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hive_builder.errors import InventoryError, InventoryErrors
from hive_builder.model.filestore import PersistentFileStore, global_stage, persistent_path
from hive_builder.model.site import Site, load_site


@dataclass(frozen=True)
class Project:
    inventory_dir: Path
    root_dir: Path
    stage: str


def resolve_project(inventory_file: str, root_dir: str | None, stage: str | None) -> Project:
    inventory_dir = Path(inventory_file).resolve().parent
    root = Path(root_dir).resolve() if root_dir else inventory_dir.parent
    return Project(inventory_dir, root, stage or global_stage(root) or "private")


_cache: dict[tuple, tuple[Site | None, PersistentFileStore | None, InventoryErrors | None]] = {}


def _fingerprint(project: Project) -> tuple:
    files = sorted(p for p in project.inventory_dir.iterdir() if p.suffix in (".yml", ".yaml"))
    # the persistent file is left out: our own flush must not force a second load
    stamps = [(str(p), p.stat().st_mtime_ns) for p in files]
    return (project, tuple(stamps))


def load_project(project: Project) -> tuple[Site, PersistentFileStore]:
    """load_site once per process and inventory state; raises InventoryErrors every time."""
    key = _fingerprint(project)
    if key not in _cache:
        _cache.clear()
        try:
            store = PersistentFileStore(persistent_path(project.root_dir))
            _cache[key] = (load_site(project.inventory_dir, project.stage, store), store, None)
        except InventoryErrors as exc:
            _cache[key] = (None, None, exc)
        except InventoryError as exc:  # e.g. an unreadable persistent file
            _cache[key] = (None, None, InventoryErrors([exc]))
    site, store, error = _cache[key]
    if error is not None:
        raise error
    assert site is not None and store is not None
    return site, store

