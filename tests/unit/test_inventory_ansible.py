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


def run_inventory(tmp_path: Path, fixture: Path, stage: str = "private"):
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
[hive]
root_dir = {root}
stage = {stage}
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "HIVE_"))}
    env["ANSIBLE_CONFIG"] = str(cfg)
    proc = subprocess.run([str(ANSIBLE_INVENTORY), "--list"], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
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
