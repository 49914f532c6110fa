"""Knobs a project sets in inventory/group_vars: Ansible reads them, `hive check` validates those
hive-builder gives a type, so a bad value is refused before anything remote runs instead of
failing halfway through a phase (or being read as something else)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hive_builder.model.problems import Problems, Where, type_name

ANSIBLE_BOOLEANS = ("yes", "no", "true", "false", "on", "off", "1", "0")


def _days(w: Where, name: str, value: Any) -> None:
    if isinstance(value, str) and value.strip().isdigit():
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        w.error(f"expected a number of days (0 or more), found {type_name(value)}", name)


def _boolean(w: Where, name: str, value: Any) -> None:
    if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in ANSIBLE_BOOLEANS):
        return
    w.error(f"expected a boolean (true or false), found {type_name(value)}", name)


def _bcrypt_cost(w: Where, name: str, value: Any) -> None:
    number = int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or not 4 <= number <= 31:
        w.error(f"expected a bcrypt cost from 4 to 31, found {type_name(value)}", name)


def _seconds(w: Where, name: str, value: Any) -> None:
    number = int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        w.error(f"expected a whole number of seconds (1 or more), found {type_name(value)}", name)


STAGES = frozenset({"private", "staging", "production"})
# a knob takes effect only in the group_vars of a group holding the hosts that read it
ON_REPOSITORY = frozenset({"all", "hosts", "servers", "repository"}) | STAGES
ON_SERVERS = frozenset({"all", "hosts", "servers", "hives", "repository", "first_hive"}) | STAGES
ON_IMAGES = frozenset({"all", "images"}) | STAGES
ON_FIRST_HIVE = frozenset({"all", "hosts", "servers", "hives", "first_hive"}) | STAGES


@dataclass(frozen=True)
class Knob:
    check: Callable[[Where, str, Any], None]
    groups: frozenset[str]
    read_on: str   # who reads it, in the words of the error message


KNOBS = {
    "hive_registry_backup_cleanup_days_before": Knob(_days, ON_REPOSITORY, "the repository server"),
    "hive_zabbix_backup_cleanup_days_before": Knob(_days, ON_REPOSITORY, "the repository server"),
    "hive_registry_bcrypt_cost": Knob(_bcrypt_cost, ON_REPOSITORY, "the repository server"),
    "hive_seed_from_mother": Knob(_boolean, ON_REPOSITORY, "the repository server"),
    "hive_build_keep_apt_lists": Knob(_boolean, ON_IMAGES, "the image hosts image_<service>"),
    "hive_wait_connectable": Knob(_boolean, ON_SERVERS, "the servers"),
    "hive_deploy_timeout": Knob(_seconds, ON_FIRST_HIVE, "the first hive (deploy-services)"),
    "hive_deploy_poll_interval": Knob(_seconds, ON_FIRST_HIVE, "the first hive (deploy-services)"),
}


def _group_vars_files(inventory_dir: Path) -> list[Path]:
    base = inventory_dir / "group_vars"
    if not base.is_dir():
        return []
    return sorted(p for pattern in ("*.yml", "*.yaml", "*/*.yml", "*/*.yaml")
                  for p in base.glob(pattern) if p.is_file())


def check_group_vars(inventory_dir: Path, problems: Problems) -> None:
    """Every typed knob in group_vars/<group>.yml or group_vars/<group>/*.yml; a value Ansible
    would template (`{{ ... }}`) is left to it."""
    for path in _group_vars_files(inventory_dir):
        group = path.stem if path.parent.name == "group_vars" else path.parent.name
        w = Where(problems, str(path.relative_to(inventory_dir)), f"group_vars {group}")
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as e:
            w.error(f"cannot be read as YAML: {str(e).splitlines()[0]}")
            continue
        if not isinstance(data, dict):
            continue
        for name, knob in KNOBS.items():
            if name not in data:
                continue
            if group not in knob.groups:
                w.error(f"has no effect in group_vars/{group}: {knob.read_on} read it, which "
                        f"{group} does not hold; set it in one of "
                        f"{', '.join(sorted(knob.groups))} (all.yml for the whole site)", name)
                continue
            value = data.get(name)
            if not (isinstance(value, str) and "{{" in value):
                knob.check(w, name, value)
