"""Issue 10: `hive check` and `hive inventory` report malformed YAML once, with file, line and
column, and nothing that follows from it (no 'no hive definition', no Ansible warnings)."""

from __future__ import annotations

import shutil

import pytest

from hive_builder.cli.main import main
from tests.fixtures.inventories.builders import PDNS


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(PDNS, root / "inventory", ignore=shutil.ignore_patterns("*.py"))
    temp = tmp_path / "t"
    temp.mkdir()
    return root, temp


@pytest.mark.parametrize("command", ["check", "inventory"])
@pytest.mark.parametrize("broken, expected", [
    ("hive.yml", "HIVE ERROR: hive.yml: invalid YAML: line "),
    ("services.yml", "HIVE ERROR: services.yml: invalid YAML: line "),
])
def test_broken_yaml_once(project, capfd, command, broken, expected):
    root, temp = project
    path = root / "inventory" / broken
    path.write_text(path.read_text() + "\nextra: \"unterminated\n")
    assert main(["-r", str(root), "-W", str(temp), command]) == 1
    captured = capfd.readouterr()
    assert captured.err.startswith(expected), captured.err
    assert ", column " in captured.err and "while scanning a quoted scalar" in captured.err
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert captured.out == ""
    assert not (root / ".hive" / "persistent_values.yml").exists()
