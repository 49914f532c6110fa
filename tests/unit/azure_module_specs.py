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

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

COLLECTION = "ansible_collections.azure.azcollection"


class _Captured(Exception):
    pass


@cache
def module_spec(name: str) -> dict:
    """argument_spec (with AZURE_COMMON_ARGS, and AZURE_TAG_ARGS unless the module has no tags)
    and the constraints of azure.azcollection.<name>."""
    common = importlib.import_module(f"{COLLECTION}.plugins.module_utils.azure_rm_common")
    module = importlib.import_module(f"{COLLECTION}.plugins.modules.{name}")
    seen: dict = {}

    def capture(self, derived_arg_spec=None, **kwargs):
        seen.update(kwargs, derived_arg_spec=derived_arg_spec)
        raise _Captured

    original = common.AzureRMModuleBase.__init__
    common.AzureRMModuleBase.__init__ = capture
    try:
        module.main()
    except _Captured:
        pass
    finally:
        common.AzureRMModuleBase.__init__ = original
    spec = dict(common.AZURE_COMMON_ARGS)
    if seen.get("supports_tags", True):
        spec.update(common.AZURE_TAG_ARGS)
    spec.update(seen["derived_arg_spec"])
    required_if = list(common.AZURE_COMMON_REQUIRED_IF) + list(seen.get("required_if") or ())
    return {"argument_spec": spec, "required_if": required_if,
            **{k: seen[k] for k in ("mutually_exclusive", "required_one_of", "required_together",
                                    "required_by") if seen.get(k)}}


def validation_errors(name: str, params: dict) -> list[str]:
    validator = ArgumentSpecValidator(**module_spec(name))
    return list(validator.validate(params).error_messages)


def option_names(name: str) -> set[str]:
    """Every name the module accepts, aliases included."""
    names = set()
    for option, spec in module_spec(name)["argument_spec"].items():
        names.add(option)
        names.update(spec.get("aliases") or ())
    return names


def action_group(group: str = "all") -> set[str]:
    """The modules of an action group of the collection (meta/runtime.yml), for module_defaults."""
    root = Path(importlib.import_module(COLLECTION).__path__[0])
    runtime = yaml.safe_load((root / "meta" / "runtime.yml").read_text())
    return set(runtime["action_groups"][group])
