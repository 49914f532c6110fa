"""The operator's view of the shared site: progress lines of real phases, a failing task shown in
full, the closing table of `hive all`, and `hive status` of a built and of an unbuilt stage.
It runs after the other files, on the complete site; `hive status` of a half-stopped stage is in
test_zz_lifecycle, which stops servers anyway."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import HIVE, PROJECT
from tests.e2e.site import play_recap

pytestmark = pytest.mark.e2e

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
STEP = re.compile(r"^  [\u2713\u2717] .+ \(\d+ tasks?\)  ok=\d+.*  \d+(\.\d+)?(ms|s|m\d+s)$")
FAILING_PLAY = """\
- name: a check that fails
  hosts: first_hive
  gather_facts: false
  tasks:
    - name: disk health
      ansible.builtin.shell: "echo 'disk on fire' >&2; exit 4"
"""


def test_failing_task_is_shown_with_its_host_task_and_message(site, tmp_path):
    playbooks = tmp_path / "playbooks"
    shutil.copytree(PLAYBOOKS, playbooks)
    path = playbooks / "build-networks.yml"
    path.write_text(FAILING_PLAY + path.read_text())
    proc = site.run("-P", str(playbooks), "build-networks", check=False)
    assert proc.returncode != 0
    out = proc.stdout
    first = site.hives[0]
    assert f"\u2717 FAILED: {first}  task: disk health" in out, out[-3000:]
    assert "stderr: disk on fire" in out and "rc: 4" in out, out[-3000:]
    assert "TASK [" not in out                                   # the detail is in the log only
    assert "TASK [disk health]" in site.last_log and "disk on fire" in site.last_log
    assert play_recap(out)[first]["failed"] == 1
    assert f"full output in {site.hive_log}" in proc.stderr


def test_all_resumes_and_ends_with_a_table_of_phases(site):
    """Resumed at deploy-services (the site is complete by now: this file runs after the others),
    `hive all` runs the rest, one line per step, and closes with a table of the phases it ran."""
    site.run("set", "start_phase", "deploy-services")
    proc = site.run("all")
    out, err = proc.stdout, proc.stderr
    steps = [line for line in out.splitlines() if STEP.match(line)]
    assert len(steps) >= 3, out[-3000:]
    assert "\u25b6 " in out and "TASK [" not in out and "PLAY RECAP" not in out
    recap = play_recap(out)       # of initialize-services, the last phase: its hosts are services
    assert recap and all(c["failed"] == c["unreachable"] == 0 for c in recap.values()), out[-3000:]
    table = err[err.index("phase "):]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+)\s+(\u2713|\u2717|-)\s", table, re.M)}
    assert rows == {"deploy-services": "\u2713", "initialize-services": "\u2713"}, table
    assert re.search(r"^  total\s+\d", table, re.M), table
    assert "TASK [" in site.last_log and "PLAY RECAP" in site.last_log


def test_status_of_the_built_site(site):
    text = site.run("status")
    assert text.stdout.rstrip().endswith("\u2713 healthy"), text.stdout
    for host in site.hosts:
        assert re.search(rf"\u2713 {re.escape(host)}\s+\S+\s+reachable", text.stdout), text.stdout
    data = json.loads(site.run("status", "--json").stdout)
    assert data["built"] is True and data["healthy"] is True and data["problems"] == []
    assert data["stage"] == "private" and data["provider"] == "docker"
    assert {s["name"] for s in data["servers"] if s["reachable"]} == set(site.hosts)
    nodes = data["swarm"]["nodes"]
    assert len(nodes) == len(site.hives) and all(n["status"] == "Ready" for n in nodes), nodes
    services = {s["name"]: s for s in data["services"]}
    assert services and all(s["running"] == s["desired"] and s["ok"] for s in services.values()), services
    deployed = subprocess.run(["ssh", "-F", str(site.ssh_config), site.hives[0],
                               "sudo docker service ls --format '{{.Name}}'"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert set(services) == set(deployed)
    assert data["registry"]["answering"] is True and data["registry"]["http_code"] in (200, 401)
    # the volume tests removed their DRBD volumes from the inventory again
    assert data["volumes"]["mode"] == "none" and data["volumes"]["names"] == [], data["volumes"]
    for vip in data["vips"]:
        assert len(vip["holders"]) == 1, vip


def test_status_of_a_stage_never_built(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns(".hive"))
    argv = [*HIVE, "-r", str(root), "status"]
    text = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    assert "stage private is not built" in text.stdout + text.stderr
    data = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=60)
    assert json.loads(data.stdout) == {"stage": "private", "built": False}
    assert not (root / ".hive").exists()                         # read-only: nothing written
