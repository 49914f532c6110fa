import os

import pytest

from hive_builder.cli import commands
from hive_builder.cli.main import main
from hive_builder.cli.parser import build_parser, cli_values


def test_no_subcommand_prints_usage_and_exits_2(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: hive") and "subcommand is required" in err
    assert "Traceback" not in err


def test_halt_with_destroy_is_refused(capsys):
    assert main(["build-infra", "-H", "-D"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("spelling", ["--root_dir", "--root-dir"])
def test_original_and_hyphenated_spellings(tmp_path, spelling):
    args = build_parser().parse_args([spelling, str(tmp_path), "ssh", "--foward_zabbix",
                                      "--foward-zabbix-port", "18080"])
    values = cli_values(args)
    assert values["root_dir"] == str(tmp_path)
    assert values["foward_zabbix"] is True and values["foward_zabbix_port"] == 18080


def test_absent_options_are_none_and_phase_is_set():
    values = cli_values(build_parser().parse_args(["deploy-services", "-D", "-l", "a,b"]))
    assert values["phase"] == "deploy-services"
    assert values["destroy"] is True and values["limit_target"] == "a,b"
    assert values["verbose"] is None and values["stage"] is None
    assert "check_mode" in values and values["check_mode"] is None


def test_all_has_start_phase_only(capsys):
    args = build_parser().parse_args(["all", "-S", "setup-hosts"])
    assert cli_values(args)["start_phase"] == "setup-hosts"
    assert main(["all", "-C"]) == 2
    assert main(["all", "-S", "nope"]) == 2


def test_missing_directory_option_is_a_usage_error(capsys):
    assert main(["-W", "/nonexistent/dir", "init"]) == 2
    assert "/nonexistent/dir is not a directory" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["-h"]) == 0
    assert "build-infra" in capsys.readouterr().out
    assert main(["build-volumes", "-h"]) == 0
    assert "destroy volume" in capsys.readouterr().out


def test_unexpected_exception_is_one_line_and_traceback_goes_to_a_file(tmp_path, monkeypatch, capsys):
    def boom(ctx):
        raise RuntimeError("bug here")
    monkeypatch.setattr(commands, "cmd_init", boom)
    assert main(["-r", str(tmp_path), "init"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("HIVE INTERNAL ERROR: RuntimeError: bug here (traceback in ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    path = err.strip().rsplit("traceback in ", 1)[1].rstrip(")")
    with open(path) as f:
        assert "Traceback" in f.read()
    os.unlink(path)


def test_keyboard_interrupt(tmp_path, monkeypatch, capsys):
    def interrupted(ctx):
        raise KeyboardInterrupt
    monkeypatch.setattr(commands, "cmd_init", interrupted)
    assert main(["-r", str(tmp_path), "init"]) == 130
    assert capsys.readouterr().err.strip() == "ABORTED: keyboard interruption"
