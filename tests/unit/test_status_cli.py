"""`hive status` through cmd_status with a fake ssh runner: never built, half-stopped site, swarm
asked of the next hive when the first is down or no manager (and the report says why), DRBD real
or emulated, read-only (no lock, no file written)."""

import json
import subprocess
import threading

import pytest

from hive_builder.cli import status
from hive_builder.cli import volume_status as vs
from hive_builder.cli.context import build_context
from hive_builder.execution.lock import run_lock
from hive_builder.render import site_status as st
from tests.fixtures.inventories.builders import hive_def, write
from tests.unit.test_status_report import (NODE_LABELS, NODES, SERVICE_LABELS, SERVICES, TASKS,
                                           answer_text, ip_json)

SERVERS = ["p-hive0.x", "p-hive1.x", "p-hive2.x", "p-hive3.x"]
SERVICE_DEFS = {"services": {
    "web": {"image": "nginx"},
    "db": {"image": "postgres", "volumes": [
        {"source": "db_data", "target": "/data", "drbd": {"fstype": "xfs", "size": "1G"}}]},
    "web-agent": {"image": "busybox"}}}
TIMEOUT = "ssh: connect to host 10.233.40.6 port 22: Connection timed out"
NOT_MANAGER = ('Error response from daemon: This node is not a swarm manager. Use "docker swarm '
               'init" or "docker swarm join" to connect this node to swarm and try again.')
IPS = {"p-hive0.x": ["10.233.40.4"], "p-hive1.x": ["10.233.40.5", "10.233.40.100", "10.233.40.101"],
       "p-hive2.x": ["10.233.40.6"]}


class FakeSite:
    """Answers each server's script from canned outputs of the commands it asks for."""

    def __init__(self, *, down=(), not_manager=(), nodes=NODES, services=SERVICES, drbd=None,
                 registry="401"):
        self.down, self.not_manager = set(down), set(not_manager)   # not_manager: docker node ls fails
        self.nodes, self.services = nodes, services
        self.drbd = drbd or {}
        self.registry = registry
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, host, command):
        with self.lock:
            self.calls.append((host, [n for n in ("addresses", "registry", "drbd", "nodes")
                                      if f"{st.MARK} {n}" in command]))
        assert command.startswith("sh -c ")
        if host in self.down:
            return 255, "", f"{TIMEOUT}\r\n"
        sections = {}
        if f"{st.MARK} addresses" in command:
            sections["addresses"] = (ip_json(IPS[host]), 0)
        if f"{st.MARK} registry" in command:
            sections["registry"] = (self.registry, 0 if self.registry != "000" else 7)
        if f"{st.MARK} drbd" in command:
            sections["drbd"] = (f"{vs.MARK}\n" + self.drbd.get(host, ""), 0)
        if f"{st.MARK} nodes" in command and host in self.not_manager:
            sections.update({n: (NOT_MANAGER, 1) for n in ("nodes", "node-labels", "services")})
        elif f"{st.MARK} nodes" in command:
            sections.update({"nodes": (self.nodes, 0), "node-labels": (NODE_LABELS, 0),
                             "services": (self.services, 0), "service-labels": (SERVICE_LABELS, 0),
                             "tasks": (TASKS, 0)})
        return 0, answer_text(sections), ""


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    write(root / "inventory", hive_def({"private": {"provider": "docker", "cidr": "10.233.40.0/24"}},
                                       "x"), SERVICE_DEFS)
    ctx = build_context({"root_dir": str(root), "temp_dir": str(tmp_path / "t")})
    return root, ctx


def built(ctx, hosts=SERVERS, facts=None):
    ctx.context_dir.mkdir(parents=True, exist_ok=True)
    ctx.ssh_config.write_text("".join(f"Host {h}\n  HostName 10.233.40.{4 + i}\n  User admin\n"
                                      for i, h in enumerate(hosts)))
    if facts is not None:
        (ctx.context_dir / "provider_facts.yml").write_text(facts)


def degraded(ctx, capsys, run, *, as_json=True):
    """cmd_status on a degraded site: (what it printed, parsed when JSON; the exit-3 error)."""
    with pytest.raises(status.SiteDegraded) as e:
        status.cmd_status(ctx, as_json, runner=run)
    out = capsys.readouterr().out
    return (json.loads(out) if as_json else out), e.value


def snapshot(*dirs):
    return {str(p): p.stat().st_mtime_ns for d in dirs if d.exists() for p in sorted(d.rglob("*"))}


def test_never_built_says_so_and_asks_nobody(project, capsys):
    root, ctx = project
    run = FakeSite()
    before = snapshot(root, ctx.temp_dir)
    status.cmd_status(ctx, False, runner=run)
    assert capsys.readouterr().out == "stage private is not built (run `hive build-infra`)\n"
    status.cmd_status(ctx, True, runner=run)
    assert json.loads(capsys.readouterr().out) == {"stage": "private", "built": False}
    assert run.calls == []
    assert snapshot(root, ctx.temp_dir) == before      # no persistent values, no .hive/private


def test_half_stopped_site_reports_the_rest_and_exits_3(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: emulated\nipvs: true\n")
    run = FakeSite(down=["p-hive2.x"])
    out, error = degraded(ctx, capsys, run, as_json=False)
    assert error.exit_code == 3
    assert str(error).startswith("stage private is degraded: p-hive2.x is unreachable: " + TIMEOUT)
    # one round-trip per server, each asked only its own part
    assert sorted(run.calls) == [("p-hive0.x", ["addresses", "nodes"]), ("p-hive1.x", ["addresses"]),
                                 ("p-hive2.x", ["addresses"]), ("p-hive3.x", ["registry"])]
    assert f"  ✗ p-hive2.x  hive        unreachable: {TIMEOUT}" in out
    assert "SWARM NODES (as p-hive0.x sees them)" in out
    assert "  ✓ web      HIVE_VIP   10.233.40.100          p-hive1.x" in out
    assert "  ✓ https://p-hive3.x:5000/v2/ answering (HTTP 401)" in out
    assert "DRBD emulated on this provider (shared storage, no replication): db_data" in out


def test_json_of_a_half_stopped_site(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: emulated\n")
    doc, _ = degraded(ctx, capsys, FakeSite(down=["p-hive2.x"]))
    assert doc["stage"] == "private" and doc["built"] is True and doc["provider"] == "docker"
    assert doc["start_phase"] == "build-infra" and doc["healthy"] is False
    assert [s["reachable"] for s in doc["servers"]] == [True, True, False, True]
    assert doc["servers"][3]["roles"] == ["repository"]
    assert doc["volumes"]["mode"] == "emulated"


def test_start_phase_is_the_persisted_value(project, capsys):
    root, ctx = project
    (root / ".hive").mkdir(exist_ok=True)
    (root / ".hive" / "persistent_values.yml").write_text("start_phase:\n  private: deploy-services\n")
    ctx = build_context({"root_dir": str(root), "temp_dir": str(ctx.temp_dir)})
    built(ctx, facts="drbd: emulated\n")
    ready = NODES.replace('"ManagerStatus":"Unreachable","Self":false,"Status":"Down"',
                          '"ManagerStatus":"Reachable","Self":false,"Status":"Ready"')
    status.cmd_status(ctx, False, runner=FakeSite(nodes=ready, services=SERVICES.replace("2/3", "3/3")))
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "stage private  provider docker  start_phase deploy-services"
    assert out.rstrip().endswith("✓ healthy")


def test_first_hive_down_the_next_one_answers_for_the_swarm(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: emulated\n")
    run = FakeSite(down=["p-hive0.x"])
    doc, _ = degraded(ctx, capsys, run)
    assert doc["swarm"]["queried_on"] == "p-hive1.x" and doc["swarm"]["error"] is None
    assert doc["swarm"]["skipped"] == ["p-hive0.x unreachable"]
    assert run.calls[-1] == ("p-hive1.x", ["nodes"])          # the second round-trip, alone
    assert len(run.calls) == 5


def test_first_hive_not_a_manager_says_why_the_next_one_answers(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: emulated\n")
    run = FakeSite(not_manager=["p-hive0.x"])
    out, _ = degraded(ctx, capsys, run, as_json=False)
    assert run.calls[-1] == ("p-hive1.x", ["nodes"])
    lines = out.splitlines()
    at = lines.index("SWARM NODES (as p-hive1.x sees them)")
    assert lines[at + 1] == f"    skipped: p-hive0.x: docker node ls: exit 1: {NOT_MANAGER}"
    doc, _ = degraded(ctx, capsys, FakeSite(not_manager=["p-hive0.x"]))
    assert doc["swarm"]["queried_on"] == "p-hive1.x" and doc["swarm"]["error"] is None
    assert doc["swarm"]["skipped"] == [f"p-hive0.x: docker node ls: exit 1: {NOT_MANAGER}"]
    assert not any("p-hive0.x" in p for p in doc["problems"])      # p-hive0 is a Ready node


def test_first_hive_answers_nothing_skipped(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: emulated\n")
    out, _ = degraded(ctx, capsys, FakeSite(), as_json=False)
    assert "skipped" not in out
    doc, _ = degraded(ctx, capsys, FakeSite())
    assert doc["swarm"]["queried_on"] == "p-hive0.x" and doc["swarm"]["skipped"] == []


def test_no_hive_answers_swarm_unknown(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: emulated\n")
    out, error = degraded(ctx, capsys, FakeSite(down=SERVERS[:3], registry="000"), as_json=False)
    assert "  ✗ unknown: p-hive0.x unreachable; p-hive1.x unreachable; p-hive2.x unreachable" in out
    assert "SERVICES" not in out and "skipped" not in out     # the reasons are the error itself
    assert "not answering: no answer (curl exit 7)" in out
    assert "(and 2 more)" in str(error)


def test_server_added_after_build_infra_is_not_asked(project, capsys):
    root, ctx = project
    built(ctx, hosts=["p-hive0.x", "p-hive1.x", "p-hive3.x"], facts="drbd: emulated\n")
    run = FakeSite()
    out, _ = degraded(ctx, capsys, run, as_json=False)
    assert "p-hive2.x" not in [h for h, _ in run.calls]
    assert "unreachable: not in ssh_config: added to the inventory after the last `hive " \
           "build-infra`" in out


def test_real_drbd_reuses_volume_status(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: kernel\n")
    fixtures = vs.Path(__file__).parents[1] / "fixtures" / "drbd_status"
    drbd = {h: (fixtures / f"sync__hive{i}.x.txt").read_text().replace("hive", "p-hive")
            .replace("vol1", "db_data") for i, h in enumerate(SERVERS[:3])}
    run = FakeSite(drbd=drbd)
    doc, _ = degraded(ctx, capsys, run)
    assert ("p-hive0.x", ["addresses", "drbd", "nodes"]) in run.calls
    assert doc["volumes"]["mode"] == "drbd" and doc["volumes"]["names"] == ["db_data"]
    assert doc["volumes"]["hosts"] == {"db_data": {"p-hive0.x": "SYNCING", "p-hive1.x": "SYNCING",
                                                   "p-hive2.x": "OK"}}
    assert doc["volumes"]["healthy"] is True and doc["volumes"]["incomplete"] == []
    assert not any("DRBD" in p for p in doc["problems"])


def test_drbd_hive_down_is_unreachable_not_down(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: kernel\n")
    doc, _ = degraded(ctx, capsys, FakeSite(down=["p-hive2.x"]))
    assert doc["volumes"]["hosts"]["db_data"]["p-hive2.x"] == "UNREACHABLE"
    assert "DRBD state incomplete: p-hive2.x did not answer" in doc["problems"]


def test_runs_while_a_phase_holds_the_lock_and_writes_nothing(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: emulated\n")
    before = snapshot(root, ctx.temp_dir)
    with run_lock(ctx.context_dir, "hive deploy-services"):
        locked = snapshot(root, ctx.temp_dir)
        with pytest.raises(status.SiteDegraded):
            status.cmd_status(ctx, False, runner=FakeSite())
        assert snapshot(root, ctx.temp_dir) == locked
    assert "hive.lock" not in str(set(before))
    assert not ctx.temp_dir.exists()          # no ansible.cfg, no vars.yml


def test_ssh_runner_uses_a_short_connect_timeout(monkeypatch, tmp_path):
    seen = {}

    class Proc:
        returncode, stdout, stderr = 0, "", ""

    def fake_run(argv, **kw):
        seen["argv"], seen["kw"] = argv, kw
        return Proc()
    monkeypatch.setattr(subprocess, "run", fake_run)
    status.ssh_runner(tmp_path / "ssh_config", "/usr/bin/ssh")("p-hive0.x", "sh -c true")
    argv = seen["argv"]
    assert argv[:3] == ["/usr/bin/ssh", "-F", str(tmp_path / "ssh_config")]
    assert "ConnectTimeout=5" in argv and "BatchMode=yes" in argv
    assert argv[-2:] == ["p-hive0.x", "sh -c true"]
    assert seen["kw"]["timeout"] == status.SSH_TIMEOUT


def test_drbd_without_sudo_is_unknown_with_sudo_s_message(project, capsys):
    root, ctx = project
    built(ctx, facts="drbd: kernel\n")
    run = FakeSite()

    def no_sudo(host, command):
        code, out, err = run(host, command)
        return code, out.replace(f"{vs.MARK}\n", "sudo: a password is required\n", 1), err
    doc, _ = degraded(ctx, capsys, no_sudo)
    assert doc["volumes"]["hosts"]["db_data"] == dict.fromkeys(SERVERS[:3], "UNREACHABLE")
    assert "UNREACHABLE" not in json.dumps(doc["servers"])      # ssh itself worked
