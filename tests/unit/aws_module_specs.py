"""The real argument specs of the amazon.aws modules the aws provider's tasks call, taken from the
installed collection (each module's own main(), stopped where it builds its AnsibleAWSModule),
to validate the parameters providers/aws_render.py emits and the names the tasks pass.
"""

from __future__ import annotations

import importlib
from functools import cache

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


class _Captured(Exception):
    pass


@cache
def module_spec(name: str) -> dict:
    """argument_spec (with the common AWS connection options) and the constraints of
    amazon.aws.<name>."""
    module = importlib.import_module(f"ansible_collections.amazon.aws.plugins.modules.{name}")
    from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
    seen: dict = {}

    def capture(*args, **kwargs):
        seen.update(kwargs)
        raise _Captured

    original = module.AnsibleAWSModule
    module.AnsibleAWSModule = capture
    try:
        module.main()
    except _Captured:
        pass
    finally:
        module.AnsibleAWSModule = original
    spec = dict(seen["argument_spec"])
    spec.update(aws_argument_spec())
    return {"argument_spec": spec,
            **{k: seen[k] for k in ("mutually_exclusive", "required_if", "required_one_of",
                                    "required_together", "required_by") if k in seen}}


def validation_errors(name: str, params: dict) -> list[str]:
    spec = module_spec(name)
    validator = ArgumentSpecValidator(**spec)
    return list(validator.validate(params).error_messages)


def option_names(name: str) -> set[str]:
    """Every name the module accepts, aliases included."""
    names = set()
    for option, spec in module_spec(name)["argument_spec"].items():
        names.add(option)
        names.update(spec.get("aliases") or ())
    return names
