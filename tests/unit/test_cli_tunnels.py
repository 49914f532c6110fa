"""reference §14.4 case 40 (docker-socket tunnels) with a fake ssh."""

import os
import stat
import sys

import pytest

from hive_builder.errors import HiveError
from hive_builder.execution import tunnels
from tests.unit.test_cli_run_phases import stand_in_site

# Behaves like `ssh -N -L <socket>:<remote> host`: binds the socket, records its argv, stays up
# until SIGTERM. It leaves the socket file behind, as a killed ssh does.
FAKE_SSH = """\
#!{python}
import os, signal, socket, sys, time
argv = sys.argv[1:]
with open(os.environ["FAKE_SSH_LOG"], "a") as log:
    log.write(" ".join(argv) + "\\n")
mode = os.environ.get("FAKE_SSH_MODE", "ok")
host = argv[-1]
if mode == "fail" and "hive1" in host:
    sys.stderr.write("channel_setup_fwd_listener_streamlocal: cannot listen\\n")
    sys.exit(255)
if mode != "silent" or not "hive1" in host:
    path = argv[argv.index("-L") + 1].split(":", 1)[0]
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
"""

HOSTS = ["p-hive0.x", "p-hive1.x", "p-hive2.x"]


@pytest.fixture
def fake_ssh(tmp_path, monkeypatch):
    exe = tmp_path / "ssh"
    exe.write_text(FAKE_SSH.format(python=sys.executable))
    exe.chmod(0o755)
    log = tmp_path / "ssh.log"
    monkeypatch.setenv("FAKE_SSH_LOG", str(log))
    temp = tmp_path / "t"
    temp.mkdir()
    return exe, log, temp


def running(pids):
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    return alive


def test_tunnels_open_before_block_and_are_cleaned_after(fake_ssh):
    exe, log, temp = fake_ssh
    with tunnels.docker_tunnels("/ctx/ssh_config", HOSTS, temp, ssh=str(exe)) as sockets:
        assert list(sockets) == HOSTS
        for host in HOSTS:
            assert stat.S_ISSOCK(os.stat(temp / f"docker.sock@{host}").st_mode)
    assert list(temp.iterdir()) == []
    # the fakes start concurrently: their log order is arbitrary
    assert sorted(log.read_text().splitlines()) == [
        f"-N -F /ctx/ssh_config -o ExitOnForwardFailure=yes "
        f"-L {temp}/docker.sock@{h}:/var/run/docker.sock {h}" for h in HOSTS]


def test_cleaned_after_failure_and_interrupt(fake_ssh):
    exe, log, temp = fake_ssh
    for error in (RuntimeError("playbook failed"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with tunnels.docker_tunnels("cfg", HOSTS, temp, ssh=str(exe)):
                raise error
        assert list(temp.iterdir()) == []


def test_processes_are_stopped(fake_ssh, monkeypatch):
    exe, log, temp = fake_ssh
    started = []
    real = tunnels._Tunnel.__init__

    def record(self, *args):
        real(self, *args)
        started.append(self.proc.pid)
    monkeypatch.setattr(tunnels._Tunnel, "__init__", record)
    with tunnels.docker_tunnels("cfg", HOSTS, temp, ssh=str(exe)):
        assert len(running(started)) == 3
    assert running(started) == []


def test_existing_socket_refused_before_any_ssh(fake_ssh):
    exe, log, temp = fake_ssh
    (temp / "docker.sock@p-hive1.x").write_text("")
    with pytest.raises(HiveError, match=r"fail to create socket .*docker.sock@p-hive1.x"):
        with tunnels.docker_tunnels("cfg", HOSTS, temp, ssh=str(exe)):
            pass
    assert not log.exists()
    assert (temp / "docker.sock@p-hive1.x").exists()  # not ours to remove here


def test_ssh_failure_reports_its_message_and_stops_the_others(fake_ssh, monkeypatch):
    exe, log, temp = fake_ssh
    monkeypatch.setenv("FAKE_SSH_MODE", "fail")
    with pytest.raises(HiveError, match="p-hive1.x failed .*exit code 255.*cannot listen"):
        with tunnels.docker_tunnels("cfg", HOSTS, temp, ssh=str(exe)):
            pytest.fail("block must not run")
    assert list(temp.iterdir()) == []


def test_socket_that_never_appears_times_out(fake_ssh, monkeypatch):
    exe, log, temp = fake_ssh
    monkeypatch.setenv("FAKE_SSH_MODE", "silent")
    with pytest.raises(HiveError, match="p-hive1.x did not open within 0.5 seconds"):
        with tunnels.docker_tunnels("cfg", HOSTS, temp, ssh=str(exe), timeout=0.5):
            pytest.fail("block must not run")
    assert list(temp.iterdir()) == []


def test_remove_leftover_sockets_only_for_given_hosts(tmp_path):
    for name in ("docker.sock@a", "docker.sock@b", "docker.sock@other-site"):
        (tmp_path / name).write_text("")
    removed = tunnels.remove_leftover_sockets(tmp_path, ["a", "b", "c"])
    assert sorted(p.name for p in removed) == ["docker.sock@a", "docker.sock@b"]
    assert [p.name for p in tmp_path.iterdir()] == ["docker.sock@other-site"]


def test_phase_with_docker_tunnels_runs_ansible_while_sockets_exist(fake_ssh, tmp_path, monkeypatch):
    from hive_builder import phases
    from hive_builder.cli import commands
    from hive_builder.cli.main import main
    from hive_builder.execution import ansible, ssh

    exe, log, temp = fake_ssh
    root = tmp_path / "proj"
    (root / "inventory").mkdir(parents=True)
    ctx = root / ".hive" / "private"
    ctx.mkdir(parents=True)
    (ctx / "ssh_config").write_text("".join(f"Host {h}\n  HostName 10.0.0.1\n" for h in HOSTS))
    playbooks = tmp_path / "pb"
    playbooks.mkdir()
    (playbooks / "build-images.yml").write_text("[]\n")
    monkeypatch.setitem(phases._BY_NAME, "build-images",
                        phases.Phase("build-images", limit_rule="images", docker_tunnels=True))
    monkeypatch.setattr(ssh, "ssh_executable", lambda: str(exe))
    monkeypatch.setattr(commands, "load_inventory", lambda c: stand_in_site())
    seen = []

    def run_command(argv, env):
        seen.append(sorted(p.name for p in temp.iterdir() if p.name.startswith("docker.sock@")))
        return 1

    monkeypatch.setattr(ansible, "run_command", run_command)
    assert main(["-r", str(root), "-W", str(temp), "-P", str(playbooks), "build-images"]) == 1
    assert seen == [[f"docker.sock@{h}" for h in HOSTS]]
    assert not any(p.name.startswith("docker.sock@") for p in temp.iterdir())
