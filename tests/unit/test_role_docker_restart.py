"""The docker role's `restart docker` handler: its throttle, evaluated by ansible-playbook over
three local hosts exactly as written in the handler, restarts every server at once only when the
docker role has just created daemon.json on all of them (a first converge, no swarm yet), and
hive_files reports the files it created."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from hive_builder.render.daemon_json import DAEMON_JSON_PATH, restart_throttle
from tests.unit.local_playbook import run_playbook

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "hive_builder" / "playbooks"


def handler_throttle() -> str:
    [handler] = [h for h in yaml.safe_load((PLAYBOOKS / "roles/docker/handlers/main.yml").read_text())
                 if h["name"] == "restart docker"]
    return handler["throttle"]


def ansible_run(tmp_path: Path, play: str, inventory: dict) -> dict[str, dict[str, dict]]:
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    report = run_playbook(tmp_path, tmp_path / "play.yml", ["-i", str(tmp_path / "inventory.yml")],
                          {"ANSIBLE_LIBRARY": str(PLAYBOOKS / "library"),
                           "ANSIBLE_FILTER_PLUGINS": str(ROOT / "hive_builder/plugins/filter")})
    return {t["task"]["name"]: t["hosts"] for play in report["plays"] for t in play["tasks"]}


def local_hosts(per_host: dict[str, dict]) -> dict:
    common = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    return {"all": {"hosts": {name: {**common, **hostvars} for name, hostvars in per_host.items()}}}


THROTTLE_PLAY = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: throttle
      ansible.builtin.debug:
        msg: "{throttle}"
"""


@pytest.mark.parametrize(("created", "expected"), [
    ({"a": [DAEMON_JSON_PATH], "b": [DAEMON_JSON_PATH, "/etc/x"], "c": [DAEMON_JSON_PATH]}, "0"),
    ({"a": [DAEMON_JSON_PATH], "b": [], "c": [DAEMON_JSON_PATH]}, "1"),
    ({"a": [DAEMON_JSON_PATH], "b": None, "c": [DAEMON_JSON_PATH]}, "1"),   # b: role not run
])
def test_handler_throttle_as_ansible_evaluates_it(tmp_path, created, expected):
    hosts = {name: ({} if paths is None else {"hive_docker_files": {"created_paths": paths}})
             for name, paths in created.items()}
    play = THROTTLE_PLAY.format(throttle=handler_throttle().strip().replace('"', '\\"'))
    result = ansible_run(tmp_path, play, local_hosts(hosts))["throttle"]
    assert {h: str(r["msg"]).strip() for h, r in result.items()} == dict.fromkeys(created, expected)


def test_restart_throttle():
    assert restart_throttle([[DAEMON_JSON_PATH], [DAEMON_JSON_PATH]]) == 0
    assert restart_throttle([[DAEMON_JSON_PATH], ["/etc/systemd/system/docker.service.d/hive.conf"]]) == 1
    assert restart_throttle([[DAEMON_JSON_PATH], None]) == 1
    assert restart_throttle([]) == 1


FILES_PLAY = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: files
      hive_files:
        files:
          - {{path: "{dir}/new/daemon.json", content: "[]\\n", mode: "0600"}}
          - {{path: "{dir}/old.conf", content: "changed\\n"}}
          - {{path: "{dir}/same.conf", content: "same\\n"}}
"""


def test_hive_files_reports_the_files_it_created(tmp_path):
    (tmp_path / "old.conf").write_text("before\n")
    (tmp_path / "same.conf").write_text("same\n")
    (tmp_path / "same.conf").chmod(0o644)
    play = FILES_PLAY.format(dir=tmp_path)
    hosts = local_hosts({"a": {"ansible_user": os.environ.get("USER", "root")}})
    first = ansible_run(tmp_path, play, hosts)["files"]["a"]
    assert "changed_paths" in first, first.get("msg")
    assert first["changed_paths"] == [f"{tmp_path}/new/daemon.json", f"{tmp_path}/old.conf"]
    assert first["created_paths"] == [f"{tmp_path}/new/daemon.json"]
    again = ansible_run(tmp_path, play, hosts)["files"]["a"]
    assert not again["changed"] and again["created_paths"] == []
