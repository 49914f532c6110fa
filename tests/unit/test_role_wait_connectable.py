"""build-infra's wait for ssh (role wait-connectable), its probe and wait tasks as written, run by a
real ansible-playbook: a server that answers costs one round trip, one that does not is waited for."""

from __future__ import annotations

import os
import subprocess
import socket
import sys
from pathlib import Path

import yaml

TASKS = Path(__file__).resolve().parents[2] / "hive_builder/playbooks/roles/wait-connectable/tasks/main.yml"
NAMES = ("the server answers over SSH already", "wait until the server answers over SSH")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(tmp_path: Path, host_vars: dict) -> subprocess.CompletedProcess:
    tasks = [t for t in yaml.safe_load(TASKS.read_text()) if t.get("name") in NAMES]
    assert [t["name"] for t in tasks] == list(NAMES)
    play = [{"hosts": "server", "gather_facts": False, "tasks": tasks,
             "vars": {"hive_wait_connectable_timeout": 2}}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(
        {"all": {"hosts": {"server": {"ansible_python_interpreter": sys.executable, **host_vars}}}}))
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_TIMEOUT="2")
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i",
                           str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_server_that_answers_is_not_waited_for(tmp_path):
    proc = run(tmp_path, {"ansible_connection": "local"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    waited = proc.stdout.split("wait until the server answers over SSH")[1]
    assert "skipping: [server]" in waited


def test_a_server_that_does_not_answer_is_waited_for_then_reported(tmp_path):
    proc = run(tmp_path, {"ansible_connection": "ssh", "ansible_host": "127.0.0.1",
                          "ansible_port": closed_port(), "ansible_user": "nobody"})
    assert proc.returncode != 0
    probe, waited = proc.stdout.split("wait until the server answers over SSH")
    assert "UNREACHABLE" in probe and "...ignoring" in probe
    assert "timed out waiting for ping module test" in waited
