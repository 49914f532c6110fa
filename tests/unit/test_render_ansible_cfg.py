import configparser

from hive_builder.config.catalogue import Variable
from hive_builder.config.resolution import resolve
from hive_builder.render.ansible_cfg import render_ansible_cfg

EXPECTED = """\
[defaults]
inventory = /p/inventory
playbook_dir = /inst/playbooks
inventory_plugins = /p/plugins/inventory:/inst/plugins/inventory
vars_plugins = /p/plugins/vars:/inst/plugins/vars
vars_plugins_enabled = hive_playbook_group_vars, host_group_vars
filter_plugins = /p/plugins/filter:/inst/plugins/filter
library = /p/lib:/inst/lib
roles_path = /p/roles:/inst/playbooks/roles:/inst/playbooks/builtin_roles
forks = 10
force_handlers = True
host_key_checking = False
interpreter_python = auto_silent
stdout_callback = default
callback_result_format = yaml
display_skipped_hosts = False
bin_ansible_callbacks = True
log_path = /p/.hive/private/hive.log

[inventory]
enable_plugins = hive_inventory, hive_services, host_list, script, auto, yaml, toml
unparsed_is_failed = True
any_unparsed_is_failed = True

[ssh_connection]
pipelining = True
ssh_args = -F /p/.hive/private/ssh_config -o ControlMaster=auto -o ControlPersist=60s
control_path_dir = /tmp/t/cp/{key}
retries = 0

[hive]
root_dir = /p
stage = private
context_dir = /p/.hive/private
"""


def values(**cli):
    return resolve({"temp_dir": "/tmp/t", **cli}, {}, cwd="/p", install_dir="/inst",
                   python="/venv/bin/python")


def test_ansible_cfg_for_root_p_stage_private():
    v = values()
    assert render_ansible_cfg(v) == EXPECTED.format(key=v["context_key"])


def test_ansible_reads_it_back_with_its_own_parser_settings():
    # ansible parses ansible.cfg with configparser's default (basic) interpolation
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    v = values()
    v["ssh_args"] += " -o ControlPath=/x/%C"
    parser.read_string(render_ansible_cfg(v))
    assert parser["ssh_connection"]["ssh_args"].endswith("ControlPath=/x/%C")
    assert parser["hive"]["stage"] == "private"


def test_optional_keys_appear_only_when_set():
    assert "timeout" not in render_ansible_cfg(values())
    v = values()
    v["timeout"] = 30
    assert "\ntimeout = 30\n" in render_ansible_cfg(v)
    v["callbacks_enabled"] = "ansible.posix.profile_tasks"
    assert "callbacks_enabled = ansible.posix.profile_tasks" in render_ansible_cfg(v)


def test_unknown_sections_follow_known_ones():
    table = [Variable("a", "", ansible_cfg=("zzz", "a")), Variable("b", "", ansible_cfg=("hive", "b"))]
    assert render_ansible_cfg({"a": 1, "b": 2}, table) == "[hive]\nb = 2\n\n[zzz]\na = 1\n"


def test_ansible_core_reads_playbook_dir_and_vars_plugins(tmp_path):
    """ansible-core's own config manager sees the keys that make a plain ansible run like hive's."""
    from ansible.config.manager import ConfigManager
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text(render_ansible_cfg(values()))
    manager = ConfigManager(conf_file=str(cfg))
    assert manager.get_config_value("PLAYBOOK_DIR") == "/inst/playbooks"
    assert manager.get_config_value("VARIABLE_PLUGINS_ENABLED")[0] == "hive_playbook_group_vars"
    assert "host_group_vars" in manager.get_config_value("VARIABLE_PLUGINS_ENABLED")
    assert "/inst/plugins/vars" in manager.get_config_value("DEFAULT_VARS_PLUGIN_PATH")
