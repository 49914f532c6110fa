"""Phase subcommands and `hive all` through `main(argv)` with ansible replaced by a recorder
(reference §14.4 cases 35-37, 43; decisions 3, 8, 9)."""

import collections
import contextlib
import json
import types
from pathlib import Path

import pytest
import yaml

from hive_builder.cli import commands
from hive_builder.cli.main import main
from hive_builder.config.catalogue import PHASE_NAMES
from hive_builder.errors import InventoryError, InventoryErrors
from hive_builder.execution import ansible
from hive_builder.execution import converge_stamp as cs
from hive_builder.execution import ssh

REAL_LOAD_INVENTORY = commands.load_inventory
SETUP_HOSTS = Path(commands.__file__).parents[1] / "playbooks" / "setup-hosts.yml"
SERVERS = ["p-hive0.pdns", "p-hive1.pdns", "p-hive2.pdns", "p-repository.pdns"]


class Recorder:
    def __init__(self):
        self.calls = []
        self.fail_phase = None
        self.loaded = []
        self.preflights = []
        self.stamps = {}     # server -> stamp in its /run
        self.stamp_reads = 0
        self.provider = "prepared"   # every stage's, as load_inventory's site says

    @property
    def site(self):
        return stand_in_site(self.provider)


    def run_command(self, argv, env):
        playbook = Path(argv[-1]).stem
        extra = [argv[i + 1] for i, a in enumerate(argv) if a == "--extra-vars"]
        inline = {k: v for text in extra if not text.startswith("@") for k, v in json.loads(text).items()}
        self.calls.append({"argv": argv, "env": env, "playbook": playbook, "extra": inline,
                           "vars": yaml.safe_load(Path(extra[0][1:]).read_text())})
        if playbook == self.fail_phase:
            return 2
        if cs.STAMP_VAR in inline:   # the servers now hold the stamp (setup-hosts' last play)
            self.stamps = dict.fromkeys(SERVERS, inline[cs.STAMP_VAR])
        return 0

    @property
    def playbooks(self):
        return [c["playbook"] for c in self.calls]


def stand_in_site(provider="prepared"):
    """What the phase runner reads of a loaded site: every stage's provider."""
    stage = types.SimpleNamespace(provider=provider)
    return types.SimpleNamespace(stages=collections.defaultdict(lambda: stage))


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    (root / "inventory").mkdir(parents=True)
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    for name in PHASE_NAMES:
        (playbooks / f"{name}.yml").write_text("[]\n")
    # -T is checked against the tags of the real setup-hosts playbook
    (playbooks / "setup-hosts.yml").write_text(SETUP_HOSTS.read_text())
    temp = tmp_path / "t"
    temp.mkdir()
    rec = Recorder()
    monkeypatch.setattr(ansible, "run_command", rec.run_command)
    # build-images and initialize-services open docker-socket tunnels (ssh); their own tests are
    # in test_cli_tunnels.py
    monkeypatch.setattr(ansible, "_docker_tunnels_for", lambda phase, values: contextlib.nullcontext())
    monkeypatch.setattr(commands, "load_inventory", lambda ctx: rec.loaded.append(ctx.stage) or rec.site)
    monkeypatch.setattr(commands, "preflight_provider", lambda ctx, site: rec.preflights.append(ctx.stage))

    def stamp_runner(ssh_config, ssh="ssh", *, connect_timeout, timeout):
        def run(host, command):
            assert command == cs.read_command()
            rec.stamp_reads += 1
            return 0, rec.stamps.get(host, "") + "\n", ""
        return run
    monkeypatch.setattr(ssh, "batch_runner", stamp_runner)

    def hive(*args):
        return main(["-r", str(root), "-W", str(temp), "-P", str(playbooks), *args])
    return root, temp, rec, hive


def start_phase(root, stage="private"):
    data = yaml.safe_load((root / ".hive" / "persistent_values.yml").read_text()) or {}
    return (data.get("start_phase") or {}).get(stage)


def test_single_phase_argv_and_files(project, capsys):
    root, temp, rec, hive = project
    assert hive("setup-hosts", "-l", "p-hive0.pdns,p-hive1.pdns", "-T", "base,docker", "-C") == 0
    call = rec.calls[0]
    assert call["argv"][1:] == ["--limit", "p-hive0.pdns:p-hive1.pdns:&private", "-C",
                                "--tags", "base,docker", "--extra-vars", f"@{temp}/vars.yml",
                                str(temp.parent / "playbooks" / "setup-hosts.yml")]
    assert call["argv"][0].endswith("ansible-playbook")
    assert call["env"]["ANSIBLE_CONFIG"] == f"{temp}/ansible.cfg"
    assert call["env"]["HIVE_ROOT_DIR"] == str(root) and call["env"]["HIVE_STAGE"] == "private"
    assert call["vars"]["hive_phase"] == "setup-hosts"
    assert call["vars"]["hive_limit"] == "p-hive0.pdns,p-hive1.pdns"
    assert (root / ".hive" / "private").is_dir()
    out = capsys.readouterr().out
    assert "=== PHASE setup-hosts START at " in out and "=== PHASE setup-hosts END at " in out
    log = (root / ".hive" / "private" / "hive.log").read_text()
    assert "=== PHASE setup-hosts END" in log


def test_verbose_and_deploy_limit(project):
    root, temp, rec, hive = project
    assert hive("-v", "deploy-services", "-l", "x") == 0
    argv = rec.calls[0]["argv"]
    assert argv[1:4] == ["--limit", "private", "-vvv"]
    assert rec.calls[0]["vars"]["hive_limit"] == "x"
    assert rec.calls[0]["vars"]["hive_verbose"] is True


def test_build_images_limit(project):
    root, temp, rec, hive = project
    assert hive("build-images", "-l", "pdnsdb,pdnsadmin") == 0
    assert rec.calls[0]["argv"][2] == "image_pdnsdb:image_pdnsadmin:repository:&private"


def test_persisted_tags_apply_to_setup_hosts_only(project):
    root, temp, rec, hive = project
    assert hive("set", "tags", "base") == 0
    assert hive("setup-hosts") == 0 and hive("build-networks") == 0
    assert "--tags" in rec.calls[0]["argv"] and "--tags" not in rec.calls[1]["argv"]


def test_unknown_or_not_built_tag_is_refused_before_ansible_runs(project, capsys):
    root, temp, rec, hive = project
    assert hive("setup-hosts", "-T", "base,dockr") == 1
    assert hive("setup-hosts", "-T", "docker-compose,rsyslogd") == 1
    assert rec.calls == []
    err = capsys.readouterr().err
    assert "unknown tag dockr" in err and "valid tags: " in err and "iptables" in err
    assert "docker-compose: no role installs docker-compose here" in err
    assert "run the others alone (-T rsyslogd)" in err


def test_manual_role_names_reach_ansible(project):
    root, temp, rec, hive = project
    assert hive("setup-hosts", "-T", "iptables, pip-venv") == 0
    argv = rec.calls[0]["argv"]
    assert argv[argv.index("--tags") + 1] == "iptables,pip-venv"
    # the manual's migration command (10.4) now that Zabbix is built
    assert hive("setup-hosts", "-T", "zabbix,zabbix-agent,backup-tools,rsyslogd") == 0
    argv = rec.calls[1]["argv"]
    assert argv[argv.index("--tags") + 1] == "zabbix,zabbix-agent,backup-tools,rsyslogd"


def test_limit_on_build_infra_is_said_to_be_ignored(project, capsys):
    root, temp, rec, hive = project
    assert hive("build-infra", "-l", "p-hive0.pdns") == 0
    assert "HIVE WARNING: -l p-hive0.pdns is ignored: build-infra acts on every server of the stage" \
        in capsys.readouterr().err
    assert hive("setup-hosts", "-l", "p-hive0.pdns") == 0
    assert "is ignored" not in capsys.readouterr().err


def test_credentials_exported_when_set(project):
    root, temp, rec, hive = project
    assert hive("set", "aws_access_key_id", "AKIA") == 0
    assert hive("build-infra") == 0
    assert rec.calls[0]["env"]["AWS_ACCESS_KEY_ID"] == "AKIA"


def test_start_phase_bookkeeping(project):
    root, temp, rec, hive = project
    assert hive("build-infra") == 0
    assert start_phase(root) == "setup-hosts"
    assert hive("deploy-services", "-D") == 0
    assert start_phase(root) == "deploy-services"
    assert hive("initialize-services") == 0
    assert start_phase(root) == "build-infra"   # wraps: next `hive all` runs everything
    assert hive("build-infra", "-H") == 0
    assert start_phase(root) == "build-infra"
    assert hive("setup-hosts", "-C") == 0       # check mode never advances
    assert start_phase(root) == "build-infra"


def test_failing_phase_names_phase_and_log_and_keeps_start_phase(project, capsys):
    root, temp, rec, hive = project
    assert hive("build-infra") == 0
    rec.fail_phase = "build-images"
    assert hive("build-images") == 1
    err = capsys.readouterr().err
    assert "HIVE ERROR: phase build-images failed: ansible-playbook exit code = 2" in err
    assert str(root / ".hive" / "private" / "hive.log") in err
    assert start_phase(root) == "setup-hosts"


def test_all_resumes_from_persisted_start_phase(project, capsys):
    root, temp, rec, hive = project
    assert hive("set", "start_phase", "build-images") == 0
    assert hive("all") == 0
    assert rec.playbooks == ["build-images", "build-volumes", "build-networks",
                             "deploy-services", "initialize-services"]
    assert [c["vars"]["hive_phase"] for c in rec.calls] == rec.playbooks
    assert start_phase(root) == "build-infra"
    assert "all 5 phases succeeded on stage private" in capsys.readouterr().err
    rec.calls.clear()
    assert hive("all") == 0
    assert rec.playbooks == list(PHASE_NAMES)


def test_all_with_start_option_and_stop_at_failure(project, capsys):
    root, temp, rec, hive = project
    assert hive("set", "start_phase", "deploy-services") == 0
    rec.fail_phase = "build-volumes"
    assert hive("all", "-S", "setup-hosts") == 1
    assert rec.playbooks == ["setup-hosts", "build-images", "build-volumes"]
    assert start_phase(root) == "build-volumes"
    err = capsys.readouterr().err
    assert "phase build-volumes failed" in err and "`hive all` resumes at build-volumes" in err


def test_stage_option_uses_that_stage(project):
    root, temp, rec, hive = project
    assert hive("set", "stage", "staging") == 0
    assert hive("-s", "production", "build-networks") == 0
    assert rec.loaded == ["production"]
    assert rec.calls[0]["argv"][2] == "production"
    assert rec.calls[0]["vars"]["hive_context_dir"] == str(root / ".hive" / "production")
    assert start_phase(root, "production") == "deploy-services"
    assert start_phase(root, "staging") is None


def test_inventory_errors_stop_before_ansible(project, monkeypatch, capsys):
    root, temp, rec, hive = project

    def broken(ctx):
        raise InventoryErrors([InventoryError("must be a list", file="inventory/services.yml",
                                              obj="service web", attr="ports")])
    monkeypatch.setattr(commands, "load_inventory", broken)
    assert hive("deploy-services") == 1
    err = capsys.readouterr().err
    assert "HIVE ERROR: inventory/services.yml, service web, attribute 'ports': must be a list" in err
    assert rec.calls == []


def test_missing_inventory_directory(project, monkeypatch, capsys):
    root, temp, rec, hive = project
    monkeypatch.setattr(commands, "load_inventory", REAL_LOAD_INVENTORY)
    (root / "inventory").rmdir()
    assert hive("build-infra") == 1
    assert f"HIVE ERROR: inventory directory {root}/inventory does not exist" in capsys.readouterr().err


def test_concurrent_run_is_refused(project, capsys):
    from hive_builder.execution.lock import run_lock
    root, temp, rec, hive = project
    with run_lock(root / ".hive" / "private", "hive all"):
        assert hive("build-infra") == 1
    assert "another hive command is running" in capsys.readouterr().err
    assert rec.calls == []
    assert hive("-s", "staging", "build-infra") == 0   # other stage: other lock


def test_stale_lock_is_reported_and_leftover_sockets_removed(project, capsys):
    root, temp, rec, hive = project
    ctx = root / ".hive" / "private"
    ctx.mkdir(parents=True)
    (ctx / "ssh_config").write_text("Host p-hive0.t\n")
    (ctx / "hive.lock").write_text(json.dumps({"pid": 999999, "host": "h", "command": "hive all",
                                               "started": "then"}))
    (temp / "docker.sock@p-hive0.t").write_text("")
    assert hive("build-networks") == 0
    err = capsys.readouterr().err
    assert 'HIVE NOTICE: a previous run "hive all" (pid 999999' in err
    assert "removed leftover socket" in err
    assert not (temp / "docker.sock@p-hive0.t").exists()
    assert not (ctx / "hive.lock").exists()


def test_legacy_initialize_services_playbook(project, capsys):
    root, temp, rec, hive = project
    (root / "initialize-services.yml").write_text("[]\n")
    assert hive("initialize-services") == 0
    assert rec.calls[0]["argv"][-1] == str(root / "initialize-services.yml")
    assert "HIVE WARNING: initialize-services.yml at root directory" in capsys.readouterr().err


def test_legacy_persistent_file_is_carried_over(project):
    root, temp, rec, hive = project
    (root / ".hive").mkdir()
    (root / ".hive" / "persistents.yml").write_text(
        "published_port_map:\n  private:\n    web80: 61001\n")
    assert hive("build-infra") == 0
    data = yaml.safe_load((root / ".hive" / "persistent_values.yml").read_text())
    assert data["published_port_map"] == {"private": {"web80": 61001}}
    assert data["start_phase"] == {"private": "setup-hosts"}


def write_ssh_config(root, hosts=SERVERS):
    context = root / ".hive" / "private"
    context.mkdir(parents=True, exist_ok=True)
    (context / "ssh_config").write_text("".join(f"Host {h}\n  HostName 10.0.0.1\n" for h in hosts))


def test_all_skips_setup_hosts_while_nothing_changed(project, capsys):
    root, temp, rec, hive = project
    write_ssh_config(root)
    assert hive("all") == 0
    first = rec.calls[PHASE_NAMES.index("setup-hosts")]
    assert first["playbook"] == "setup-hosts" and cs.STAMP_VAR in first["extra"]
    assert "setup-hosts runs" not in capsys.readouterr().err   # nothing to say on a first run
    assert rec.stamp_reads == 0     # nothing recorded: the servers are not even asked

    rec.calls.clear()
    assert hive("all") == 0
    err = capsys.readouterr().err
    assert rec.playbooks == [p for p in PHASE_NAMES if p != "setup-hosts"]
    assert rec.stamp_reads == len(SERVERS)
    assert ("setup-hosts skipped: nothing changed since all 4 servers converged "
            "(`hive setup-hosts` converges anyway)") in err
    assert "unchanged, skipped" in err and "all 7 phases succeeded" in err

    # the explicit phase always converges (and stamps again)
    rec.calls.clear()
    assert hive("setup-hosts") == 0
    assert rec.playbooks == ["setup-hosts"] and cs.STAMP_VAR in rec.calls[0]["extra"]


def test_all_runs_setup_hosts_again_when_anything_changed(project, capsys):
    root, temp, rec, hive = project
    write_ssh_config(root)
    assert hive("all") == 0

    def setup_hosts_ran(*args):
        rec.calls.clear()
        assert hive("all", *args) == 0
        return "setup-hosts" in rec.playbooks

    (root / "inventory" / "hive.yml").write_text("# edited\n")
    assert setup_hosts_ran()
    assert "setup-hosts runs: its inputs changed since the last converge" in capsys.readouterr().err
    assert not setup_hosts_ran()

    rec.stamps.pop(SERVERS[1])          # restarted: its /run is empty
    assert setup_hosts_ran()
    assert f"{SERVERS[1]} has not converged since it started" in capsys.readouterr().err
    assert not setup_hosts_ran()

    rec.fail_phase = "setup-hosts"      # a converge that fails leaves nothing to skip on
    (root / "inventory" / "hive.yml").write_text("# edited again\n")
    assert hive("all") != 0
    rec.fail_phase = None
    (root / "inventory" / "hive.yml").write_text("# edited\n")   # back to the stamped inputs
    assert setup_hosts_ran()
    assert not setup_hosts_ran()

    assert hive("setup-hosts", "-T", "base") == 0   # partial: no stamp, and no skip after it
    assert cs.STAMP_VAR not in rec.calls[-1]["extra"]
    assert setup_hosts_ran("-S", "setup-hosts")


def test_all_from_a_later_phase_never_asks_the_servers(project):
    root, temp, rec, hive = project
    write_ssh_config(root)
    assert hive("all") == 0
    rec.stamp_reads = 0
    assert hive("all", "-S", "build-images") == 0
    assert rec.stamp_reads == 0
