"""Ansible filters of the role provider: the servers' inventory variables a provider reads besides
the sizes (providers/plan.py SERVER_SETTINGS), gathered for the module hive_provider. The stage's
(STAGE_SETTINGS) are the mother's own variables, named one by one in the task: some of them
are templates over `hostvars`, which a host's variables read through `hostvars` cannot resolve."""

from __future__ import annotations

from hive_builder.plugins.filter_guard import guarded_filters
from hive_builder.providers.plan import SERVER_SETTINGS


def hive_provider_settings(names, hostvars):
    """`provider_servers | hive_provider_settings(hostvars)` -> one dict per server of the
    variables that are defined."""
    result = []
    for name in names:
        variables = hostvars[name]
        result.append({key: variables[key] for key in SERVER_SETTINGS if key in variables})
    return result


class FilterModule:
    def filters(self):
        return guarded_filters(hive_provider_settings)
