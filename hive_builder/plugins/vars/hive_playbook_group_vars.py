"""Ansible vars plugin `hive_playbook_group_vars`: the packaged group_vars for any playbook.

ansible-playbook reads group_vars next to the playbook and next to the inventory only, and ignores
ansible.cfg's `playbook_dir`. hive's generated ansible.cfg sets `playbook_dir = <playbooks_dir>`
and enables this plugin (before host_group_vars, so the user's own group_vars win), so that
`ANSIBLE_CONFIG=<temp_dir>/ansible.cfg ansible-playbook ... x.yml` (manual §6.10) sees
group_vars/hosts.yml and mother.yml wherever x.yml lives.

Ansible asks for every host, for each inventory source and play directory, with all the host's
groups: thousands of calls per run. The answer depends on the group names only, so it is kept per
tuple of names (files found and loaded once, as host_group_vars does), and the configuration is
read once per process.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.inventory.group import InventoryObjectType
from ansible.plugins.vars import BaseVarsPlugin
from ansible.utils.vars import combine_vars

DOCUMENTATION = r"""
  name: hive_playbook_group_vars
  short_description: group_vars of hive's playbooks_dir (ansible.cfg playbook_dir) for every playbook
  description:
    - Loads C(<playbook_dir>/group_vars/<group>.yml) for the groups of the inventory.
"""

_UNSET = object()
_group_vars_dir: object = _UNSET  # <playbook_dir>/group_vars, None when there is none
_FOUND: dict[tuple[str, str], list[str]] = {}  # (group_vars dir, group) -> files
_MERGED: dict[tuple[str, tuple[str, ...]], dict] = {}  # (group_vars dir, groups) -> vars


def group_vars_dir() -> str | None:
    global _group_vars_dir
    if _group_vars_dir is _UNSET:
        playbook_dir = C.config.get_config_value("PLAYBOOK_DIR")
        path = os.path.join(playbook_dir, "group_vars") if playbook_dir else None
        _group_vars_dir = path if path and os.path.isdir(path) else None
    return _group_vars_dir  # type: ignore[return-value]


class VarsModule(BaseVarsPlugin):
    REQUIRES_ENABLED = True
    is_stateless = True

    def get_vars(self, loader, path, entities, cache=True):
        group_vars = group_vars_dir()
        if group_vars is None:
            return {}
        names = tuple(entity.name for entity in (entities if isinstance(entities, list)
                                                 else [entities])
                      if entity.base_type is InventoryObjectType.GROUP)
        key = (group_vars, names)
        if not cache or key not in _MERGED:
            data = {}
            for name in names:
                found = _FOUND.get((group_vars, name)) if cache else None
                if found is None:
                    found = _FOUND[(group_vars, name)] = loader.find_vars_files(group_vars, name)
                for file in found:
                    loaded = loader.load_from_file(file, cache="all", unsafe=True,
                                                   trusted_as_template=True)
                    if loaded:
                        data = combine_vars(data, loaded)
            _MERGED[key] = data
        return dict(_MERGED[key])  # callers own the mapping they get, as from a fresh merge
