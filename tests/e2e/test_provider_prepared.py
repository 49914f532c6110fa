"""prepared provider end to end, through the real CLI: existing hosts listed by `ip_address_list`,
reached as root with the stage's `root_password`, get the admin account with the site's key."""

import pytest
import yaml

from tests.e2e.conftest import Site
from tests.e2e.site import PreparedHosts, play_recap

pytestmark = pytest.mark.e2e
PASSWORD = "e2e-Root-pw1"
CIDR = "10.233.32.0/24"


@pytest.fixture(scope="module")
def hosts():
    h = PreparedHosts("e2eprepared", CIDR, PASSWORD, count=2)
    h.down()
    try:
        h.up()
        yield h
    finally:   # also when up() failed half-way
        h.down()


@pytest.fixture(scope="module")
def stage(hosts, tmp_path_factory):
    base = tmp_path_factory.mktemp("provider-prepared")
    (base / "project" / "inventory").mkdir(parents=True)
    (base / "tmp").mkdir()
    hive = {"plugin": "hive_inventory", "name": "prep", "stages": {"private": {
        "provider": "prepared", "cidr": CIDR, "ip_address_list": hosts.ips,
        "root_password": PASSWORD}}}
    (base / "project" / "inventory" / "hive.yml").write_text(yaml.safe_dump(hive))
    return Site(root_dir=base / "project", temp_dir=base / "tmp")


def test_admin_is_bootstrapped_with_the_root_password(stage, hosts):
    recap = play_recap(stage.run("build-infra").stdout)
    servers = ["p-hive0.prep", "p-hive1.prep"]   # a hive and the repository server, in list order
    assert all(recap[h]["changed"] > 0 for h in servers), recap
    assert stage.hosts == servers
    text = stage.ssh_config.read_text()
    for host, ip in zip(servers, hosts.ips):
        assert f"Host {host}\n  HostName {ip}\n" in text
        assert stage.ssh(host, "id -un; sudo -n true && echo sudo").stdout.split() == ["admin", "sudo"]


def test_rerun_changes_nothing(stage):
    recap = play_recap(stage.run("build-infra").stdout)
    assert recap and all(c["changed"] == 0 for c in recap.values()), recap


def test_halt_is_not_supported_and_says_so(stage):
    proc = stage.run("build-infra", "-H", check=False)
    assert "prepared provider does not support stop/destroy mode" in proc.stdout + proc.stderr
    assert stage.ssh(stage.hosts[0], "true").returncode == 0
