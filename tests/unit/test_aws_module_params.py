"""Every amazon.aws call of roles/provider/tasks/aws-*.yml, evaluated with the parameters
providers/aws_render.py renders (and stand-ins for the ids earlier tasks register), validated
against the module's own argument_spec: a wrong option name, type or choice fails here instead
of against AWS. Also: the order of the calls, where moto would not object to a wrong one."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
import yaml

from hive_builder.providers import aws_render as r
from tests.unit.aws_module_specs import option_names, validation_errors
from tests.unit.test_aws_render import FOUND, plan

TASKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles" / "provider" / "tasks"
OMIT = "__omit_place_holder__"
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined)
ENV.globals["omit"] = OMIT


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


def _registered(p):
    """Stand-ins for what the earlier tasks register (ids only)."""
    n = len(p.servers)
    return {
        "aws_vpc": {"vpc": {"id": "vpc-1"}}, "aws_igw": {"gateway_id": "igw-1"},
        "aws_subnets": {"results": [{"subnet": {"id": f"subnet-{i}"}} for i in range(3)]},
        "aws_group": {"group_id": "sg-1"},
        "aws_instances": {"results": [{"instances": [{"instance_id": f"i-{i}"}]} for i in range(n)]},
        "aws_eips": {"results": [{"allocation_id": f"eipalloc-{i}", "public_ip": f"203.0.113.{i}"}
                                 for i in range(n)]},
        "lookup": lambda kind, path: "ssh-rsa AAAAB3Nza test",
    }


def calls(file: str, aws: dict, registered: dict) -> list[tuple[str, str, dict]]:
    """(task name, module, parameters) of every amazon.aws call, one per loop item."""
    result = []
    for task in yaml.safe_load((TASKS / file).read_text()):
        module = next((k for k in task if k.startswith("amazon.aws.")), None)
        if module is None:
            continue
        context = {"aws": aws, **registered}
        items = _evaluate(task["loop"], context) if "loop" in task else [None]
        index_var = (task.get("loop_control") or {}).get("index_var")
        for index, item in enumerate(items):
            scope = {**context, "item": item, **({index_var: index} if index_var else {})}
            if "when" in task and not ENV.compile_expression(task["when"])(**scope):
                continue
            result.append((task["name"], module.split(".")[-1], _evaluate(task[module], scope)))
    return result


@pytest.fixture
def site(tmp_path):
    return plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})


def test_every_build_call_is_valid_for_its_module(site):
    aws = r.tasks_vars(site, "present", FOUND)
    aws["image_id"] = FOUND.image_id
    made = calls("aws-present.yml", aws, _registered(site))
    modules = [m for _, m, _ in made]
    assert modules == (["ec2_vpc_net", "ec2_vpc_igw"] + ["ec2_vpc_subnet"] * 3
                       + ["ec2_vpc_route_table", "ec2_security_group", "ec2_key"]
                       + ["ec2_instance"] * 4 + ["ec2_eip"] * 4 + ["ec2_tag"] * 3)
    for name, module, params in made:
        assert validation_errors(module, params) == [], (name, params)
    instance = next(p for _, m, p in made if m == "ec2_instance")
    assert instance["network_interfaces"][0] == {
        "device_index": 0, "subnet_id": "subnet-0", "private_ip_address": "10.1.0.5",
        "groups": ["sg-1"], "delete_on_termination": True}
    # a user's address is associated and never released; ours are released with their instance
    eips = [p for _, m, p in made if m == "ec2_eip"]
    assert eips[0]["public_ip"] == "198.51.100.7" and eips[0]["release_on_disassociation"] is False
    assert all("public_ip" not in e and e["release_on_disassociation"] for e in eips[1:])
    assert all("tags" not in e for e in eips)   # tagged by ec2_tag (moto files EIP tags apart)


@pytest.mark.parametrize("state, file", [("halted", "aws-halted.yml"), ("absent", "aws-absent.yml")])
def test_every_teardown_call_is_valid_for_its_module(site, state, file):
    existing = {
        "instances": [{"InstanceId": "i-1", "State": {"Name": "running"}},
                      {"InstanceId": "i-2", "State": {"Name": "stopped"}}],
        "addresses": [{"PublicIp": "203.0.113.1", "AllocationId": "a-1"},
                      {"PublicIp": "198.51.100.7", "AllocationId": "a-2"}],
        "security_groups": [{"GroupId": "sg-1", "GroupName": "group-vpc-p-t"}],
        "route_tables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1"}],
        "subnets": [{"VpcId": "vpc-1", "CidrBlock": "10.1.0.0/26"}],
        "internet_gateways": [{"InternetGatewayId": "igw-1"}], "vpcs": [{"VpcId": "vpc-1"}],
        "key_pairs": [{"KeyName": "awsroot-p-t"}]}
    aws = r.tasks_vars(site, state, None, existing)
    made = calls(file, aws, {})
    assert made
    for name, module, params in made:
        assert validation_errors(module, params) == [], (name, params)
    if state == "halted":
        assert made == [("aws instances stopped", "ec2_instance",
                         {"instance_ids": ["i-1"], "state": "stopped", "wait": True})]
    else:
        # dependency order, which moto does not enforce (it deletes a security group or a subnet
        # still in use, detaches a gateway with mapped addresses): addresses, instances, group,
        # route table, subnets, gateway, VPC, key pair
        assert [m for _, m, _ in made] == ["ec2_eip", "ec2_instance", "ec2_security_group",
                                           "ec2_vpc_route_table", "ec2_vpc_subnet", "ec2_vpc_igw",
                                           "ec2_vpc_net", "ec2_key"]
        assert made[0][2]["public_ip"] == "203.0.113.1"   # the user's 198.51.100.7 is kept
        assert made[1][2] == {"instance_ids": ["i-1", "i-2"], "state": "absent", "wait": True}


def test_tasks_pass_only_options_their_modules_have():
    for file in ("aws-present.yml", "aws-halted.yml", "aws-absent.yml"):
        for task in yaml.safe_load((TASKS / file).read_text()):
            module = next((k for k in task if k.startswith("amazon.aws.")), None)
            if module:
                unknown = set(task[module]) - option_names(module.split(".")[-1])
                assert unknown == set(), (file, task["name"], unknown)


def test_tasks_pass_everything_the_renderer_emits(site):
    """A parameter the renderer adds but no task passes would be silently dropped."""
    aws = r.tasks_vars(site, "present", FOUND)
    tasks = {next(k for k in t if k.startswith("amazon.aws.")).split(".")[-1]: t
             for t in yaml.safe_load((TASKS / "aws-present.yml").read_text())
             if any(k.startswith("amazon.aws.") for k in t)}
    rendered = {"ec2_vpc_net": aws["vpc"], "ec2_vpc_igw": aws["igw"], "ec2_vpc_subnet": aws["subnets"][0],
                "ec2_vpc_route_table": aws["route_table"], "ec2_security_group": aws["security_group"],
                "ec2_key": aws["key"], "ec2_eip": aws["eips"][1]["params"],
                "ec2_instance": {k: v for k, v in aws["instances"][0].items() if k != "subnet"}}
    for module, params in rendered.items():
        passed = set(tasks[module][f"amazon.aws.{module}"])
        assert set(params) <= passed, (module, set(params) - passed)


def test_the_key_pair_exists_before_the_instances_and_instances_are_found_by_tags():
    names = [t["name"] for t in yaml.safe_load((TASKS / "aws-present.yml").read_text())]
    # moto starts an instance with an unknown key pair unless told to validate; AWS refuses
    assert names.index("aws key pair") < names.index("aws instances")
    assert names.index("aws security group") < names.index("aws instances")
    assert names.index("aws route table") < names.index("aws elastic IPs")
