"""`hive collections [--install]`: the Ansible collections hive needs, the copy ansible will load,
and installing the missing ones. Needs no project."""

from __future__ import annotations

import os
import sys

from hive_builder.errors import HiveError
from hive_builder.execution import collection_deps as deps


def cmd_collections(install: bool, say=print) -> None:
    wanted = deps.required()

    def paths() -> list[str]:
        return deps.search_path({"ANSIBLE_COLLECTIONS_PATH": deps.ansible_collections_path(os.environ)},
                                sys.path)

    if install:
        first = paths()
        todo = [c for c in wanted if deps.problems([c], first)]
        if todo:
            galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
            deps.install(todo, deps.install_dir(), say,
                         galaxy=galaxy if os.path.exists(galaxy) else "ansible-galaxy")
    for c in wanted:
        found = deps.find(c, paths())
        mark = "✓" if found and deps.compatible(found.version, c.version) else "✗"
        where = f"{found.version} at {found.path}" if found else "not installed"
        say(f"{mark} {c.name:18} needs {c.version:8} found {where}")
    problems = deps.problems(wanted, paths())
    if problems:
        raise HiveError(f"{len(problems)} of {len(wanted)} Ansible collections are missing or "
                        "incompatible", hint=deps.INSTALL_HINT)
