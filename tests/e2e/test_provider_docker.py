"""docker provider end to end: build-infra.yml through ansible-playbook on a 4-server stage.

The tests share one stage and run in file order: provision, rerun, halt/start, destroy.
"""

import subprocess

import pytest
import yaml

from tests.e2e.site import AnsibleSite, labelled, play_recap

pytestmark = pytest.mark.e2e
NAME = "e2eprov"


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    s = AnsibleSite(tmp_path_factory.mktemp("provider-docker"), name=NAME, cidr="10.233.31.0/24").write()
    s.first = s.build_infra()
    yield s
    s.destroy(check=False)


def _states():
    out = subprocess.run(["docker", "ps", "-a", "--filter", f"label=hive-builder.site={NAME}",
                          "--format", "{{.Names}} {{.State}}"], capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


def test_provision_creates_four_reachable_servers(stage):
    assert sorted(_states()) == [f"p-hive{i}.{NAME}" for i in range(4)]
    assert set(_states().values()) == {"running"}
    for host in stage.servers:
        out = stage.ssh(host, "id -un; hostname; sudo -n id -u").stdout.split()
        assert out == ["admin", host.split(".")[0], "0"]
    # nodes resolve each other by inventory name on the stage network
    assert stage.ssh(stage.servers[0], f"getent hosts p-hive3.{NAME}").stdout.split()[0] == "10.233.31.7"


def test_context_dir_files(stage):
    ctx = stage.context_dir
    assert [l.split()[1] for l in (ctx / "ssh_config").read_text().splitlines() if l.startswith("Host ")] == stage.servers
    facts = yaml.safe_load((ctx / "provider_facts.yml").read_text())
    assert set(facts) >= {"ipvs", "drbd"}
    assert (ctx / "id_rsa").stat().st_mode & 0o077 == 0
    subject = subprocess.run(["openssl", "x509", "-in", str(ctx / "ca" / "cacert.pem"), "-noout", "-subject",
                              "-ext", "basicConstraints"], capture_output=True, text=True, check=True).stdout
    assert f"CN = ca.{NAME}" in subject and "CA:TRUE" in subject


def test_nodes_share_the_emulation_directory(stage):
    shared = yaml.safe_load((stage.context_dir / "provider_facts.yml").read_text())["shared_dir"]
    stage.ssh(stage.servers[0], f"echo from-hive0 | sudo tee {shared}/probe >/dev/null")
    assert stage.ssh(stage.servers[2], f"cat {shared}/probe").stdout.strip() == "from-hive0"


def test_nodes_hold_their_kinds_packages_but_none_is_configured(stage):
    """Hives start from the node image preloaded with setup-hosts' packages, the repository
    server from the one that adds its roles' packages; configuring them is setup-hosts' work."""
    installed = "dpkg-query -W -f '${Package} ${Status}\\n' docker.io zabbix-server-pgsql 2>/dev/null; true"
    hive = stage.ssh(stage.servers[0], installed).stdout
    repository = stage.ssh(stage.servers[3], installed).stdout
    assert "docker.io install ok installed" in hive and "zabbix-server-pgsql install ok installed" not in hive
    assert "docker.io install ok installed" in repository
    assert "zabbix-server-pgsql install ok installed" in repository
    assert stage.ssh(stage.servers[0], "test -e /etc/docker/daemon.json", check=False).returncode != 0


def test_second_run_changes_nothing(stage):
    recap = play_recap(stage.build_infra().stdout)
    assert recap and all(c["changed"] == 0 and c["failed"] == 0 for c in recap.values()), recap


def test_halt_then_start_keeps_state(stage):
    host = stage.servers[1]
    stage.ssh(host, "echo kept | sudo tee /var/tmp/marker >/dev/null")
    stage.halt()
    assert set(_states().values()) == {"exited"}
    recap = play_recap(stage.build_infra().stdout)
    assert recap[f"p-mother.{NAME}"]["changed"] > 0
    assert set(_states().values()) == {"running"}
    assert stage.ssh(host, "cat /var/tmp/marker").stdout.strip() == "kept"


def test_destroy_leaves_nothing(stage):
    stage.destroy()
    assert labelled("container", NAME) == []
    assert labelled("network", NAME) == []
    assert labelled("volume", NAME) == []
