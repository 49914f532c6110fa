"""Ansible inventory plugin `hive_inventory`: the hive definition (stages, servers, mothers).

A thin adapter: hive_builder.model validates and expands the whole inventory directory (once per
process), and this plugin adds the operations of its own file (inventory_json.inventory_ops), so
Ansible's inventory equals `hive inventory`. An inventory error is shown once, all its messages
in one `[ERROR]:`, and ends the run (exit 1) when ansible.cfg has `[inventory]
any_unparsed_is_failed = True`, as hive's has: raised as AnsibleParserError instead, Ansible would
try the next plugins on the same file (`auto` runs this plugin again, `yaml` fails with "Plugin
configuration YAML file, not YAML inventory") and print every failure as a warning before its own
"Completely failed to parse" error. Without that setting the error is an AnsibleParserError:
Ansible warns and goes on without the file, as the user asked. List hive_inventory, hive_services
first in `enable_plugins` so other plugins do not also try (and complain about) our files.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.utils.display import Display

from hive_builder.errors import HiveError
from hive_builder.inventory_json import apply_ops, declares_plugin, inventory_ops
from hive_builder.model.files import HIVE_PLUGIN
from hive_builder.model.project import load_project, resolve_project
from hive_builder.plugins import module_shebang

# Every hive run loads this plugin before any task: project modules that begin with
# `#!/usr/bin/env python` run with the host's Python again (see plugins/module_shebang.py).
module_shebang.install()

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
        inventory_failed(f"hive inventory error:\n{exc}")
    except OSError as exc:
        inventory_failed(f"hive inventory error: {exc}")
    name = str(project.inventory_dir.joinpath(path).resolve().relative_to(project.inventory_dir))
    apply_ops(plugin.inventory, inventory_ops(site, name))


def inventory_failed(message: str) -> None:
    """Report an invalid inventory once (see the module docstring); never returns."""
    if C.config.get_config_value("INVENTORY_ANY_UNPARSED_IS_FAILED"):
        Display().error(message)
        raise SystemExit(1)  # passes Ansible's per-plugin retry loop and its CLI error handler
    raise AnsibleParserError(message) from None


class InventoryModule(BaseInventoryPlugin):
    NAME = "hive_inventory"
    trusted_by_default = True  # the user's own files: Jinja in values must stay templatable

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and declares_plugin(path, HIVE_PLUGIN)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        add_hive_objects(self, path, flush=False)
