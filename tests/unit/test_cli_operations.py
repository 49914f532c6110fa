"""`hive logs`, `hive backup`, `hive restore`: the commands built for the repository server, the
refusals, and the CLI path up to ssh (ssh itself replaced by a recorder)."""

from __future__ import annotations

import subprocess

import pytest

from hive_builder.cli import operations as ops
from hive_builder.cli.main import main
from hive_builder.errors import HiveError
from hive_builder.execution import ssh

SERVICES = {
    "web": ops.ServiceInfo("web"),
    "db": ops.ServiceInfo("db", has_backup_scripts=True),
    "status": ops.ServiceInfo("status", standalone=True, logging={"driver": "json-file"}),
    "own": ops.ServiceInfo("own", logging={"driver": "json-file"}),
}


def test_log_of_a_service_is_its_file_on_the_repository_server():
    cmd = ops.log_command(SERVICES, "private", "web", lines=20)
    assert "exec tail -n 20 /var/log/services/web.log" in cmd
    assert "exit 3" in cmd   # no file yet: a distinct status, explained by explain_exit
    assert ops.log_command(SERVICES, "private", "web", follow=True, lines=0) == \
        "exec tail -F -n 0 /var/log/services/web.log"
    # a standalone service's own syslog is collected whatever its docker logging says
    assert "/var/log/services/status.log" in ops.log_command(SERVICES, "private", "status")


def test_error_lines_of_one_service_are_picked_by_their_source_file():
    cmd = ops.log_command(SERVICES, "private", "web", errors=True, lines=5)
    assert "grep -F -- '/var/log/services/web.log ' /var/log/service-error.log | tail -n 5" in cmd
    assert ops.log_command(SERVICES, "private", None, errors=True, lines=5).endswith(
        "exec tail -n 5 /var/log/service-error.log")
    follow = ops.log_command(SERVICES, "private", "web", errors=True, follow=True)
    assert "tail -F -n 0 /var/log/service-error.log | grep --line-buffered -F" in follow


def test_log_commands_run_in_a_shell(tmp_path):
    """The commands are shell: parse them with bash, and run the no-file branch for real."""
    for cmd in (ops.log_command(SERVICES, "private", "web"),
                ops.log_command(SERVICES, "private", "web", errors=True),
                ops.log_command(SERVICES, "private", "web", errors=True, follow=True),
                ops.log_command(SERVICES, "private", None, errors=True, follow=True)):
        assert subprocess.run(["bash", "-n", "-c", cmd]).returncode == 0, cmd
    missing = ops.log_command(SERVICES, "private", "web").replace("/var/log/services", str(tmp_path))
    proc = subprocess.run(["bash", "-c", missing], capture_output=True, text=True)
    assert proc.returncode == ops.NO_LOG and "no line collected" in proc.stderr


@pytest.mark.parametrize("service, kwargs, message", [
    ("nosuch", {}, "nosuch is not a service of stage private"),
    (None, {}, "name the service whose log to show"),
    ("own", {}, "service own sets its own logging (driver json-file): its log is not collected"),
    ("web", {"lines": -1}, "-n -1: expected a number of lines >= 0"),
])
def test_log_refusals(service, kwargs, message):
    with pytest.raises(HiveError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ops.log_command(SERVICES, "private", service, **kwargs)


def test_backup_targets():
    assert ops.backup_targets(SERVICES, "private", [], restore=False) == []
    assert ops.backup_targets(SERVICES, "private", ["db", "hive-registry", "db"], restore=False) == \
        ["db", "hive-registry"]
    assert ops.backup_targets(SERVICES, "private", ["hive-zabbix"], restore=True) == ["hive-zabbix"]
    with pytest.raises(HiveError, match="service web has no backup_scripts") as e:
        ops.backup_targets(SERVICES, "private", ["web"], restore=False)
    assert "services with backup_scripts: db" in e.value.hint
    with pytest.raises(HiveError, match="nosuch is not a service of stage private"):
        ops.backup_targets(SERVICES, "private", ["nosuch"], restore=True)
    with pytest.raises(HiveError, match="replaces live data: name what to restore with -l"):
        ops.backup_targets(SERVICES, "private", [], restore=True)


def test_backup_commands():
    assert ops.backup_command(["db"], restore=True) == "/usr/bin/hive-backup.sh -r -l db"
    cmd = ops.backup_command(["db", "hive-registry"], restore=False)
    assert cmd.startswith("/usr/bin/hive-backup.sh -l db,hive-registry; rc=$?;")
    assert cmd.endswith("exit $rc") and "*-latest.*" in cmd
    assert ops.backup_command([], restore=False).startswith("/usr/bin/hive-backup.sh; rc=$?")
    assert subprocess.run(["bash", "-n", "-c", cmd]).returncode == 0


@pytest.mark.parametrize("command, rc, message", [
    ("backup", 255, "cannot reach repo over SSH"),
    ("backup", 127, "/usr/bin/hive-backup.sh is not installed on repo"),
    ("restore", 1, "restore failed on repo (exit 1)"),
    ("logs", 3, "no log collected for this service yet"),
    ("logs", 1, "reading the log on repo failed"),
])
def test_remote_exit_status_is_explained(command, rc, message):
    assert ops.explain_exit(command, "repo", 0) is None
    assert message in ops.explain_exit(command, "repo", rc).message


HIVE_YML = """\
plugin: hive_inventory
name: ops
stages:
  private:
    provider: docker
    cidr: 10.233.99.0/24
    separate_repository: true
    number_of_hosts: 4
"""
SERVICES_YML = """\
plugin: hive_services
services:
  db:
    image: postgres:15
    backup_scripts:
      - {name: db-dump, backup_command: pg_dumpall, restore_command: psql, ext: sql}
  web:
    image: nginx:1.25
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "hive.yml").write_text(HIVE_YML)
    (tmp_path / "inventory" / "services.yml").write_text(SERVICES_YML)
    calls = []

    def run_remote(config, host, command, **kw):
        calls.append((str(config), host, command))
        return 0
    monkeypatch.setattr(ssh, "run_remote", run_remote)
    return tmp_path, calls


def _built(root):
    ctx = root / ".hive" / "private"
    ctx.mkdir(parents=True, exist_ok=True)
    (ctx / "ssh_config").write_text("".join(f"Host p-hive{i}.ops\n  HostName 10.233.99.{10 + i}\n"
                                            for i in range(4)))


def test_commands_need_a_built_stage(project, capsys):
    root, calls = project
    assert main(["-r", str(root), "logs", "web"]) == 1
    assert "HIVE ERROR: stage private is not built" in capsys.readouterr().err
    assert calls == []


def test_commands_reach_the_repository_server(project, capsys):
    root, calls = project
    _built(root)
    assert main(["-r", str(root), "logs", "web", "-f"]) == 0
    assert main(["-r", str(root), "backup", "-l", "db"]) == 0
    assert main(["-r", str(root), "restore", "-l", "db"]) == 0
    assert [c[1] for c in calls] == ["p-hive3.ops"] * 3
    assert calls[0][2] == "exec tail -F -n 50 /var/log/services/web.log"
    assert calls[2][2] == "/usr/bin/hive-backup.sh -r -l db"
    # read-only: the persistent values (port allocations) are not written
    assert not (root / ".hive" / "persistent_values.yml").exists()


def test_commands_validate_before_reaching_anything(project, capsys):
    root, calls = project
    _built(root)
    assert main(["-r", str(root), "backup", "-l", "web"]) == 1
    assert "service web has no backup_scripts" in capsys.readouterr().err
    assert main(["-r", str(root), "logs", "nosuch"]) == 1
    assert calls == []


def test_failed_remote_command_is_an_error(project, capsys, monkeypatch):
    root, _ = project
    _built(root)
    monkeypatch.setattr(ssh, "run_remote", lambda *a, **k: 1)
    assert main(["-r", str(root), "backup"]) == 1
    assert "HIVE ERROR: backup failed on p-hive3.ops (exit 1)" in capsys.readouterr().err
