"""The google.cloud modules' own code run in this process with the parameters the gcp tasks
pass, against an in-memory stand-in of the Compute API (no emulator of it exists, and no traffic
leaves the process): the requests they make for a build, a rerun, -H and -D. What is checked is
hive's side — that the rendered parameters become the intended API requests (fixed private IP,
the external address, the DRBD disk's device name, labels, firewall rules), that -H only stops
instances and -D deletes in dependency order — not Google's answers, which the stand-in only
approximates (it echoes what was created, plus selfLink, status and address)."""

from __future__ import annotations

import importlib
import itertools
import json
import re
from urllib.parse import urlsplit

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from hive_builder.providers import gcp_render as r
from hive_builder.providers.plan import ServerPlan
from tests.unit.test_gcp_module_params import ENV, PREFIX, PUBLIC_KEY, TASKS, _evaluate, module_defaults
from tests.unit.test_gcp_render import FOUND, HIVE, plan

SELF = "https://www.googleapis.com/compute/v1/"
VERB = re.compile(r"/(start|stop|setLabels|attachDisk|setMachineType|setDeletionProtection|"
                  r"updateShieldedInstanceConfig|setMetadata|setTags)$")
COLLECTIONS = ("networks", "firewalls", "subnetworks", "addresses", "disks", "instances")


class Response:
    def __init__(self, status, body=None):
        self.status_code, self.body = status, body or {}
        self.text = json.dumps(self.body)

    def json(self):
        return self.body

    def raise_for_status(self):
        if self.status_code >= 400 and self.status_code != 404:
            raise AssertionError(f"stand-in API answered {self.status_code}: {self.body}")


class FakeCompute:
    """Resources by path (projects/<p>/...); every operation is DONE at once."""

    def __init__(self):
        self.store: dict[str, dict] = {}
        self.log: list[tuple[str, str, dict | None]] = []
        self.ips = (f"203.0.113.{i}" for i in itertools.count(10))
        self.ops = itertools.count(1)

    @staticmethod
    def path(url):
        return urlsplit(url).path.split("/compute/v1/", 1)[1]

    def op(self, target):
        return Response(200, {"kind": "compute#operation", "name": f"op-{next(self.ops)}", "status": "DONE",
                              "targetLink": SELF + target})

    def get(self, url, params=None, **kwargs):
        path = self.path(url)
        self.log.append(("GET", path, params))
        if "/operations/" in path:
            return Response(200, {"kind": "compute#operation", "status": "DONE"})
        if path in self.store:
            return Response(200, self.store[path])
        if path.rsplit("/", 1)[-1] in COLLECTIONS:
            return Response(200, {"items": [v for k, v in self.store.items() if k.rsplit("/", 1)[0] == path]})
        return Response(404, {"error": {"errors": [{"reason": "notFound"}]}})

    def post(self, url, data=None, json=None, **kwargs):
        path = self.path(url)
        self.log.append(("POST", path, json))
        verb = VERB.search(path)
        if verb:
            target = path[:verb.start()]
            if verb.group(1) in ("start", "stop"):
                self.store[target]["status"] = "RUNNING" if verb.group(1) == "start" else "TERMINATED"
            return self.op(target)
        target = f"{path}/{json['name']}"
        made = {**json, "selfLink": SELF + target}
        kind = path.rsplit("/", 1)[-1]
        if kind == "addresses":
            made["address"] = next(self.ips)
        if kind == "instances":
            made.update(status="RUNNING", deletionProtection=bool(json.get("deletionProtection")))
            for nic in made.get("networkInterfaces") or ():
                for config in nic.get("accessConfigs") or ():
                    config.setdefault("natIP", next(self.ips))
        self.store[target] = made
        return self.op(target)

    def delete(self, url, **kwargs):
        path = self.path(url)
        self.log.append(("DELETE", path, None))
        assert path in self.store, f"deleting {path}, which does not exist"
        del self.store[path]
        return self.op(path)

    def changes(self):
        """What was asked besides reading, and the log emptied."""
        done = [(m, p, b) for m, p, b in self.log if m != "GET"]
        self.log.clear()
        return done


class _Exit(Exception):
    def __init__(self, result):
        self.result = result


@pytest.fixture
def api(monkeypatch):
    from ansible_collections.google.cloud.plugins.module_utils import gcp_utils
    fake = FakeCompute()
    monkeypatch.setattr(gcp_utils, "HAS_GOOGLE_LIBRARIES", True)   # the session below needs no google-auth
    monkeypatch.setattr(gcp_utils.GcpSession, "session", lambda self: fake)
    monkeypatch.setattr("time.sleep", lambda s: None)

    def leave(self, **result):
        raise _Exit(result)

    def fail(self, msg="", **rest):
        raise AssertionError(f"module failed: {msg} {rest}")

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", leave)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail)
    return fake


def run_module(name: str, params: dict) -> dict:
    module = importlib.import_module(f"ansible_collections.google.cloud.plugins.modules.{name}")
    with patch_module_args(params):
        try:
            module.main()
        except _Exit as done:
            return done.result
    raise AssertionError(f"{name} did not exit")


def run_tasks(file: str, gcp: dict, context: dict | None = None) -> dict:
    """Each task of `file` as Ansible would run it (loops, when, register; async_status hands on
    what the async calls returned; set_fact), the google.cloud ones by their own code."""
    defaults = module_defaults(gcp)
    ctx = {"gcp": gcp, "lookup": lambda kind, path: PUBLIC_KEY, **(context or {})}
    for task in yaml.safe_load((TASKS / file).read_text()):
        module = next((k for k in task if k.startswith(PREFIX)), None)
        if module is None:
            if "ansible.builtin.async_status" in task:
                ctx[task["register"]] = {"results": ctx["gcp_instances_started"]["results"]}
            elif "ansible.builtin.set_fact" in task:
                ctx.update(_evaluate(task["ansible.builtin.set_fact"], ctx))
            continue
        looped = "loop" in task
        items = _evaluate(task["loop"], ctx) if looped else [None]
        results = []
        for item in items:
            scope = {**ctx, "item": item}
            if "when" in task and not ENV.compile_expression(task["when"])(**scope):
                results.append({"skipped": True})
                continue
            result = run_module(module[len(PREFIX):], {**defaults, **_evaluate(task[module], scope)})
            results.append({**result, "item": item})
        if "register" in task:
            ctx[task["register"]] = {"results": results} if looped else results[0]
    return ctx


@pytest.fixture
def site(tmp_path):
    servers = (ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives", "first_hive"), sizes=HIVE,
                          settings={"hive_subnet": "subnet-a", "hive_available_zone": "asia-northeast1-a"}),
               ServerPlan(name="p-hive1.t", ip="10.1.0.6", roles=("repository",), sizes={"instance_type": "e2-small"},
                          settings={"hive_subnet": "subnet-a", "hive_available_zone": "asia-northeast1-b",
                                    "hive_published_ip": "198.51.100.7"}))
    return plan(tmp_path, servers=servers, subnets=[{"cidr": "10.1.0.0/26", "name": "subnet-a"}])


PROJECT = "projects/demo-project-1/"


def test_build_requests_carry_the_rendered_stage(api, site):
    ctx = run_tasks("gcp-present.yml", r.tasks_vars(site, "present", FOUND))
    made = api.changes()
    assert [(m, p) for m, p, _ in made] == [
        ("POST", PROJECT + "global/networks"), ("POST", PROJECT + "global/firewalls"),
        ("POST", PROJECT + "global/firewalls"), ("POST", PROJECT + "regions/asia-northeast1/subnetworks"),
        ("POST", PROJECT + "regions/asia-northeast1/addresses"), ("POST", PROJECT + "zones/asia-northeast1-a/disks"),
        ("POST", PROJECT + "zones/asia-northeast1-a/instances"), ("POST", PROJECT + "zones/asia-northeast1-b/instances")]
    bodies = [b for _, _, b in made]
    assert bodies[0]["autoCreateSubnetworks"] is False
    assert bodies[1]["sourceRanges"] == ["10.1.0.0/24"] and bodies[2]["sourceRanges"] == ["0.0.0.0/0"]
    assert bodies[2]["allowed"] == [{"IPProtocol": "tcp", "ports": ["22", "80", "443"]},
                                    {"IPProtocol": "udp", "ports": ["53"]}, {"IPProtocol": "icmp"}]
    assert bodies[1]["network"] == SELF + PROJECT + "global/networks/vpc-p-t"
    assert bodies[3]["ipCidrRange"] == "10.1.0.0/26" and bodies[3]["name"] == "vpc-p-t-subnet-a"
    assert [b["name"] for b in bodies[4:5]] == ["gip-p-hive0"]      # the repository has the user's address
    assert bodies[5]["sizeGb"] == 20 and bodies[5]["labels"] == {"hive_project": "t", "hive_stage": "private"}
    hive, repository = bodies[6], bodies[7]
    nic = hive["networkInterfaces"][0]
    assert nic["networkIP"] == "10.1.0.5"
    assert nic["subnetwork"] == SELF + PROJECT + "regions/asia-northeast1/subnetworks/vpc-p-t-subnet-a"
    assert nic["accessConfigs"] == [{"name": "External NAT", "type": "ONE_TO_ONE_NAT", "natIP": "203.0.113.10"}]
    assert repository["networkInterfaces"][0]["accessConfigs"][0]["natIP"] == "198.51.100.7"
    boot, data = hive["disks"]
    assert boot["boot"] and boot["initializeParams"]["diskName"] == "boot-p-hive0"
    assert boot["initializeParams"]["diskSizeGb"] == 30
    assert boot["initializeParams"]["sourceImage"] == "projects/debian-cloud/global/images/family/debian-12"
    assert data["deviceName"] == "drbd-p-hive0" and data["source"] == SELF + PROJECT + "zones/asia-northeast1-a/disks/drbd-p-hive0"
    assert len(repository["disks"]) == 1 and repository["disks"][0]["initializeParams"]["diskSizeGb"] == 25
    assert hive["machineType"].endswith("zones/asia-northeast1-a/machineTypes/e2-standard-2")
    assert {"key": "ssh-keys", "value": f"admin:{PUBLIC_KEY}"} in hive["metadata"]["items"]
    assert {"key": "hostname", "value": "p-hive0.t"} in hive["metadata"]["items"]
    assert {"key": "enable-oslogin", "value": "FALSE"} in hive["metadata"]["items"]
    assert hive["shieldedInstanceConfig"]["enableSecureBoot"] is False
    # what the provider reads back: the external addresses
    built = r.built_servers(site, ctx["provider_outcome"])
    assert [b.public_ip for b in built] == ["203.0.113.10", "198.51.100.7"]


def test_a_rerun_creates_nothing_and_starts_a_stopped_instance(api, site):
    run_tasks("gcp-present.yml", r.tasks_vars(site, "present", FOUND))
    api.changes()
    run_tasks("gcp-present.yml", r.tasks_vars(site, "present", FOUND))
    assert api.changes() == []
    api.store[PROJECT + "zones/asia-northeast1-a/instances/p-hive0"]["status"] = "TERMINATED"
    run_tasks("gcp-present.yml", r.tasks_vars(site, "present", FOUND))
    assert ("POST", PROJECT + "zones/asia-northeast1-a/instances/p-hive0/start") in [
        (m, p) for m, p, _ in api.changes()]


def test_halting_only_stops_the_instances_that_exist(api, site):
    run_tasks("gcp-present.yml", r.tasks_vars(site, "present", FOUND))
    del api.store[PROJECT + "zones/asia-northeast1-b/instances/p-hive1"]   # a half-built stage
    api.changes()
    run_tasks("gcp-halted.yml", r.tasks_vars(site, "halted", FOUND))
    listed = [params for m, p, params in api.log if m == "GET" and p.endswith("/instances")]
    changes = api.changes()
    assert [(m, p) for m, p, _ in changes] == [("POST", PROJECT + "zones/asia-northeast1-a/instances/p-hive0/stop")]
    assert api.store[PROJECT + "zones/asia-northeast1-a/instances/p-hive0"]["status"] == "TERMINATED"
    # the module joins the filters as the API's implicit AND
    assert listed and all(f == {"filter": '(labels.hive_project = "t") (labels.hive_stage = "private")'} for f in listed)
    # addresses and disks stay
    assert PROJECT + "regions/asia-northeast1/addresses/gip-p-hive0" in api.store


def test_destroying_leaves_nothing_and_is_a_no_op_the_second_time(api, site):
    run_tasks("gcp-present.yml", r.tasks_vars(site, "present", FOUND))
    # an instance of the stage that the hive definition no longer has, found by its labels
    api.store[PROJECT + "zones/asia-northeast1-a/instances/p-hive9"] = {
        "name": "p-hive9", "labels": {"hive_project": "t", "hive_stage": "private"}, "status": "RUNNING"}
    api.changes()
    run_tasks("gcp-absent.yml", r.tasks_vars(site, "absent", FOUND))
    deleted = [p for m, p, _ in api.changes() if m == "DELETE"]
    kinds = [p.split("/")[-2] for p in deleted]
    assert kinds == ["instances"] * 3 + ["disks", "addresses", "firewalls", "firewalls", "subnetworks", "networks"]
    assert PROJECT + "zones/asia-northeast1-a/instances/p-hive9" in deleted
    # the data disk went with its instance in GCP; the stand-in keeps it, so -D deleted it
    assert api.store == {}
    run_tasks("gcp-absent.yml", r.tasks_vars(site, "absent", FOUND))
    assert api.changes() == []
