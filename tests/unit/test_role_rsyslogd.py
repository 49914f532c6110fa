"""Role rsyslogd run for real by ansible-playbook against localhost, its paths moved into a
temporary directory and systemctl faked: it writes what the filters render, the rsyslog
configuration it makes passes `rsyslogd -N1`, and a second run changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hive_builder.plugins.filter.hive_log_filters import (hive_logrotate_conf,
                                                          hive_rsyslog_services_conf)

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
BIN = Path(sys.executable).parent
RSYSLOGD = Path("/usr/sbin/rsyslogd")
pytestmark = pytest.mark.skipif(not RSYSLOGD.exists() or not shutil.which("grep"),
                                reason="rsyslogd not installed (scripts/lib.sh installs it)")

PLAY = """\
- hosts: repository
  gather_facts: false
  roles:
    - rsyslogd
"""
INVENTORY = """\
[repository]
p-hive0.t ansible_connection=local ansible_python_interpreter={python} hive_private_ip=10.0.0.1
[hives]
p-hive1.t hive_private_ip=10.0.0.2
[servers:children]
repository
hives
"""
FAKE_SYSTEMCTL = """\
#!/bin/sh
echo "$*" >> "{log}"
case "$1" in
  show) printf 'Id=rsyslog.service\\nLoadState=loaded\\nActiveState=active\\nUnitFileState=enabled\\n' ;;
  is-enabled) echo enabled ;;
esac
exit 0
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "play.yml").write_text(PLAY)
    (tmp_path / "hosts").write_text(INVENTORY.format(python=sys.executable))
    (tmp_path / "bin").mkdir()
    systemctl = tmp_path / "bin" / "systemctl"
    systemctl.write_text(FAKE_SYSTEMCTL.format(log=tmp_path / "systemctl.log"))
    systemctl.chmod(0o755)
    (tmp_path / "rsyslog.d").mkdir()
    (tmp_path / "work").mkdir()
    # the parts of Debian's rsyslog.conf that matter here
    (tmp_path / "rsyslog.conf").write_text(
        f"$FileCreateMode 0640\n$WorkDirectory {tmp_path}/work\n"
        f"*.* -{tmp_path}/syslog\n$IncludeConfig {tmp_path}/rsyslog.d/*.conf\n")
    return tmp_path


def run_role(tmp_path):
    paths = {"hive_rsyslog_main_conf": f"{tmp_path}/rsyslog.conf",
             "hive_rsyslog_services_conf": f"{tmp_path}/rsyslog.d/services.conf",
             "hive_rsyslog_log_dir": f"{tmp_path}/services",
             "hive_rsyslog_rules_dir": f"{tmp_path}/rsyslog-services.d",
             "hive_rsyslog_logrotate_conf": f"{tmp_path}/logrotate.d/hive-services"}
    evars = {**paths, "hive_safe_syslog_port": "10514", "hive_stage_servers": ["p-hive0.t", "p-hive1.t"]}
    env = dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}",
               ANSIBLE_ROLES_PATH=str(PLAYBOOKS / "roles"), ANSIBLE_LIBRARY=str(PLAYBOOKS / "library"),
               ANSIBLE_FILTER_PLUGINS=str(PLAYBOOKS.parent / "plugins" / "filter"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path),
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--skip-tags", "rsyslogd-packages",
                           "-i", str(tmp_path / "hosts"), "-e", json.dumps(evars),
                           str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON from ansible-playbook: {proc.stdout}\n{proc.stderr}")
    assert proc.returncode == 0, json.dumps(report, indent=1)[-3000:]
    return {t["task"]["name"].removeprefix("rsyslogd : "): t["hosts"]["p-hive0.t"]
            for play in report["plays"] for t in play["tasks"]}


def restarts(tmp_path):
    log = tmp_path / "systemctl.log"
    return [line for line in log.read_text().splitlines() if line.startswith("restart")] \
        if log.exists() else []


def test_role_writes_the_rendered_files_converges_and_defers_to_a_loaded_imudp(project):
    tasks = run_role(project)
    services_conf = project / "rsyslog.d" / "services.conf"
    expected = hive_rsyslog_services_conf("10514", ["p-hive0.t", "p-hive1.t"], ["10.0.0.1", "10.0.0.2"],
                                          True, log_dir=f"{project}/services",
                                          include_dir=f"{project}/rsyslog-services.d")
    assert services_conf.read_text() == expected
    assert "'p-hive1'" in expected and "'10.0.0.2'" in expected and 'module(load="imudp")' in expected
    logrotate = project / "logrotate.d" / "hive-services"
    assert logrotate.read_text() == hive_logrotate_conf(f"{project}/services")
    assert oct((project / "services").stat().st_mode & 0o777) == "0o755"
    assert oct((project / "rsyslog-services.d").stat().st_mode & 0o777) == "0o775"
    assert tasks["check rsyslog configuration"]["rc"] == 0
    assert restarts(project) == ["restart rsyslog"]

    again = run_role(project)
    assert [name for name, result in again.items() if result.get("changed")] == []
    assert restarts(project) == ["restart rsyslog"]

    (project / "rsyslog.d" / "10-user.conf").write_text('module(load="imudp")\n')
    run_role(project)
    assert 'module(load="imudp")' not in services_conf.read_text()
    assert restarts(project) == ["restart rsyslog"] * 2
