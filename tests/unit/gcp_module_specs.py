"""The real argument specs of the google.cloud modules the gcp provider's tasks call, taken from
the installed collection: each module's own main() runs up to the point where GcpModule hands
its merged spec (the module's options plus project, auth_kind, service_account_file, ...) to
AnsibleModule, and stops there. No google-auth or requests needed: the collection imports them
guardedly and main() builds the spec before it needs them.
"""

from __future__ import annotations

import importlib
from functools import cache

from tests.unit import ansible_module_specs as specs


@cache
def module_spec(name: str) -> dict:
    """argument_spec (with the common GCP options) and the constraints of google.cloud.<name>."""
    module = importlib.import_module(f"ansible_collections.google.cloud.plugins.modules.{name}")
    from ansible_collections.google.cloud.plugins.module_utils import gcp_utils
    _, seen = specs.arguments_at(module.main, gcp_utils, "AnsibleModule")
    return {"argument_spec": dict(seen["argument_spec"]), **specs.constraints(seen)}


def validation_errors(name: str, params: dict) -> list[str]:
    return specs.validation_errors(module_spec(name), params)


def option_names(name: str) -> set[str]:
    """Every name the module accepts, aliases included."""
    return specs.option_names(module_spec(name)["argument_spec"])
