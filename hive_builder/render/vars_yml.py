"""vars.yml written to `<temp_dir>/vars.yml` and passed as `--extra-vars @vars.yml` (reference §2.6):
every variable that has a `name_in_ansible` and a value, under that name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import yaml

from hive_builder.config.catalogue import VARIABLES, Type, Variable


def ansible_vars(values: Mapping[str, object],
                 variables: Iterable[Variable] = VARIABLES) -> dict[str, object]:
    result: dict[str, object] = {}
    for var in variables:
        if var.name_in_ansible is None:
            continue
        value = values.get(var.name)
        if value is None:
            continue
        # A false flag is the same as an absent one (the original exported only given flags).
        if var.type is Type.BOOLEAN and value is False:
            continue
        result[var.name_in_ansible] = value
    return result


def render_vars_yml(values: Mapping[str, object],
                    variables: Iterable[Variable] = VARIABLES) -> str:
    return yaml.safe_dump(ansible_vars(values, variables), default_flow_style=False, sort_keys=True)
