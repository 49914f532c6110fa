from pathlib import Path

from hive_builder.providers.docker.runspec import (STOP_TIMEOUT, admin_bootstrap_script, container_spec,
                                                   container_specs, network_spec, node_kind, volume_name)
from hive_builder.providers.plan import ProvisionPlan, ServerPlan

PLAN = ProvisionPlan(hive_name="demo", stage="private", cidr="10.233.10.0/24",
                     servers=(ServerPlan("p-hive0.demo", "10.233.10.4", ("hives", "first_hive")),
                              ServerPlan("p-hive1.demo", "10.233.10.5", ("repository",))),
                     context_dir=Path("/p/.hive/private"), root_dir=Path("/p"))


def test_network_spec():
    spec = network_spec(PLAN)
    assert (spec.name, spec.subnet, spec.gateway) == ("hive-demo-private", "10.233.10.0/24", "10.233.10.1")
    assert spec.labels["hive-builder.site"] == "demo" and spec.labels["hive-builder.root_dir"] == "/p"


def test_container_spec_identity():
    spec = container_spec(PLAN, PLAN.servers[0], "hive-builder/node:abc")
    assert spec.name == "p-hive0.demo" and spec.hostname == "p-hive0"
    assert spec.ip == "10.233.10.4" and spec.network == "hive-demo-private"
    assert spec.aliases == ("p-hive0.demo", "p-hive0")
    assert spec.volume == "p-hive0.demo-docker" == volume_name(PLAN.servers[0])
    assert spec.labels == {**PLAN.labels, "hive-builder.host": "p-hive0.demo"}


def test_create_kwargs_follow_the_lab_recipe():
    k = container_spec(PLAN, PLAN.servers[1], "img").create_kwargs()
    c, h = k["container"], k["host_config"]
    assert c["image"] == "img" and c["stop_signal"] == "SIGRTMIN+3" and c["stop_timeout"] == STOP_TIMEOUT == 30
    assert h["cap_add"] == ["ALL"] and h["cap_drop"] == ["SYS_RESOURCE", "SYS_TIME"]
    assert set(h["security_opt"]) == {"seccomp=unconfined", "apparmor=unconfined"}
    assert k["host_config_raw"] == {"MaskedPaths": [], "ReadonlyPaths": []}   # systempaths=unconfined
    assert h["cgroupns"] == "host"
    assert h["binds"]["/sys/fs/cgroup"] == {"bind": "/sys/fs/cgroup", "mode": "rw"}
    assert h["binds"]["p-hive1.demo-docker"] == {"bind": "/var/lib/docker", "mode": "rw"}
    assert set(h["tmpfs"]) == {"/run", "/run/lock", "/tmp"}
    assert h["binds"]["hive-demo-private-shared"] == {"bind": "/var/lib/hive-shared", "mode": "rw"}
    assert set(c["volumes"]) == {"/sys/fs/cgroup", "/var/lib/docker", "/var/lib/hive-shared"}
    assert "privileged" not in h   # refused by the engine here (no CAP_SYS_RESOURCE in the bounding set)
    assert k["endpoint"] == {"ipv4_address": "10.233.10.5", "aliases": ["p-hive1.demo", "p-hive1"]}
    assert h["network_mode"] == "hive-demo-private"


def test_cli_args_equivalent():
    args = container_spec(PLAN, PLAN.servers[0], "img").cli_args()
    joined = " ".join(args)
    for part in ("--cap-add ALL --cap-drop SYS_RESOURCE --cap-drop SYS_TIME", "--security-opt systempaths=unconfined",
                 "--cgroupns host", "-v /sys/fs/cgroup:/sys/fs/cgroup:rw", "-v p-hive0.demo-docker:/var/lib/docker",
                 "-v hive-demo-private-shared:/var/lib/hive-shared",
                 "--tmpfs /run/lock", "--stop-timeout 30", "--ip 10.233.10.4", "--network-alias p-hive0.demo",
                 "--label hive-builder.site=demo"):
        assert part in joined
    assert args[-1] == "img"


def test_container_specs_one_per_server_from_its_kind_of_node_image():
    specs = container_specs(PLAN, {"hive": "img-hive", "repository": "img-repo"})
    assert [(s.name, s.image) for s in specs] == [("p-hive0.demo", "img-hive"), ("p-hive1.demo", "img-repo")]
    assert [node_kind(s) for s in PLAN.servers] == ["hive", "repository"]


def test_admin_bootstrap_script_mentions_the_admin_and_reads_the_key_from_env():
    script = admin_bootstrap_script("ops")
    assert "A=ops" in script and "$HIVE_PUBKEY" in script
    assert "NOPASSWD: ALL" in script and "echo changed" in script


def test_hosts_file_bound_on_etc_hosts():
    spec = container_spec(PLAN, PLAN.servers[0], "img")
    assert spec.hosts_file == "/p/.hive/private/docker-nodes/p-hive0.demo.hosts"
    assert spec.create_kwargs()["host_config"]["binds"][spec.hosts_file] == {"bind": "/etc/hosts", "mode": "rw"}
    assert f"-v {spec.hosts_file}:/etc/hosts" in " ".join(spec.cli_args())


def test_initial_hosts_names_loopback_and_the_node():
    text = container_spec(PLAN, PLAN.servers[0], "img").initial_hosts()
    assert text.startswith("127.0.0.1\tlocalhost\n")
    assert text.endswith("10.233.10.4\tp-hive0.demo p-hive0\n")
