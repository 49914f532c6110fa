"""DockerProvider decisions against an in-memory engine (no Docker needed)."""

import pytest

from hive_builder.errors import HiveError
from hive_builder.providers.docker.engine import ContainerState, overlapping
from hive_builder.providers.docker.kernel import KernelProbe
from hive_builder.providers.docker.provider import DockerProvider, owner_hint
from hive_builder.providers.plan import ProvisionPlan, ServerPlan


class FakeEngine:
    def __init__(self):
        self.client = object()
        self.networks, self.volumes, self.containers, self.calls = {}, {}, {}, []
        self.admin_done = set()

    def network_subnets(self):
        return {n: [v["subnet"]] for n, v in self.networks.items()}

    def network(self, name):
        v = self.networks.get(name)
        return v and {"IPAM": {"Config": [{"Subnet": v["subnet"]}]}, "Labels": v["labels"]}

    def create_network(self, spec):
        self.calls.append(("create_network", spec.name))
        self.networks[spec.name] = {"subnet": spec.subnet, "labels": spec.labels}

    def networks_labelled(self, labels):
        return [n for n, v in self.networks.items() if labels.items() <= v["labels"].items()]

    def remove_network(self, name):
        self.calls.append(("remove_network", name))
        del self.networks[name]

    def volume_exists(self, name):
        return name in self.volumes

    def create_volume(self, name, labels):
        self.volumes[name] = labels

    def volumes_labelled(self, labels):
        return [n for n, v in self.volumes.items() if labels.items() <= v.items()]

    def remove_volume(self, name):
        del self.volumes[name]

    def container(self, name, network=None):
        c = self.containers.get(name)
        return c and ContainerState(name, c["status"], c["labels"], c["image"], c["ip"])

    def containers_labelled(self, labels):
        return [self.container(n) for n, c in self.containers.items() if labels.items() <= c["labels"].items()]

    def create_container(self, spec):
        self.calls.append(("create", spec.name))
        self.containers[spec.name] = {"status": "created", "labels": spec.labels, "image": spec.image, "ip": spec.ip}

    def start(self, name):
        self.calls.append(("start", name))
        self.containers[name]["status"] = "running"

    def stop(self, name, timeout):
        self.calls.append(("stop", name))
        self.containers[name]["status"] = "exited"

    def remove_container(self, name):
        del self.containers[name]

    def exec(self, name, argv, env=None):
        if name in self.admin_done:
            return 0, ""
        self.admin_done.add(name)
        return 0, "changed\n"


@pytest.fixture
def plan(tmp_path):
    (tmp_path / "id_rsa.pub").write_text("ssh-rsa AAAA test\n")
    return ProvisionPlan(hive_name="demo", stage="private", cidr="10.233.10.0/24",
                         servers=tuple(ServerPlan(f"p-hive{i}.demo", f"10.233.10.{4 + i}") for i in range(4)),
                         context_dir=tmp_path, root_dir=tmp_path)


@pytest.fixture
def engine():
    return FakeEngine()


@pytest.fixture
def provider(engine, monkeypatch):
    monkeypatch.setattr(DockerProvider, "_wait_ssh", lambda self, plan: None)
    return DockerProvider(engine=engine, node_image=lambda client, kind: f"hive-builder/node:{kind}",
                          probe=lambda: KernelProbe("# CONFIG_IP_VS is not set\n", False, False))


def test_provision_creates_then_changes_nothing(provider, engine, plan):
    assert provider.provision(plan) is True
    assert set(engine.containers) == {s.name for s in plan.servers}
    assert all(c["status"] == "running" for c in engine.containers.values())
    assert set(engine.volumes) == {f"{s.name}-docker" for s in plan.servers} | {"hive-demo-private-shared"}
    assert engine.networks["hive-demo-private"]["subnet"] == "10.233.10.0/24"
    assert {name: c["image"] for name, c in engine.containers.items()} == {
        s.name: "hive-builder/node:" + ("repository" if "repository" in s.roles else "hive") for s in plan.servers}
    engine.calls.clear()
    assert provider.provision(plan) is False
    assert engine.calls == []


def test_provision_starts_stopped_containers_only(provider, engine, plan):
    provider.provision(plan)
    engine.containers["p-hive2.demo"]["status"] = "exited"
    engine.calls.clear()
    assert provider.provision(plan) is True
    assert engine.calls == [("start", "p-hive2.demo")]


def test_halt_stops_running_then_nothing(provider, engine, plan):
    provider.provision(plan)
    assert provider.halt(plan) is True
    assert all(c["status"] == "exited" for c in engine.containers.values())
    assert provider.halt(plan) is False


def test_destroy_removes_only_our_objects(provider, engine, plan):
    provider.provision(plan)
    engine.containers["stranger"] = {"status": "running", "labels": {}, "image": "x", "ip": None}
    engine.volumes["stranger-vol"] = {}
    assert provider.destroy(plan) is True
    assert list(engine.containers) == ["stranger"] and list(engine.volumes) == ["stranger-vol"]
    assert engine.networks == {}
    assert provider.destroy(plan) is False


def test_cidr_collision_is_explained(provider, engine, plan):
    engine.networks["other"] = {"subnet": "10.233.0.0/16", "labels": {}}
    with pytest.raises(HiveError, match=r"collides with existing docker network\(s\) other \(10.233.0.0/16\)"):
        provider.provision(plan)
    assert engine.containers == {}


def test_changed_cidr_of_existing_network_is_refused(provider, engine, plan):
    engine.networks["hive-demo-private"] = {"subnet": "10.233.99.0/24", "labels": plan.labels}
    with pytest.raises(HiveError, match="destroy the stage first|10.233.99.0/24"):
        provider.sanity_check(plan)


def test_container_of_another_project_is_not_taken_over(provider, engine, plan):
    engine.containers["p-hive0.demo"] = {"status": "running", "image": "x", "ip": None,
                                         "labels": {**plan.labels, "hive-builder.root_dir": "/elsewhere"}}
    with pytest.raises(HiveError, match="belongs to project /elsewhere"):
        provider.provision(plan)


def test_missing_public_key_is_explained(provider, plan):
    (plan.context_dir / "id_rsa.pub").unlink()
    with pytest.raises(HiveError, match="cannot read the public key"):
        provider.provision(plan)


def test_ssh_config_and_facts(provider, plan):
    text = provider.ssh_config(plan)
    assert "Host p-hive3.demo\n  HostName 10.233.10.7\n" in text and f"IdentityFile {plan.context_dir}/id_rsa" in text
    facts = provider.facts(plan)
    assert facts["ipvs"] is False and facts["drbd"] == "emulated" and isinstance(facts["dns"], list)


def test_overlapping_pure():
    nets = {"bridge": ["172.17.0.0/16"], "mine": ["10.1.0.0/24"], "big": ["10.0.0.0/8"], "v6": ["fd00::/64"]}
    assert overlapping("10.1.0.0/24", nets, skip="mine") == [("big", "10.0.0.0/8")]
    assert overlapping("192.168.5.0/24", nets, skip="mine") == []


def test_destroy_removes_the_nodes_hosts_files(provider, engine, plan):
    provider.provision(plan)
    hosts = plan.context_dir / "docker-nodes" / "p-hive0.demo.hosts"
    hosts.parent.mkdir()
    hosts.write_text("x")
    provider.destroy(plan)
    assert not hosts.parent.exists()


def test_bound_hosts_file_is_created_once_and_then_kept(tmp_path):
    from hive_builder.providers.docker.engine import _ensure_file
    path = tmp_path / "nodes" / "a.hosts"
    _ensure_file(path, "initial\n")
    assert path.read_text() == "initial\n" and oct(path.stat().st_mode & 0o777) == "0o644"
    path.write_text("initial\nadded by setup-hosts\n")   # a recreated container keeps the entries
    _ensure_file(path, "initial\n")
    assert "added by setup-hosts" in path.read_text()


def test_empty_directory_left_by_the_engine_becomes_the_file(tmp_path):
    from hive_builder.providers.docker.engine import _ensure_file
    path = tmp_path / "a.hosts"
    path.mkdir()
    _ensure_file(path, "initial\n")
    assert path.read_text() == "initial\n"


def test_ssh_config_carries_the_moved_sshd_port(provider, tmp_path):
    p = ProvisionPlan(hive_name="demo", stage="private", cidr="10.233.10.0/24",
                      servers=(ServerPlan("p-hive0.demo", "10.233.10.4", ssh_port=2222),),
                      context_dir=tmp_path, root_dir=tmp_path)
    assert "  HostName 10.233.10.4\n  Port 2222\n" in provider.ssh_config(p)


def test_wait_ssh_accepts_the_moved_port_or_22(monkeypatch, engine, tmp_path):
    import hive_builder.providers.docker.provider as mod
    tried = []

    def banner(ip, port=22, timeout=2.0):
        tried.append((ip, port))
        return (ip, port) in {("10.233.10.4", 2222), ("10.233.10.5", 22)}
    monkeypatch.setattr(mod, "ssh_banner", banner)
    p = ProvisionPlan(hive_name="demo", stage="private", cidr="10.233.10.0/24",
                      servers=(ServerPlan("p-hive0.demo", "10.233.10.4", ssh_port=2222),
                               ServerPlan("p-hive1.demo", "10.233.10.5", ssh_port=2222)),
                      context_dir=tmp_path, root_dir=tmp_path)
    DockerProvider(engine=engine, wait_seconds=0)._wait_ssh(p)
    assert tried == [("10.233.10.4", 2222), ("10.233.10.5", 2222), ("10.233.10.5", 22)]


def test_owner_hint_points_to_the_owning_project_while_it_exists(tmp_path):
    (tmp_path / "inventory").mkdir()
    hint = owner_hint("network", "hive-demo-private", str(tmp_path), "private")
    assert f"hive -r {tmp_path} -s private build-infra -D" in hint


def test_owner_hint_lists_removal_by_label_once_the_project_is_gone(tmp_path):
    hint = owner_hint("network", "hive-demo-private", str(tmp_path / "gone"), "private")
    label = f"label=hive-builder.root_dir={tmp_path / 'gone'}"
    assert f"docker ps -aq --filter {label}" in hint
    assert f"docker volume ls -q --filter {label}" in hint and "hold its data" in hint


def test_owner_hint_for_a_foreign_object_names_it():
    assert "docker container rm -f p-hive0.demo" in owner_hint("container", "p-hive0.demo", None, None)
