"""Role apt-packages run by ansible-playbook against this machine (Debian, in check mode): apt is
skipped when every package is installed and the package lists are there, and runs when one is
missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.local_playbook import local_args, run_playbook

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
pytestmark = pytest.mark.skipif(not Path("/usr/bin/dpkg-query").exists(), reason="needs a Debian host")

PLAY = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: packages
      ansible.builtin.import_role:
        name: apt-packages
      vars:
        hive_apt_name: the packages
        hive_apt_packages: {packages}
"""


def apt_lists_present() -> bool:
    # stored compressed when apt is told so (Acquire::GzipIndexes, this CI machine: .lz4)
    return any(re.search(r"_Packages(\.(gz|lz4|xz|bz2|zst))?$", p.name) for p in Path("/var/lib/apt/lists").glob("*"))


def run(tmp_path: Path, packages: list[str]) -> dict[str, dict]:
    (tmp_path / "play.yml").write_text(PLAY.format(packages=json.dumps(packages)))
    # check mode: apt, when it runs, only says what it would do (or that a package is unknown)
    report = run_playbook(tmp_path, tmp_path / "play.yml", ["--check", *local_args("localhost,")],
                          {"ANSIBLE_ROLES_PATH": str(PLAYBOOKS / "roles")})
    return {t["task"]["name"].removeprefix("apt-packages : "): t["hosts"]["localhost"]
            for play in report["plays"] for t in play["tasks"]}


@pytest.mark.skipif(not apt_lists_present(), reason="this machine has no apt package lists")
def test_apt_is_skipped_when_every_package_is_installed(tmp_path):
    tasks = run(tmp_path, ["dpkg", "bash"])
    state = tasks["the packages: installed packages, and apt's package lists present"]
    assert "lists" in state["stdout_lines"]
    assert {"installed|dpkg", "installed|bash"} <= set(state["stdout_lines"])
    assert tasks["the packages"].get("skipped") is True


@pytest.mark.skipif(not apt_lists_present(), reason="this machine has no apt package lists")
def test_apt_runs_when_a_package_is_missing(tmp_path):
    tasks = run(tmp_path, ["dpkg", "hive-no-such-package"])
    state = tasks["the packages: installed packages, and apt's package lists present"]
    assert "installed|dpkg" in state["stdout_lines"]
    assert not any("hive-no-such-package" in line for line in state["stdout_lines"])
    assert not tasks["the packages"].get("skipped")
    # apt ran and knows no such package
    assert tasks["the packages"].get("failed") is True, tasks["the packages"]
    assert "hive-no-such-package" in tasks["the packages"]["msg"], tasks["the packages"]["msg"]
