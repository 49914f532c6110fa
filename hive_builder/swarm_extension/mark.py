"""HIVE_MARK node labels (reference §7.4): `<value>=true` on the node that runs the leader task."""

from __future__ import annotations


def plan_labels(labels: dict[str, str], desired: set[str], managed: set[str]) -> tuple[list[str], list[str]]:
    """(keys to set to "true", keys to remove) for this node.

    `managed` holds every key this daemon is responsible for: the values of all HIVE_MARK labels
    plus the keys it set earlier (state file), so a label left behind by a removed service or by a
    previous run goes away, while a correct label is not touched (no flap on daemon restart).
    """
    add = sorted(k for k in desired if labels.get(k) != "true")
    remove = sorted(k for k in managed - desired if k in labels)
    return add, remove


def apply_labels(labels: dict[str, str], add: list[str], remove: list[str]) -> dict[str, str]:
    new = {k: v for k, v in labels.items() if k not in remove}
    new.update({k: "true" for k in add})
    return new
