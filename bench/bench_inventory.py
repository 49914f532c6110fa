"""Benchmark: load_site + to_ansible_inventory on a large generated inventory.

3 stages x 200 services (each with 3 ports, 2 drbd-less volumes and, for a third of them, a DRBD
volume), written to a temp dir. Prints seconds. Also times `hive inventory` when the CLI exists.
Usage: python bench/bench_inventory.py [services_per_stage]
"""

from __future__ import annotations

import os
import shutil
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
            for sub in ("check", "inventory"):
                cmd = [str(hive if hive.exists() else "hive"), "-r", tmp, "-s", "private", sub]
                proc = timed(f"hive {sub}", lambda: subprocess.run(cmd, capture_output=True))
                if proc.returncode:
                    print(f"hive {sub} failed ({proc.returncode}): "
                          f"{proc.stderr.decode()[-300:]}")


if __name__ == "__main__":
    main()
