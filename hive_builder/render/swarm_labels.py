"""Pure: swarm node labels that mirror the Ansible groups of a hive (reference §6.2 swarm role).

Labels are `<group>=true`. They are reconciled on every run: missing ones added, wrong values
fixed, and labels hive set earlier for groups the host has left removed. Which labels hive owns
is recorded in the node label MANAGED_KEY, so labels set by others (follow-swarm-service's
HIVE_MARK, an operator's own) are never touched — unless they are named after an inventory group.
"""

from __future__ import annotations

MANAGED_KEY = "hive.group-labels"
IGNORED_GROUPS = {"all", "ungrouped"}


def desired_labels(group_names) -> dict[str, str]:
    return {g: "true" for g in sorted(set(group_names) - IGNORED_GROUPS)}


def label_changes(current: dict | None, group_names, known_groups=()) -> dict:
    """-> {"add": {label: value}, "remove": [label]}; both empty when nothing changes."""
    current = dict(current or {})
    desired = desired_labels(group_names)
    desired[MANAGED_KEY] = ",".join(sorted(set(desired) - {MANAGED_KEY}))
    previously = {x for x in current.get(MANAGED_KEY, "").split(",") if x}
    ours = previously | (set(known_groups) - IGNORED_GROUPS)
    add = {k: v for k, v in desired.items() if current.get(k) != v}
    remove = sorted(k for k in current if k in ours and k not in desired)
    return {"add": add, "remove": remove}


def node_update_args(current: dict | None, group_names, known_groups=()) -> list[str]:
    """argv for `docker node update ... <node>` (without the node), [] when up to date."""
    changes = label_changes(current, group_names, known_groups)
    args: list[str] = []
    for key, value in sorted(changes["add"].items()):
        args += ["--label-add", f"{key}={value}"]
    for key in changes["remove"]:
        args += ["--label-rm", key]
    return args
