"""Reads the inventory directory: which YAML files are hive definitions and service definitions.

Only the top level of the directory is read (group_vars/ and host_vars/ belong to Ansible), in
sorted file-name order, which is also the order in which Ansible runs the inventory plugins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hive_builder.model.problems import Problems, Where, type_name

HIVE_PLUGIN = "hive_inventory"
SERVICES_PLUGIN = "hive_services"
SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    rel: str  # as shown in messages: relative to the inventory directory
    data: dict[str, Any]


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # C parser: ~5x faster
    """SafeLoader that refuses duplicate keys: a second `web:` would silently replace the first."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar, found a " + key_node.tag.rsplit(":")[-1],
                key_node.start_mark) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# dates stay strings: values end up in JSON (hive inventory) and container environments
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp",
                              lambda loader, node: loader.construct_scalar(node))


class _Invalid:
    """parse_yaml's result for a file that is not valid YAML (the error is already reported)."""


INVALID = _Invalid()


def _position(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def yaml_error_message(exc: yaml.MarkedYAMLError) -> str:
    """One line: where the parser stopped and why, plus the construct it was reading when that
    started elsewhere ("while scanning a quoted scalar" at the opening quote)."""
    mark = exc.problem_mark or exc.context_mark
    text = f"invalid YAML: {_position(mark)}: " if mark else "invalid YAML: "
    text += exc.problem or exc.context or "syntax error"
    if exc.problem and exc.context:
        context_mark = exc.context_mark
        started = (f" that starts at {_position(context_mark)}"
                   if context_mark and mark and context_mark.line != mark.line else "")
        text += f" ({exc.context}{started})"
    return text


def parse_yaml(text: str, w: Where) -> Any:
    """The document, None for an empty file, INVALID (reported through `w`) for bad YAML."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        w.error(yaml_error_message(exc))
    except yaml.YAMLError as exc:
        w.error(f"invalid YAML: {exc}")
    except RecursionError:
        w.error("invalid YAML: nested too deeply")
    return INVALID


def read_inventory_dir(inventory_dir: Path, problems: Problems
                       ) -> tuple[SourceFile | None, list[SourceFile]]:
    """Returns (the hive definition, the service definitions) found in `inventory_dir`.

    A file that cannot be read as a YAML mapping is reported and nothing is returned: what it
    defines is unknown, so any further check (no hive definition, an undefined network, a
    diskless host that is no server...) would only add misleading errors to the real one.
    """
    top = Where(problems)
    if not inventory_dir.is_dir():
        top.error(f"inventory directory {inventory_dir} does not exist")
        return None, []
    hive_files: list[SourceFile] = []
    service_files: list[SourceFile] = []
    unreadable = 0
    for path in sorted(inventory_dir.iterdir()):
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        w = Where(problems, path.name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            w.error(f"cannot read the file: {exc}")
            unreadable += 1
            continue
        data = parse_yaml(text, w)
        if data is INVALID:
            unreadable += 1
            continue
        if data is None:
            continue  # empty
        if not isinstance(data, dict):
            w.error(f"expected a mapping at the top of the file, found {type_name(data)}")
            unreadable += 1
            continue
        plugin = data.get("plugin")
        if plugin == HIVE_PLUGIN:
            hive_files.append(SourceFile(path, path.name, data))
        elif plugin == SERVICES_PLUGIN:
            service_files.append(SourceFile(path, path.name, data))
    if unreadable:
        return None, []
    if not hive_files:
        top.error(f"no hive definition in {inventory_dir}: expected exactly one *.yml file with "
                  f"'plugin: {HIVE_PLUGIN}', found none")
    elif len(hive_files) > 1:
        top.error(f"expected exactly one hive definition ('plugin: {HIVE_PLUGIN}') in "
                  f"{inventory_dir}, found {len(hive_files)}: "
                  + ", ".join(f.rel for f in hive_files))
    return (hive_files[0] if len(hive_files) == 1 else None), service_files
