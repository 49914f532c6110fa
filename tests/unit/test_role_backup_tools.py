"""Role backup-tools (reference §8.1, §14.7 #62), run for real by ansible-playbook against
localhost in check mode (nothing is written; a stub systemctl answers for systemd): the files it
would install, with their contents, and the units' settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hive_builder.render import backup

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
ROLE = PLAYBOOKS / "roles" / "backup-tools"
BIN = Path(sys.executable).parent

PLAY = """\
- hosts: repository
  gather_facts: false
  roles:
    - backup-tools
"""
INVENTORY = """\
[repository]
p-hive0.t ansible_connection=local ansible_python_interpreter={python} hive_safe_admin=root \
hive_home_dir=/home/admin hive_zabbix_backup_cleanup_days_before=5
"""
SYSTEMCTL = """#!/bin/sh
for arg in "$@"; do
  case $arg in
    show) printf 'Id=backup.timer\\nLoadState=loaded\\nActiveState=active\\nSubState=waiting\\n'
          printf 'UnitFileState=enabled\\n'; exit 0 ;;
    is-enabled) echo enabled; exit 0 ;;
  esac
done
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("backup-tools")
    (tmp / "play.yml").write_text(PLAY)
    (tmp / "hosts").write_text(INVENTORY.format(python=sys.executable))
    (tmp / "bin").mkdir()
    (tmp / "bin/systemctl").write_text(SYSTEMCTL)
    (tmp / "bin/systemctl").chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp / 'bin'}:{os.environ['PATH']}",
               ANSIBLE_ROLES_PATH=str(PLAYBOOKS / "roles"),
               ANSIBLE_LIBRARY=str(PLAYBOOKS / "library"),
               ANSIBLE_FILTER_PLUGINS=str(PLAYBOOKS.parent / "plugins" / "filter"),
               ANSIBLE_LOCAL_TEMP=str(tmp / "tmp"), ANSIBLE_HOME=str(tmp),
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-C", "-i", str(tmp / "hosts"),
                           str(tmp / "play.yml")], env=env, capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON from ansible-playbook: {proc.stdout}\n{proc.stderr}")
    tasks = {t["task"]["name"].removeprefix("backup-tools : "): t["hosts"]["p-hive0.t"]
             for play in report["plays"] for t in play["tasks"]}
    return proc.returncode, tasks


def written(tasks) -> dict[str, dict]:
    return {f["path"]: f for name, result in tasks.items() if "hive_files" in str(result)
            for f in result["invocation"]["module_args"]["files"]}


def test_role_runs(run):
    rc, tasks = run
    assert rc == 0, tasks
    assert not [name for name, result in tasks.items() if result.get("failed")]


def test_script_and_registry_fragment(run):
    files = written(run[1])
    script = files["/usr/bin/hive-backup.sh"]
    assert script["content"] == (ROLE / "files/hive-backup.sh").read_text()
    assert script["mode"] == "0755"
    fragment = files["/var/lib/hive-backup.d/hive-registry"]
    assert fragment["content"] == backup.registry_fragment("/var/lib/docker-registry", 3)
    assert fragment["mode"] == "0755"
    # the user's knob (set for the host here) reaches the Zabbix database's fragment
    zabbix = files["/var/lib/hive-backup.d/hive-zabbix"]
    assert zabbix["content"] == backup.zabbix_fragment("zabbix", 5)
    assert "_hb_cleanup hive-zabbix dump 5" in zabbix["content"]


def test_units(run):
    files = written(run[1])
    service = files["/etc/systemd/system/backup.service"]["content"]
    for line in ("Type=oneshot", "User=root", "Group=root", "WorkingDirectory=/home/admin",
                 "ExecStart=/usr/bin/hive-backup.sh"):
        assert line in service.splitlines()
    timer = files["/etc/systemd/system/backup.timer"]["content"].splitlines()
    for line in ("OnCalendar=*-*-* 01:00:00", "Persistent=true", "WantedBy=timers.target"):
        assert line in timer


def test_backup_directory_and_timer(run):
    tasks = run[1]
    directory = tasks["backup scripts directory"]["invocation"]["module_args"]
    assert (directory["path"], directory["state"], directory["mode"], directory["group"]) == \
        ("/var/lib/hive-backup.d", "directory", "0775", "root")
    timer = tasks["backup timer enabled and started"]["invocation"]["module_args"]
    assert (timer["name"], timer["enabled"], timer["state"]) == ("backup.timer", True, "started")


def test_no_task_that_reports_changed_on_every_run():
    tasks = yaml.safe_load((ROLE / "tasks/main.yml").read_text())
    modules = {key for task in tasks for key in task if key not in ("name", "register", "notify")}
    assert modules == {"ansible.builtin.file", "hive_files", "ansible.builtin.systemd"}
    [timer] = [t for t in tasks if "ansible.builtin.systemd" in t]
    assert "is changed" in timer["ansible.builtin.systemd"]["daemon_reload"]
