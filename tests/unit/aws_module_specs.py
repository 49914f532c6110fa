"""The real argument specs of the amazon.aws modules the aws provider's tasks call, taken from the
installed collection (each module's own main(), stopped where it builds its AnsibleAWSModule),
to validate the parameters providers/aws_render.py emits and the names the tasks pass.
"""

from __future__ import annotations

import importlib
from functools import cache

from tests.unit import ansible_module_specs as specs


@cache
def module_spec(name: str) -> dict:
    """argument_spec (with the common AWS connection options) and the constraints of
    amazon.aws.<name>."""
    module = importlib.import_module(f"ansible_collections.amazon.aws.plugins.modules.{name}")
    from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
    _, seen = specs.arguments_at(module.main, module, "AnsibleAWSModule")
    # AnsibleAWSModule adds the connection options (region, profile, ...) itself
    spec = dict(seen["argument_spec"])
    spec.update(aws_argument_spec())
    return {"argument_spec": spec, **specs.constraints(seen)}


def validation_errors(name: str, params: dict) -> list[str]:
    return specs.validation_errors(module_spec(name), params)


def option_names(name: str) -> set[str]:
    """Every name the module accepts, aliases included."""
    return specs.option_names(module_spec(name)["argument_spec"])
