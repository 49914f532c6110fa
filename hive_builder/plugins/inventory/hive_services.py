"""Ansible inventory plugin `hive_services`: services, images, volumes and networks of one file.

Same adapter as hive_inventory; in addition it persists new port / DRBD device allocations of the
stage being built into <root_dir>/.hive/persistent_values.yml.
"""

from __future__ import annotations

from ansible.plugins.inventory import BaseInventoryPlugin

from hive_builder.inventory_json import declares_plugin
from hive_builder.model.files import SERVICES_PLUGIN
from hive_builder.plugins.inventory.hive_inventory import add_hive_objects

DOCUMENTATION = r"""
  name: hive_services
  plugin_type: inventory
  short_description: hive-builder service definitions (services, images, volumes, networks)
  description:
    - "Pseudo-hosts for services, images, volumes and networks from a file with
      C(plugin: hive_services)."
  options:
    root_dir:
      description: project root; default is the parent of the inventory directory
      ini: [{section: hive, key: root_dir}]
      env: [{name: HIVE_ROOT_DIR}]
    stage:
      description: stage being built; default is the persisted global stage, else private
      ini: [{section: hive, key: stage}]
      env: [{name: HIVE_STAGE}]
"""


class InventoryModule(BaseInventoryPlugin):
    NAME = "hive_services"
    trusted_by_default = True  # the user's own files: Jinja in values must stay templatable

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and declares_plugin(path, SERVICES_PLUGIN)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        add_hive_objects(self, path, flush=True)
