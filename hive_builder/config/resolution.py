"""Variable resolution (decision 2), a pure function of its inputs.

Order:
1. `root_dir` = `-r` or the current directory (it locates the persistent file, so it is never
   persisted itself);
2. `stage` = `-s` > persisted global `stage` > `private` — decided before anything stage-scoped is
   read, so `hive -s production ...` uses production's persisted values;
3. persisted values: global-scoped ones from the key `global`, stage-scoped ones from the key of
   that stage;
4. command-line values that were given (an absent flag never resets a persisted value);
5. defaults for what is still unset, templates resolved to a fixed point in any order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

from hive_builder.config import persistence
from hive_builder.config.catalogue import VARIABLES, Scope, Variable

# Internal values derived from resolved variables (usable in templates, never persisted).
DERIVED: dict[str, Callable[[Mapping[str, object]], object]] = {
    # Short, stable name of the context (project directory + stage): the default temp_dir
    # /var/tmp/hive/<context_key>, and the control sockets' directory in a temp_dir set with -W.
    "context_key": lambda v: hashlib.sha256(str(v["context_dir"]).encode()).hexdigest()[:10],
}


def resolve(cli: Mapping[str, object], persisted: persistence.Data, *, cwd: str,
            install_dir: str, python: str,
            variables: Iterable[Variable] = VARIABLES) -> dict[str, object]:
    variables = tuple(variables)
    given = {k: v for k, v in cli.items() if v is not None}
    values: dict[str, object] = {
        "root_dir": given.get("root_dir") or cwd,
        "install_dir": install_dir,
        "local_python_path": python,
    }
    values["stage"] = resolve_stage(given, persisted)

    for var in variables:
        if not var.persistable or var.name == "stage":
            continue
        scope_key = "global" if var.scope is Scope.GLOBAL else str(values["stage"])
        found, value = persistence.lookup(persisted, var.name, scope_key)
        if found and value is not None:
            values[var.name] = value

    for name, value in given.items():
        if name not in ("root_dir", "stage"):
            values[name] = value

    fill_defaults(values, variables)
    return values


# Where a variable's value comes from (`hive set` without a value says it).
SOURCE_CLI = "command line"
SOURCE_DEFAULT = "default"
SOURCE_UNSET = "unset"
SOURCE_GLOBAL = "persisted (global)"


def source_persisted_stage(stage: str) -> str:
    return f"persisted (stage {stage})"


def resolve_sources(cli: Mapping[str, object], persisted: persistence.Data,
                    values: Mapping[str, object],
                    variables: Iterable[Variable] = VARIABLES) -> dict[str, str]:
    """For each variable, where `resolve` took its value from, in resolve's order: the command
    line, the persisted file (global key or the current stage's key), the default, or unset.
    (Nothing is read from the environment: the `env` of a variable is exported to Ansible.)"""
    given = {k for k, v in cli.items() if v is not None}
    stage = str(values.get("stage"))
    sources: dict[str, str] = {}
    for var in variables:
        if var.name in given:
            sources[var.name] = SOURCE_CLI
            continue
        if var.persistable:
            scope_key = "global" if var.scope is Scope.GLOBAL else stage
            found, value = persistence.lookup(persisted, var.name, scope_key)
            if found and value is not None:
                sources[var.name] = (SOURCE_GLOBAL if scope_key == "global"
                                     else source_persisted_stage(stage))
                continue
        sources[var.name] = SOURCE_DEFAULT if values.get(var.name) is not None else SOURCE_UNSET
    return sources


def resolve_stage(given: Mapping[str, object], persisted: persistence.Data) -> str:
    if "stage" in given:
        return str(given["stage"])
    found, value = persistence.lookup(persisted, "stage", "global")
    return str(value) if found and value else "private"


def fill_defaults(values: dict[str, object], variables: Iterable[Variable]) -> None:
    """Set every unset variable that has a default, re-evaluating templates until stable.

    A template naming a variable that is still unknown is skipped for that pass (it may become
    resolvable once the variable it depends on got its own default).
    """
    pending = [v for v in variables if v.default is not None and v.name not in values]
    derived_pending = [n for n in DERIVED if n not in values]
    for _ in range(len(pending) + len(derived_pending) + 2):
        changed = False
        for var in pending:
            try:
                value = var.default.format(**values) if isinstance(var.default, str) else var.default
            except KeyError:
                continue
            if values.get(var.name, _UNSET) != value:
                values[var.name], changed = value, True
        for name in derived_pending:
            try:
                value = DERIVED[name](values)
            except KeyError:
                continue
            if values.get(name, _UNSET) != value:
                values[name], changed = value, True
        if not changed:
            return
    # Unreachable: a template is only evaluated once everything it names is set, so the
    # evaluated ones form an acyclic graph and the loop converges within the bound above.
    raise RuntimeError("default values did not converge: " + ", ".join(v.name for v in pending))


_UNSET = object()
