"""CLI habits: --version, global options after the subcommand, help with examples and what -l
names, `hive set` listing/printing/unsetting, confirmation of destructive options, completion,
the `status` subcommand."""

import os
import subprocess
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import hive_builder
from hive_builder.cli import commands, main as main_module
from hive_builder.cli.main import main
from hive_builder.cli.version import version_text
from hive_builder.cli.parser import LIMIT_NAMES, build_parser, cli_values, limit_choices
from hive_builder.config.catalogue import PHASE_NAMES, options_of

DEMO = Path(__file__).parents[2] / "examples" / "demo"


def values(*argv):
    return cli_values(build_parser().parse_args(list(argv)))


# --- global options before or after the subcommand ---------------------------------------------

@pytest.mark.parametrize("argv", [["-s", "staging", "check"], ["check", "-s", "staging"],
                                  ["check", "--stage", "staging"]])
def test_global_option_before_or_after_the_subcommand(argv):
    assert values(*argv)["stage"] == "staging"


def test_global_option_before_is_not_reset_by_the_subcommand(tmp_path):
    v = values("-s", "staging", "-r", str(tmp_path), "-v", "build-infra", "-D")
    assert v["stage"] == "staging" and v["root_dir"] == str(tmp_path) and v["verbose"] is True
    assert values("check")["stage"] is None  # absent at both places: not given


def test_value_after_the_subcommand_wins(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    v = values("-s", "production", "-r", str(tmp_path), "build-infra", "-r", str(other),
               "-s", "staging")
    assert v["stage"] == "staging" and v["root_dir"] == str(other)


def test_global_directory_option_after_the_subcommand_is_checked(capsys):
    assert main(["build-infra", "-r", "/nonexistent/dir"]) == 2
    assert "/nonexistent/dir is not a directory" in capsys.readouterr().err


def test_set_after_the_subcommand_uses_that_stage(tmp_path):
    assert main(["set", "verbose", "true", "-r", str(tmp_path), "-s", "staging"]) == 0
    data = yaml.safe_load((tmp_path / ".hive" / "persistent_values.yml").read_text())
    assert data == {"verbose": {"staging": True}}


def test_global_options_are_listed_once_in_help(capsys):
    assert main(["-h"]) == 0
    out = capsys.readouterr().out
    assert out.count("--root_dir ROOT_DIR") == 1 and "after the subcommand" in out
    assert main(["check", "-h"]) == 0
    out = capsys.readouterr().out
    assert "--root_dir" not in out and "--stage" not in out  # not repeated per subcommand
    assert "may be given before" in out and "after the subcommand" in out


# --- help ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [*PHASE_NAMES, "all", "check", "set", "ssh", "status", "restore"])
def test_every_subcommand_help_has_examples(name, capsys):
    assert main([name, "-h"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"hive {name}" in out


def test_limit_help_says_what_it_names_in_each_subcommand(capsys):
    with_limit = [n for n in [*PHASE_NAMES, "volume-status", "backup", "restore"]
                  if any(v.name == "limit_target" for v in options_of(n))]
    assert set(with_limit) == set(LIMIT_NAMES)  # every -l is explained, no stale entry
    expected = {"build-infra": "ignored", "setup-hosts": "server names",
                "build-images": "service names", "build-volumes": "volume names",
                "deploy-services": "service names", "initialize-services": "service names"}
    for name, word in expected.items():
        assert main([name, "-h"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert word in out, name
    assert main(["build-networks", "-h"]) == 0
    assert "--limit" not in capsys.readouterr().out  # build-networks takes no -l


def test_destructive_subcommands_take_yes(capsys):
    parser = build_parser()
    for name in ("build-infra", "build-volumes", "deploy-services", "restore"):
        assert parser.parse_args([name, "-y"]).yes is True
        assert parser.parse_args([name, "--yes"]).yes is True
    assert main(["setup-hosts", "-y"]) == 2


# --- --version ----------------------------------------------------------------------------------

def test_version_prints_hive_ansible_and_collections(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(f"swarmhive {hive_builder.__version__} ")
    assert any(line.startswith("ansible-core 2.") for line in lines)
    for name in ("community.docker", "community.crypto", "community.general", "ansible.posix"):
        line = next(line for line in lines if line.strip().startswith(name + " "))
        assert line.split()[1][0].isdigit(), line   # installed with the `ansible` package


def test_version_does_not_need_a_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--version"]) == 0
    assert version_text() == capsys.readouterr().out
    assert not (tmp_path / ".hive").exists()


# --- status -------------------------------------------------------------------------------------

def test_status_subcommand_dispatches_to_cli_status(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("hive_builder.cli.status")
    fake.cmd_status = lambda ctx, as_json: calls.append((ctx.stage, as_json))
    monkeypatch.setitem(sys.modules, "hive_builder.cli.status", fake)
    assert main(["-r", str(tmp_path), "status", "--json", "-s", "staging"]) == 0
    assert main(["-r", str(tmp_path), "status"]) == 0
    assert calls == [("staging", True), ("private", False)]
    assert "json" not in values("status", "--json")


def test_options_of_single_subcommands_are_not_variables():
    v = values("set", "--unset", "verbose")
    assert "unset" not in v and "variable_name" not in v
    assert "yes" not in values("build-infra", "-D", "-y")


# --- hive set -----------------------------------------------------------------------------------

def persisted(root):
    return yaml.safe_load((root / ".hive" / "persistent_values.yml").read_text())


def listing(out):
    rows = {}
    for line in out.splitlines():
        name, rest = line.split(" = ", 1)
        value, source = rest.rsplit("  # ", 1)
        rows[name.strip()] = (value, source)
    return rows


def test_set_without_arguments_lists_values_and_sources(tmp_path, capsys):
    r = str(tmp_path)
    main(["-r", r, "set", "stage", "staging"])
    main(["-r", r, "set", "verbose", "true"])
    main(["-r", r, "set", "forks", "5"])
    main(["-r", r, "set", "aws_secret_access_key", "s3cr3t"])
    capsys.readouterr()
    assert main(["-r", r, "set", "-W", r]) == 0
    rows = listing(capsys.readouterr().out)
    assert rows["stage"] == ("staging", "persisted (global)")
    assert rows["verbose"] == ("true", "persisted (stage staging)")
    assert rows["forks"] == ("5", "persisted (global)")
    assert rows["temp_dir"] == (r, "command line")
    assert rows["start_phase"] == ("build-infra", "default")
    assert rows["tags"] == ("", "unset")
    assert rows["aws_secret_access_key"][0] == "********"
    assert "root_dir" not in rows and "halt" not in rows  # not settable


def test_set_name_prints_the_value_alone(tmp_path, capsys):
    r = str(tmp_path)
    assert main(["-r", r, "set", "temp_dir"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("/var/tmp/hive/") and out.count("\n") == 1
    assert "temp_dir: default (scope private)" in err
    assert main(["-r", r, "-s", "staging", "set", "temp_dir"]) == 0
    assert capsys.readouterr().out != out          # per stage
    assert main(["-r", r, "set", "aws_secret_access_key"]) == 0
    assert capsys.readouterr().out == "\n"         # unset
    assert main(["-r", r, "set", "nope"]) == 1
    assert "unknown variable nope" in capsys.readouterr().err


@pytest.mark.parametrize("order", [["--unset", "verbose"], ["verbose", "--unset"]])
def test_set_unset_removes_the_value_of_the_current_scope(tmp_path, capsys, order):
    r = str(tmp_path)
    main(["-r", r, "set", "verbose", "true"])
    main(["-r", r, "-s", "staging", "set", "verbose", "false"])
    main(["-r", r, "set", "forks", "3"])
    capsys.readouterr()
    assert main(["-r", r, "set", *order]) == 0
    assert "removed the persisted value of verbose on private" in capsys.readouterr().err
    assert persisted(tmp_path)["verbose"] == {"staging": False}
    assert main(["-r", r, "set", "--unset", "forks"]) == 0
    assert "forks" not in persisted(tmp_path)
    assert main(["-r", r, "set", "--unset", "forks"]) == 0
    assert "forks has no persisted value on global" in capsys.readouterr().err


def test_set_unset_refusals(tmp_path, capsys):
    r = str(tmp_path)
    assert main(["-r", r, "set", "--unset"]) == 1
    assert "needs a variable name" in capsys.readouterr().err
    assert main(["-r", r, "set", "--unset", "verbose", "true"]) == 1
    assert "takes no value" in capsys.readouterr().err
    assert main(["-r", r, "set", "--unset", "root_dir"]) == 1
    assert "can not be saved persistently" in capsys.readouterr().err


def test_set_name_value_still_persists(tmp_path):
    assert main(["-r", str(tmp_path), "set", "stage", "production"]) == 0
    assert persisted(tmp_path) == {"stage": {"global": "production"}}


# --- confirmation of destructive options --------------------------------------------------------

class Terminal:
    def __init__(self, tty=True):
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.fixture
def destroy_project(tmp_path, monkeypatch):
    """build-infra/build-volumes/deploy-services with the inventory and ansible replaced."""
    site = SimpleNamespace(
        name="mysite",
        stages={"private": SimpleNamespace(servers=[1, 2, 3, 4])},
        volumes={"pgdata": SimpleNamespace(stages=("private",)),
                 "other": SimpleNamespace(stages=("staging",))},
        services_on=lambda stage: [SimpleNamespace(name="web"), SimpleNamespace(name="db")])
    ran, answers, asked = [], [], []
    monkeypatch.setattr(commands, "load_inventory", lambda ctx, **kw: site)
    monkeypatch.setattr(commands, "preflight_provider", lambda ctx, site: None)
    monkeypatch.setattr(commands, "_run_and_record", lambda ctx, name, site: ran.append(name))

    def fake_input(prompt=""):
        asked.append(prompt)
        if not answers:
            raise EOFError
        return answers.pop(0)
    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr(sys, "stdin", Terminal(True))
    temp = tmp_path / "t"
    temp.mkdir()

    def hive(*args):
        return main(["-r", str(tmp_path), "-W", str(temp), *args])
    return SimpleNamespace(hive=hive, ran=ran, answers=answers, asked=asked, site=site)


def test_destroy_asks_on_a_terminal_and_refuses_without_yes(destroy_project, capsys):
    p = destroy_project
    p.answers.append("n")
    assert p.hive("build-infra", "-D") == 1
    err = capsys.readouterr().err
    assert ("destroy stage private of mysite (4 servers, their volumes and data)? [y/N]" in err)
    assert "not confirmed: nothing was done" in err
    assert p.ran == []


@pytest.mark.parametrize("answer", ["y", "YES", " yes "])
def test_destroy_runs_when_confirmed(destroy_project, answer):
    destroy_project.answers.append(answer)
    assert destroy_project.hive("build-infra", "-D") == 0
    assert destroy_project.ran == ["build-infra"]


def test_destroy_end_of_input_is_no(destroy_project):
    assert destroy_project.hive("build-infra", "-D") == 1
    assert destroy_project.ran == []


def test_yes_or_no_terminal_never_asks(destroy_project, monkeypatch):
    p = destroy_project
    assert p.hive("build-infra", "-D", "-y") == 0
    assert p.hive("build-infra", "--yes", "--destroy") == 0
    monkeypatch.setattr(sys, "stdin", Terminal(False))
    assert p.hive("build-infra", "-D") == 0
    monkeypatch.setattr(sys, "stdin", None)
    assert p.hive("build-infra", "-D") == 0
    assert p.asked == [] and p.ran == ["build-infra"] * 4


def test_without_destroy_nothing_is_asked(destroy_project):
    p = destroy_project
    assert p.hive("build-infra") == 0 and p.hive("build-infra", "-H") == 0
    assert p.hive("build-volumes") == 0 and p.hive("deploy-services", "-l", "web") == 0
    assert p.asked == []


def test_destroy_of_volumes_and_services_asks_naming_them(destroy_project, capsys):
    p = destroy_project
    p.answers.extend(["n", "n", "n"])
    assert p.hive("build-volumes", "-D") == 1
    assert "destroy the volumes pgdata of stage private of mysite (1 volume and their data)?" \
        in capsys.readouterr().err
    assert p.hive("deploy-services", "-D", "-l", "web") == 1
    assert "remove the services web of stage private of mysite (1 service)?" \
        in capsys.readouterr().err
    assert p.hive("deploy-services", "-D") == 1
    assert "remove the services db, web of stage private of mysite (2 services)?" in capsys.readouterr().err
    assert p.ran == []


def test_restore_asks_on_a_terminal(destroy_project, monkeypatch, capsys):
    restored = []
    monkeypatch.setattr(commands, "cmd_backup", lambda ctx, restore: restored.append(restore))
    p = destroy_project
    p.answers.append("no")
    assert p.hive("restore", "-l", "db") == 1
    assert "restore db of stage private from their latest backup, replacing their current data? " \
        "[y/N]" in capsys.readouterr().err
    assert p.hive("restore", "-l", "db", "-y") == 0
    p.answers.append("y")
    assert p.hive("restore", "-l", "db") == 0
    assert p.hive("backup") == 0                    # backing up never asks
    assert restored == [True, True, False]
    assert len(p.asked) == 2


# --- shell completion ---------------------------------------------------------------------------

def test_entry_module_has_the_argcomplete_marker():
    head = Path(main_module.__file__).read_bytes()[:1024]
    assert b"PYTHON_ARGCOMPLETE_OK" in head


def complete(line, cwd):
    """What bash completion offers for `line` (argcomplete's protocol: answer on fd 8)."""
    script = f'"{sys.executable}" -m hive_builder.cli.main 8>&1 9>/dev/null'
    env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_SUPPRESS_SPACE": "1"}
    proc = subprocess.run(["bash", "-c", script], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)
    return proc.stdout.split("\n")


def test_completion_of_subcommands_stages_and_limit(tmp_path):
    pytest.importorskip("argcomplete")
    assert "build-infra" in complete("hive build-i", tmp_path)[0]
    assert "staging" in complete("hive -s st", tmp_path)[0]
    assert "staging" in complete("hive check -s st", tmp_path)[0]
    servers = [x.strip() for x in complete("hive setup-hosts -l p-", DEMO)]
    assert "p-hive0.demo" in servers


def test_limit_choices_per_subcommand():
    cli = {"root_dir": str(DEMO)}
    assert limit_choices("setup-hosts", cli)[0].startswith("p-hive")
    assert "db" in limit_choices("deploy-services", cli)
    assert "demo_db_data" in limit_choices("build-volumes", cli)
    assert "hive-registry" in limit_choices("restore", cli)
    assert limit_choices("build-infra", cli) == []


def test_limit_completer_never_fails(tmp_path):
    from hive_builder.cli.parser import _limit_completer
    args = SimpleNamespace(command="setup-hosts", root_dir=str(tmp_path))
    assert _limit_completer("", args) == []


def test_a_closed_pipe_is_not_an_internal_error(tmp_path, monkeypatch, capsys):
    def closed(*args):
        raise BrokenPipeError(32, "Broken pipe")
    monkeypatch.setattr(main_module, "dispatch", closed)
    assert main(["-r", str(tmp_path), "check"]) == 141
    assert "INTERNAL ERROR" not in capsys.readouterr().err
