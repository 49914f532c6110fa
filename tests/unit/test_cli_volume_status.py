"""`hive volume-status`: collection over hives with a fake runner, report and exit status.
Only a resource built on a hive and not up there is DOWN with a repair; an unreachable hive, a
hive without DRBD, a volume never built and a stage never built are said as such (issue 10)."""

import subprocess
from pathlib import Path

import pytest

from hive_builder.cli import volume_status as vs
from hive_builder.cli.main import main
from hive_builder.errors import HiveError
from tests.fixtures.inventories.builders import hive_def, write

FIXTURES = Path(__file__).parents[1] / "fixtures" / "drbd_status"
HIVES = ["hive0.x", "hive1.x", "hive2.x"]
REFUSED = "ssh: connect to host 10.0.0.6 port 22: Connection refused"


def fake_runner(scenario: str, *, down=(), no_drbd=(), missing=None):
    """Each hive answers with tests/fixtures/drbd_status/<scenario>__<hive>.txt (nothing up when
    absent); `down` hives do not answer; `missing` maps hive -> volumes without resource file."""
    calls = []

    def run(host, command):
        calls.append((host, command))
        if host in down:
            return 255, "", f"{REFUSED}\n"
        lines = [vs.MARK]
        if host in no_drbd:
            return 0, f"{vs.MARK}\n{vs.MARK} no-drbd\n", ""
        lines += [f"{vs.MARK} missing {v}" for v in (missing or {}).get(host, ())]
        path = FIXTURES / f"{scenario}__{host}.txt"
        return 0, "\n".join(lines) + "\n" + (path.read_text() if path.exists() else ""), ""
    run.calls = calls
    return run


def test_healthy_resource_is_reported_ok_with_one_ssh_per_hive():
    run = fake_runner("sync")
    r = vs.report(vs.collect(HIVES, ["vol1"], run), ["vol1"])
    assert [h for h, _ in run.calls] == HIVES
    assert "volume vol1" in r.text and "hive0.x" in r.text
    assert r.healthy and r.incomplete == []


def test_standalone_pattern_is_flagged_with_the_documented_repair():
    r = vs.report(vs.collect(HIVES, ["vol1"], fake_runner("standalone")), ["vol1"])
    assert not r.healthy and r.incomplete == []
    assert "disconnect" in r.text and "connect" in r.text


def test_built_resource_not_up_is_down_with_its_repair():
    r = vs.report(vs.collect(HIVES, ["vol1"], fake_runner("nosuch")), ["vol1"])
    assert not r.healthy
    assert r.text.count("DOWN") == 3 and "systemctl start drbd-resource@vol1" in r.text


def test_unreachable_hive_is_said_without_drbd_state_nor_repair_and_others_still_reported():
    r = vs.report(vs.collect(HIVES, ["vol1"], fake_runner("sync", down=("hive2.x",))), ["vol1"])
    assert f"UNREACHABLE: hive2.x: {REFUSED}; its DRBD state is unknown" in r.text
    rows = {line.split()[0]: line for line in r.text.splitlines() if line.startswith("hive")}
    assert rows["hive2.x"].split()[1:] == ["vol1", "-", "-", "UNREACHABLE", "-"]
    assert "hive2.x" not in "".join(line for line in r.text.splitlines() if "repair:" in line)
    assert "DOWN" not in r.text
    assert "UpToDate" in rows["hive0.x"]                       # the others are still shown
    assert r.healthy and r.incomplete == ["hive2.x did not answer"]


def test_all_hives_unreachable():
    r = vs.report(vs.collect(HIVES, ["vol1"], fake_runner("sync", down=HIVES)), ["vol1"])
    assert r.text.count("UNREACHABLE") == 6 and "repair" not in r.text and "DOWN" not in r.text


def test_hive_without_drbd_is_not_built_not_down():
    r = vs.report(vs.collect(HIVES, ["vol1"], fake_runner("nosuch", no_drbd=HIVES)), ["vol1"])
    assert "NOT BUILT: DRBD is not installed on hive0.x, hive1.x, hive2.x: `hive setup-hosts`" in r.text
    assert "DOWN" not in r.text and "repair" not in r.text
    assert r.healthy and r.incomplete == ["no DRBD on hive0.x, hive1.x, hive2.x"]


def test_volume_without_resource_file_is_not_built_not_down():
    missing = {h: ["vol2"] for h in HIVES}
    r = vs.report(vs.collect(HIVES, ["vol1", "vol2"], fake_runner("sync", missing=missing)),
                  ["vol1", "vol2"])
    vol2 = r.text[r.text.index("volume vol2"):]
    assert vol2.count("NOT BUILT") == 4 and "DOWN" not in vol2 and "repair" not in vol2
    assert "`hive build-volumes -l vol2` builds it" in vol2
    assert r.healthy and r.incomplete == ["vol2 not built on hive0.x, hive1.x, hive2.x"]


def test_hive_added_after_build_infra_is_not_asked():
    run = fake_runner("sync")
    views = vs.collect(HIVES, ["vol1"], run, built_hosts=["hive0.x", "hive1.x", "repo.x"])
    assert [h for h, _ in run.calls] == ["hive0.x", "hive1.x"]
    assert "UNREACHABLE: hive2.x: not in ssh_config" in vs.report(views, ["vol1"]).text


@pytest.mark.parametrize("answer, reason", [
    ((255, "", "ssh: Could not resolve hostname x\n"), "ssh: Could not resolve hostname x"),
    ((1, "", "sudo: a password is required\n"), "sudo: a password is required"),
    ((0, "", ""), "exit code 0"),
])
def test_an_answer_without_the_mark_is_unreachable(answer, reason):
    assert vs.parse_answer(*answer).unreachable == reason


def test_status_command_runs_as_root_and_checks_each_resource_file(tmp_path):
    import shlex
    command = vs.status_command(["vol1", "db data"])
    assert command.startswith("sudo -n sh -c ")
    (script,) = shlex.split(command[len("sudo -n sh -c "):])

    def run(path):
        return subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True,
                              env={"PATH": path}).stdout
    # run by a shell without drbdadm: says so
    assert run("/nonexistent").splitlines() == [vs.MARK, f"{vs.MARK} no-drbd"]
    # with drbdadm (a stand-in), on a machine without /etc/drbd.d: both files missing, then status
    assert not Path("/etc/drbd.d/vol1.res").exists()
    fake = tmp_path / "drbdadm"
    fake.write_text("#!/bin/sh\necho \"vol1 role:Secondary\"\necho \"  disk:UpToDate\"\n")
    fake.chmod(0o755)
    out = run(f"{tmp_path}:/usr/bin:/bin")
    assert out.splitlines() == [vs.MARK, f"{vs.MARK} missing vol1", f"{vs.MARK} missing db data",
                                "vol1 role:Secondary", "  disk:UpToDate"]
    view = vs.parse_answer(0, out)
    assert view.missing == {"vol1", "db data"} and view.statuses["vol1"].disk == "UpToDate"


def test_ssh_runner_reports_a_timeout_as_no_answer(monkeypatch, tmp_path):
    def slow(*a, **k):
        raise subprocess.TimeoutExpired("ssh", 60)
    monkeypatch.setattr(subprocess, "run", slow)
    code, out, err = vs.ssh_runner(tmp_path / "ssh_config")("hive0.x", "true")
    assert code == vs.SSH_FAILED and "no answer within 60 s" in err


class _Created:
    def __init__(self, drbd, stages):
        self.volume = type("V", (), {"drbd": drbd})()
        self.stages = stages


def test_volume_selection_and_unknown_names():
    site = type("S", (), {"volumes": {"a": _Created(object(), ("private",)),
                                      "b": _Created(None, ("private",)),
                                      "c": _Created(object(), ("staging",))}})()
    assert vs.drbd_volumes(site, "private", None) == ["a"]
    with pytest.raises(HiveError, match="no DRBD volume named c"):
        vs.drbd_volumes(site, "private", ["c"])


def test_emulated_drbd_is_read_from_provider_facts(tmp_path):
    assert not vs.emulated(tmp_path)
    (tmp_path / "provider_facts.yml").write_text("drbd: emulated\nipvs: false\n")
    assert vs.emulated(tmp_path)


# --- through the CLI ------------------------------------------------------------------------------

SERVICE = {"services": {"db": {"image": "postgres", "volumes": [
    {"source": "db_data", "target": "/data", "drbd": {"fstype": "xfs", "size": "1G"}}]}}}


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    write(root / "inventory", hive_def({"private": {"provider": "docker", "cidr": "10.233.40.0/24"}}, "x"),
          SERVICE)
    runs = []

    def runner(config, ssh="ssh"):
        def run(host, command):
            runs.append(host)
            if host == "p-hive2.x":
                return 255, "", f"{REFUSED}\n"
            return 0, f"{vs.MARK}\n", ""      # built, resource not up
        return run
    monkeypatch.setattr(vs, "ssh_runner", runner)

    (tmp_path / "t").mkdir()

    def hive(*args):
        return main(["-r", str(root), "-W", str(tmp_path / "t"), *args])
    return root, runs, hive


def test_stage_never_built_is_said_and_nothing_is_asked(project, capsys):
    root, runs, hive = project
    assert hive("volume-status") == 1
    err = capsys.readouterr().err
    assert "HIVE ERROR: stage private is not built:" in err and "DOWN" not in err
    assert runs == []


def test_cli_reports_down_and_unreachable_apart(project, capsys):
    root, runs, hive = project
    ctx = root / ".hive" / "private"
    ctx.mkdir(parents=True, exist_ok=True)
    (ctx / "ssh_config").write_text("".join(f"Host p-hive{i}.x\n  HostName 10.233.40.{4 + i}\n"
                                            for i in range(4)))
    assert hive("volume-status") == 1
    captured = capsys.readouterr()
    assert runs == ["p-hive0.x", "p-hive1.x", "p-hive2.x"]
    assert captured.out.count("DOWN") == 2 and "UNREACHABLE: p-hive2.x" in captured.out
    assert "HIVE ERROR: some DRBD volumes need repair (see the findings above); the DRBD state is " \
           "incomplete: p-hive2.x did not answer" in captured.err
