"""A registered variable belongs to one role or playbook. Roles of one play share the host's
variables, and a skipped task registers its skip result too: a role reusing another role's name
overwrote it (docker-client-proxy's skipped slurp hid the docker role's created_paths from the
`restart docker` handler's throttle)."""

from __future__ import annotations

import collections
from pathlib import Path

import yaml

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"


def registers(tasks) -> list[str]:
    found = []
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if "register" in task:
            found.append(task["register"])
        for key in ("block", "rescue", "always"):
            found += registers(task.get(key))
    return found


def owners() -> dict[str, set[str]]:
    by_name = collections.defaultdict(set)
    for path in sorted(PLAYBOOKS.glob("*roles/*/*/*.yml")):
        if path.parent.name in ("tasks", "handlers"):
            for name in registers(yaml.safe_load(path.read_text())):
                by_name[name].add(f"role {path.parts[-3]}")
    for path in sorted([*PLAYBOOKS.glob("*.yml"), *PLAYBOOKS.glob("tasks/*.yml")]):
        for item in yaml.safe_load(path.read_text()) or []:
            blocks = [item.get(k) for k in ("pre_tasks", "tasks", "post_tasks", "handlers")] \
                if "hosts" in item else [[item]]
            for block in blocks:
                for name in registers(block):
                    by_name[name].add(path.name)
    return by_name


def test_every_registered_name_has_one_owner():
    found = owners()
    assert "hive_sysstat_units" in found and "hive_registry_logins" in found   # the scan sees roles
    shared = {name: sorted(who) for name, who in found.items() if len(who) > 1}
    assert shared == {}
