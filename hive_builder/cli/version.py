"""`hive --version`: what is installed and what ansible will load (reads metadata and
MANIFEST.json files only; Ansible is not imported)."""

from __future__ import annotations

import sys
from importlib import metadata

from hive_builder import __version__
from hive_builder.execution import collection_deps as deps


def version_text() -> str:
    """swarmhive, ansible-core, and the collections hive's ansible runs will load (the first copy
    along their search path, as `hive collections` shows)."""
    paths = deps.hive_search_path()
    lines = [f"swarmhive {__version__} (hive-builder 2.3.1 inventories)",
             f"ansible-core {_distribution_version('ansible-core')}"]
    for c in deps.listed():
        found = deps.find(c, paths)
        only = f" (provider {c.provider})" if c.provider else ""
        lines.append(f"  {c.name} {found.version if found else 'not installed'}{only}")
    lines.append(f"python {sys.version.split()[0]} ({sys.executable})")
    return "\n".join(lines) + "\n"


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
