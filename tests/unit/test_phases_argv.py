import pytest

from hive_builder import phases
from hive_builder.config.catalogue import PHASE_NAMES


def test_phase_list_order():
    assert [p.name for p in phases.PHASES] == list(PHASE_NAMES) == [
        "build-infra", "setup-hosts", "build-images", "build-volumes", "build-networks",
        "deploy-services", "initialize-services"]


@pytest.mark.parametrize("phase,limit,expected", [
    ("setup-hosts", "p-hive0.pdns,p-hive1.pdns", "p-hive0.pdns:p-hive1.pdns:&private"),
    ("build-images", "pdnsdb,pdnsadmin", "image_pdnsdb:image_pdnsadmin:repository:&private"),
    ("initialize-services", "powerdns", "powerdns:&private"),
    ("deploy-services", "x", "private"),
    ("build-volumes", "a,b", "private"),
    ("build-infra", "p-hive0.pdns", "private"),
    ("build-networks", None, "private"),
    ("setup-hosts", None, "private"),
    ("setup-hosts", " a , ,b ", "a:b:&private"),
])
def test_limit_per_phase(phase, limit, expected):
    assert phases.limit_for(phase, "private", limit) == expected


def test_argv_plain():
    assert phases.playbook_argv("build-infra", stage="staging", playbook="/pb/build-infra.yml",
                                vars_file="/t/vars.yml") == [
        "ansible-playbook", "--limit", "staging", "--extra-vars", "@/t/vars.yml",
        "/pb/build-infra.yml"]


def test_argv_all_flags_in_order():
    assert phases.playbook_argv("setup-hosts", stage="private", playbook="/pb/setup-hosts.yml",
                                vars_file="/t/vars.yml", limit_target="h1", verbose=True,
                                check_mode=True, tags="base,docker",
                                ansible_playbook="/venv/bin/ansible-playbook") == [
        "/venv/bin/ansible-playbook", "--limit", "h1:&private", "-vvv", "-C",
        "--tags", "base,docker", "--extra-vars", "@/t/vars.yml", "/pb/setup-hosts.yml"]


def test_packaged_playbook(tmp_path):
    path, warning = phases.playbook_path("deploy-services", playbooks_dir="/pb", root_dir=tmp_path)
    assert (str(path), warning) == ("/pb/deploy-services.yml", None)


def test_legacy_initialize_services_playbook_overrides_with_warning(tmp_path):
    path, warning = phases.playbook_path("initialize-services", playbooks_dir="/pb",
                                         root_dir=tmp_path)
    assert str(path) == "/pb/initialize-services.yml" and warning is None
    (tmp_path / "initialize-services.yml").write_text("[]\n")
    path, warning = phases.playbook_path("initialize-services", playbooks_dir="/pb",
                                         root_dir=tmp_path)
    assert path == tmp_path / "initialize-services.yml"
    assert "deprecated" in warning and "initialize_roles" in warning


def test_packaged_placeholder_playbooks_exist():
    from hive_builder.cli.context import INSTALL_DIR
    from pathlib import Path
    for name in ("build-images", "build-volumes", "deploy-services", "initialize-services"):
        assert (Path(INSTALL_DIR) / "playbooks" / f"{name}.yml").is_file()
