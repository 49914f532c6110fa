"""provider_facts.yml of the prepared provider: read from the servers' kernels (KERNEL_PROBE run on
each server by build-infra, recorded by lib/hive_provider_facts.py), not assumed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import hive_builder
from hive_builder.errors import HiveError
from hive_builder.providers import apply, get_provider, record_host_facts
from hive_builder.providers.docker import kernel
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.providers.prepared import KERNEL_PROBE, facts_from_probes, parse_kernel_probe

LIB = Path(hive_builder.__file__).parent / "lib"
# a container on this machine's kernel (no modules, no IPVS): what the e2e prepared hosts answer
CONTAINER = ("release 6.18.44-fc\nconfig # CONFIG_MODULES is not set\nconfig # CONFIG_IP_VS is not set\n"
             "config # CONFIG_BLK_DEV_DRBD is not set\n")
# Debian 12 on a VM: /boot/config, IPVS and DRBD 8.4 as modules
DEBIAN = ("release 6.1.0-28-amd64\nmoddir\nmodule ip_vs.ko\nmodule drbd.ko\nconfig CONFIG_MODULES=y\n"
          "config CONFIG_IP_VS=m\nconfig CONFIG_BLK_DEV_DRBD=m\n")


def _plan(tmp_path):
    return ProvisionPlan(hive_name="demo", stage="private", cidr="10.233.10.0/24",
                         servers=(ServerPlan("p-hive0.demo", "10.233.10.4"), ServerPlan("p-hive1.demo", "10.233.10.5")),
                         context_dir=tmp_path / "ctx", root_dir=tmp_path)


@pytest.mark.parametrize("output, ipvs", [
    (CONTAINER, False),
    (DEBIAN, True),
    (DEBIAN.replace("module ip_vs.ko\n", ""), False),          # module not installed
    (DEBIAN.replace("module ip_vs.ko\n", "module ip_vs.ko.xz\n"), True),
    (CONTAINER + "proc_ip_vs\n", True),                        # loaded (or built in) whatever the config
    ("release 6.1\nconfig CONFIG_IP_VS=y\n", True),
    ("release 6.1\nmoddir\nmodule drbd.ko\n", False),          # no config: the module files decide
    ("release 6.1\n", True),                                   # nothing readable: assumed, as on the docker provider
])
def test_ipvs_from_one_servers_probe(output, ipvs):
    assert kernel.ipvs_available(parse_kernel_probe(output)) is ipvs


def test_every_server_needs_ipvs_and_drbd_is_never_emulated():
    assert facts_from_probes({"a": DEBIAN, "b": DEBIAN}) == {"ipvs": True, "drbd": "kernel"}
    assert facts_from_probes({"a": DEBIAN, "b": CONTAINER}) == {"ipvs": False, "drbd": "kernel"}
    # no shared storage between prepared hosts: a host without DRBD gets the drbd role's refusal
    assert facts_from_probes({"a": CONTAINER})["drbd"] == "kernel"
    with pytest.raises(HiveError, match="no server's kernel was probed"):
        facts_from_probes({})


def test_the_probe_reads_this_machine_as_the_docker_provider_does():
    out = subprocess.run(["sh", "-c", KERNEL_PROBE], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("release "), out
    assert kernel.ipvs_available(parse_kernel_probe(out.stdout)) is kernel.ipvs_available(kernel.probe_kernel())


def test_build_infra_records_the_facts_only_from_the_servers(tmp_path):
    prepared, p = get_provider("prepared"), _plan(tmp_path)
    assert prepared.host_probe == KERNEL_PROBE and get_provider("docker").host_probe is None
    first = apply(prepared, p)
    assert first.facts == {} and not (p.context_dir / "provider_facts.yml").exists()
    recorded = record_host_facts(prepared, p.context_dir, {"p-hive0.demo": CONTAINER, "p-hive1.demo": CONTAINER})
    assert recorded.changed and len(recorded.messages) == 1 and "no IPVS" in recorded.messages[0]
    assert yaml.safe_load((p.context_dir / "provider_facts.yml").read_text()) == {"ipvs": False, "drbd": "kernel"}
    again = record_host_facts(prepared, p.context_dir, {"p-hive0.demo": CONTAINER, "p-hive1.demo": CONTAINER})
    assert not again.changed and again.messages == []
    assert not apply(prepared, p).changed   # the provider's own run leaves the file alone


def _module(name, args, tmp_path):
    (tmp_path / "args.json").write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, str(LIB / f"{name}.py"), str(tmp_path / "args.json")],
                          capture_output=True, text=True, timeout=60)
    return json.loads(proc.stdout)


def test_the_modules_hand_the_probe_over_and_record_its_result(tmp_path):
    (tmp_path / "id_rsa.pub").write_text("ssh-rsa AAAA test\n")
    out = _module("hive_provider", {
        "provider": "prepared", "state": "present", "hive_name": "demo", "stage": "private",
        "cidr": "10.233.10.0/24", "context_dir": str(tmp_path), "root_dir": str(tmp_path),
        "servers": ["p-hive0.demo", "p-hive1.demo"], "private_ips": ["10.233.10.4", "10.233.10.5"]}, tmp_path)
    assert not out.get("failed"), out
    assert out["host_probe"] == KERNEL_PROBE and out["provider_facts"] == {}
    out = _module("hive_provider_facts", {"provider": "prepared", "context_dir": str(tmp_path),
                                          "probes": {"p-hive0.demo": DEBIAN, "p-hive1.demo": CONTAINER}}, tmp_path)
    assert out["changed"] and out["provider_facts"] == {"ipvs": False, "drbd": "kernel"}, out
    assert any("no IPVS" in (w["event"]["msg"] if isinstance(w, dict) else w) for w in out["warnings"])
    out = _module("hive_provider_facts", {"provider": "docker", "context_dir": str(tmp_path), "probes": {}}, tmp_path)
    assert out["failed"] and "without probing the servers" in out["msg"]
