"""Every google.cloud call of roles/provider/tasks/gcp-*.yml, evaluated with the parameters
providers/gcp_render.py renders (stand-ins for what earlier tasks register) and the block's
module_defaults (project and credentials, gcp.yml), validated against the module's own
argument_spec: a wrong option name, type or choice fails here instead of against Google (no
emulator of the Compute API exists). Also the order of the calls (-D in dependency order)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import combine, flatten, subelements

from hive_builder.providers import gcp_render as r
from tests.unit.gcp_module_specs import option_names, validation_errors
from tests.unit.test_gcp_render import FOUND, plan

TASKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles" / "provider" / "tasks"
OMIT = "__omit_place_holder__"
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined)
ENV.globals["omit"] = OMIT
ENV.filters.update(combine=combine, flatten=flatten, subelements=subelements)
PREFIX = "google.cloud."
PUBLIC_KEY = "ssh-rsa AAAAB3Nza test"


def _evaluate(value, context):
    if isinstance(value, str):
        whole = re.fullmatch(r"\s*\{\{(.*)\}\}\s*", value, re.S)
        if whole and "{{" not in whole.group(1):
            return ENV.compile_expression(whole.group(1))(**context)
        return ENV.from_string(value).render(**context) if "{{" in value else value
    if isinstance(value, dict):
        out = {k: _evaluate(v, context) for k, v in value.items()}
        return {k: v for k, v in out.items() if v != OMIT}
    if isinstance(value, list):
        return [_evaluate(v, context) for v in value]
    return value


def _link(kind, name):
    return f"https://www.googleapis.com/compute/v1/projects/demo-project-1/{kind}/{name}"


def _registered(gcp, found=()):
    """Stand-ins for what the earlier tasks register (the fields the later ones read)."""
    return {
        "gcp_network": {"selfLink": _link("global/networks", "vpc-p-t")},
        "gcp_subnetworks": {"results": [{"selfLink": _link("regions/asia-northeast1/subnetworks", s["name"])}
                                        for s in gcp.get("subnetworks", ())]},
        "gcp_addresses": {"results": [{"address": f"203.0.113.{i}"} for i, _ in enumerate(gcp.get("addresses", ()))]},
        "gcp_disks": {"results": [{"selfLink": _link(f"zones/{d['zone']}/disks", d["name"])}
                                  for d in gcp.get("disks", ()) if isinstance(d, dict) and "size_gb" in d]},
        "gcp_found": {"results": [{"item": zone, "resources": [{"name": n} for n in names]}
                                  for zone, names in found]},
        "lookup": lambda kind, path: PUBLIC_KEY,
    }


def module_defaults(gcp):
    block = yaml.safe_load((TASKS / "gcp.yml").read_text())[0]
    defaults = block["module_defaults"]["group/google.cloud.gcp"]
    return _evaluate(defaults, {"provider_result": {"tasks_vars": gcp}})


def calls(file: str, gcp: dict, registered: dict) -> list[tuple[str, str, dict]]:
    """(task name, module, parameters with the module defaults) of every google.cloud call, one
    per loop item."""
    result = []
    defaults = module_defaults(gcp)
    for task in yaml.safe_load((TASKS / file).read_text()):
        module = next((k for k in task if k.startswith(PREFIX)), None)
        if module is None:
            continue
        context = {"gcp": gcp, **registered}
        items = _evaluate(task["loop"], context) if "loop" in task else [None]
        for item in items:
            scope = {**context, "item": item}
            if "when" in task and not ENV.compile_expression(task["when"])(**scope):
                continue
            result.append((task["name"], module[len(PREFIX):], {**defaults, **_evaluate(task[module], scope)}))
    return result


@pytest.fixture
def site(tmp_path):
    return plan(tmp_path, published={"p-hive1.t": "198.51.100.7"})


def test_the_block_authenticates_every_module_with_the_key_and_its_project(site):
    gcp = r.tasks_vars(site, "present", FOUND)
    assert module_defaults(gcp) == {"project": "demo-project-1", "auth_kind": "serviceaccount",
                                    "service_account_file": "/site/gcp_credential.json"}


def test_every_build_call_is_valid_for_its_module(site):
    gcp = r.tasks_vars(site, "present", FOUND)
    made = calls("gcp-present.yml", gcp, _registered(gcp))
    assert [m for _, m, _ in made] == (
        ["gcp_compute_network"] + ["gcp_compute_firewall"] * 2 + ["gcp_compute_subnetwork"] * 3
        + ["gcp_compute_address"] * 3 + ["gcp_compute_disk"] * 3 + ["gcp_compute_instance"] * 4)
    for name, module, params in made:
        assert validation_errors(module, params) == [], (name, params)
    instances = [p for _, m, p in made if m == "gcp_compute_instance"]
    first = instances[0]
    assert first["network_interfaces"] == [{
        "network": {"selfLink": _link("global/networks", "vpc-p-t")},
        "subnetwork": {"selfLink": _link("regions/asia-northeast1/subnetworks", "vpc-p-t-subnet-a")},
        "network_ip": "10.1.0.5",
        "access_configs": [{"name": "External NAT", "type": "ONE_TO_ONE_NAT", "nat_ip": {"address": "203.0.113.0"}}]}]
    assert first["disks"] == [
        {"boot": True, "auto_delete": True,
         "initialize_params": {"disk_name": "boot-p-hive0", "disk_size_gb": 30, "disk_type": "pd-balanced",
                               "source_image": "projects/debian-cloud/global/images/family/debian-12"}},
        {"auto_delete": True, "device_name": "drbd-p-hive0",
         "source": {"selfLink": _link("zones/asia-northeast1-a/disks", "drbd-p-hive0")}}]
    assert first["metadata"] == {"hostname": "p-hive0.t", "enable-oslogin": "FALSE", "ssh-keys": f"admin:{PUBLIC_KEY}"}
    assert first["status"] == "RUNNING" and first["labels"] == {"hive_project": "t", "hive_stage": "private"}
    # the user's address is used as is; the others' are the ones made, in order
    assert instances[1]["network_interfaces"][0]["access_configs"][0]["nat_ip"] == {"address": "198.51.100.7"}
    assert [i["network_interfaces"][0]["access_configs"][0]["nat_ip"]["address"] for i in instances[2:]] == [
        "203.0.113.1", "203.0.113.2"]
    assert len(instances[3]["disks"]) == 1   # the repository: boot disk only
    firewalls = [p for _, m, p in made if m == "gcp_compute_firewall"]
    assert all(f["network"] == {"selfLink": _link("global/networks", "vpc-p-t")} for f in firewalls)


def test_halting_stops_only_instances_that_exist_and_touches_nothing_else(site):
    gcp = r.tasks_vars(site, "halted", FOUND)
    made = calls("gcp-halted.yml", gcp, _registered(gcp, found=[("asia-northeast1-a", ["p-hive0", "p-hive3"]),
                                                                ("asia-northeast1-c", [])]))
    for name, module, params in made:
        assert validation_errors(module, params) == [], (name, params)
    assert [m for _, m, _ in made] == ["gcp_compute_instance_info"] * 3 + ["gcp_compute_instance"] * 2
    info = made[0][2]
    assert info["zone"] == "asia-northeast1-a" and info["filters"] == [
        'labels.hive_project = "t"', 'labels.hive_stage = "private"']
    stops = [p for _, m, p in made if m == "gcp_compute_instance"]
    assert [s["name"] for s in stops] == ["p-hive0", "p-hive3"]
    assert all(s["status"] == "TERMINATED" and s["state"] == "present" for s in stops)
    # disks and interfaces left out: the module neither attaches nor rewrites them on a stop
    assert not {"disks", "network_interfaces", "metadata"} & set(stops[0])


def test_destroying_deletes_in_dependency_order_and_keeps_the_users_address(site):
    gcp = r.tasks_vars(site, "absent", FOUND)
    made = calls("gcp-absent.yml", gcp, _registered(gcp, found=[("asia-northeast1-a", ["p-hive0", "p-hive9"])]))
    for name, module, params in made:
        assert validation_errors(module, params) == [], (name, params)
    order = [m for _, m, _ in made]
    assert order == (["gcp_compute_instance_info"] * 3 + ["gcp_compute_instance"] * 2  # by label (p-hive9 too)
                     + ["gcp_compute_instance"] * 4 + ["gcp_compute_disk"] * 4 + ["gcp_compute_address"] * 3
                     + ["gcp_compute_firewall"] * 2 + ["gcp_compute_subnetwork"] * 3 + ["gcp_compute_network"])
    deleting = [p for _, m, p in made if m != "gcp_compute_instance_info"]
    assert all(p["state"] == "absent" for p in deleting)
    assert made[4][2]["name"] == "p-hive9" and made[4][2]["zone"] == "asia-northeast1-a"
    assert [p["name"] for _, m, p in made if m == "gcp_compute_address"] == ["gip-p-hive0", "gip-p-hive2", "gip-p-hive3"]
    assert made[-1][2]["name"] == "vpc-p-t"


def test_tasks_pass_only_options_their_modules_have():
    for file in ("gcp-present.yml", "gcp-halted.yml", "gcp-absent.yml"):
        for task in yaml.safe_load((TASKS / file).read_text()):
            module = next((k for k in task if k.startswith(PREFIX)), None)
            if module:
                unknown = set(task[module]) - option_names(module[len(PREFIX):])
                assert unknown == set(), (file, task["name"], unknown)


def test_tasks_pass_everything_the_renderer_emits(site):
    """A parameter the renderer adds but no task passes would be silently dropped."""
    gcp = r.tasks_vars(site, "present", FOUND)
    tasks = {next(k for k in t if k.startswith(PREFIX))[len(PREFIX):]: t
             for t in yaml.safe_load((TASKS / "gcp-present.yml").read_text())
             if any(k.startswith(PREFIX) for k in t)}
    # the instance's bookkeeping keys become disks, network_interfaces and metadata in the task
    composed = {"boot_disk", "data_disk", "data_device_name", "subnet", "address", "nat_ip", "network_ip", "ssh_user"}
    rendered = {"gcp_compute_network": gcp["network"], "gcp_compute_firewall": gcp["firewalls"][1],
                "gcp_compute_subnetwork": gcp["subnetworks"][0], "gcp_compute_address": gcp["addresses"][0],
                "gcp_compute_disk": gcp["disks"][0],
                "gcp_compute_instance": {k: v for k, v in gcp["instances"][0].items() if k not in composed}}
    for module, params in rendered.items():
        passed = set(tasks[module][PREFIX + module])
        assert set(params) <= passed, (module, set(params) - passed)
    text = (TASKS / "gcp-present.yml").read_text()
    assert all(f"item.{k}" in text for k in composed)
    halted = r.tasks_vars(site, "halted", FOUND)
    stop_task = next(t for t in yaml.safe_load((TASKS / "gcp-halted.yml").read_text())
                     if PREFIX + "gcp_compute_instance" in t)
    assert set(halted["stop"][0]) <= set(stop_task[PREFIX + "gcp_compute_instance"])


def test_resources_exist_before_what_refers_to_them():
    names = [t["name"] for t in yaml.safe_load((TASKS / "gcp-present.yml").read_text())]
    for before in ("gcp network", "gcp subnetworks", "gcp external addresses", "gcp DRBD disks", "gcp firewalls"):
        assert names.index(before) < names.index("gcp instances")


def test_ansible_parses_the_task_files_and_resolves_their_modules(tmp_path):
    """ansible-playbook --syntax-check on the tasks imported statically: task keywords, loops and
    the google.cloud module names as this Ansible resolves them (an unknown module fails)."""
    import os
    import subprocess
    import sys

    play = tmp_path / "play.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"ansible.builtin.import_tasks": str(TASKS / f)}
        for f in ("gcp.yml", "gcp-present.yml", "gcp-halted.yml", "gcp-absent.yml")]}]))
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
                             "--syntax-check", str(play)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
