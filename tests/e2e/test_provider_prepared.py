"""prepared provider end to end: existing hosts reached as root by password, admin bootstrapped."""

import pytest

from tests.e2e.site import AnsibleSite, PreparedHosts, play_recap

pytestmark = pytest.mark.e2e
PASSWORD = "e2e-Root-pw1"


@pytest.fixture(scope="module")
def hosts():
    h = PreparedHosts("e2eprepared", "10.233.32.0/24", PASSWORD, count=2)
    h.down()
    try:
        h.up()
        yield h
    finally:   # also when up() failed half-way
        h.down()


@pytest.fixture(scope="module")
def stage(hosts, tmp_path_factory):
    return AnsibleSite(tmp_path_factory.mktemp("provider-prepared"), name="prep", cidr="10.233.32.0/24",
                       provider="prepared", root_password=PASSWORD, ips=hosts.ips).write()


def test_admin_is_bootstrapped_with_the_root_password(stage, hosts):
    recap = play_recap(stage.build_infra().stdout)
    assert all(recap[h]["changed"] > 0 for h in stage.servers), recap
    text = stage.ssh_config.read_text()
    for host, ip in zip(stage.servers, hosts.ips):
        assert f"Host {host}\n  HostName {ip}\n" in text
        assert stage.ssh(host, "id -un; sudo -n true && echo sudo").stdout.split() == ["admin", "sudo"]


def test_rerun_changes_nothing(stage):
    recap = play_recap(stage.build_infra().stdout)
    assert all(c["changed"] == 0 for c in recap.values()), recap


def test_halt_is_not_supported_and_says_so(stage):
    proc = stage.halt()
    assert "prepared provider does not support stop/destroy mode" in proc.stdout + proc.stderr
    assert stage.ssh(stage.servers[0], "true").returncode == 0
