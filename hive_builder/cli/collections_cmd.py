"""`hive collections [--install]`: the Ansible collections hive needs, the copy ansible will load,
and installing the missing ones. Needs no project."""

from __future__ import annotations

from hive_builder.errors import HiveError
from hive_builder.execution import collection_deps as deps
from hive_builder.execution.ansible import ansible_executable


def cmd_collections(install: bool, say=print) -> None:
    wanted = deps.required()
    if install:
        todo = [c for c in wanted if deps.problems([c], deps.hive_search_path())]
        if todo:
            deps.install(todo, deps.install_dir(), say, galaxy=ansible_executable("ansible-galaxy"))
    paths = deps.hive_search_path()
    for c in wanted:
        found = deps.find(c, paths)
        mark = "✓" if found and deps.compatible(found.version, c.version) else "✗"
        where = f"{found.version} at {found.path}" if found else "not installed"
        say(f"{mark} {c.name:18} needs {c.version:8} found {where}")
    problems = deps.problems(wanted, paths)
    if problems:
        raise HiveError(f"{len(problems)} of {len(wanted)} Ansible collections are missing or "
                        "incompatible", hint=deps.INSTALL_HINT)
