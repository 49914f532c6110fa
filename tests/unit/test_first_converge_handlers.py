"""Handlers that restart what a role's own task has just started are skipped on a first converge:
their `when` reads the unit's state before that task (the systemd module's `status`). Evaluated
with Ansible's templar on the shipped handler files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLES = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles"


def handler(role: str, name: str) -> dict:
    [found] = [h for h in yaml.safe_load((ROLES / role / "handlers" / "main.yml").read_text())
               if h["name"] == name]
    return found


def runs(found: dict, variables: dict) -> bool:
    templar = Templar(loader=DataLoader(), variables=variables)
    when = found.get("when", True)
    return templar.evaluate_conditional(trust_as_template(when) if isinstance(when, str) else when)


def unit(active: str, file_state: str = "enabled") -> dict:
    return {"changed": True, "status": {"ActiveState": active, "UnitFileState": file_state}}


CASES = [
    ("follow-swarm-service", "restart follow-swarm-service", "hive_fss_unit", unit),
    ("backup-tools", "restart backup timer", "backup_tools_timer", unit),
    ("zabbix", "restart zabbix-server", "hive_zabbix_units",
     lambda active: {"results": [{"item": "php8.2-fpm", "status": {"ActiveState": "active"}},
                                 {"item": "zabbix-server", "status": {"ActiveState": active}}]}),
]


@pytest.mark.parametrize("role,name,register,result", CASES)
def test_restart_skipped_only_when_the_role_has_just_started_the_unit(role, name, register, result):
    found = handler(role, name)
    assert not runs(found, {register: result("inactive")})      # started by the role just now
    assert not runs(found, {register: result("failed")})
    assert runs(found, {register: result("active")})            # was running: old configuration
    assert runs(found, {register: result("activating")})        # restarting in a loop
    assert runs(found, {})                                      # the start task did not run


def test_reenable_skipped_only_when_the_role_has_just_enabled_the_unit():
    found = handler("follow-swarm-service", "reenable follow-swarm-service")
    assert not runs(found, {"hive_fss_unit": unit("inactive", "disabled")})
    assert runs(found, {"hive_fss_unit": unit("inactive", "enabled")})   # stopped, but enabled before
    assert runs(found, {})
