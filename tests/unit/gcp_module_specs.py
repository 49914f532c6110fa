"""The real argument specs of the google.cloud modules the gcp provider's tasks call, taken from
the installed collection: each module's own main() runs up to the point where GcpModule hands
its merged spec (the module's options plus project, auth_kind, service_account_file, ...) to
AnsibleModule, and stops there. No google-auth or requests needed: the collection imports them
guardedly and main() builds the spec before it needs them.
"""

from __future__ import annotations

import importlib
from functools import cache

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


class _Captured(Exception):
    pass


@cache
def module_spec(name: str) -> dict:
    """argument_spec (with the common GCP options) and the constraints of google.cloud.<name>."""
    module = importlib.import_module(f"ansible_collections.google.cloud.plugins.modules.{name}")
    from ansible_collections.google.cloud.plugins.module_utils import gcp_utils
    seen: dict = {}

    class Stop:
        def __init__(self, *args, **kwargs):
            seen.update(kwargs)
            raise _Captured

    original = gcp_utils.AnsibleModule
    gcp_utils.AnsibleModule = Stop
    try:
        module.main()
    except _Captured:
        pass
    finally:
        gcp_utils.AnsibleModule = original
    # GcpModule sets mutually_exclusive to list.append's None: nothing to keep then
    return {"argument_spec": dict(seen["argument_spec"]),
            **{k: seen[k] for k in ("mutually_exclusive", "required_if", "required_one_of",
                                    "required_together", "required_by") if seen.get(k)}}


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
