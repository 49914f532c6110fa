"""Argument specs of installed Ansible modules, taken from each module's own main(): it runs until
it hands its spec to the collection's module class, which is stopped there. A spec typed into a
test would agree with our renderers, not with the module; the provider-specific loaders
(aws_module_specs.py, gcp_module_specs.py, azure_module_specs.py) say where each collection
hands its spec over and what it adds to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

# the keyword arguments of AnsibleModule that constrain options beyond argument_spec
CONSTRAINTS = ("mutually_exclusive", "required_if", "required_one_of", "required_together", "required_by")


class _Captured(Exception):
    pass


def arguments_at(run: Callable[[], object], owner: object, attribute: str) -> tuple[tuple, dict]:
    """The positional and keyword arguments of the first call of `owner.attribute` (a module
    class, or a class's `__init__`) while `run` (a module's main()) runs. The call is stopped
    there, before the module reads its input or needs its cloud SDK."""
    seen: dict = {}

    class Stop:
        # a class, not a function: gcp_utils calls `AnsibleModule.__init__(self, ...)` explicitly
        def __init__(self, *args, **kwargs):
            seen.update(args=args, kwargs=kwargs)
            raise _Captured

    original = getattr(owner, attribute)
    setattr(owner, attribute, Stop.__init__ if attribute == "__init__" else Stop)
    try:
        run()
    except _Captured:
        pass
    finally:
        setattr(owner, attribute, original)
    if not seen:
        raise LookupError(f"{getattr(run, '__module__', run)}.main() never called "
                          f"{getattr(owner, '__name__', owner)}.{attribute}: the collection changed "
                          "how its modules start; update the loader that names it")
    return seen["args"], seen["kwargs"]


def constraints(kwargs: Mapping) -> dict:
    """The constraint arguments that say something (GcpModule passes list.append's None)."""
    return {k: kwargs[k] for k in CONSTRAINTS if kwargs.get(k)}


def validation_errors(spec: Mapping, params: dict) -> list[str]:
    """What the module's own validation says of `params`; `spec`: ArgumentSpecValidator's
    arguments (argument_spec and constraints)."""
    return list(ArgumentSpecValidator(**spec).validate(params).error_messages)


def option_names(argument_spec: Mapping) -> set[str]:
    """Every name the module accepts, aliases included."""
    names = set()
    for option, spec in argument_spec.items():
        names.add(option)
        names.update(spec.get("aliases") or ())
    return names
