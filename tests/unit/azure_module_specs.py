"""The real argument specs of the azure.azcollection modules the azure provider's tasks call, taken
from the installed collection without the azure SDK: each module's main() is run up to where its
class hands the spec to AzureRMModuleBase, which is stopped there. The base adds the common
connection options and tags, as AzureRMModuleBase.__init__ does.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

import yaml

from tests.unit import ansible_module_specs as specs

COLLECTION = "ansible_collections.azure.azcollection"


@cache
def module_spec(name: str) -> dict:
    """argument_spec (with AZURE_COMMON_ARGS, and AZURE_TAG_ARGS unless the module has no tags)
    and the constraints of azure.azcollection.<name>."""
    common = importlib.import_module(f"{COLLECTION}.plugins.module_utils.azure_rm_common")
    module = importlib.import_module(f"{COLLECTION}.plugins.modules.{name}")
    args, seen = specs.arguments_at(module.main, common.AzureRMModuleBase, "__init__")
    # derived_arg_spec is AzureRMModuleBase.__init__'s first parameter after self
    derived = seen["derived_arg_spec"] if "derived_arg_spec" in seen else args[0]
    spec = dict(common.AZURE_COMMON_ARGS)
    if seen.get("supports_tags", True):
        spec.update(common.AZURE_TAG_ARGS)
    spec.update(derived)
    required_if = list(common.AZURE_COMMON_REQUIRED_IF) + list(seen.get("required_if") or ())
    return {"argument_spec": spec, **specs.constraints(seen), "required_if": required_if}


def validation_errors(name: str, params: dict) -> list[str]:
    return specs.validation_errors(module_spec(name), params)


def option_names(name: str) -> set[str]:
    """Every name the module accepts, aliases included."""
    return specs.option_names(module_spec(name)["argument_spec"])


def action_group(group: str = "all") -> set[str]:
    """The modules of an action group of the collection (meta/runtime.yml), for module_defaults."""
    root = Path(importlib.import_module(COLLECTION).__path__[0])
    runtime = yaml.safe_load((root / "meta" / "runtime.yml").read_text())
    return set(runtime["action_groups"][group])
