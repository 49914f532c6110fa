"""Loads the Jinja filter and test plugins in ansible-playbook's own process, before it forks a
worker for each task of each host.

Ansible loads the plugins that are not in a collection (hive's plugins/filter and its own
ansible.builtin ones) on the first use of a short filter name, and that happens in the worker,
which exits after its task: every task of every host imported them all again (hive's filter
modules import hive_builder's renderers). That cost 6.5 s of the 45 s of CPU a no-op setup-hosts
run spent in ansible-playbook. Loaded here once, the workers inherit them. Ansible empties this
cache itself when a plugin directory is added later (a role's filter_plugins), so a play start
loads them again if needed; nothing here changes what a template resolves to.

It also shares the module payloads ansible builds (AnsiballZ: a module and the module_utils it
imports, zipped) between runs. Ansible builds each module's payload once per ansible-playbook
process, in its own temporary directory, and finding the imports means parsing the module and
each module_utils it reaches: 5.6 s of the mother's CPU in a fresh setup-hosts, again in every
phase for the modules it uses. With HIVE_ANSIBALLZ_CACHE set (hive sets it to <temp_dir>/ansiballz),
the payloads of ansible's own and the collections' modules are copied in before the workers fork
and the new ones copied back after the run, under a key of ansible-core's version, Python's and
every collection's MANIFEST.json, so an upgrade uses new payloads. Modules from a library
directory (hive's own, a role's) are never shared: their files can change between runs.

hive enables it for every ansible-playbook run (execution/ansible.py, ANSIBLE_CALLBACKS_ENABLED).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ansible import constants as C
from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import filter_loader, test_loader

DOCUMENTATION = """
name: hive_prefork
type: aggregate
short_description: load the Jinja filter and test plugins before the workers fork
description:
  - Loads the non-collection filter and test plugins in the controller process at the start of
    the playbook and of each play, so the forked workers do not import them for every task.
  - With HIVE_ANSIBALLZ_CACHE set, shares the module payloads of ansible's and the collections'
    modules between runs (copied in before the workers fork, new ones copied back at the end).
requirements:
  - enabled in callbacks_enabled (hive does this for its runs)
"""

# any short name makes the loader read every non-collection plugin file it knows
WARM_NAMES = ((filter_loader, "to_json"), (test_loader, "match"))


def warm_jinja_plugins() -> None:
    for loader, name in WARM_NAMES:
        loader.get(name)


def cache_key(ansible_version: str, python_version: str, collection_paths: list[str]) -> str:
    """What the payloads of ansible's and the collections' modules are made from."""
    digest = hashlib.sha256(f"{ansible_version}\0{python_version}\0".encode())
    for root in collection_paths:
        for manifest in sorted(Path(root).glob("ansible_collections/*/*/MANIFEST.json")):
            digest.update(str(manifest).encode() + b"\0" + manifest.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def shareable(name: str) -> bool:
    """A payload that may be kept between runs: not a library directory's module, no lock file."""
    return not name.startswith("ansible.legacy.") and not name.endswith(".lock") and not name.startswith(".")


def copy_new(source: Path, target: Path) -> list[str]:
    """Copy the shareable payloads of `source` missing in `target` (each file appears whole)."""
    if not source.is_dir():
        return []
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    copied = []
    for entry in sorted(source.iterdir()):
        if not (entry.is_file() and shareable(entry.name)) or (target / entry.name).exists():
            continue
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".copy-")
        os.close(fd)
        shutil.copyfile(entry, tmp)
        os.replace(tmp, target / entry.name)
        copied.append(entry.name)
    return copied


def shared_cache_dir() -> Path | None:
    root = os.environ.get("HIVE_ANSIBALLZ_CACHE")
    if not root:
        return None
    from ansible.release import __version__
    return Path(root) / cache_key(__version__, sys.version.split()[0], list(C.COLLECTIONS_PATHS) + sys.path)


def run_cache_dir() -> Path:
    """Where this ansible-playbook process keeps its payloads (ansible's module_common)."""
    return Path(C.DEFAULT_LOCAL_TMP) / "ansiballz_cache"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "hive_prefork"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared: Path | None = None

    def v2_playbook_on_start(self, playbook):
        warm_jinja_plugins()
        self._shared = shared_cache_dir()
        if self._shared is not None:
            copy_new(self._shared, run_cache_dir())

    def v2_playbook_on_stats(self, stats):
        if self._shared is not None:
            copy_new(run_cache_dir(), self._shared)

    def v2_playbook_on_play_start(self, play):
        warm_jinja_plugins()
