"""The services' files on the repository server (roles service-backup and monitor-service-log) are
pruned to one list, hive_deploy_remaining_services of deploy-service's defaults, rendered here
with Ansible's own templating as the deploy-services play would."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
ROLES = PLAYBOOKS / "roles"
SHARED = "hive_deploy_remaining_services"
GROUPS = {"services": ["web", "db", "cache", "other_stage_svc"], "private": ["web", "db", "cache"]}


def _trusted(value):
    # Ansible trusts templates read from playbooks and roles; yaml.safe_load's strings are not
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _load(relative: str):
    return _trusted(yaml.safe_load((ROLES / relative).read_text()))


def _task(role: str) -> dict:
    [task] = _load(f"{role}/tasks/main.yml")
    return task


def templar(role: str | None = None, **extra) -> Templar:
    """Variables as the play on the repository server has them: deploy-service's defaults (its
    vars_files), the role's defaults and its task's vars."""
    variables = {**_load("deploy-service/defaults/main.yml"), "groups": GROUPS, "hive_stage": "private",
                 **extra}
    if role:
        variables.update({**_load(f"{role}/defaults/main.yml"), **_task(role).get("vars", {})})
    return Templar(loader=DataLoader(), variables=variables)


def remaining(**extra) -> list[str]:
    return sorted(templar(**extra).template(trust_as_template("{{ %s }}" % SHARED)))


@pytest.mark.parametrize("extra, expected", [
    ({}, ["cache", "db", "web"]),                                           # every service stays
    ({"hive_limit": "db"}, ["cache", "db", "web"]),                         # -l deploys, removes none
    ({"hive_destroy": True}, []),                                           # -D: all go
    ({"hive_destroy": "yes", "hive_limit": "db, web"}, ["cache"]),           # -D -l: those go
    ({"hive_destroy": "false", "hive_limit": "db"}, ["cache", "db", "web"]),
])
def test_remaining_services_are_the_stage_s_but_those_destroyed(extra, expected):
    assert remaining(**extra) == expected


def prune(role: str, **extra):
    """The role's `prune` option of hive_files, or None when Ansible omits it."""
    rendered = templar(role, **extra).template({"prune": _task(role)["hive_files"]["prune"]})
    return rendered.get("prune")


@pytest.mark.parametrize("extra", [{}, {"hive_destroy": True}, {"hive_destroy": True, "hive_limit": ""}])
def test_both_roles_keep_the_shared_list(extra):
    kept = remaining(**extra)
    backup = prune("service-backup", **extra)
    # intersect/difference give set order, which varies with the hash seed; keep is a set anyway
    backup["keep"] = sorted(backup["keep"])
    assert backup == {"path": "/var/lib/hive-backup.d", "excludes": ["hive-*"], "keep": kept}
    monitor = prune("monitor-service-log", **extra)
    monitor["keep"] = sorted(monitor["keep"])
    assert monitor == {"path": "/etc/rsyslog-services.d", "patterns": ["*.conf"],
                       "keep": [f"{svc}.conf" for svc in kept]}


@pytest.mark.parametrize("role", ["service-backup", "monitor-service-log"])
def test_a_limited_run_prunes_nothing(role):
    # -l names some services: the others' files are not this run's business
    assert prune(role, hive_limit="web") is None
    assert prune(role, hive_limit="web", hive_destroy=True) is None


@pytest.mark.parametrize("role", ["service-backup", "monitor-service-log"])
def test_the_roles_do_not_compute_the_list_again(role):
    text = str(_task(role)["hive_files"]["prune"])
    assert SHARED in text
    assert "hive_deploy_stage_services" not in text and "difference" not in text


def test_the_play_of_both_roles_reads_deploy_service_defaults():
    plays = yaml.safe_load((PLAYBOOKS / "deploy-services.yml").read_text())
    [play] = [p for p in plays if any(r.get("role") == "service-backup" for r in p.get("roles", ()))]
    assert {r["role"] for r in play["roles"]} >= {"service-backup", "monitor-service-log"}
    assert "roles/deploy-service/defaults/main.yml" in play["vars_files"]
    assert SHARED in yaml.safe_load((ROLES / "deploy-service" / "defaults" / "main.yml").read_text())
