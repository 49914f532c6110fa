"""One source of truth for service attributes (model/service_attrs.py; docs/service-attributes.md).

`hive check` (load_site) rejects every value deploy-services would reject, naming the file, the
service and the attribute; the renderer runs the same normalisers on the host vars, so both agree.
"""

from __future__ import annotations

import math

import pytest
from ansible.module_utils.common.text.formatters import human_to_bytes
from ansible_collections.community.docker.plugins.module_utils.util import convert_duration_to_nanosecond
from hypothesis import given, settings
from hypothesis import strategies as st

from hive_builder.cli.main import main
from hive_builder.errors import InventoryError
from hive_builder.model import MemoryStore
from hive_builder.model.problems import Problems, Where
from hive_builder.model.service_attrs import (ATTRIBUTES, COPIED, IMAGE_NORMALISERS, SERVICE_KEYS, STRUCTURED,
                                              constraint_problem, duration, normalise)
from hive_builder.render.swarm_service import swarm_service_params
from tests.fixtures.inventories.builders import errors, load, private, write
from tests.fixtures.inventories.builders import services as bare_services
from tests.unit.test_cli_preflight import _project


def service_errors(tmp_path, **attrs):
    """The errors of a services.yml whose service `web` has `attrs` (and an image)."""
    return errors(write(tmp_path, private(), bare_services({"web": {"image": "nginx:1", **attrs}})))


def the_error(tmp_path, **attrs) -> InventoryError:
    (err,) = service_errors(tmp_path, **attrs)
    assert err.file == "services.yml" and err.obj.startswith("service web")
    return err


# ---------------------------------------------------------------- what only deploy used to refuse


@pytest.mark.parametrize(("attrs", "attr", "message"), [
    # the three of the issue
    ({"restart_config": {"delay": "five seconds"}}, "restart_config.delay", "expected a duration such as 30s"),
    ({"healthcheck": {"interval": "10s"}}, "healthcheck.test", "test must be specified"),
    ({"endpoint_mode": "dnsrr", "ports": ["8080:80"]}, "ports",
     "endpoint_mode dnsrr needs every port published with mode: host"),
    # the disputed spellings: the reference's (the module's) names win
    ({"healthcheck": {"disable": True}}, "healthcheck.disable", "write test: [NONE]"),
    ({"placement": {"max_replicas_per_node": 1}}, "placement.max_replicas_per_node", "replicas_max_per_node"),
    # other values the renderer or the engine refused after hive check had passed
    ({"healthcheck": {"test": ["curl", "-f", "http://localhost/"]}}, "healthcheck.test", "CMD then the command"),
    ({"healthcheck": {"test": "true", "interval": "10us"}}, "healthcheck.interval", "at least 1ms"),
    ({"healthcheck": {"test": "true", "retries": "3"}}, "healthcheck.retries", "expected an integer"),
    ({"restart_config": {"window": -5}}, "restart_config.window", "0 seconds or more"),
    ({"environment": ["DEBUG"]}, "environment", "entry 'DEBUG': expected NAME=value"),
    ({"placement": {"preferences": ["spread"]}}, "placement.preferences", "{spread: LABEL}"),
    ({"placement": {"constraints": ["node.labels.zone = a"]}}, "placement.constraints",
     "expected KEY == VALUE or KEY != VALUE"),
    ({"hosts": ["db.local"]}, "hosts", "expected HOSTNAME:ADDRESS"),
    ({"hosts": {"db.local": "db.example"}}, "hosts", "expected an IP address"),
    ({"dns": "dns.example"}, "dns", "expected an IP address"),
    ({"working_dir": "srv"}, "working_dir", "expected an absolute path"),
    ({"command": "run 'unterminated"}, "command", "cannot split"),
    ({"logging": {"options": {"max-size": ["10m"]}}}, "logging.options", "expected a scalar value"),
    # the later attributes (reference §4.11), now accepted and checked
    ({"stop_grace_period": "soon"}, "stop_grace_period", "expected a duration"),
    ({"cap_add": ["FLY"]}, "cap_add", "unknown capability 'FLY'"),
    ({"cap_drop": "ALL"}, "cap_drop", "expected a list of strings"),
    ({"sysctls": {"vm.swappiness": 10}}, "sysctls", "vm.swappiness cannot be set in a container"),
    ({"cpu_limit": 0}, "cpu_limit", "greater than 0"),
    ({"cpu_limit": "half"}, "cpu_limit", "greater than 0"),
    ({"mem_limit": "lots"}, "mem_limit", "expected a size such as 512M"),
    ({"mem_limit": "1M"}, "mem_limit", "at least 6M"),
])
def test_deploy_time_errors_are_found_by_hive_check(tmp_path, attrs, attr, message):
    err = the_error(tmp_path, **attrs)
    assert (err.obj, err.attr) == ("service web", attr)
    assert message in err.message


@pytest.mark.parametrize(("volume", "obj", "message"), [
    ({"source": "", "target": "/cache", "type": "volume"}, "service web, volume #1", "source must not be empty"),
    ({"source": "cache", "target": "/cache", "type": "tmpfs"}, "service web, volume 'cache' (#1)",
     "a tmpfs has no source"),
    ({"source": "my cache", "target": "/cache", "type": "volume"}, "service web, volume 'my cache' (#1)",
     "expected a volume name"),
])
def test_mounts_deploy_would_refuse(tmp_path, volume, obj, message):
    err = the_error(tmp_path, volumes=[volume])
    assert (err.obj, err.attr) == (obj, "source") and message in err.message


def test_sctp_ports_cannot_be_published_by_the_swarm_module(tmp_path):
    err = the_error(tmp_path, ports=["80", "5000:5000/sctp"])
    assert (err.obj, err.attr) == ("service web, port #2 (5000/sctp)", "protocol")
    assert "docker_swarm_service" in err.message


def test_every_error_of_a_service_is_reported(tmp_path):
    errs = service_errors(tmp_path, restart_config={"delay": "x", "window": "y"}, cpu_limit=-1)
    assert [e.attr for e in errs] == ["restart_config.delay", "restart_config.window", "cpu_limit"]


def test_hive_check_names_file_service_and_attribute(tmp_path, capsys):
    root, temp = _project(tmp_path, "    provider: prepared\n    cidr: 10.1.0.0/24\n")
    (root / "inventory" / "services.yml").write_text(
        "plugin: hive_services\nservices:\n  web:\n    image: nginx:1\n"
        "    restart_config: {delay: five seconds}\n")
    assert main(["-r", str(root), "-W", str(temp), "check"]) == 1
    err = capsys.readouterr().err
    assert ("services.yml, service web, attribute 'restart_config.delay': expected a duration such as 30s"
            in err) and "Traceback" not in err


# ---------------------------------------------------------------- valid forms


FULL = {
    "image": "nginx:1.25", "command": "nginx -g 'daemon off;'", "entrypoint": ["/docker-entrypoint.sh"],
    "environment": {"WORKERS": 4, "DEBUG": False}, "ports": ["80:80", "8080", {"target_port": 53, "protocol": "udp",
                                                                             "mode": "host"}],
    "volumes": [{"source": "web_data", "target": "/var/www", "type": "volume"},
                {"source": "", "target": "/tmp", "type": "tmpfs"}],
    "networks": ["hive_default_network"], "mode": "replicated", "replicas": 2,
    "placement": {"constraints": ["node.labels.zone == a", "node.role!=worker"],
                  "preferences": [{"spread": "node.labels.az"}], "replicas_max_per_node": 1},
    "endpoint_mode": "vip", "restart_config": {"condition": "on-failure", "delay": "5s", "max_attempts": 3,
                                               "window": "2m"},
    "healthcheck": {"test": "curl -f http://localhost/", "interval": "30s", "timeout": 5, "retries": 3,
                    "start_period": "1m"},
    "hosts": ["db.example:10.0.0.5", "v6.example=fe80::1"], "dns": ["192.168.0.1", "2001:db8::53"],
    "user": "www-data", "working_dir": "/var/www", "labels": {"HIVE_VIP": "192.168.0.100", "tier": {"a": 1}},
    "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": 3}},
    "initialize_roles": ["web-init"], "stop_grace_period": "1m30s", "cap_add": ["NET_ADMIN", "cap_sys_time"],
    "cap_drop": ["MKNOD"], "sysctls": {"net.core.somaxconn": 1024, "kernel.shmmax": "68719476736"},
    "cpu_limit": 1.5, "mem_limit": "512M",
}


def test_every_attribute_is_in_the_table_and_the_full_service_loads(tmp_path):
    assert set(FULL) | {"available_on", "standalone", "backup_scripts", "monitor_error",
                        "ignore_error"} == set(SERVICE_KEYS)
    assert set(STRUCTURED) == {"available_on", "image", "ports", "volumes"}
    site = load(write(tmp_path, private(), bare_services({"web": FULL})))
    service = site.services["web"]
    assert service.copied == {k: v for k, v in FULL.items() if k in COPIED}     # host vars as written
    assert service.normalised["cap_add"] == ["NET_ADMIN", "SYS_TIME"]
    assert service.normalised["restart_config"]["delay"] == "5s"
    assert site.hostvars()["web"]["hive_mem_limit"] == "512M"


def test_model_and_renderer_agree(tmp_path):
    site = load(write(tmp_path, private(), bare_services({"web": FULL})))
    service, hostvars = site.services["web"], site.hostvars()["web"]
    params = swarm_service_params("web", hostvars, image="nginx:1.25", registry_host="p-hive0.pdns").params
    for attr, value in service.normalised.items():
        spec = ATTRIBUTES[attr]
        if spec.param is None:
            continue
        head, _, sub = spec.param.partition(".")
        emitted = params[head][sub] if sub else params[head]
        if attr == "labels":
            emitted = {k: v for k, v in emitted.items() if k != "HIVE_STANDALONE"}
        assert emitted == value, attr
    assert params["publish"] == [{"target_port": 80, "published_port": 80, "protocol": "tcp"},
                                 {"target_port": 8080, "published_port": 61001, "protocol": "tcp"},
                                 {"target_port": 53, "published_port": 61002, "protocol": "udp", "mode": "host"}]
    assert params["args"] == ["nginx", "-g", "daemon off;"]
    assert params["hosts"] == {"db.example": "10.0.0.5", "v6.example": "fe80::1"}
    assert params["limits"] == {"cpus": 1.5, "memory": "512M"}


def test_dnsrr_with_host_ports_loads_and_no_ipvs_adaptation_still_applies(tmp_path):
    svcs = {"proxy": {"image": "nginx:1", "endpoint_mode": "dnsrr", "mode": "global",
                      "ports": [{"published_port": 80, "target_port": 80, "mode": "host"}]},
            "web": {"image": "nginx:1", "ports": ["8080:80"]}}
    hostvars = load(write(tmp_path, private(), bare_services(svcs))).hostvars()
    for name in svcs:
        spec = swarm_service_params(name, hostvars[name], image="nginx:1", registry_host="r",
                                    ipvs_available=False)
        assert spec.params["endpoint_mode"] == "dnsrr"
        assert {p["mode"] for p in spec.params["publish"]} == {"host"}
    web = swarm_service_params("web", hostvars["web"], image="nginx:1", registry_host="r", ipvs_available=False)
    assert len(web.notes) == 2


def test_pdns_example_still_loads():
    from tests.fixtures.inventories.builders import PDNS
    load(PDNS, store=MemoryStore())


# ---------------------------------------------------------------- value by value


def check(attr, value):
    """(normalised value, error messages) of one attribute."""
    problems = Problems()
    result = ATTRIBUTES[attr].normalise(Where(problems, "f.yml", "service s"), value, attr)
    return result, [e.message for e in problems.errors]


@pytest.mark.parametrize(("given", "expected"), [
    ("1m30s", "1m30s"), ("90s", "1m30s"), ("1.5h", "1h30m"), ("500ms", "500ms"), ("1500ms", "1s500ms"),
    ("2us", "2us"), ("1000ns", "1us"), (0, "0s"), (2.25, "2s250ms"), ("0s", "0s"), ("1h0m1s", "1h1s"),
    (" 5s ", "5s"),
])
def test_duration(given, expected):
    assert check("stop_grace_period", given) == (expected, [])


@pytest.mark.parametrize("bad", ["", "10", "1 m", "1d", "abc", "s", "-1s", True, -1, None, [1], math.inf, 1e300])
def test_duration_rejects(bad):
    with pytest.raises(InventoryError, match="service s, attribute 'a'"):
        problems = Problems()
        duration(Where(problems, None, "service s"), bad, "a")
        raise problems.errors[0]


@given(st.integers(min_value=0, max_value=10**12))
def test_duration_roundtrips_through_the_module_parser(microseconds):
    text, problems = check("stop_grace_period", f"{microseconds}us")
    assert problems == [] and convert_duration_to_nanosecond(text) == microseconds * 1000


@pytest.mark.parametrize("size", ["512M", "512m", "1G", "1.5G", "2.5g", "100000000", "8192K", "7MB",
                                  "10000000b", "1T", "1p"])
def test_memory_sizes_are_read_by_the_module_as_meant(size):
    normalised, problems = check("mem_limit", size)
    assert problems == [] and normalised == size
    assert human_to_bytes(size) >= 6 * 2**20


@pytest.mark.parametrize("size", ["512Mb", "1Gi", "512 M", "1.G", ".5G", "-1G", "1E", True, 1.5])
def test_memory_sizes_the_module_would_misread_are_refused(size):
    assert check("mem_limit", size)[1]


def test_capabilities_are_given_as_docker_writes_them():
    assert check("cap_add", ["net_admin", "CAP_SYS_TIME", "NET_ADMIN", "all"]) == (
        ["NET_ADMIN", "SYS_TIME", "ALL"], [])


@pytest.mark.parametrize("name", ["net.ipv4.ip_forward", "net.core.somaxconn", "fs.mqueue.msg_max",
                                  "kernel.shmmax", "kernel.sem", "kernel.domainname"])
def test_namespaced_sysctls_are_accepted(name):
    assert check("sysctls", {name: "1"}) == ({name: "1"}, [])


@pytest.mark.parametrize(("expression", "ok"), [
    ("node.labels.zone == a", True), ("node.role!=manager", True), ("engine.labels.os == linux", True),
    ("node.hostname == p-hive0.pdns", True), ("node.labels.zone = a", False), ("zone", False),
    ("node labels == a", False), ("node.labels.x == a,b", False), ("== a", False),
])
def test_constraints_as_swarm_parses_them(expression, ok):
    assert (constraint_problem(expression) is None) is ok


def test_healthcheck_forms():
    assert check("healthcheck", {"test": ["NONE"]}) == ({"test": ["NONE"]}, [])
    assert check("healthcheck", {"test": ["CMD", "pg_isready"], "interval": 0}) == (
        {"test": ["CMD", "pg_isready"], "interval": "0s"}, [])
    assert check("healthcheck", {"test": ["CMD-SHELL", "a", "b"]})[1]
    assert check("healthcheck", {"test": ["NONE", "x"]})[1]
    assert check("healthcheck", {"test": " "})[1]


def test_renderer_raises_what_the_model_reports():
    with pytest.raises(InventoryError, match="service web, attribute 'restart_config.delay'"):
        normalise("web", "restart_config", {"delay": "five seconds"})


# ---------------------------------------------------------------- robustness

anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
              st.sampled_from(["", "/x", "a=b", "a:1.2.3.4", "1s", "NONE", "CMD", "tmpfs", "volume", "host"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(
                                ["test", "source", "target", "type", "target_port", "protocol", "mode",
                                 "constraints", "preferences", "spread", "options", "delay"])), inner, max_size=3)),
    max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(a for a, spec in ATTRIBUTES.items() if spec.normalise)), anything)
def test_normalisers_report_but_never_raise(attr, value):
    check(attr, value)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(IMAGE_NORMALISERS)), anything)
def test_image_normalisers_report_but_never_raise(key, value):
    IMAGE_NORMALISERS[key](Where(Problems(), "f.yml", "service s, image"), value, key)


# ---------------------------------------------------------------- image build specs (build-images)


@pytest.mark.parametrize(("image", "attr", "message"), [
    ({"expose": "http"}, "expose", "expected a port such as 80 or 53/udp"),
    ({"expose": ["80/xyz"]}, "expose", "expected a port such as 80 or 53/udp"),
    ({"env": {"A=B": "x"}}, "env", "a name without '='"),
    ({"env": {"A": "two\nlines"}}, "env", "a value without newline"),
    ({"env": {"A": [1]}}, "env", "expected a scalar value"),
    ({"command": 5}, "command", "expected a list of strings or numbers"),
    ({"working_dir": "app"}, "working_dir", "expected an absolute path"),
    ({"stop_signal": 15}, "stop_signal", "expected a non-empty string"),
])
def test_build_spec_values_build_images_would_refuse(tmp_path, image, attr, message):
    err = the_error(tmp_path, image={"from": "debian:bookworm", "roles": [], **image})
    assert (err.obj, err.attr) == ("service web, image", attr) and message in err.message


def test_valid_build_specs_render(tmp_path):
    from hive_builder.render.image_build import build_container_params, commit_changes
    spec = {"from": "debian:bookworm", "roles": [], "expose": [80, "53/udp"], "env": {"A": 1, "B": True},
            "command": "/run.sh", "entrypoint": ["/bin/sh", "-c"], "working_dir": "/srv", "user": 1000,
            "stop_signal": "SIGINT"}
    hostvars = load(write(tmp_path, private(), bare_services({"web": {"image": spec}}))).hostvars()["image_web"]
    assert build_container_params("web", hostvars)["exposed_ports"] == ["80", "53/udp"]
    assert 'CMD ["/run.sh"]' in commit_changes(hostvars, {})
