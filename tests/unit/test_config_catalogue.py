import re

import pytest

from hive_builder.config.catalogue import (BY_NAME, INTERNAL_NAMES, PHASE_NAMES, VARIABLES, Level,
                                           Scope, Type, global_options, options_of)
from hive_builder.config.resolution import DERIVED

SUBCOMMANDS = set(PHASE_NAMES) | {"all", "inventory", "check", "init", "set", "ssh", "volume-status",
               "logs", "backup", "restore"}


def test_names_are_unique():
    assert len(BY_NAME) == len(VARIABLES)


def test_original_user_visible_names_are_kept():
    for name in ("root_dir", "stage", "inventory_path", "context_dir", "temp_dir", "playbooks_dir",
                 "verbose", "start_phase", "halt", "destroy", "check_mode", "limit_target", "tags",
                 "ssh_host", "foward_zabbix", "foward_zabbix_port", "port_forwarding",
                 "aws_access_key_id", "aws_secret_access_key", "azure_client_id", "azure_secret",
                 "azure_subscription_id", "azure_tenant", "drbd_device_map", "published_port_map",
                 "timeout", "retries", "forks", "pipelining", "ssh_args", "roles_path", "library",
                 "inventory_plugins", "filter_plugins", "enable_plugins", "unparsed_is_failed",
                 "local_python_path", "phase"):
        assert name in BY_NAME, name
    assert BY_NAME["foward_zabbix"].cli.long == "--foward_zabbix"


def test_dead_entry_is_gone_and_int_typos_are_integers():
    assert "vagrant_box_name" not in BY_NAME
    for name in ("foward_zabbix_port", "timeout", "retries", "forks"):
        assert BY_NAME[name].type is Type.INTEGER
    assert BY_NAME["bin_ansible_callbacks"].type is Type.BOOLEAN


def test_cli_options_name_existing_subcommands_and_unique_flags():
    for var in VARIABLES:
        if var.cli and var.cli.level is Level.SUBCOMMAND:
            assert var.cli.subcommands and set(var.cli.subcommands) <= SUBCOMMANDS, var.name
    for sub in SUBCOMMANDS:
        flags = [v.cli.short for v in options_of(sub) + global_options()]
        assert len(flags) == len(set(flags)), sub


def test_phase_options_match_reference_table():
    def opts(sub):
        return sorted(v.cli.short for v in options_of(sub))
    assert opts("build-infra") == ["-C", "-D", "-H", "-l"]
    assert opts("setup-hosts") == ["-C", "-T", "-l"]
    assert opts("build-images") == ["-C", "-R", "-l"]   # -R (--rebuild) is ours
    assert opts("build-volumes") == ["-D", "-l"]
    assert opts("build-networks") == []
    assert opts("deploy-services") == ["-C", "-D", "-l"]
    assert opts("initialize-services") == ["-C", "-l"]
    assert opts("all") == ["-S"]
    assert opts("ssh") == ["-L", "-Z", "-t", "-z"]


def test_not_persistable_ones():
    assert {v.name for v in VARIABLES if v.scope is Scope.NONE} == {
        "root_dir", "phase", "local_python_path", "halt", "destroy", "check_mode", "limit_target", "rebuild"}


def test_templates_only_reference_known_names():
    known = set(BY_NAME) | set(INTERNAL_NAMES)
    assert set(DERIVED) <= set(INTERNAL_NAMES)
    for var in VARIABLES:
        if isinstance(var.default, str):
            for ref in re.findall(r"{(\w+)}", var.default):
                assert ref in known, (var.name, ref)


@pytest.mark.parametrize("var", [v for v in VARIABLES if v.type is Type.ENUM and v.default])
def test_enum_defaults_are_options(var):
    assert var.default in var.options
