"""Stage size attributes (manual 7.1) and providers (issue 10): the docker provider applies
memory_size and cpus as container limits (on creation, and by `docker update` when they change);
what a provider cannot apply is said once per build-infra and in `hive check`, never ignored."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import hive_builder
from hive_builder.errors import HiveError
from hive_builder.providers import apply, get_provider, sizing
from hive_builder.providers.docker.engine import ContainerState, _limits
from hive_builder.providers.docker.kernel import KernelProbe
from hive_builder.providers.docker.provider import DockerProvider
from hive_builder.providers.docker.runspec import container_spec, limit_changes
from hive_builder.providers.plan import ProvisionPlan, ServerPlan, plan_from_hostvars, plan_from_stage
from tests.fixtures.inventories.builders import hive_def, load, write
from tests.unit.test_provider_docker_lifecycle import FakeEngine

HIVE = {"memory_size": 2048, "cpus": 2, "disk_size": 16, "mirrored_disk_size": 8}
REPO = {"memory_size": 1024, "disk_size": 20}
MB = 2**20


def _plan(tmp_path, hive=HIVE, repo=REPO):
    (tmp_path / "id_rsa.pub").write_text("ssh-rsa AAAA test\n")
    return ProvisionPlan(hive_name="demo", stage="private", cidr="10.233.10.0/24",
                         servers=(ServerPlan("p-hive0.demo", "10.233.10.4", ("hives", "first_hive"), sizes=hive),
                                  ServerPlan("p-hive1.demo", "10.233.10.5", ("repository",), sizes=repo)),
                         context_dir=tmp_path, root_dir=tmp_path)


# --- the plan ----------------------------------------------------------------------------------

def test_plan_from_the_model_carries_each_servers_sizes(tmp_path):
    site = load(write(tmp_path, hive_def({"private": {
        "provider": "docker", "cidr": "10.233.10.0/24", "number_of_hosts": 3, "memory_size": 2048,
        "cpus": 2, "disk_size": 16, "repository_memory_size": 1024, "repository_cpus": 1}})), "private")
    plan = plan_from_stage(site, "private", context_dir=tmp_path, root_dir=tmp_path)
    hive, repo = plan.servers[0], plan.servers[-1]
    assert hive.sizes == {"memory_size": 2048, "cpus": 2, "disk_size": 16}
    assert (hive.memory_mb, hive.cpus) == (2048, 2)
    assert repo.sizes == {"memory_size": 1024, "cpus": 1} and (repo.memory_mb, repo.cpus) == (1024, 1)


def test_plan_from_hostvars_as_the_module_passes_them(tmp_path):
    hv = {"p-hive0.demo": {"hive_private_ip": "10.233.10.4", "hive_memory_size": "2048",
                           "hive_cpus": "", "hive_disk_size": "16"}}
    (server,) = plan_from_hostvars(hv, ["p-hive0.demo"], hive_name="demo", stage="private",
                                   cidr="10.233.10.0/24", context_dir=tmp_path).servers
    assert server.sizes == {"memory_size": "2048", "disk_size": "16"}
    assert (server.memory_mb, server.cpus) == (2048, None)


@pytest.mark.parametrize("bad", [{"memory_size": "0"}, {"cpus": "two"}, {"cpus": -1}])
def test_sizes_a_provider_applies_must_be_whole_numbers(bad):
    with pytest.raises(HiveError, match="must be a positive integer"):
        ServerPlan("p-hive0.demo", "10.0.0.4", sizes=bad)


# --- what is applied, what is said ---------------------------------------------------------------

def test_container_limits_follow_memory_size_and_cpus(tmp_path):
    plan = _plan(tmp_path)
    spec = container_spec(plan, plan.servers[0], "img")
    h = spec.create_kwargs()["host_config"]
    assert h["mem_limit"] == 2048 * MB and h["memswap_limit"] == 2 * 2048 * MB
    assert (h["cpu_period"], h["cpu_quota"]) == (100_000, 200_000)
    args = " ".join(spec.cli_args())
    assert "--memory 2048m --memory-swap 4096m" in args and "--cpu-period 100000 --cpu-quota 200000" in args
    repo = container_spec(plan, plan.servers[1], "img").create_kwargs()["host_config"]
    assert repo["mem_limit"] == 1024 * MB and "cpu_quota" not in repo


def test_no_sizes_no_limits(tmp_path):
    plan = _plan(tmp_path, hive={}, repo={})
    spec = container_spec(plan, plan.servers[0], "img")
    assert spec.limits() == {} and not {"mem_limit", "cpu_quota"} & set(spec.create_kwargs()["host_config"])
    assert "--memory" not in spec.cli_args()


def test_the_notice_names_the_stage_attributes_and_why(tmp_path):
    note = get_provider("docker").size_notice(_plan(tmp_path))
    assert note == ("docker provider does not apply disk_size (16 GB), mirrored_disk_size (8 GB), "
                    "repository_disk_size (20 GB): a node is a container on this machine: its disks "
                    "are this machine's disk and DRBD volumes are emulated on shared storage")
    assert get_provider("docker").size_notice(_plan(tmp_path, {"memory_size": 1}, {"cpus": 1})) is None
    prepared = get_provider("prepared").size_notice(_plan(tmp_path))
    assert prepared.startswith("prepared provider does not apply memory_size (2048 MB), cpus (2), "
                               "disk_size (16 GB), repository_memory_size (1024 MB), ")
    assert "mirrored_disk_size" not in prepared and "hosts exist already" in prepared
    assert get_provider("vagrant").size_notice(_plan(tmp_path)) is None   # refused anyway


def test_a_server_both_hive_and_repository_is_named_by_the_hive_attribute():
    assert sizing.stage_attribute("disk_size", ("hives", "repository")) == "disk_size"
    assert sizing.stage_attribute("disk_size", ("repository",)) == "repository_disk_size"
    assert sizing.stage_attribute("mirrored_disk_size", ("repository",)) == "mirrored_disk_size"


# --- the docker provider's lifecycle --------------------------------------------------------------

class LimitsEngine(FakeEngine):
    def create_container(self, spec):
        super().create_container(spec)
        self.containers[spec.name].update(memory_mb=spec.memory_mb, cpus=spec.cpus)

    def container(self, name, network=None):
        c = self.containers.get(name)
        return c and ContainerState(name, c["status"], c["labels"], c["image"], c["ip"],
                                    c.get("memory_mb"), c.get("cpus"))

    def update_limits(self, spec):
        self.calls.append(("update", spec.name, spec.limits()))
        self.containers[spec.name].update(memory_mb=spec.memory_mb, cpus=spec.cpus)


@pytest.fixture
def docker(monkeypatch):
    monkeypatch.setattr(DockerProvider, "_wait_ssh", lambda self, plan: None)
    engine = LimitsEngine()
    provider = DockerProvider(engine=engine, node_image=lambda client, kind: "img",
                              probe=lambda: KernelProbe("CONFIG_IP_VS=y\n", False, False))
    return engine, provider


def test_new_limits_reach_a_running_node_then_nothing_changes(docker, tmp_path):
    engine, provider = docker
    provider.provision(_plan(tmp_path, hive={}, repo={}))
    engine.calls.clear()
    assert provider.provision(_plan(tmp_path)) is True
    assert engine.calls == [
        ("update", "p-hive0.demo", {"mem_limit": 2048 * MB, "memswap_limit": 4096 * MB,
                                    "cpu_period": 100_000, "cpu_quota": 200_000}),
        ("update", "p-hive1.demo", {"mem_limit": 1024 * MB, "memswap_limit": 2048 * MB})]
    engine.calls.clear()
    assert provider.provision(_plan(tmp_path)) is False and engine.calls == []


def test_a_limit_the_stage_dropped_is_said_not_silently_kept(docker, tmp_path):
    engine, provider = docker
    provider.provision(_plan(tmp_path))
    engine.calls.clear()
    fresh = DockerProvider(engine=engine, node_image=lambda client, kind: "img",
                           probe=lambda: KernelProbe("CONFIG_IP_VS=y\n", False, False))
    assert fresh.provision(_plan(tmp_path, hive={"memory_size": 2048}, repo={})) is False
    assert engine.calls == []
    notes = fresh.messages()
    assert len(notes) == 2
    assert notes[0].startswith("container p-hive0.demo keeps its CPU limit 2 cpus, set when it was created")
    assert "container p-hive1.demo keeps its memory limit 1024 MB" in notes[1]


def test_limit_changes_pure(tmp_path):
    plan = _plan(tmp_path)
    spec = container_spec(plan, plan.servers[0], "img")
    assert limit_changes(spec, 2048, 2.0) == (False, [])
    assert limit_changes(spec, 1024, 2.0)[0] and limit_changes(spec, None, None)[0]


@pytest.mark.parametrize("host_config, expected", [
    ({}, (None, None)),
    ({"Memory": 0, "CpuQuota": 0, "NanoCpus": 0}, (None, None)),
    ({"Memory": 2048 * MB, "CpuQuota": 150_000, "CpuPeriod": 100_000}, (2048, 1.5)),
    ({"CpuQuota": 200_000, "CpuPeriod": 0}, (None, 2.0)),       # 0: the default period
    ({"NanoCpus": 2_000_000_000}, (None, 2.0)),                  # made with `docker run --cpus 2`
])
def test_engine_reads_the_limits_of_a_container(host_config, expected):
    assert _limits(host_config) == expected


def test_apply_reports_the_unapplied_sizes_on_every_build_infra(docker, tmp_path):
    engine, provider = docker
    for _ in range(2):
        result = apply(provider, _plan(tmp_path))
        assert [m for m in result.messages if "does not apply" in m] == [
            get_provider("docker").size_notice(_plan(tmp_path))]


# --- the Ansible module passes them ----------------------------------------------------------------

def test_module_hive_provider_passes_the_sizes(tmp_path):
    module = Path(hive_builder.__file__).parent / "lib" / "hive_provider.py"
    (tmp_path / "id_rsa.pub").write_text("ssh-rsa AAAA test\n")
    args = {"provider": "prepared", "state": "present", "hive_name": "demo", "stage": "private",
            "cidr": "10.233.10.0/24", "context_dir": str(tmp_path), "root_dir": str(tmp_path),
            "servers": ["p-hive0.demo", "p-hive1.demo"], "private_ips": ["10.233.10.4", "10.233.10.5"],
            "server_groups": [["hives"], ["repository"]],
            "sizes": [["", "2", "16", "8", ""], ["", "", "20", "", ""]]}
    (tmp_path / "args.json").write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, str(module), str(tmp_path / "args.json")],
                          capture_output=True, text=True, timeout=60)
    out = json.loads(proc.stdout)
    assert not out.get("failed"), out
    warnings = [w["event"]["msg"] if isinstance(w, dict) else w for w in out["warnings"]]
    assert warnings == ["prepared provider does not apply cpus (2), disk_size (16 GB), "
                        "repository_disk_size (20 GB): the hosts exist already: "
                        "hive-builder does not resize them"]
