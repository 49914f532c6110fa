"""`hive setup-hosts -T`: the valid tags come from the playbook itself (plays, roles, the tasks
the roles run), the manual's role names are accepted where they differ from ours, and a tag that
would make ansible run nothing is refused before anything runs (issue 10)."""

from pathlib import Path

import pytest

import hive_builder
from hive_builder import phases
from hive_builder.errors import HiveError

PLAYBOOKS = Path(hive_builder.__file__).parent / "playbooks"
SETUP_HOSTS = PLAYBOOKS / "setup-hosts.yml"
ROLES_PATH = [PLAYBOOKS / "roles", PLAYBOOKS / "builtin_roles"]
# manual 8.2: the roles of the three plays of setup-hosts
MANUAL_ROLES = ("base", "hostsfile", "ntp-client", "iptables", "pip-venv", "addon", "internal-network",
                "users", "strict-source-ip", "tls-certificate", "docker", "drbd", "docker-client",
                "follow-swarm-service", "docker-client-proxy", "zabbix-agent", "docker-compose",
                "zabbix", "registry", "backup-tools", "rsyslogd", "swarm")


@pytest.fixture(scope="module")
def valid():
    return phases.playbook_tags(SETUP_HOSTS, ROLES_PATH)


def test_every_role_of_the_playbook_is_a_tag(valid):
    import yaml
    roles = {r["role"] for play in yaml.safe_load(SETUP_HOSTS.read_text()) for r in play.get("roles", ())}
    assert roles <= valid
    assert {"setup-hosts", "build-cluster", "registry"} <= valid      # play tags


def test_manual_role_names_are_tags_or_refused_with_the_reason(valid):
    for role in MANUAL_ROLES:
        if role in phases.ROLES_NOT_BUILT:
            continue
        assert role in valid, role
    assert {"iptables", "pip-venv", "backup-tools", "rsyslogd"} <= valid


def test_task_tags_of_the_roles_count_but_not_those_of_files_setup_hosts_never_runs(valid):
    assert "drbd-packages" in valid and "rsyslogd-packages" in valid
    assert "drbd-docker-volume" not in valid     # roles/drbd/tasks/volume.yml: build-volumes only


@pytest.mark.parametrize("tag", ["docker-compose"])
def test_roles_not_built_here_are_refused_with_the_reason(valid, tag):
    assert tag not in valid
    with pytest.raises(HiveError) as info:
        phases.check_tags(tag, valid)
    assert phases.ROLES_NOT_BUILT[tag] in info.value.message


def test_the_manuals_migration_command_runs(valid):
    # manual 10.4: hive setup-hosts -T zabbix,zabbix-agent,backup-tools,rsyslogd
    tags = "zabbix,zabbix-agent,backup-tools,rsyslogd"
    assert phases.check_tags(tags, valid) == tags


def test_a_role_not_built_says_what_can_run(valid):
    with pytest.raises(HiveError) as info:
        phases.check_tags("docker-compose,backup-tools", valid)
    assert "run the others alone (-T backup-tools)" in str(info.value)


def test_unknown_tag_lists_the_valid_ones(valid):
    with pytest.raises(HiveError) as info:
        phases.check_tags("base,dockre", valid)
    e = info.value
    assert "unknown tag dockre" in e.message and "base" not in e.message.split(":", 1)[1]
    assert e.hint.startswith("valid tags: addon, backup-tools, base, build-cluster,")
    assert "iptables" in e.hint and "ansible's all, always, never, tagged, untagged" in e.hint


def test_valid_tags_pass_stripped(valid):
    assert phases.check_tags(" iptables , pip-venv,base", valid) == "iptables,pip-venv,base"
    assert phases.check_tags("all", valid) == "all"
    assert phases.check_tags("untagged,tagged", set()) == "untagged,tagged"


def test_empty_tags_are_refused(valid):
    with pytest.raises(HiveError, match="empty"):
        phases.check_tags(" , ", valid)


def test_a_tag_found_in_the_playbook_wins_over_the_not_built_table(tmp_path):
    # the day a zabbix role exists (tagged zabbix), -T zabbix runs it: nothing else to change
    playbook = tmp_path / "setup-hosts.yml"
    playbook.write_text("- hosts: repository\n  roles:\n    - {role: zabbix, tags: [zabbix]}\n")
    assert phases.check_tags("zabbix", phases.playbook_tags(playbook)) == "zabbix"


def test_project_addon_role_tags_are_valid(tmp_path):
    # the project's roles/addon comes first on the roles path, as for ansible
    addon = tmp_path / "roles" / "addon" / "tasks"
    addon.mkdir(parents=True)
    (addon / "main.yml").write_text("- name: site step\n  ansible.builtin.debug: {msg: hi}\n"
                                    "  tags: [site-step]\n- ansible.builtin.include_tasks: more.yml\n")
    (addon / "more.yml").write_text("- block:\n    - ansible.builtin.debug: {msg: x}\n      tags: deeper, other\n")
    valid = phases.playbook_tags(SETUP_HOSTS, [tmp_path / "roles", *ROLES_PATH])
    assert {"site-step", "deeper", "other"} <= valid
    assert "site-step" not in phases.playbook_tags(SETUP_HOSTS, ROLES_PATH)


def test_broken_or_templated_files_do_not_break_the_listing(tmp_path):
    role = tmp_path / "r" / "tasks"
    role.mkdir(parents=True)
    (role / "main.yml").write_text("- {debug: {msg: x}, tags: ['{{ t }}', ok]}\n- [unbalanced\n")
    playbook = tmp_path / "p.yml"
    playbook.write_text("- hosts: all\n  roles: [r, '{{ x }}']\n  tags: play\n")
    assert phases.playbook_tags(playbook, [tmp_path]) == {"play"}   # main.yml is not YAML
    (role / "main.yml").write_text("- {debug: {msg: x}, tags: ['{{ t }}', ok]}\n")
    assert phases.playbook_tags(playbook, [tmp_path]) == {"play", "ok"}
