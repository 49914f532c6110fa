"""Ansible inventory plugin `hive_inventory`: the hive definition (stages, servers, mothers).

A thin adapter: hive_builder.model validates and expands the whole inventory directory (once per
process), and this plugin adds the operations of its own file (inventory_json.inventory_ops), so
Ansible's inventory equals `hive inventory`. Any inventory error raises AnsibleParserError with all
messages. For that to fail the run (not just warn), ansible.cfg needs
`[inventory] any_unparsed_is_failed = True`; list hive_inventory, hive_services first in
`enable_plugins` so other plugins do not also try (and complain about) our files.
"""

from __future__ import annotations

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

from hive_builder.errors import HiveError
from hive_builder.inventory_json import apply_ops, inventory_ops
from hive_builder.model.files import HIVE_PLUGIN, SUFFIXES
from hive_builder.model.project import load_project, resolve_project

DOCUMENTATION = r"""
  name: hive_inventory
  plugin_type: inventory
  short_description: hive-builder hive definition (stages, servers, mother)
  description:
    - "Servers, mothers and their groups from a file with C(plugin: hive_inventory)."
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


def declares_plugin(path: str, name: str) -> bool:
    """Whether the file's top-level `plugin:` is `name` (cheap line scan, no YAML parse)."""
    if not path.endswith(SUFFIXES):
        return False
    wanted = (f"plugin: {name}", f"plugin: '{name}'", f'plugin: "{name}"')
    try:
        with open(path, encoding="utf-8") as f:
            return any(not line[:1].isspace() and line.split("#")[0].strip() in wanted
                       for line in f)
    except (OSError, UnicodeDecodeError):
        return False


def add_hive_objects(plugin: BaseInventoryPlugin, path: str, flush: bool) -> None:
    plugin.set_options()
    # plain str: Ansible's tagged option strings cannot be dumped into the persistent YAML file
    options = [plugin.get_option(k) for k in ("root_dir", "stage")]
    root_dir, stage = (None if v in (None, "") else f"{v}" for v in options)
    project = resolve_project(path, root_dir, stage)
    try:
        site, store = load_project(project)
        if flush:
            store.flush()
    except HiveError as exc:
        raise AnsibleParserError(f"hive inventory error:\n{exc}") from None
    except OSError as exc:
        raise AnsibleParserError(f"hive inventory error: {exc}") from None
    name = str(project.inventory_dir.joinpath(path).resolve().relative_to(project.inventory_dir))
    apply_ops(plugin.inventory, inventory_ops(site, name))


class InventoryModule(BaseInventoryPlugin):
    NAME = "hive_inventory"
    trusted_by_default = True  # the user's own files: Jinja in values must stay templatable

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and declares_plugin(path, HIVE_PLUGIN)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        add_hive_objects(self, path, flush=False)
