"""Validation of the service attributes that are copied verbatim as `hive_<attr>` host vars."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hive_builder.model.checks import (is_int, reject_unknown, want_bool, want_int, want_list,
                                       want_mapping, want_one_of, want_str, want_str_list)
from hive_builder.model.log_patterns import pattern_problem
from hive_builder.model.problems import Where, type_name

BACKUP_KEYS = ("name", "directory", "backup_command", "backup_file", "restore_command",
               "restore_file", "ext", "cleanup_days_before", "batch_scripts")
PLACEMENT_KEYS = ("constraints", "preferences", "replicas_max_per_node")
RESTART_KEYS = ("condition", "delay", "max_attempts", "window")
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period")
LOGGING_KEYS = ("driver", "options")
BACKUP_FILE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
RESERVED_BACKUP_PREFIX = "hive-"


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
        elif _backup_file_part(bw, name, "name"):
            if name.startswith(RESERVED_BACKUP_PREFIX):
                bw.error(f"names starting with {RESERVED_BACKUP_PREFIX} are reserved for "
                         "hive-builder's own backups (hive-registry)", "name")
            if name in names:
                bw.error(f"backup script name {name!r} is used twice in this service", "name")
            names.add(name)
        if "directory" in item and "backup_command" in item:
            bw.error("directory and backup_command are exclusive: back up either a directory or "
                     "the output of a command", "backup_command")
        if "directory" not in item and "backup_command" not in item and "batch_scripts" not in item:
            bw.error("expected directory, backup_command or batch_scripts, found none")
        _backup_dependencies(bw, item)
        for key in ("directory", "backup_command", "backup_file", "restore_command",
                    "restore_file"):
            if key in item:
                want_str(bw, item[key], key)
        if "ext" in item:
            _backup_file_part(bw, item["ext"], "ext")
        if "cleanup_days_before" in item:
            want_int(bw, item["cleanup_days_before"], "cleanup_days_before", lo=0)
        if "batch_scripts" in item:
            want_str_list(bw, item["batch_scripts"], "batch_scripts")


def _backup_file_part(w: Where, value: Any, attr: str) -> bool:
    """name and ext make up the backup file names `backup-<name>-<time>.<ext>`."""
    if not want_str(w, value, attr):
        return False
    if not BACKUP_FILE_PART.match(value):
        w.error(f"expected letters, digits, '_', '.' and '-' (not first), found {value!r}: it is "
                "part of the backup file names", attr)
        return False
    return True


def _backup_dependencies(w: Where, item: dict) -> None:
    if "backup_file" in item and "backup_command" not in item:
        w.error("backup_file needs backup_command (the command that writes it)", "backup_file")
    if "directory" not in item and "backup_command" not in item:
        for key in ("restore_command", "restore_file"):
            if key in item:
                w.error(f"{key} without backup_command or directory: there is no backup to "
                        "restore", key)
    if "restore_file" in item and "restore_command" not in item:
        w.error("restore_file needs restore_command (the command that reads it)", "restore_file")
    if "directory" in item:
        # a directory is restored by unpacking its archive: a command would never run
        for key in ("restore_command", "restore_file"):
            if key in item:
                w.error(f"{key} cannot be used with directory (its backup is restored by "
                        "unpacking the archive into the directory)", key)


def _str_list(w: Where, v: Any, attr: str) -> None:
    want_str_list(w, v, attr)


def _log_patterns(w: Where, v: Any, attr: str) -> None:
    """monitor_error / ignore_error: regular expressions as rsyslog's re_match compiles them."""
    if want_str_list(w, v, attr):
        for pattern in v:
            problem = pattern_problem(pattern)
            if problem:
                w.error(f"pattern '{pattern}': {problem}", attr)


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
    "monitor_error": _log_patterns,
    "ignore_error": _log_patterns,
}
# attributes interpreted by the model rather than copied
STRUCTURED = ("available_on", "image", "ports", "volumes")
SERVICE_KEYS = (*STRUCTURED, *COPIED)
