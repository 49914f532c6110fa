"""Validation of the service attributes that are copied verbatim as `hive_<attr>` host vars."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hive_builder.model.checks import (is_int, reject_unknown, want_bool, want_int, want_list,
                                       want_mapping, want_one_of, want_str, want_str_list)
from hive_builder.model.problems import Where, type_name

BACKUP_KEYS = ("name", "directory", "backup_command", "backup_file", "restore_command",
               "restore_file", "ext", "cleanup_days_before", "batch_scripts")
PLACEMENT_KEYS = ("constraints", "preferences", "replicas_max_per_node")
RESTART_KEYS = ("condition", "delay", "max_attempts", "window")
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period")
LOGGING_KEYS = ("driver", "options")


def _str_or_list(w: Where, v: Any, attr: str) -> None:
    if not isinstance(v, str):
        want_str_list(w, v, attr, scalars=True)


def _environment(w: Where, v: Any, attr: str) -> None:
    if isinstance(v, list):
        want_str_list(w, v, attr)
    elif want_mapping(w, v, attr):
        _scalar_values(w, v, attr)


def _scalar_values(w: Where, v: dict, attr: str) -> None:
    for key, value in v.items():
        if not isinstance(key, str):
            w.error(f"expected string keys, found {type_name(key)}", attr)
        elif isinstance(value, dict | list):
            w.error(f"{key}: expected a scalar value, found {type_name(value)}", attr)


def _str_mapping(w: Where, v: Any, attr: str) -> None:
    if want_mapping(w, v, attr):
        _scalar_values(w, v, attr)


def _labels(w: Where, v: Any, attr: str) -> None:
    # values may be anything: non-strings are JSON-encoded at deploy (reference §4.3)
    if want_mapping(w, v, attr):
        for key in v:
            if not isinstance(key, str):
                w.error(f"expected string label names, found {type_name(key)}", attr)


def _user(w: Where, v: Any, attr: str) -> None:
    if not is_int(v):
        want_str(w, v, attr)


def _sub_mapping(keys: tuple[str, ...], check: Callable[[Where, dict, str], None] | None = None):
    def validate(w: Where, v: Any, attr: str) -> None:
        if want_mapping(w, v, attr):
            reject_unknown(w.at(attr), v, keys, attr)
            if check:
                check(w, v, attr)
    return validate


def _placement(w: Where, v: dict, attr: str) -> None:
    if "constraints" in v:
        want_str_list(w, v["constraints"], f"{attr}.constraints")
    if "preferences" in v:
        want_list(w, v["preferences"], f"{attr}.preferences")
    if "replicas_max_per_node" in v:
        want_int(w, v["replicas_max_per_node"], f"{attr}.replicas_max_per_node", lo=1)


def _restart(w: Where, v: dict, attr: str) -> None:
    if "condition" in v:
        want_one_of(w, v["condition"], f"{attr}.condition", ("none", "on-failure", "any"))
    if "max_attempts" in v:
        want_int(w, v["max_attempts"], f"{attr}.max_attempts", lo=0)


def _logging(w: Where, v: dict, attr: str) -> None:
    if "driver" in v:
        want_str(w, v["driver"], f"{attr}.driver")
    if "options" in v and want_mapping(w, v["options"], f"{attr}.options"):
        _scalar_values(w, v["options"], f"{attr}.options")


def _backup_scripts(w: Where, v: Any, attr: str) -> None:
    if not want_list(w, v, attr):
        return
    names: set[str] = set()
    for index, item in enumerate(v, 1):
        bw = w.at(f"backup script #{index}")
        if not want_mapping(bw, item, None):
            continue
        reject_unknown(bw, item, BACKUP_KEYS, "a backup script")
        name = item.get("name")
        if name is None:
            bw.error("name must be specified (it names the backup files)", "name")
        elif want_str(bw, name, "name"):
            if name in names:
                bw.error(f"backup script name {name!r} is used twice in this service", "name")
            names.add(name)
        if "directory" in item and "backup_command" in item:
            bw.error("directory and backup_command are exclusive: back up either a directory or "
                     "the output of a command", "backup_command")
        if "directory" not in item and "backup_command" not in item and "batch_scripts" not in item:
            bw.error("expected directory, backup_command or batch_scripts, found none")
        for key in ("backup_file", "restore_file"):
            if key in item and "backup_command" not in item:
                bw.error(f"{key} needs backup_command", key)
        for key in ("directory", "backup_command", "backup_file", "restore_command",
                    "restore_file", "ext"):
            if key in item:
                want_str(bw, item[key], key)
        if "cleanup_days_before" in item:
            want_int(bw, item["cleanup_days_before"], "cleanup_days_before", lo=0)
        if "batch_scripts" in item:
            want_str_list(bw, item["batch_scripts"], "batch_scripts")


def _str_list(w: Where, v: Any, attr: str) -> None:
    want_str_list(w, v, attr)


# attribute -> validator(where, value, attr); all of these are copied as hive_<attr>
COPIED: dict[str, Callable[[Where, Any, str], None]] = {
    "command": _str_or_list,
    "entrypoint": _str_or_list,
    "environment": _environment,
    "networks": _str_list,
    "mode": lambda w, v, a: want_one_of(w, v, a, ("replicated", "global")) and None,
    "replicas": lambda w, v, a: want_int(w, v, a, lo=0) and None,
    "placement": _sub_mapping(PLACEMENT_KEYS, _placement),
    "endpoint_mode": lambda w, v, a: want_one_of(w, v, a, ("vip", "dnsrr")) and None,
    "restart_config": _sub_mapping(RESTART_KEYS, _restart),
    "healthcheck": _sub_mapping(HEALTHCHECK_KEYS),
    "hosts": _str_mapping,
    "dns": _str_or_list,
    "user": _user,
    "working_dir": lambda w, v, a: want_str(w, v, a) and None,
    "labels": _labels,
    "logging": _sub_mapping(LOGGING_KEYS, _logging),
    "standalone": lambda w, v, a: want_bool(w, v, a) and None,
    "initialize_roles": _str_list,
    "backup_scripts": _backup_scripts,
    "monitor_error": _str_list,
    "ignore_error": _str_list,
}
# attributes interpreted by the model rather than copied
STRUCTURED = ("available_on", "image", "ports", "volumes")
SERVICE_KEYS = (*STRUCTURED, *COPIED)
