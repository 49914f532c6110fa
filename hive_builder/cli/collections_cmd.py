"""`hive collections [--install] [--provider NAME]`: the Ansible collections hive needs, the copy
ansible will load, and installing the missing ones. Needs no project."""

from __future__ import annotations

from collections.abc import Sequence

from hive_builder.errors import HiveError
from hive_builder.execution import collection_deps as deps
from hive_builder.execution.ansible import ansible_executable


def chosen_providers(names: Sequence[str]) -> tuple[str, ...]:
    """`--provider` values: providers that need collections of their own, or `all`."""
    known = deps.providers_listed()
    if "all" in names:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise HiveError(f"--provider {unknown[0]}: no collection is needed for this provider",
                        hint=f"providers with collections of their own: {', '.join(known)} "
                             "(or all)")
    return tuple(dict.fromkeys(names))


def cmd_collections(install: bool, providers: Sequence[str] = (), say=print) -> None:
    providers = chosen_providers(providers)
    wanted = deps.required(providers)
    if install:
        todo = [c for c in wanted if deps.problems([c], deps.hive_search_path())]
        if todo:
            deps.install(todo, deps.install_dir(), say, galaxy=ansible_executable("ansible-galaxy"))
    paths = deps.hive_search_path()
    for c in deps.listed():
        found = deps.find(c, paths)
        where = f"{found.version} at {found.path}" if found else "not installed"
        if c in wanted:
            mark = "✓" if found and deps.compatible(found.version, c.version) else "✗"
        else:   # a provider's collection nobody asked for: neither good nor bad
            mark = "·"
        only = f" (provider {c.provider} only)" if c.provider else ""
        say(f"{mark} {c.name:18} needs {c.version:8} found {where}{only}")
    problems = deps.problems(wanted, paths)
    if problems:
        bad = [c for c in wanted if deps.problems([c], paths)]
        raise HiveError(f"{len(problems)} of {len(wanted)} Ansible collections are missing or "
                        "incompatible", hint=deps.install_hint(bad))
