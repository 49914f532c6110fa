"""The CLI on the shared e2e site: `hive ssh -t`, check mode, and `hive all` itself (resume at the
failed phase, start_phase saved, and a complete second run that changes nothing).

Runs after test_services*.py and test_setup_hosts.py (file order): the images are built and the
services deployed.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.e2e.conftest import HIVE
from tests.e2e.test_setup_hosts import changed_tasks
from tests.e2e.site import play_recap

pytestmark = pytest.mark.e2e

BROKEN = """\
plugin: hive_services
services:
  broken:
    image: {registry}/image_web:latest
    command: [python3, -c, "raise SystemExit(3)"]
    networks: [e2e_backend]
"""


def _start_phase(site) -> str:
    data = yaml.safe_load((site.root_dir / ".hive" / "persistent_values.yml").read_text())
    return data["start_phase"][site.stage]


def test_node_containers_carry_the_stage_sizes(site):
    """memory_size / cpus / repository_memory_size of tests/e2e/project/inventory/hive.yml."""
    mb = 2 ** 20
    for host, memory in [(h, 3072 * mb) for h in site.hives] + [(site.repository, 4096 * mb)]:
        limits = subprocess.run(["docker", "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}} "
                                 "{{.HostConfig.CpuPeriod}}", host], capture_output=True, text=True, check=True).stdout.split()
        assert int(limits[0]) == memory, (host, limits)
        if host != site.repository:
            assert int(limits[1]) == 2 * int(limits[2]), (host, limits)
    check = site.run("check")
    assert "note: docker provider does not apply disk_size (20 GB)" in check.stdout + check.stderr


def test_hive_ssh_logs_into_the_named_server(site):
    for host in (site.hives[1], None):      # -t names a server; without it, the repository
        argv = [*HIVE, "-r", str(site.root_dir), "-W", str(site.temp_dir), "ssh"] + (["-t", host] if host else [])
        proc = subprocess.run(argv, input="hostname -f\n", capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split()[-1] == (host or site.repository), proc.stdout
    unknown = site.run("ssh", "-t", "nosuch.e2e", check=False)
    assert unknown.returncode == 1 and "host nosuch.e2e is not found" in unknown.stderr


def test_check_mode_of_setup_hosts_changes_nothing_and_keeps_start_phase(site):
    before = _start_phase(site)
    out = site.run("setup-hosts", "-C").stdout
    recap = play_recap(out)
    assert sorted(recap) == sorted(site.hosts), out[-3000:]
    assert "PLAY RECAP" in site.last_log and not changed_tasks(site.last_log), changed_tasks(site.last_log)
    assert all(c["changed"] == 0 for c in recap.values()), out[-3000:]
    assert _start_phase(site) == before       # decisions.md item 8


def test_hive_all_resumes_at_the_phase_that_failed(site):
    inventory = site.root_dir / "inventory"
    broken = inventory / "zz-broken.yml"
    timeout = inventory / "group_vars" / "all.yml"
    broken.write_text(BROKEN.format(registry=f"{site.repository}:5000"))
    timeout.write_text("hive_deploy_timeout: 20\n")
    try:
        failed = site.run("all", "-S", "build-networks", check=False)
        assert failed.returncode != 0
        assert "`hive all` resumes at deploy-services" in failed.stderr, failed.stderr[-2000:]
        assert _start_phase(site) == "deploy-services"
        site.run("deploy-services", "-D", "-l", "broken")
    finally:
        broken.unlink(missing_ok=True)
        timeout.unlink(missing_ok=True)
    resumed = site.run("all")
    assert "running phases deploy-services, initialize-services on stage private" in resumed.stderr
    assert "PHASE build-networks" not in resumed.stdout
    assert _start_phase(site) == "build-infra"   # a complete run starts over next time


def test_second_hive_all_changes_nothing(site):
    """The whole pipeline again after everything the earlier tests did (services, backups, log
    monitors, an outage of the repository server, restarted hives): changed=0 in every phase."""
    out = site.run("all").stdout
    assert "PHASE initialize-services END" in out
    assert not changed_tasks(out), changed_tasks(out)
