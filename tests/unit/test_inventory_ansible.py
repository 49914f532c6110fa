"""The real `ansible-inventory --list` with our plugins equals to_ansible_inventory()."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hive_builder.inventory_json import to_ansible_inventory
from hive_builder.model import MemoryStore, load_site
from tests.fixtures.inventories.builders import DOCKER, PDNS

PLUGINS = Path(__file__).resolve().parents[2] / "hive_builder" / "plugins" / "inventory"
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"

pytestmark = pytest.mark.skipif(not ANSIBLE_INVENTORY.exists(), reason="ansible not installed")


def run_inventory(tmp_path: Path, fixture: Path, stage: str = "private", hive_section: bool = True,
                  command: tuple[str, ...] = ("ansible-inventory", "--list"),
                  extra_env: dict[str, str] | None = None):
    root = tmp_path / "project"
    shutil.copytree(fixture, root / "inventory", ignore=shutil.ignore_patterns("*.py"))
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text(f"""[defaults]
inventory = {root / 'inventory'}
inventory_plugins = {PLUGINS}
[inventory]
enable_plugins = hive_inventory, hive_services, yaml, ini
unparsed_is_failed = True
any_unparsed_is_failed = True
""" + (f"[hive]\nroot_dir = {root}\nstage = {stage}\n" if hive_section else ""))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "HIVE_"))}
    env["ANSIBLE_CONFIG"] = str(cfg)
    env.update(extra_env or {})
    argv = [str(ANSIBLE_INVENTORY.parent / command[0]), *command[1:]]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path)
    return root, proc


@pytest.mark.parametrize("fixture", [PDNS, DOCKER], ids=["pdns", "docker"])
def test_ansible_inventory_equals_model(tmp_path, fixture):
    root, proc = run_inventory(tmp_path, fixture)
    assert proc.returncode == 0, proc.stderr
    expected = to_ansible_inventory(load_site(fixture, "private", MemoryStore()))
    assert json.loads(proc.stdout) == json.loads(json.dumps(expected))
    saved = yaml.safe_load((root / ".hive" / "persistent_values.yml").read_text())
    assert set(saved) == {"published_port_map", "drbd_device_map"}
    assert list(saved["published_port_map"]) == ["private"]


def test_inventory_error_fails_ansible(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(PDNS, broken)
    text = (broken / "services.yml").read_text().replace('"8081"', '"8081/xyz"')
    (broken / "services.yml").write_text(text)
    root, proc = run_inventory(tmp_path, broken)
    assert proc.returncode != 0
    assert "unknown protocol 'xyz'" in proc.stderr
    assert not (root / ".hive").exists()


def test_environment_and_defaults_locate_the_project(tmp_path):
    # no [hive] section: root_dir = parent of the inventory dir; stage from HIVE_STAGE
    root, proc = run_inventory(tmp_path, PDNS, hive_section=False,
                               extra_env={"HIVE_STAGE": "production"})
    assert proc.returncode == 0, proc.stderr
    saved = yaml.safe_load((root / ".hive" / "persistent_values.yml").read_text())
    assert saved["drbd_device_map"] == {"production": {"pdnsdb_data": 1, "pdnsadmin_data": 2,
                                                       "letsencrypt_data": 3}}


def test_jinja_in_service_values_is_templated_at_run_time(tmp_path):
    # values come from the user's own files, so the plugins mark them trusted (ansible-core 2.19)
    _, proc = run_inventory(tmp_path, PDNS, command=(
        "ansible", "p-mother.pdns", "-c", "local", "-m", "debug", "-a",
        "msg={{ hostvars['powerdns'].hive_environment.MYSQL_PASSWORD }}", "-e", "db_password=s3"))
    assert proc.returncode == 0, proc.stderr
    assert '"msg": "s3"' in proc.stdout


def test_plugins_claim_only_their_files(tmp_path):
    from hive_builder.plugins.inventory.hive_inventory import declares_plugin
    cases = {"a.yml": "plugin: hive_inventory  # hive\n", "b.yaml": "plugin: 'hive_services'\n",
             "c.yml": "x:\n  plugin: hive_inventory\n", "d.txt": "plugin: hive_inventory\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    found = {n: (declares_plugin(str(tmp_path / n), "hive_inventory"),
                 declares_plugin(str(tmp_path / n), "hive_services")) for n in cases}
    assert found == {"a.yml": (True, False), "b.yaml": (False, True), "c.yml": (False, False),
                     "d.txt": (False, False)}


def test_file_order_and_several_service_files(tmp_path):
    # a services file sorting before hive.yml, another after it, plus group_vars (ignored by us)
    mixed = tmp_path / "mixed"
    shutil.copytree(PDNS, mixed)
    (mixed / "services.yml").rename(mixed / "apps.yml")
    (mixed / "zz.yml").write_text(yaml.safe_dump({
        "plugin": "hive_services", "available_on": ["staging"],
        "networks": {"back": {"driver_opts": {"encrypted": ""}}},
        "services": {"extra": {"image": "x", "ports": ["9000"], "networks": ["back"]}}}))
    _, proc = run_inventory(tmp_path, mixed, stage="staging")
    assert proc.returncode == 0, proc.stderr
    expected = to_ansible_inventory(load_site(mixed, "staging", MemoryStore()))
    assert json.loads(proc.stdout) == json.loads(json.dumps(expected))


def broken_pdns(tmp_path: Path) -> Path:
    broken = tmp_path / "broken"
    shutil.copytree(PDNS, broken)
    text = (broken / "services.yml").read_text()
    (broken / "services.yml").write_text(text + "  web:\n   image: x\n  bad: [\n")
    return broken


@pytest.mark.parametrize("command", [("ansible-inventory", "--list"),
                                     ("ansible", "all", "-m", "ping", "--list-hosts")])
def test_broken_yaml_is_reported_once(tmp_path, command):
    """Issue 10: one [ERROR] with file, line and column; no 'Failed to parse ... with auto/yaml
    plugin' warnings and no 'Completely failed to parse' after it."""
    root, proc = run_inventory(tmp_path, broken_pdns(tmp_path), command=command)
    assert proc.returncode == 1
    assert proc.stderr.count("invalid YAML") == 1, proc.stderr
    assert "services.yml: invalid YAML: line " in proc.stderr and ", column " in proc.stderr
    assert "[WARNING]" not in proc.stderr and "Failed to parse" not in proc.stderr, proc.stderr
    assert "Completely failed" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (root / ".hive").exists()


def test_broken_yaml_is_a_parser_error_when_unparsed_files_are_allowed(tmp_path):
    # without any_unparsed_is_failed the user chose Ansible's warn-and-go-on: the plugin keeps
    # raising AnsibleParserError and Ansible warns
    root, proc = run_inventory(tmp_path, broken_pdns(tmp_path),
                               extra_env={"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "False",
                                          "ANSIBLE_INVENTORY_UNPARSED_FAILED": "False"})
    assert "Failed to parse inventory with 'hive_inventory' plugin" in proc.stderr
    assert "invalid YAML" in proc.stderr
