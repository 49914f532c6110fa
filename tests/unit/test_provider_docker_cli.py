import pytest

from hive_builder.errors import HiveError
from hive_builder.providers.docker.__main__ import build_plan, default_hosts, main, parse_hosts


def test_default_hosts_like_the_hive_definition():
    assert default_hosts("demo", "private", "10.233.20.0/24", 4) == [
        ("p-hive0.demo", "10.233.20.4"), ("p-hive1.demo", "10.233.20.5"),
        ("p-hive2.demo", "10.233.20.6"), ("p-hive3.demo", "10.233.20.7")]
    assert default_hosts("demo", "production", "10.0.0.0/24", 1) == [("hive0.demo", "10.0.0.4")]


def test_default_hosts_too_small_cidr():
    with pytest.raises(HiveError, match="room for only"):
        default_hosts("d", "private", "10.0.0.0/29", 4)


def test_parse_hosts():
    assert parse_hosts("a.x:10.0.0.4, b.x:10.0.0.5") == [("a.x", "10.0.0.4"), ("b.x", "10.0.0.5")]
    with pytest.raises(HiveError, match="NAME:IP"):
        parse_hosts("a.x")


def test_build_plan_roles(tmp_path):
    import argparse
    args = argparse.Namespace(name="demo", stage="private", cidr="10.233.20.0/24", context_dir=str(tmp_path),
                              root_dir=None, count=3, hosts=None, admin="admin")
    plan = build_plan(args)
    assert [s.roles for s in plan.servers] == [("hives", "first_hive"), ("hives",), ("repository",)]
    assert plan.root_dir == tmp_path and plan.network_name == "hive-demo-private"


def test_main_reports_errors_without_traceback(tmp_path, capsys):
    rc = main(["up", "--name", "d", "--cidr", "10.0.0.0/30", "--context-dir", str(tmp_path)])
    assert rc == 1 and "HIVE ERROR:" in capsys.readouterr().err
