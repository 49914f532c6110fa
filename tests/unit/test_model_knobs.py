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
