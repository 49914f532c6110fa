"""Every azure.azcollection call of roles/provider/tasks/azure-*.yml, evaluated with the parameters
providers/azure_render.py renders (and stand-ins for what earlier tasks register), validated
against the module's own argument spec, with the module_defaults of azure.yml: a wrong option
name, type or choice fails here instead of against Azure. Also the order of the calls, which
no emulator checks here."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hive_builder.providers import azure_render as r
from tests.unit.azure_module_specs import action_group, module_spec, option_names, validation_errors
from tests.unit.test_aws_module_params import ENV, _evaluate
from tests.unit.test_azure_render import FOUND, LISTING, plan

TASKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles" / "provider" / "tasks"
PREFIX = "azure.azcollection."


def _defaults() -> dict:
    block = yaml.safe_load((TASKS / "azure.yml").read_text())[0]
    return block["module_defaults"]["group/azure.azcollection.all"]


def _registered(p, params):
    return {
        "azure_data_disks": {"results": [{"state": {"id": f"/subscriptions/s/resourceGroups/p-t/providers/"
                                                          f"Microsoft.Compute/disks/{d['name']}"}}
                                         for d in params.get("data_disks", ())]},
        "azure_public_ips": {"results": [{"state": {"name": i["name"], "ip_address": f"203.0.113.{n}"}}
                                         for n, i in enumerate(params.get("public_ips", ()))]},
        "lookup": lambda kind, path: "ssh-rsa AAAAB3Nza test",
    }


def calls(file: str, azure: dict, registered: dict) -> list[tuple[str, str, dict]]:
    """(task name, module, parameters with the module_defaults) of every azure.azcollection call,
    one per loop item."""
    result = []
    for task in yaml.safe_load((TASKS / file).read_text()):
        module = next((k for k in task if k.startswith(PREFIX)), None)
        if module is None:
            continue
        context = {"azure": azure, **registered}
        items = _evaluate(task["loop"], context) if "loop" in task else [None]
        for item in items:
            scope = {**context, "item": item}
            if "when" in task and not ENV.compile_expression(task["when"])(**scope):
                continue
            result.append((task["name"], module[len(PREFIX):],
                           {**_defaults(), **_evaluate(task[module], scope)}))
    return result


@pytest.fixture
def site(tmp_path):
    return plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})


def _valid(made):
    for name, module, params in made:
        assert validation_errors(module, params) == [], f"{name}: {module} {params}"


def test_every_build_call_is_valid_for_its_module(site):
    azure = r.tasks_vars(site, "present", r.Found(premium_sizes=FOUND.premium_sizes,
                                                  published_ip_names={"p-hive0.t": "my-address"}))
    made = calls("azure-present.yml", azure, _registered(site, azure))
    modules = [m for _, m, _ in made]
    assert modules == (["azure_rm_resourcegroup", "azure_rm_virtualnetwork"] + ["azure_rm_subnet"] * 3
                       + ["azure_rm_securitygroup"] + ["azure_rm_publicipaddress"] * 3
                       + ["azure_rm_networkinterface"] * 4 + ["azure_rm_manageddisk"] * 3
                       + ["azure_rm_virtualmachine"] * 4)
    _valid(made)
    vms = [p for _, m, p in made if m == "azure_rm_virtualmachine"]
    assert vms[0]["ssh_public_keys"] == [{"path": "/home/hiveadmin/.ssh/authorized_keys",
                                          "key_data": "ssh-rsa AAAAB3Nza test"}]
    assert vms[1]["data_disks"] == [{"lun": 0, "caching": "None", "managed_disk_id":
                                     "/subscriptions/s/resourceGroups/p-t/providers/Microsoft.Compute/disks/mirrored_p-hive1"}]
    assert "data_disks" not in vms[3] and "os_disk_size_gb" not in vms[3]
    assert all(p["auth_source"] == "env" for _, _, p in made)


def test_the_tasks_pass_every_rendered_parameter_and_only_module_options(site):
    """Each rendered dict's keys are options of its module (except the few the tasks resolve:
    `server`, `data_disk_index`), so nothing rendered is silently dropped by the tasks."""
    azure = r.tasks_vars(site, "present", r.Found(published_ip_names={"p-hive0.t": "my-address"}))
    pairs = [("azure_rm_resourcegroup", [azure["group"]]), ("azure_rm_virtualnetwork", [azure["vnet"]]),
             ("azure_rm_subnet", azure["subnets"]), ("azure_rm_securitygroup", [azure["security_group"]]),
             ("azure_rm_publicipaddress", azure["public_ips"]), ("azure_rm_networkinterface", azure["nics"]),
             ("azure_rm_manageddisk", azure["data_disks"]), ("azure_rm_virtualmachine", azure["vms"])]
    made = calls("azure-present.yml", azure, _registered(site, azure))
    for module, rendered in pairs:
        passed = [p for _, m, p in made if m == module]
        for params, call in zip(rendered, passed):
            extra = set(params) - option_names(module) - {"server", "data_disk_index"}
            assert not extra, f"{module}: {extra}"
            assert set(params) - {"server", "data_disk_index"} <= set(call), f"{module}: not passed"


def test_halt_deallocates_and_is_valid(site):
    azure = r.tasks_vars(site, "halted", r.Found(), LISTING)
    made = calls("azure-halted.yml", azure, {})
    assert [(m, p["name"], p["allocated"]) for _, m, p in made] == [("azure_rm_virtualmachine", "p-hive0", False)]
    _valid(made)
    # never only powered off: `started: false` keeps the VM billed
    assert all("started" not in p for _, _, p in made)


def test_destroy_in_dependency_order_and_valid(site):
    azure = r.tasks_vars(site, "absent", r.Found(published_ip_names={"p-hive0.t": "my-address"}), LISTING)
    made = calls("azure-absent.yml", azure, {})
    assert [(m, p["name"]) for _, m, p in made] == [
        ("azure_rm_virtualmachine", "p-hive0"), ("azure_rm_manageddisk", "mirrored_p-hive0"),
        ("azure_rm_manageddisk", "os_p-hive0"), ("azure_rm_networkinterface", "p-hive0-primary"),
        ("azure_rm_publicipaddress", "gip-p-hive1"), ("azure_rm_securitygroup", "sg_p-t"),
        ("azure_rm_subnet", "subnet-a"), ("azure_rm_subnet", "subnet-b"), ("azure_rm_subnet", "subnet-c"),
        ("azure_rm_virtualnetwork", "vpc-p-t")]   # the group stays: it holds the user's address
    assert all(p["state"] == "absent" for _, _, p in made)
    # the VM takes its disks and NICs, never the public IPs (the user's is attached to it)
    assert made[0][2]["remove_on_absent"] == ["network_interfaces", "virtual_storage"]
    _valid(made)
    clean = r.tasks_vars(plan(site.context_dir), "absent", r.Found(), LISTING[:5])
    last = calls("azure-absent.yml", clean, {})[-1]
    assert last[1:] == ("azure_rm_resourcegroup", {"auth_source": "env", "name": "p-t",
                                                   "force_delete_nonempty": False, "state": "absent"})
    _valid([last])


def test_every_module_called_is_in_the_module_defaults_group():
    used = set()
    for file in ("azure-present.yml", "azure-halted.yml", "azure-absent.yml"):
        used |= {k for task in yaml.safe_load((TASKS / file).read_text()) for k in task if k.startswith(PREFIX)}
    assert used and used <= action_group()
    for module in used:   # and every module accepts the defaults
        assert set(_defaults()) <= set(module_spec(module[len(PREFIX):])["argument_spec"])
