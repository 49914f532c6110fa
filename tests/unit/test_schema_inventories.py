"""Every inventory of the repository validates against the shipped JSON Schemas; bad inputs are
refused by both the schema (with the path of the culprit) and the model."""

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from hive_builder.errors import InventoryErrors
from hive_builder.model import MemoryStore, load_site, schema

REPO = Path(__file__).resolve().parents[2]
PLUGINS = {"hive_inventory": schema.HIVE_SCHEMA, "hive_services": schema.SERVICES_SCHEMA}


def validator(name):
    return Draft7Validator(json.loads(schema.schema_path(name).read_text(encoding="utf-8")))


VALIDATORS = {plugin: validator(name) for plugin, name in PLUGINS.items()}


def inventory_files():
    """Top-level YAML files of every inventory directory in the repository (examples, e2e
    project, test fixtures): those with a hive plugin."""
    dirs = {*REPO.glob("examples/*/inventory"), *REPO.glob("tests/**/inventory"),
            *REPO.glob("tests/fixtures/inventories/*")}
    found = []
    for directory in sorted(d for d in dirs if d.is_dir()):
        for path in sorted(directory.iterdir()):
            if path.suffix in (".yml", ".yaml"):
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("plugin") in PLUGINS:
                    found.append(path)
    return found


def doc_examples():
    """YAML blocks of README.md and docs/*.md that are whole inventory files."""
    found = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for index, block in enumerate(re.findall(r"^```ya?ml\n(.*?)^```", text, re.M | re.S)):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and data.get("plugin") in PLUGINS:
                found.append(pytest.param(data, id=f"{path.name}#{index}"))
        for index, block in enumerate(re.findall(r"<<'EOF'\n(.*?)^EOF", text, re.M | re.S)):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and data.get("plugin") in PLUGINS:
                found.append(pytest.param(data, id=f"{path.name}-heredoc#{index}"))
    return found


def errors(data):
    return list(VALIDATORS[data["plugin"]].iter_errors(data))


def test_the_repository_has_inventories():
    names = {f"{p.parent.parent.name}/{p.parent.name}/{p.name}" for p in inventory_files()}
    assert {"demo/inventory/hive.yml", "demo/inventory/services.yml",
            "project/inventory/hive.yml", "project/inventory/services.yml",
            "inventories/pdns/services.yml"} <= names


@pytest.mark.parametrize("path", inventory_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_repository_inventory_validates(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors(data)] == []


def model_refuses(tmp_path, data):
    files = {"hive.yml": data, "services.yml": SERVICES} if data["plugin"] == "hive_inventory" \
        else {"hive.yml": HIVE, "services.yml": data}
    for name, doc in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(doc))
    try:
        load_site(tmp_path, "private", MemoryStore())
    except InventoryErrors as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("data", doc_examples())
def test_documented_example_schema_agrees_with_model(tmp_path, data):
    """A documented example is accepted by the schema exactly when the model accepts it (the
    attribute overview of docs/service-attributes.md combines logging with monitor_error, which
    the model refuses: the schema must refuse it too)."""
    refused = model_refuses(tmp_path, data)
    found = [f"{list(e.absolute_path)}: {e.message}" for e in errors(data)]
    assert bool(found) == bool(refused), (found, refused)


# ---------------------------------------------------------------- bad inputs: schema and model

HIVE = {"plugin": "hive_inventory", "name": "site",
        "stages": {"private": {"provider": "docker", "cidr": "10.233.10.0/24",
                               "separate_repository": True, "number_of_hosts": 4}}}
SERVICES = {"plugin": "hive_services",
            "services": {"web": {"image": "nginx:1.25", "ports": ["8080:80"]}}}


def _stage(**changes):
    data = copy.deepcopy(HIVE)
    data["stages"]["private"].update(changes)
    return data


def _web(**changes):
    data = copy.deepcopy(SERVICES)
    data["services"]["web"].update(changes)
    return data


BAD = [  # (document, schema path of the culprit, words of the model's error)
    (_stage(provider="dokcer"), ["stages", "private", "provider"], "provider"),
    (_stage(cidrs="10.0.0.0/8"), ["stages", "private"], "cidrs"),
    (_stage(instance_type="t3.large"), ["stages", "private", "instance_type"], "instance_type"),
    (_stage(internal_cidr="172.31.252.0/28"), ["stages", "private", "internal_cidr"],
     "internal_cidr"),
    (_stage(number_of_hosts=1), ["stages", "private", "separate_repository"], "number_of_hosts"),
    (_stage(subnets=[{"cidr": "10.233.10.0/25", "zone": "a"}]), ["stages", "private", "subnets", 0],
     "zone"),
    ({**HIVE, "name": "my site"}, ["name"], "name"),
    ({**HIVE, "stages": {"prod": HIVE["stages"]["private"]}}, ["stages"], "prod"),
    (_web(ports=["80/sctp"]), ["services", "web", "ports", 0], "sctp"),
    (_web(replica=2), ["services", "web"], "replica"),
    (_web(mode="global", replicas=2), ["services", "web", "replicas"], "replicas"),
    (_web(restart_config={"delay": "five seconds"}), ["services", "web", "restart_config", "delay"],
     "restart_config.delay"),
    (_web(healthcheck={"interval": "5s"}), ["services", "web", "healthcheck"], "test"),
    (_web(cap_add=["NET_ADMIM"]), ["services", "web", "cap_add", 0], "NET_ADMIM"),
    (_web(placement={"constraints": ["node.labels.zone = a"]}),
     ["services", "web", "placement", "constraints", 0], "constraint"),
    (_web(volumes=[{"source": "data", "target": "/data", "type": "volume",
                    "drbd": {"fstype": "btrfs", "size": "1G"}}]),
     ["services", "web", "volumes", 0, "drbd", "fstype"], "fstype"),
    (_web(volumes=[{"source": "data", "target": "/data"}]), ["services", "web", "volumes", 0],
     "bind mount"),
    (_web(backup_scripts=[{"name": "db", "backup_command": "dump", "restore_file": "/x"}]),
     ["services", "web", "backup_scripts", 0], "restore_file"),
    (_web(endpoint_mode="dnsrr"), ["services", "web", "ports"], "dnsrr"),
    (_web(ignore_error=["harmless"]), ["services", "web"], "ignore_error"),
    (_web(image={"from": "debian:bookworm", "roles": [], "pull_on": ["private"]}),
     ["services", "web", "image"], "pull_from"),
    ({**SERVICES, "services": {"hive-web": SERVICES["services"]["web"]}}, ["services"], "reserved"),
    ({**SERVICES, "services": {"web": {"ports": ["80"]}}}, ["services", "web"], "image"),
]


def _starts(path, prefix):
    return list(path)[:len(prefix)] == prefix


@pytest.mark.parametrize("data, path, words", BAD, ids=[w for _, _, w in BAD])
def test_bad_input_refused_by_schema_with_path(data, path, words):
    found = errors(data)
    assert found, "the schema accepts it"
    best = best_match(found)
    candidates = [best, *best.context] if best.context else [best]
    assert any(_starts(e.absolute_path, path) for e in candidates), \
        [(list(e.absolute_path), e.message) for e in found]


@pytest.mark.parametrize("data, path, words", BAD, ids=[w for _, _, w in BAD])
def test_bad_input_refused_by_model(tmp_path, data, path, words):
    refused = model_refuses(tmp_path, data)
    assert refused is not None, "the model accepts it"
    assert words in refused


def test_good_inputs_accepted_by_both(tmp_path):
    web = _web(ports=["8080:80", 8081, {"target_port": 53, "protocol": "udp", "mode": "host"}],
               restart_config={"condition": "on-failure", "delay": "1m30s", "window": 2},
               healthcheck={"test": ["CMD", "true"], "interval": 0},
               cap_add=["net_admin", "CAP_SYS_TIME"], sysctls={"net.core.somaxconn": 1024},
               hosts=["db:10.0.0.5", "v6=::1"], mem_limit="512M", environment=["A=1"],
               volumes=[{"source": "", "target": "/run/x", "type": "tmpfs"},
                        {"source": "d", "target": "/d", "drbd": {"fstype": "xfs", "size": "1G"}}])
    assert errors(web) == []
    assert errors(_stage(internal_cidr="172.31.252.0/24", memory_size=2048)) == []
    (tmp_path / "hive.yml").write_text(yaml.safe_dump(_stage(internal_cidr="172.31.252.0/24")))
    (tmp_path / "services.yml").write_text(yaml.safe_dump(web))
    load_site(tmp_path, "private", MemoryStore())
