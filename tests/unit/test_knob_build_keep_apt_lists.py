"""The group_vars knob hive_build_keep_apt_lists: `hive check` refuses a value that is not a
boolean, and build-images keeps apt's package lists in the image only when it is true."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from hive_builder.cli.main import main
from hive_builder.model.knobs import check_group_vars
from hive_builder.model.problems import Problems
from tests.fixtures.inventories.builders import PDNS
from tests.unit.test_inventory_ansible import ANSIBLE_INVENTORY, run_inventory

KNOB = "hive_build_keep_apt_lists"
BUILD_IMAGES = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "build-images.yml"


def group_vars_errors(inventory: Path, text: str) -> list[tuple]:
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "group_vars" / "all.yml").write_text(text)
    problems = Problems()
    check_group_vars(inventory, problems)
    return [(e.attr, str(e)) for e in problems.errors]


@pytest.mark.parametrize("value", ["true", "false", "yes", "'no'", "'On'", "'1'", "\"{{ keep | bool }}\""])
def test_booleans_and_templates_pass(tmp_path, value):
    assert group_vars_errors(tmp_path, f"{KNOB}: {value}\n") == []


@pytest.mark.parametrize("value, found", [
    ("sometimes", "a string ('sometimes')"),
    ("2", "a number (2)"),
    ("[true]", "a list"),
    ("{keep: true}", "a mapping"),
    ("", "nothing (null)"),
])
def test_a_value_that_is_not_a_boolean_is_refused_naming_the_knob(tmp_path, value, found):
    assert group_vars_errors(tmp_path, f"{KNOB}: {value}\n") == [
        (KNOB, f"group_vars/all.yml, group_vars all, attribute '{KNOB}': "
               f"expected a boolean (true or false), found {found}")]


def test_hive_check_refuses_it_before_anything_runs(tmp_path, capfd):
    root = tmp_path / "proj"
    shutil.copytree(PDNS, root / "inventory", ignore=shutil.ignore_patterns("*.py"))
    (root / "inventory" / "group_vars").mkdir()
    (root / "inventory" / "group_vars" / "images.yml").write_text(f"{KNOB}: sometimes\n")
    (tmp_path / "t").mkdir()
    assert main(["-r", str(root), "-W", str(tmp_path / "t"), "check"]) == 1
    err = capfd.readouterr().err
    assert f"group_vars/images.yml, group_vars images, attribute '{KNOB}'" in err, err
    assert "expected a boolean (true or false), found a string ('sometimes')" in err


def apt_lists_task() -> dict:
    """The task of build-images that removes apt's lists in the build container before the commit."""
    plays = yaml.safe_load(BUILD_IMAGES.read_text())
    found = [(play, task) for play in plays for task in play.get("tasks", ())
             if "/var/lib/apt/lists" in str(task.get("ansible.builtin.raw", ""))]
    assert len(found) == 1, "build-images.yml must remove apt's lists in exactly one task"
    play, task = found[0]
    # run in the build container (image_<svc> hosts), after the roles and before the commit
    assert play["hosts"] == "images"
    names = [t.get("name") for t in play["tasks"]]
    assert names.index("apply roles") < names.index(task["name"]) < names.index(
        "committed and pushed (:latest and the immutable tag)")
    return task


def lists_removed(**hostvars) -> bool:
    """Whether Ansible runs the removal for an image host with these variables."""
    conditions = apt_lists_task()["when"]
    templar = Templar(loader=DataLoader(), variables=hostvars)
    return all(templar.evaluate_conditional(trust_as_template(c)) for c in conditions)


def test_the_task_removes_the_lists_themselves():
    assert apt_lists_task()["ansible.builtin.raw"].strip() == "rm -f /var/lib/apt/lists/*_*"


@pytest.mark.parametrize("keep", [True, "true", "yes", "True", "on", "1"])
def test_true_keeps_the_lists(keep):
    assert not lists_removed(hive_build_needed=True, **{KNOB: keep})


@pytest.mark.parametrize("keep", [False, "false", "no", "0"])
def test_false_or_unset_removes_them(keep):
    assert lists_removed(hive_build_needed=True, **{KNOB: keep})
    assert lists_removed(hive_build_needed=True)


def test_nothing_is_removed_when_the_image_is_not_built():
    assert not lists_removed(hive_build_needed=False)
    assert not lists_removed()


@pytest.mark.skipif(not ANSIBLE_INVENTORY.exists(), reason="ansible not installed")
@pytest.mark.parametrize("group", ["all", "images"])
def test_the_knob_in_group_vars_reaches_the_image_hosts(tmp_path, group):
    inventory = tmp_path / "given"
    shutil.copytree(PDNS, inventory, ignore=shutil.ignore_patterns("*.py"))
    (inventory / "group_vars").mkdir()
    (inventory / "group_vars" / f"{group}.yml").write_text(f"{KNOB}: true\n")
    _, proc = run_inventory(tmp_path / "run", inventory)
    assert proc.returncode == 0, proc.stderr
    hostvars = json.loads(proc.stdout)["_meta"]["hostvars"]
    images = {name: v for name, v in hostvars.items() if name.startswith("image_")}
    assert images
    for name, variables in images.items():
        assert variables.get(KNOB) is True, name
        assert not lists_removed(hive_build_needed=True, **{KNOB: variables[KNOB]}), name
