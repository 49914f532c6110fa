"""Benchmark: load_site + to_ansible_inventory on a large generated inventory.

3 stages x 200 services (each with 3 ports, 2 drbd-less volumes and, for a third of them, a DRBD
volume), written to a temp dir. Prints seconds. Also times `hive check` and `hive inventory` when
the CLI exists: `hive inventory` as it runs (the listing printed from the model) and forced through
ansible-inventory (an ANSIBLE_* setting that changes nothing), and checks both print the same.
Usage: python bench/bench_inventory.py [services_per_stage [repeats]]

The original hive-builder 2.3.1 (its plugins under ansible-inventory) is not installed here; its
`hive inventory` took 11.2-15.0 s on this input when last measured (ORIGINAL_SECONDS), and the
ratio printed is against those figures.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from hive_builder.inventory_json import to_ansible_inventory
from hive_builder.model import MemoryStore, load_site

STAGES = ("private", "staging", "production")
PREFIX = {"private": "pv", "staging": "st", "production": "pd"}  # service names are global
ORIGINAL_SECONDS = (11.2, 15.0)  # hive-builder 2.3.1 `hive inventory`, 3 x 200 services


def generate(directory: Path, per_stage: int) -> None:
    hive = {"plugin": "hive_inventory", "name": "bench", "stages": {
        "private": {"provider": "docker", "cidr": "10.1.0.0/24", "number_of_hosts": 4},
        "staging": {"provider": "aws", "cidr": "10.2.0.0/24", "region": "r", "subnets": [
            {"cidr": f"10.2.0.{i * 64}/26", "name": f"s{i}", "available_zone": f"r{i}"}
            for i in range(3)]},
        "production": {"provider": "azure", "cidr": "10.3.0.0/24", "region": "japaneast",
                       "number_of_hosts": 5}}}
    (directory / "hive.yml").write_text(yaml.safe_dump(hive))
    for stage in STAGES:
        services = {}
        for i in range(per_stage):
            name = f"{PREFIX[stage]}svc{i}"
            volumes = [{"source": f"/srv/{name}", "target": "/srv", "type": "bind"},
                       {"source": f"{name}_cache", "target": "/cache", "type": "volume",
                        "driver": "local"}]
            if i % 3 == 0:
                volumes.append({"source": f"{name}_data", "target": "/data", "type": "volume",
                                "drbd": {"fstype": "xfs", "size": "1G"}})
            services[name] = {
                "image": {"from": "debian:bookworm", "roles": ["r"]} if i % 2 else "nginx:1",
                "ports": ["80", f"{20000 + i}:8080/tcp", {"target_port": 53, "protocol": "udp"}],
                "volumes": volumes, "environment": {"A": "1", "B": "{{ x }}"},
                "labels": {"x": str(i)}}
        doc = {"plugin": "hive_services", "available_on": [stage], "services": services}
        (directory / f"services_{stage}.yml").write_text(yaml.safe_dump(doc))


def timed(label: str, fn) -> object:
    start = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - start:.3f} s")
    return result


def main() -> None:
    per_stage = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "inventory"
        inventory.mkdir()
        generate(inventory, per_stage)
        print(f"{3 * per_stage} services in {inventory}")
        store = MemoryStore()
        site = timed("load_site (first run, allocating)", lambda: load_site(inventory, "private",
                                                                            store))
        timed("load_site (second run, stable)", lambda: load_site(inventory, "private", store))
        listing = timed("to_ansible_inventory", lambda: to_ansible_inventory(site))
        print(f"hosts: {len(listing['_meta']['hostvars'])}")
        ansible_inventory = Path(sys.executable).parent / "ansible-inventory"
        if ansible_inventory.exists():
            cfg = Path(tmp) / "ansible.cfg"
            plugins = Path(__file__).resolve().parents[1] / "hive_builder/plugins/inventory"
            cfg.write_text(f"[defaults]\ninventory = {inventory}\ninventory_plugins = {plugins}\n"
                           "[inventory]\nenable_plugins = hive_inventory, hive_services\n"
                           "any_unparsed_is_failed = True\n")
            env = {**os.environ, "ANSIBLE_CONFIG": str(cfg)}
            proc = timed("ansible-inventory --list (with the plugins)", lambda: subprocess.run(
                [str(ansible_inventory), "--list"], capture_output=True, env=env))
            if proc.returncode:
                print(f"ansible-inventory failed: {proc.stderr.decode()[-300:]}")
        hive = Path(sys.executable).parent / "hive"
        if hive.exists() or shutil.which("hive"):
            hive_cli(str(hive if hive.exists() else "hive"), tmp,
                     int(sys.argv[2]) if len(sys.argv) > 2 else 1)


def hive_cli(hive: str, root: str, repeats: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    through_ansible = {**env, "ANSIBLE_HASH_BEHAVIOUR": "replace"}  # the default: same output
    outputs = {}
    for label, sub, environ in (("hive check", "check", env),
                                ("hive inventory", "inventory", env),
                                ("hive inventory through ansible-inventory", "inventory",
                                 through_ansible)):
        cmd = [hive, "-r", root, "-s", "private", sub]
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, env=environ)
            times.append(time.perf_counter() - start)
            if proc.returncode:
                print(f"{label} failed ({proc.returncode}): {proc.stderr.decode()[-300:]}")
                return
        outputs[label] = proc.stdout
        more = (f" (min {min(times):.3f}, median {statistics.median(times):.3f} of {repeats})"
                if repeats > 1 else "")
        print(f"{label}: {times[-1]:.3f} s{more}")
        if label == "hive inventory":
            ratios = sorted(statistics.median(times) / o for o in ORIGINAL_SECONDS)
            print(f"  median / the original's recorded {ORIGINAL_SECONDS[0]}-{ORIGINAL_SECONDS[1]}"
                  f" s: ratio {ratios[0]:.2f}-{ratios[1]:.2f}")
    same = outputs["hive inventory"] == outputs["hive inventory through ansible-inventory"]
    print(f"hive inventory output {'identical to' if same else 'DIFFERS from'} ansible-inventory's"
          f" ({len(outputs['hive inventory'])} bytes)")


if __name__ == "__main__":
    main()
