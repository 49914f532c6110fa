"""The gcp task files run by the real ansible-playbook on this machine, with each google.cloud
module replaced by a recording stand-in of the same name (no traffic): what Ansible's own
templating makes of the tasks (types of templated values, the composed `disks`, `nat_ip` and
`metadata`, loops, `when`, async and async_status, the outcome handed back) is recorded and
validated against the real modules' argument_spec, with the block's module_defaults added as
gcp.yml gives them. tests/unit/test_gcp_module_params.py does the same with plain Jinja."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hive_builder.providers import gcp_render as r
from tests.unit.gcp_module_specs import validation_errors
from tests.unit.test_gcp_module_params import TASKS, module_defaults
from tests.unit.test_gcp_render import FOUND, plan

STUB = '''#!/usr/bin/python
# WANT_JSON
import json, os, sys
NAME = {name!r}
args = json.load(open(sys.argv[1]))
args = {{k: v for k, v in args.items() if not k.startswith("_ansible")}}
record = os.environ["GCP_STUB_RECORD"]
with open(record, "a") as f:
    f.write(json.dumps([NAME, args]) + "\\n")
count = sum(1 for _ in open(record))
SELF = "https://www.googleapis.com/compute/v1/projects/demo-project-1/"
result = {{"changed": True}}
if NAME == "gcp_compute_network":
    result["selfLink"] = SELF + "global/networks/" + args["name"]
elif NAME == "gcp_compute_subnetwork":
    result["selfLink"] = SELF + "regions/" + args["region"] + "/subnetworks/" + args["name"]
elif NAME == "gcp_compute_disk":
    result["selfLink"] = SELF + "zones/" + args["zone"] + "/disks/" + args["name"]
elif NAME == "gcp_compute_address":
    result["address"] = "203.0.113.%d" % count
elif NAME == "gcp_compute_instance_info":
    result["resources"] = [{{"name": "p-hive0"}}] if args["zone"].endswith("-a") else []
elif NAME == "gcp_compute_instance" and args.get("network_interfaces"):
    nat = args["network_interfaces"][0]["access_configs"][0]["nat_ip"]["address"]
    result.update(name=args["name"], networkInterfaces=[{{"accessConfigs": [{{"natIP": nat}}]}}])
print(json.dumps(result))
'''
MODULES = ("gcp_compute_network", "gcp_compute_firewall", "gcp_compute_subnetwork", "gcp_compute_address",
           "gcp_compute_disk", "gcp_compute_instance", "gcp_compute_instance_info")


def run(tmp_path: Path, file: str, gcp: dict) -> tuple[list[tuple[str, dict]], dict]:
    library, tasks = tmp_path / "library", tmp_path / "tasks"
    library.mkdir(exist_ok=True)
    tasks.mkdir(exist_ok=True)
    for name in MODULES:
        (library / f"{name}.py").write_text(STUB.format(name=name))
    # the same tasks, calling the stand-ins (module_defaults of gcp.yml are added below)
    (tasks / file).write_text(re.sub(r"\bgoogle\.cloud\.(gcp_\w+):", r"\1:", (TASKS / file).read_text()))
    record, out = tmp_path / "record.jsonl", tmp_path / "outcome.json"
    record.unlink(missing_ok=True)
    key = tmp_path / "id_rsa.pub"
    key.write_text("ssh-rsa AAAAB3Nza test\n")
    gcp = {**gcp, "public_key_file": str(key)} if "public_key_file" in gcp else gcp
    play = tmp_path / "play.yml"
    play.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"gcp": gcp, "gcp_async_timeout": 60, "ansible_async_dir": str(tmp_path / "async")},
        "tasks": [{"ansible.builtin.include_tasks": str(tasks / file)},
                  {"ansible.builtin.copy": {"content": "{{ provider_outcome | default({}) | to_json }}",
                                            "dest": str(out)}}]}]))
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LIBRARY=str(library), GCP_STUB_RECORD=str(record))
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", f"ansible_python_interpreter={sys.executable}", str(play)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    calls = [tuple(json.loads(line)) for line in record.read_text().splitlines()] if record.exists() else []
    return calls, json.loads(out.read_text())


@pytest.fixture
def site(tmp_path):
    return plan(tmp_path, published={"p-hive1.t": "198.51.100.7"})


def _valid(gcp, calls):
    defaults = module_defaults(gcp)
    for name, args in calls:
        assert validation_errors(name, {**defaults, **args}) == [], (name, args)


def test_build_as_ansible_templates_it(tmp_path, site):
    gcp = r.tasks_vars(site, "present", FOUND)
    calls, outcome = run(tmp_path, "gcp-present.yml", gcp)
    _valid(gcp, calls)
    names = [n for n, _ in calls]
    assert names.count("gcp_compute_instance") == 4 and names[0] == "gcp_compute_network"
    instances = sorted((a for n, a in calls if n == "gcp_compute_instance"), key=lambda a: a["name"])
    hive0 = instances[0]
    assert hive0["disks"][1] == {"auto_delete": True, "device_name": "drbd-p-hive0", "source": {
        "selfLink": "https://www.googleapis.com/compute/v1/projects/demo-project-1/zones/asia-northeast1-a/disks/drbd-p-hive0"}}
    assert hive0["disks"][0]["initialize_params"]["disk_size_gb"] == 30            # an int, not "30"
    assert hive0["metadata"]["ssh-keys"] == "admin:ssh-rsa AAAAB3Nza test"
    assert hive0["network_interfaces"][0]["access_configs"][0]["nat_ip"] == {"address": "203.0.113.7"}
    assert instances[1]["network_interfaces"][0]["access_configs"][0]["nat_ip"] == {"address": "198.51.100.7"}
    assert len(instances[3]["disks"]) == 1
    sizes = [a["size_gb"] for n, a in calls if n == "gcp_compute_disk"]
    assert sizes == [20, 20, 20]
    # what the second hive_provider call receives, read as the provider reads it
    built = r.built_servers(site, {"instances": outcome["instances"]})
    assert [b.public_ip for b in built] == ["203.0.113.7", "198.51.100.7", "203.0.113.8", "203.0.113.9"]
    assert outcome["project"] == "demo-project-1"


def test_halt_as_ansible_templates_it(tmp_path, site):
    gcp = r.tasks_vars(site, "halted", FOUND)
    calls, _ = run(tmp_path, "gcp-halted.yml", gcp)
    _valid(gcp, calls)
    # the stand-in's info finds p-hive0 only (zone -a): only it is stopped
    assert [(n, a.get("name"), a.get("status")) for n, a in calls if n == "gcp_compute_instance"] == [
        ("gcp_compute_instance", "p-hive0", "TERMINATED")]


def test_destroy_as_ansible_templates_it(tmp_path, site):
    gcp = r.tasks_vars(site, "absent", FOUND)
    calls, _ = run(tmp_path, "gcp-absent.yml", gcp)
    _valid(gcp, calls)
    deleting = [(n, a["name"]) for n, a in calls if n != "gcp_compute_instance_info"]
    assert deleting[0] == ("gcp_compute_instance", "p-hive0")        # the labelled one, then by name
    assert [n for n, _ in deleting][-1] == "gcp_compute_network"
    assert all(a["state"] == "absent" for n, a in calls if n != "gcp_compute_instance_info")
