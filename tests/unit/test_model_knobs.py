"""Typed group_vars knobs: `hive check` refuses a bad value naming file, group and knob."""

from __future__ import annotations

import shutil

import pytest

from hive_builder.cli.main import main
from hive_builder.model.knobs import check_group_vars
from hive_builder.model.problems import Problems
from tests.fixtures.inventories.builders import PDNS


def errors(inventory, files: dict[str, str]) -> list[tuple]:
    for rel, text in files.items():
        path = inventory / "group_vars" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    problems = Problems()
    check_group_vars(inventory, problems)
    return [(e.file, e.obj, e.attr, e.message) for e in problems.errors]


def test_good_values_pass(tmp_path):
    assert errors(tmp_path, {
        "repository.yml": "hive_zabbix_backup_cleanup_days_before: 0\nhive_registry_backup_cleanup_days_before: '7'\n",
        "all/build.yml": "hive_seed_from_mother: yes\n",
        "servers.yml": "hive_zabbix_backup_cleanup_days_before: \"{{ days }}\"\nother_knob: [1]\n",
    }) == []
    assert errors(tmp_path / "none", {}) == []


@pytest.mark.parametrize("text, found", [
    ("hive_zabbix_backup_cleanup_days_before: -1\n", "a number (-1)"),
    ("hive_zabbix_backup_cleanup_days_before: soon\n", "a string ('soon')"),
    ("hive_zabbix_backup_cleanup_days_before: true\n", "a boolean (True)"),
    ("hive_registry_backup_cleanup_days_before: [3]\n", "a list"),
])
def test_bad_days_name_file_group_and_knob(tmp_path, text, found):
    [(file, obj, attr, message)] = errors(tmp_path, {"repository.yml": text})
    assert (file, obj) == ("group_vars/repository.yml", "group_vars repository")
    assert attr == text.split(":")[0]
    assert message == (f"group_vars/repository.yml, group_vars repository, attribute '{attr}': "
                       f"expected a number of days (0 or more), found {found}")


def test_bad_boolean_in_a_group_directory(tmp_path):
    assert errors(tmp_path, {"all/images.yml": "hive_seed_from_mother: maybe\n"}) == [
        ("group_vars/all/images.yml", "group_vars all", "hive_seed_from_mother",
         "group_vars/all/images.yml, group_vars all, attribute 'hive_seed_from_mother': "
         "expected a boolean (true or false), found a string ('maybe')")]


def test_bad_wait_connectable_is_refused(tmp_path):
    assert errors(tmp_path, {"all.yml": "hive_wait_connectable: later\n"}) == [
        ("group_vars/all.yml", "group_vars all", "hive_wait_connectable",
         "group_vars/all.yml, group_vars all, attribute 'hive_wait_connectable': "
         "expected a boolean (true or false), found a string ('later')")]


def test_hive_check_refuses_before_anything_runs(tmp_path, capfd):
    root = tmp_path / "proj"
    shutil.copytree(PDNS, root / "inventory", ignore=shutil.ignore_patterns("*.py"))
    (root / "inventory" / "group_vars").mkdir()
    (root / "inventory" / "group_vars" / "repository.yml").write_text(
        "hive_zabbix_backup_cleanup_days_before: weekly\n")
    (tmp_path / "t").mkdir()
    assert main(["-r", str(root), "-W", str(tmp_path / "t"), "check"]) == 1
    err = capfd.readouterr().err
    assert "group_vars/repository.yml" in err and "hive_zabbix_backup_cleanup_days_before" in err, err
    assert "expected a number of days (0 or more), found a string ('weekly')" in err


@pytest.mark.parametrize("value", ["4", "5", "'12'", "31", "\"{{ cost }}\""])
def test_registry_bcrypt_cost_accepts_4_to_31(tmp_path, value):
    assert errors(tmp_path, {"repository.yml": f"hive_registry_bcrypt_cost: {value}\n"}) == []


@pytest.mark.parametrize("value, found", [
    ("3", "a number (3)"), ("32", "a number (32)"), ("true", "a boolean (True)"),
    ("high", "a string ('high')"), ("5.5", "a number (5.5)"),
])
def test_registry_bcrypt_cost_out_of_range_is_refused(tmp_path, value, found):
    [(_, _, attr, message)] = errors(tmp_path, {"all.yml": f"hive_registry_bcrypt_cost: {value}\n"})
    assert attr == "hive_registry_bcrypt_cost"
    assert message.endswith(f"expected a bcrypt cost from 4 to 31, found {found}")


@pytest.mark.parametrize("rel, knob", [
    ("images.yml", "hive_registry_bcrypt_cost: 5"),
    ("hives.yml", "hive_seed_from_mother: true"),
    ("repository.yml", "hive_build_keep_apt_lists: true"),
    ("servers/build.yml", "hive_build_keep_apt_lists: true"),
    ("services.yml", "hive_wait_connectable: false"),
])
def test_a_knob_in_a_group_whose_hosts_never_read_it_is_refused(tmp_path, rel, knob):
    """Ansible would accept it and no play would ever see it: silently ignored otherwise."""
    name = knob.split(":")[0]
    group = rel.split("/")[0].removesuffix(".yml")
    [(file, obj, attr, message)] = errors(tmp_path, {rel: knob + "\n"})
    assert (file, obj, attr) == (f"group_vars/{rel}", f"group_vars {group}", name)
    assert f"has no effect in group_vars/{group}" in message and "all.yml" in message


def test_misplaced_knob_is_refused_even_with_a_bad_value(tmp_path):
    [(_, _, _, message)] = errors(tmp_path, {"images.yml": "hive_seed_from_mother: maybe\n"})
    assert "has no effect" in message and "expected a boolean" not in message


@pytest.mark.parametrize("rel", ["all.yml", "private.yml", "production/x.yml", "repository.yml",
                                 "servers.yml", "hosts.yml"])
def test_repository_knobs_work_in_groups_holding_the_repository(tmp_path, rel):
    assert errors(tmp_path, {rel: "hive_registry_bcrypt_cost: 6\nhive_seed_from_mother: false\n"}) == []


@pytest.mark.parametrize("knob", ["hive_deploy_timeout", "hive_deploy_poll_interval"])
@pytest.mark.parametrize("value, found", [("0", "a number (0)"), ("soon", "a string ('soon')"),
                                          ("true", "a boolean (True)"), ("1.5", "a number (1.5)")])
def test_deploy_seconds_knobs_refuse_what_is_not_a_whole_number_of_seconds(tmp_path, knob, value, found):
    [(file, obj, attr, message)] = errors(tmp_path, {"hives.yml": f"{knob}: {value}\n"})
    assert file.endswith("group_vars/hives.yml") and obj == "group_vars hives" and attr == knob
    assert message.endswith(f"attribute '{knob}': expected a whole number of seconds (1 or more), found {found}")


def test_deploy_seconds_knobs_take_effect_on_the_wait(tmp_path):
    # good values pass hive check, and the wait task polls with them (retries x delay = timeout)
    assert errors(tmp_path, {"all.yml": "hive_deploy_timeout: 60\nhive_deploy_poll_interval: '2'\n"}) == []
    from pathlib import Path

    import yaml
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    deploy = Path(__file__).resolve().parents[2] / "hive_builder/playbooks/roles/deploy-service/tasks/deploy.yml"
    [wait] = [t for t in yaml.safe_load(deploy.read_text()) if t["name"] == "wait until each service has converged"]
    templar = Templar(loader=DataLoader(), variables={"hive_deploy_timeout": 60, "hive_deploy_poll_interval": "2"})
    assert int(templar.template(trust_as_template(wait["retries"]))) == 30
    assert int(templar.template(trust_as_template(wait["delay"]))) == 2
