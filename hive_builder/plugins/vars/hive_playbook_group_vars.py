"""Ansible vars plugin `hive_playbook_group_vars`: the packaged group_vars for any playbook.

ansible-playbook reads group_vars next to the playbook and next to the inventory only, and ignores
ansible.cfg's `playbook_dir`. hive's generated ansible.cfg sets `playbook_dir = <playbooks_dir>`
and enables this plugin (before host_group_vars, so the user's own group_vars win), so that
`ANSIBLE_CONFIG=<temp_dir>/ansible.cfg ansible-playbook ... x.yml` (manual §6.10) sees
group_vars/hosts.yml and mother.yml wherever x.yml lives.
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


class VarsModule(BaseVarsPlugin):
    REQUIRES_ENABLED = True
    is_stateless = True

    def get_vars(self, loader, path, entities, cache=True):
        playbook_dir = C.config.get_config_value("PLAYBOOK_DIR")
        group_vars = os.path.join(playbook_dir, "group_vars") if playbook_dir else None
        if not group_vars or not os.path.isdir(group_vars):
            return {}
        data = {}
        for entity in entities if isinstance(entities, list) else [entities]:
            if entity.base_type is not InventoryObjectType.GROUP:
                continue
            for found in loader.find_vars_files(group_vars, entity.name):
                loaded = loader.load_from_file(found, cache="all", unsafe=True,
                                               trusted_as_template=True)
                if loaded:
                    data = combine_vars(data, loaded)
        return data
