"""reference §14.4 case 39: `hive ssh`."""

import pytest

from hive_builder.cli.main import main
from hive_builder.errors import HiveError
from hive_builder.execution import ssh

CONFIG = """\
Host p-hive0.pdns
  HostName 192.168.0.4
  User admin
Host p-hive1.pdns p-hive2.pdns
  HostName 192.168.0.5
Host *
  ServerAliveInterval 30
"""


def test_parse_hosts_keeps_order_and_skips_patterns():
    assert ssh.parse_hosts(CONFIG) == ["p-hive0.pdns", "p-hive1.pdns", "p-hive2.pdns"]
    assert ssh.parse_hosts("# Host commented\n  HostName x\n") == []


def test_default_target_is_last_host():
    assert ssh.ssh_argv("cfg", ["a", "b"]) == ["/usr/bin/ssh", "-F", "cfg", "b"]


def test_forwards():
    hosts = ["p-hive0.pdns"]
    assert ssh.ssh_argv("cfg", hosts, foward_zabbix=True) == [
        "/usr/bin/ssh", "-F", "cfg", "-L", "localhost:10052:127.0.0.1:10052", "p-hive0.pdns"]
    assert ssh.ssh_argv("cfg", hosts, foward_zabbix=True, foward_zabbix_port=18080)[4] == \
        "localhost:18080:127.0.0.1:10052"
    assert ssh.ssh_argv("cfg", hosts, port_forwarding="8080:localhost:80") == [
        "/usr/bin/ssh", "-F", "cfg", "-L", "8080:localhost:80", "p-hive0.pdns"]
    # a port alone does not turn the zabbix forward on
    assert "-L" not in ssh.ssh_argv("cfg", hosts, foward_zabbix_port=18080)


def test_zabbix_forward_needs_the_repository_server_as_target():
    # the console listens on the repository's loopback: a forward from a hive would reach nothing
    with pytest.raises(HiveError) as info:
        ssh.ssh_argv("cfg", ["p-hive0.x", "p-hive1.x"], ssh_host="p-hive0.x", foward_zabbix=True)
    assert "repository server p-hive1.x only, not on p-hive0.x" in info.value.message
    assert ssh.ssh_argv("cfg", ["p-hive0.x", "p-hive1.x"], ssh_host="p-hive1.x", foward_zabbix=True)[-1] == "p-hive1.x"


def test_unknown_target():
    with pytest.raises(HiveError, match="host nosuch is not found in cfg"):
        ssh.ssh_argv("cfg", ["a"], ssh_host="nosuch")


def test_config_errors(tmp_path):
    with pytest.raises(HiveError, match="fail to read ssh_config .* you may never done build-infra"):
        ssh.ssh_config_hosts(tmp_path / "ssh_config")
    (tmp_path / "ssh_config").write_text("Host *\n  User x\n")
    with pytest.raises(HiveError, match="no Host entry in"):
        ssh.ssh_config_hosts(tmp_path / "ssh_config")


@pytest.fixture
def project(tmp_path, monkeypatch):
    ctx = tmp_path / ".hive" / "private"
    ctx.mkdir(parents=True)
    (ctx / "ssh_config").write_text("Host p-hive0.pdns\n  HostName 10.0.0.1\n")
    executed = []
    monkeypatch.setattr(ssh, "exec_ssh", executed.append)
    monkeypatch.setattr(ssh, "ssh_executable", lambda: "/usr/bin/ssh")
    return tmp_path, executed


def test_hive_ssh_through_cli(project, capsys):
    root, executed = project
    cfg = str(root / ".hive" / "private" / "ssh_config")
    assert main(["-r", str(root), "ssh"]) == 0
    assert main(["-r", str(root), "ssh", "-z", "-Z", "18080", "-L", "8080:localhost:80"]) == 0
    assert executed == [
        ["/usr/bin/ssh", "-F", cfg, "p-hive0.pdns"],
        ["/usr/bin/ssh", "-F", cfg, "-L", "localhost:18080:127.0.0.1:10052",
         "-L", "8080:localhost:80", "p-hive0.pdns"]]
    # where the console is and where its password is kept, never the password itself
    err = capsys.readouterr().err
    assert "Zabbix web console: http://localhost:18080/ (user Admin, password in " in err
    assert str(root / ".hive" / "private" / "zabbix_admin_password") in err


def test_hive_ssh_errors(project, capsys):
    root, executed = project
    assert main(["-r", str(root), "ssh", "-t", "nosuch"]) == 1
    assert "HIVE ERROR: host nosuch is not found in" in capsys.readouterr().err
    assert main(["-r", str(root), "-s", "staging", "ssh"]) == 1
    assert "HIVE ERROR: stage staging is not built:" in capsys.readouterr().err
    assert executed == []
