"""Knobs a project sets in inventory/group_vars: Ansible reads them, `hive check` validates those
hive-builder gives a type, so a bad value is refused before anything remote runs instead of
failing halfway through a phase (or being read as something else)."""

from __future__ import annotations

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


KNOBS = {
    "hive_registry_backup_cleanup_days_before": _days,    # role backup-tools
    "hive_zabbix_backup_cleanup_days_before": _days,      # role backup-tools
    "hive_seed_from_mother": _boolean,                    # build-images
    "hive_build_keep_apt_lists": _boolean,                # build-images
    "hive_wait_connectable": _boolean,                    # build-infra (false: tests/aws on moto)
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
        for name, check in KNOBS.items():
            value = data.get(name)
            if name in data and not (isinstance(value, str) and "{{" in value):
                check(w, name, value)
