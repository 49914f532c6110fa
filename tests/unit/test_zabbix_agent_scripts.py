"""hive-zabbix-docker and hive-zabbix-host (role zabbix-agent): parsers on real command outputs,
argument validation (the sudo security boundary) and the docker argv, without docker nor DRBD."""

from __future__ import annotations

import datetime
import importlib.machinery
import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[2] / "hive_builder/playbooks/roles/zabbix-agent/files"


def load(name: str):
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(FILES / name))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


zd = load("hive-zabbix-docker")
zh = load("hive-zabbix-host")

CONF = {"hives": ["p-hive0.e2e", "p-hive1.e2e", "p-hive2.e2e"], "port": 2376,
        "ca": "/usr/local/share/ca-certificates/hive-ca.crt", "cert": "/etc/pki/tls/certs/X_cert.pem",
        "key": "/etc/pki/tls/private/X_key.pem", "docker": "/usr/bin/docker", "name": "e2e"}
TLS = ["/usr/bin/docker", "--tlsverify", "--tlscacert", CONF["ca"], "--tlscert", CONF["cert"],
       "--tlskey", CONF["key"], "-H"]


def spec(name, mode=None, labels=None, container_labels=None, mounts=()):
    return {"ID": f"id-{name}", "Version": {"Index": 42}, "Spec": {
        "Name": name, "Labels": labels or {},
        "TaskTemplate": {"ContainerSpec": {"Image": f"p-repository.e2e:5000/image_{name}:latest",
                                           "Labels": container_labels or {}, "Mounts": list(mounts)},
                         "ForceUpdate": 0},
        "Mode": mode or {"Replicated": {"Replicas": 1}}}}


def task(tid, name, node, current="Running 2 hours ago", desired="Running"):
    return {"CurrentState": current, "DesiredState": desired, "Error": "", "ID": tid,
            "Image": "p-repository.e2e:5000/image_web:latest", "Name": name, "Node": node, "Ports": ""}


def lines(*objs):
    return "".join(json.dumps(o) + "\n" for o in objs)


WEB = spec("web", labels={"HIVE_STANDALONE": "False"}, mounts=[
    {"Type": "volume", "Source": "web_data", "Target": "/var/lib/web"},
    {"Type": "bind", "Source": "/etc/localtime", "Target": "/etc/localtime", "ReadOnly": True}])
PDNS = spec("pdnsdb", labels={"HIVE_STANDALONE": "True"}, mounts=[
    {"Type": "volume", "Source": "pdnsdb_data", "Target": "/var/lib/mysql"},
    {"Type": "volume", "Source": "pdnsdb_log", "Target": "/var/log"}])
AGENT = spec("agent", mode={"Global": {}}, container_labels={"hive.standalone": "true"})

DF = """Filesystem     1024-blocks    Used Available Capacity Mounted on
/dev/drbd1000      1014680  524580    421288      56% /var/lib/mysql
"""
FAILED = """php-fpm.service   loaded failed failed The PHP FastCGI Process Manager
logrotate.timer   loaded failed failed Daily rotation of log files
"""


# ---- hive-zabbix-docker: parsers ----------------------------------------------------------------

def test_lld_services_marks_standalone_by_service_or_container_label():
    assert zd.lld_services([WEB, PDNS, AGENT, spec("plain")]) == [
        {"{#SERVICE}": "web", "{#STANDALONE}": "0"}, {"{#SERVICE}": "pdnsdb", "{#STANDALONE}": "1"},
        {"{#SERVICE}": "agent", "{#STANDALONE}": "1"}, {"{#SERVICE}": "plain", "{#STANDALONE}": "0"}]


def test_lld_volumes_keeps_only_volume_mounts():
    assert zd.lld_volumes([WEB, PDNS, AGENT]) == [
        {"{#SERVICE}": "web", "{#VOLUME}": "web_data", "{#TARGET}": "/var/lib/web"},
        {"{#SERVICE}": "pdnsdb", "{#VOLUME}": "pdnsdb_data", "{#TARGET}": "/var/lib/mysql"},
        {"{#SERVICE}": "pdnsdb", "{#VOLUME}": "pdnsdb_log", "{#TARGET}": "/var/log"}]


def test_replicas_percent_replicated():
    s = spec("web", mode={"Replicated": {"Replicas": 3}})
    tasks = [task("a", "web.1", "p-hive0"), task("b", "web.2", "p-hive1", "Preparing 3 seconds ago"),
             task("c", "web.3", "p-hive2", "Starting 1 second ago")]
    assert zd.replicas_percent(s, tasks) == 33.3
    assert zd.replicas_percent(s, tasks[:1] * 3) == 100.0
    assert zd.replicas_percent(s, []) == 0.0


def test_replicas_percent_extra_tasks_of_an_update_are_capped():
    s = spec("web", mode={"Replicated": {"Replicas": 1}})
    assert zd.replicas_percent(s, [task("a", "web.1", "p-hive0"), task("b", "web.1", "p-hive1")]) == 100.0


def test_replicas_percent_zero_desired_is_full():
    assert zd.replicas_percent(spec("web", mode={"Replicated": {"Replicas": 0}}), []) == 100.0
    assert zd.replicas_percent(AGENT, []) == 100.0


def test_replicas_percent_global_counts_tasks_desired_running():
    tasks = [task("a", "agent.x0", "p-hive0"), task("b", "agent.x1", "p-hive1"),
             task("c", "agent.x2", "p-hive2", "Assigned 5 seconds ago")]
    assert zd.replicas_percent(AGENT, tasks) == 66.7


@pytest.mark.parametrize("text, expected", [
    ("2026-11-30T01:02:03.123456789Z", datetime.datetime(2026, 11, 30, 1, 2, 3, 123456, datetime.timezone.utc)),
    ("2026-11-30T01:02:03.5Z", datetime.datetime(2026, 11, 30, 1, 2, 3, 500000, datetime.timezone.utc)),
    ("2026-11-30T01:02:03Z", datetime.datetime(2026, 11, 30, 1, 2, 3, 0, datetime.timezone.utc)),
    ("2026-11-30T10:02:03.000000001+09:00", datetime.datetime(2026, 11, 30, 1, 2, 3, 0, datetime.timezone.utc)),
])
def test_parse_timestamp(text, expected):
    assert zd.parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["", "2026-11-30 01:02:03Z", "2026-11-30T01:02:03", "yesterday"])
def test_parse_timestamp_rejects_garbage(text):
    with pytest.raises(ValueError):
        zd.parse_timestamp(text)


def test_uptime_seconds_is_the_youngest_running_task():
    now = datetime.datetime(2026, 11, 30, 2, 0, 0, tzinfo=datetime.timezone.utc)
    statuses = [
        {"Timestamp": "2026-11-30T01:00:00.987654321Z", "State": "running", "Message": "started",
         "ContainerStatus": {"ContainerID": "c1", "PID": 4242, "ExitCode": 0}, "PortStatus": {}},
        {"Timestamp": "2026-11-30T01:58:19.900000000Z", "State": "running", "Message": "started",
         "ContainerStatus": {"ContainerID": "c2", "PID": 4243, "ExitCode": 0}, "PortStatus": {}},
        {"Timestamp": "2026-11-30T01:59:59Z", "State": "starting", "Message": "starting",
         "ContainerStatus": {}, "PortStatus": {}}]
    assert zd.uptime_seconds(statuses, now) == 100
    assert zd.uptime_seconds(statuses[2:], now) == 0
    assert zd.uptime_seconds([], now) == 0
    future = [{"Timestamp": "2026-11-30T02:00:02Z", "State": "running"}]
    assert zd.uptime_seconds(future, now) == 0


def test_parse_df_uses_used_over_used_plus_available():
    assert zd.parse_df(DF) == 55.5          # 524580 / (524580 + 421288), root reserve excluded
    assert zd.parse_df("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 4 1 2 34% /x\n") == 33.3
    empty = "Filesystem 1024-blocks Used Available Capacity Mounted on\nnone 0 0 0 - /x\n"
    assert zd.parse_df(empty) == 0.0
    with pytest.raises(ValueError):
        zd.parse_df("df: /nowhere: No such file or directory\n")


def test_count_failed():
    assert zd.count_failed(FAILED) == 2
    assert zd.count_failed("\n") == 0


# ---- hive-zabbix-docker: docker I/O -------------------------------------------------------------

class FakeRun:
    """subprocess.run for docker: answers(host, args) -> stdout, or an exception/int to fail."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv, **kw):
        assert kw["timeout"] == zd.TIMEOUT and kw["capture_output"] and kw["text"]
        assert argv[:len(TLS)] == TLS
        host, args = argv[len(TLS)], argv[len(TLS) + 1:]
        self.calls.append((host, args))
        out = self.answers(host.removeprefix("tcp://").removesuffix(":2376"), args)
        if isinstance(out, Exception):
            raise out
        if isinstance(out, int):
            return subprocess.CompletedProcess(argv, out, "", "Cannot connect to the Docker daemon")
        return subprocess.CompletedProcess(argv, 0, out, "")


def test_docker_argv():
    assert zd.Docker(CONF).argv("p-hive1.e2e", "service", "ls") == [
        *TLS, "tcp://p-hive1.e2e:2376", "service", "ls"]


def test_manager_falls_back_to_the_next_hive(monkeypatch):
    fake = FakeRun(lambda host, args: {
        "p-hive0.e2e": subprocess.TimeoutExpired("docker", 10), "p-hive1.e2e": 1}.get(host, "ok\n"))
    monkeypatch.setattr(subprocess, "run", fake)
    assert zd.Docker(CONF).manager("service", "ls") == "ok\n"
    assert fake.calls == [(f"tcp://p-hive{i}.e2e:2376", ["service", "ls"]) for i in range(3)]


def test_manager_fails_when_no_hive_answers():
    fake = FakeRun(lambda host, args: OSError("No such file or directory: docker"))
    with pytest.raises(zd.DockerError, match="p-hive0.e2e.*p-hive2.e2e"):
        zd.Docker(CONF, fake).manager("service", "ls")
    assert len(fake.calls) == 3


def site(extra=None):
    """A swarm whose first hive is down: web with 2 of 2 replicas, db unknown."""
    def answers(host, args):
        if host == "p-hive0.e2e":
            return 1
        if extra and (out := extra(host, args)) is not None:
            return out
        match args:
            case ["service", "ls", "--format", "{{json .}}"]:
                return lines({"ID": "id-web", "Mode": "replicated", "Name": "web", "Replicas": "2/2"},
                             {"ID": "id-pdnsdb", "Mode": "replicated", "Name": "pdnsdb", "Replicas": "1/1"})
            case ["service", "inspect", "web", "pdnsdb"]:
                return json.dumps([WEB, PDNS])
            case ["service", "inspect", "web"]:
                return json.dumps([spec("web", mode={"Replicated": {"Replicas": 2}})])
            case ["service", "ps", "--filter", "desired-state=running", "--format", "{{json .}}",
                  "--no-trunc", "web"]:
                return lines(task("t1", "web.1", "p-hive2", "Starting 2 seconds ago"),
                             task("t2", "web.2", "p-hive1"))
            case ["inspect", "--format", "{{.Status.ContainerStatus.ContainerID}}", "t2"]:
                return "c0ffee\n"
            case ["inspect", "--format", "{{json .Status}}", "t2"]:
                return lines({"Timestamp": "2000-01-01T00:00:00.123456789Z", "State": "running"})
        return 1
    return answers


def run_main(capsys, argv, answers):
    fake = FakeRun(answers)
    rc = zd.main(argv, zd.Docker(CONF, fake))
    out, err = capsys.readouterr()
    return rc, out, err, fake.calls


def test_main_services(capsys):
    rc, out, err, _ = run_main(capsys, ["services"], site())
    assert (rc, err) == (0, "")
    assert out == '[{"{#SERVICE}":"web","{#STANDALONE}":"0"},{"{#SERVICE}":"pdnsdb","{#STANDALONE}":"1"}]\n'


def test_main_volumes(capsys):
    rc, out, _, _ = run_main(capsys, ["volumes"], site())
    assert rc == 0 and json.loads(out) == zd.lld_volumes([WEB, PDNS])


def test_main_replicas(capsys):
    assert run_main(capsys, ["replicas", "web"], site())[:2] == (0, "50.0\n")


def test_main_replicas_unknown_service(capsys):
    rc, out, err, _ = run_main(capsys, ["replicas", "db"], site())
    assert (rc, out) == (1, "") and "replicas" in err


def test_main_uptime(capsys):
    rc, out, _, _ = run_main(capsys, ["uptime", "web"], site())
    now = datetime.datetime.now(datetime.timezone.utc)
    expected = (now - datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()
    assert rc == 0 and abs(int(out) - expected) < 5


def test_main_uptime_without_running_task(capsys):
    def none_running(host, args):
        if args[:2] == ["service", "ps"]:
            return lines(task("t1", "web.1", "p-hive2", "Preparing 2 seconds ago"))
    rc, out, _, calls = run_main(capsys, ["uptime", "web"], site(none_running))
    assert (rc, out) == (0, "0\n")
    assert not any(args[0] == "inspect" for _, args in calls)


def test_main_usage_execs_df_on_the_node_of_the_running_task(capsys):
    def df(host, args):
        if args[0] == "exec":
            return DF if (host, args) == ("p-hive1.e2e", ["exec", "c0ffee", "df", "-P", "/var/lib/mysql"]) else 1
    rc, out, err, calls = run_main(capsys, ["usage", "web", "/var/lib/mysql"], site(df))
    assert (rc, out, err) == (0, "55.5\n", "")
    assert calls[-1][0] == "tcp://p-hive1.e2e:2376"


def test_main_inner_failed(capsys):
    def systemctl(host, args):
        if args[:2] == ["exec", "c0ffee"]:
            assert args[2:] == ["systemctl", "list-units", "--state=failed", "--no-legend", "--plain"]
            return FAILED
    assert run_main(capsys, ["inner-failed", "web"], site(systemctl))[:2] == (0, "2\n")


def test_node_host_appends_the_site_name_to_a_short_hostname():
    d = zd.Docker(CONF)
    assert (d.node_host("p-hive0"), d.node_host("p-hive0.other")) == ("p-hive0.e2e", "p-hive0.other")


@pytest.mark.parametrize("argv", [
    [], ["nope"], ["services", "web"], ["replicas"], ["replicas", "web", "extra"],
    ["replicas", "-H"], ["replicas", "--help"], ["replicas", "web;id"], ["replicas", "web\n"],
    ["replicas", "_web"], ["replicas", "we b"], ["replicas", ""], ["uptime", "../web"],
    ["inner-failed", "$(id)"], ["usage", "web"], ["usage", "web", "var/lib"], ["usage", "web", "/a b"],
    ["usage", "web", "/data\n"], ["usage", "-v", "/data"], ["usage", "web", "/data;id"],
])
def test_main_rejects_bad_arguments_without_running_anything(capsys, monkeypatch, argv):
    def forbidden(*a, **kw):
        pytest.fail(f"ran {a}")
    monkeypatch.setattr(subprocess, "run", forbidden)
    monkeypatch.setenv("HIVE_ZABBIX_DOCKER_CONF", "/nonexistent")
    assert zd.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("hive-zabbix-docker: ")


def test_main_reads_the_configuration_from_the_environment(tmp_path, monkeypatch, capsys):
    conf = tmp_path / "docker.json"
    conf.write_text(json.dumps({**CONF, "hives": ["h9.e2e"], "port": 1234}))
    monkeypatch.setenv("HIVE_ZABBIX_DOCKER_CONF", str(conf))
    seen = []

    def run(argv, **kw):
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")
    monkeypatch.setattr(subprocess, "run", run)
    assert zd.main(["services"]) == 0
    assert capsys.readouterr().out == "[]\n"
    assert seen == [[*TLS, "tcp://h9.e2e:1234", "service", "ls", "--format", "{{json .}}"]]


# ---- hive-zabbix-host ---------------------------------------------------------------------------

DRBD_STATUS = """vol1 role:Primary
  disk:UpToDate
  p-hive1 role:Secondary
    peer-disk:UpToDate
  p-hive2 role:Secondary
    peer-disk:Diskless peer-client:yes

vol2 role:Secondary
  disk:Inconsistent
  p-hive0 role:Primary
    replication:SyncTarget peer-disk:UpToDate done:36.70

vol3 role:Secondary
  disk:Diskless client:yes
  p-hive0 role:Primary
    peer-disk:UpToDate
  p-hive1 role:Secondary
    peer-disk:UpToDate

vol4 role:Primary
  volume:0 disk:UpToDate
  volume:1 disk:Outdated open:no
  p-hive1 connection:Connecting

vol5 role:Secondary suspended:quorum
  disk:Diskless quorum:no blocked:upper
  p-hive0 connection:StandAlone
"""


def test_parse_drbd_status():
    assert zh.parse_drbd_status(DRBD_STATUS) == {
        "vol1": "UpToDate", "vol2": "Inconsistent", "vol3": "Diskless client", "vol4": "Outdated",
        "vol5": "Diskless"}
    assert zh.parse_drbd_status("") == {}


def test_failed_names_and_count():
    assert zh.failed_names(FAILED) == ["php-fpm.service", "logrotate.timer"]
    assert zh.failed_names("● drbd-resource@vol1.service loaded failed failed DRBD vol1\n") == [
        "drbd-resource@vol1.service"]
    assert (zh.count_failed(FAILED), zh.count_failed("")) == (2, 0)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """No kernel DRBD unless a test creates the drbdadm/proc files; emulated volume ok present."""
    monkeypatch.setattr(zh, "DRBDADM", str(tmp_path / "drbdadm"))
    monkeypatch.setattr(zh, "PROC_DRBD", str(tmp_path / "proc_drbd"))
    (tmp_path / "ok").mkdir()
    conf = tmp_path / "drbd.json"
    conf.write_text(json.dumps({"mode": "emulated", "volumes": {"ok": str(tmp_path / "ok"),
                                                                "gone": str(tmp_path / "gone")}}))
    monkeypatch.setenv("HIVE_ZABBIX_DRBD_CONF", str(conf))
    return tmp_path


def host_main(capsys, argv):
    rc = zh.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def kernel(host, monkeypatch, rc=0):
    (host / "drbdadm").touch()
    (host / "proc_drbd").touch()
    calls = []

    def run(argv, **kw):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, rc, DRBD_STATUS, "vol9: No such resource" if rc else "")
    monkeypatch.setattr(subprocess, "run", run)
    return calls


def test_host_emulated_discovery_and_disk(host, capsys):
    assert host_main(capsys, ["drbd-discovery"]) == (
        0, '[{"{#RESOURCE}":"ok","{#MODE}":"emulated"},{"{#RESOURCE}":"gone","{#MODE}":"emulated"}]\n', "")
    assert host_main(capsys, ["drbd-disk", "ok"])[:2] == (0, "UpToDate\n")
    assert host_main(capsys, ["drbd-disk", "gone"])[:2] == (0, "Failed\n")
    assert not (host / "gone").exists()
    assert host_main(capsys, ["drbd-disk", "other"])[:2] == (0, "Unconfigured\n")


def test_host_kernel_discovery_and_disk(host, monkeypatch, capsys):
    (host / "drbd.json").unlink()
    calls = kernel(host, monkeypatch, rc=10)    # a configured resource down: the others still show
    rc, out, _ = host_main(capsys, ["drbd-discovery"])
    assert rc == 0 and json.loads(out) == [{"{#RESOURCE}": f"vol{i}", "{#MODE}": "kernel"} for i in range(1, 6)]
    assert host_main(capsys, ["drbd-disk", "vol3"])[:2] == (0, "Diskless client\n")
    assert host_main(capsys, ["drbd-disk", "vol9"])[:2] == (0, "Unconfigured\n")
    assert calls[0] == [str(host / "drbdadm"), "status"]


def test_host_without_drbd_runs_nothing(host, monkeypatch, capsys):
    (host / "drbd.json").write_text(json.dumps({"mode": "kernel"}))
    monkeypatch.setattr(subprocess, "run", lambda *a, **kw: pytest.fail("ran a command"))
    assert host_main(capsys, ["drbd-discovery"]) == (0, "[]\n", "")
    assert host_main(capsys, ["drbd-disk", "vol1"])[:2] == (0, "Unconfigured\n")


def test_host_systemd_failed(monkeypatch, capsys):
    seen = []

    def run(argv, **kw):
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 0, FAILED, "")
    monkeypatch.setattr(subprocess, "run", run)
    assert host_main(capsys, ["systemd-failed"]) == (0, "2\n", "")
    assert host_main(capsys, ["systemd-failed-names"]) == (0, "php-fpm.service, logrotate.timer\n", "")
    assert seen[0] == ["systemctl", "list-units", "--state=failed", "--no-legend", "--plain"]
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: subprocess.CompletedProcess(argv, 0, "", ""))
    assert host_main(capsys, ["systemd-failed-names"]) == (0, "\n", "")


def test_host_systemctl_failure_is_an_error(monkeypatch, capsys):
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: subprocess.CompletedProcess(
        argv, 1, "", "Failed to connect to bus"))
    rc, out, err = host_main(capsys, ["systemd-failed"])
    assert (rc, out) == (1, "") and "Failed to connect to bus" in err


@pytest.mark.parametrize("argv", [
    [], ["drbd"], ["drbd-disk"], ["drbd-disk", "a", "b"], ["drbd-disk", "-a"], ["drbd-disk", "vol1\n"],
    ["drbd-disk", "../vol1"], ["drbd-disk", "vol 1"], ["drbd-discovery", "all"], ["systemd-failed", "x"],
])
def test_host_rejects_bad_arguments_without_running_anything(monkeypatch, capsys, argv):
    monkeypatch.setattr(subprocess, "run", lambda *a, **kw: pytest.fail("ran a command"))
    rc, out, err = host_main(capsys, argv)
    assert (rc, out) == (2, "") and err.startswith("hive-zabbix-host: ")


def test_scripts_are_executable_python3():
    for name in ("hive-zabbix-docker", "hive-zabbix-host"):
        path = FILES / name
        assert path.read_text().startswith("#!/usr/bin/python3\n")
        assert path.stat().st_mode & 0o111
