"""deploy-services decisions (reference §4.3-§4.9, §6.6, §14.6; decisions item 12)."""

from __future__ import annotations

import pytest
from ansible_collections.community.docker.plugins.module_utils.util import (convert_duration_to_nanosecond,
                                                                            parse_healthcheck)
from hypothesis import given
from hypothesis import strategies as st

from hive_builder.errors import HiveError, InventoryError
from hive_builder.render import standalone as sd
from hive_builder.render.swarm_service import (adaptation_summary, convergence_report, default_logging,
                                               module_duration, needs_force_update, proxy_environment,
                                               resolve_image, swarm_service_params)
from tests.unit.render_module_specs import swarm_service_spec, validation_errors

REGISTRY = "p-hive0.pdns:5000"
REPO_HOST = "p-hive0.pdns"


def params(vars_=None, name="web", **kwargs):
    kwargs.setdefault("image", "nginx:1.25")
    kwargs.setdefault("registry_host", REPO_HOST)
    kwargs.setdefault("networks_all", ["hive_default_network"])
    return swarm_service_params(name, vars_ or {}, **kwargs)


# A service using every attribute of §4.3 (plus the later ones of §4.11).
FULL = {
    "inventory_hostname": "powerdns",
    "hive_image": "registry.example/pdns:4",
    "hive_command": ["--loglevel", 9],
    "hive_entrypoint": ["/usr/sbin/pdns_server"],
    "hive_environment": {"PDNS_API": "yes", "PORT": 8081, "DEBUG": False, "EMPTY": None},
    "hive_ports": [{"published_port": 53, "target_port": 53, "protocol": "tcp"},
                   {"published_port": 61001, "target_port": 8081, "protocol": "tcp", "mode": "ingress"},
                   {"published_port": 53, "target_port": 53, "protocol": "udp", "mode": "host"}],
    "hive_volumes": [{"source": "/sys/fs/cgroup", "target": "/sys/fs/cgroup", "type": "bind", "readonly": True},
                     {"source": "", "target": "/run", "type": "tmpfs"},
                     {"source": "", "target": "/tmp", "type": "tmpfs"},
                     {"source": "pdnsdb_data", "target": "/var/lib/mysql", "type": "volume", "readonly": False}],
    "hive_networks": ["pdns", "hive_default_network"],
    "hive_mode": "replicated",
    "hive_replicas": 2,
    "hive_placement": {"constraints": ["node.labels.zone == a"], "preferences": [{"spread": "node.labels.az"}],
                       "max_replicas_per_node": 1},
    "hive_endpoint_mode": "vip",
    "hive_restart_config": {"condition": "on-failure", "delay": "5s", "max_attempts": 3, "window": "2m"},
    "hive_healthcheck": {"test": ["CMD", "pdns_control", "ping"], "interval": "1m30s", "timeout": "10s",
                         "retries": 3, "start_period": "40s"},
    "hive_hosts": {"db.local": "10.0.0.5"},
    "hive_dns": "8.8.8.8",
    "hive_user": 1000,
    "hive_working_dir": "/srv",
    "hive_labels": {"HIVE_VIP": "192.168.0.5", "L1": {"a": 1}, "L2": 3},
    "hive_logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": 3}},
    "hive_standalone": True,
    "hive_initialize_roles": ["pdns-init"],
    "hive_backup_scripts": [{"name": "db", "directory": "/var/lib/mysql"}],
    "hive_monitor_error": ["ERROR"],
    "hive_ignore_error": ["harmless"],
    "hive_available_on": ["private"],
    "hive_stop_grace_period": "30s",
    "hive_cap_add": ["NET_ADMIN"],
    "hive_cap_drop": ["ALL"],
    "hive_sysctls": {"net.core.somaxconn": 1024},
    "hive_cpu_limit": 0.5,
    "hive_mem_limit": "512M",
}


# ---------------------------------------------------------------- against the real module


def test_every_attribute_maps_onto_valid_module_options():
    spec = params(FULL, name="powerdns", proxy_env={"HTTP_PROXY": "http://proxy:3128"})
    assert validation_errors(swarm_service_spec(), spec.params) == []


def test_minimal_and_no_ipvs_params_are_valid_module_options():
    for ipvs in (True, False):
        spec = params({"hive_ports": [{"published_port": 80, "target_port": 80, "protocol": "tcp"}]},
                      ipvs_available=ipvs)
        assert validation_errors(swarm_service_spec(), spec.params) == []


def test_validation_helper_detects_a_wrong_option_name():
    # guards the guard: the validator used above does reject what the module rejects
    assert validation_errors(swarm_service_spec(), {"name": "x", "restart_policy": "any"})
    assert validation_errors(swarm_service_spec(), {"name": "x", "publish": [{"target_port": 1, "protocol": "sctp"}]})


def test_durations_are_parsed_by_the_module_and_healthcheck_normalised():
    p = params(FULL, name="powerdns").params
    for key in ("interval", "timeout", "start_period"):
        assert convert_duration_to_nanosecond(p["healthcheck"][key]) > 0
    for key in ("delay", "window"):
        assert convert_duration_to_nanosecond(p["restart_config"][key]) > 0
    check, disabled = parse_healthcheck(p["healthcheck"])
    assert check["interval"] == 90 * 10**9 and check["start_period"] == 40 * 10**9 and disabled is False


# ---------------------------------------------------------------- attribute by attribute


def test_full_mapping():
    p = params(FULL, name="powerdns", image="registry.example/pdns:4").params
    assert p["name"] == p["hostname"] == "powerdns"
    assert p["image"] == "registry.example/pdns:4"
    assert p["args"] == ["--loglevel", "9"]                    # command -> args
    assert p["command"] == ["/usr/sbin/pdns_server"]           # entrypoint -> command
    assert p["env"] == {"PDNS_API": "yes", "PORT": "8081", "DEBUG": "false", "EMPTY": ""}
    assert p["publish"] == [
        {"published_port": 53, "target_port": 53, "protocol": "tcp"},
        {"published_port": 61001, "target_port": 8081, "protocol": "tcp", "mode": "ingress"},
        {"published_port": 53, "target_port": 53, "protocol": "udp", "mode": "host"},
    ]
    assert p["mounts"] == [
        {"source": "/sys/fs/cgroup", "target": "/sys/fs/cgroup", "type": "bind", "readonly": True},
        {"target": "/run", "type": "tmpfs"},
        {"target": "/tmp", "type": "tmpfs"},
        {"source": "pdnsdb_data", "target": "/var/lib/mysql", "type": "volume", "readonly": False},
    ]
    assert p["networks"] == ["pdns", "hive_default_network"]
    assert p["mode"] == "replicated" and p["replicas"] == 2 and p["endpoint_mode"] == "vip"
    assert p["placement"] == {"constraints": ["node.labels.zone == a"],
                              "preferences": [{"spread": "node.labels.az"}], "replicas_max_per_node": 1}
    assert p["restart_config"] == {"condition": "on-failure", "delay": "5s", "max_attempts": 3, "window": "2m"}
    assert p["healthcheck"] == {"test": ["CMD", "pdns_control", "ping"], "interval": "1m30s", "timeout": "10s",
                                "retries": 3, "start_period": "40s"}
    assert p["hosts"] == {"db.local": "10.0.0.5"}
    assert p["dns"] == ["8.8.8.8"]
    assert p["user"] == "1000" and p["working_dir"] == "/srv"
    assert p["labels"] == {"HIVE_VIP": "192.168.0.5", "L1": '{"a": 1}', "L2": "3", "HIVE_STANDALONE": "True"}
    assert p["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
    assert p["stop_grace_period"] == "30s"
    # standalone: systemd's capabilities join the service's own
    assert p["cap_add"] == ["NET_ADMIN", "SYS_ADMIN", "SYSLOG", "SYS_PTRACE", "AUDIT_CONTROL"]
    assert p["cap_drop"] == ["ALL"]
    assert p["sysctls"] == {"net.core.somaxconn": "1024"}
    assert p["limits"] == {"cpus": 0.5, "memory": "512M"}


def test_attributes_without_swarm_meaning_are_not_emitted():
    p = params(FULL, name="powerdns").params
    for absent in ("initialize_roles", "backup_scripts", "monitor_error", "ignore_error", "available_on",
                   "standalone", "environment", "entrypoint", "ports", "volumes"):
        assert absent not in p


def test_defaults_of_an_empty_service():
    p = params({}, name="web", networks_all=["hive_default_network", "pdns"]).params
    assert p == {
        "name": "web", "hostname": "web", "image": "nginx:1.25",
        "labels": {"HIVE_STANDALONE": "False"},
        "networks": ["hive_default_network", "pdns"],
        "logging": {"driver": "syslog", "options": {"syslog-address": "udp://p-hive0.pdns:10514",
                                                    "syslog-facility": "local0", "tag": "web"}},
    }


def test_default_logging_follows_syslog_port():                   # §14.6 item 53
    p = params({}, name="pdnsdb", syslog_port=514).params
    assert p["logging"]["options"]["syslog-address"] == "udp://p-hive0.pdns:514"
    assert p["logging"]["options"]["tag"] == "pdnsdb"
    assert default_logging("x", "s-hive0.pdns")["options"]["syslog-address"] == "udp://s-hive0.pdns:10514"


def test_command_and_entrypoint_swap():                            # §14.6 item 55
    p = params({"hive_command": ["a", "b"], "hive_entrypoint": ["/bin/run"]}).params
    assert p["args"] == ["a", "b"] and p["command"] == ["/bin/run"]
    only_entrypoint = params({"hive_entrypoint": "/bin/run --fast"}).params
    assert only_entrypoint["command"] == ["/bin/run", "--fast"] and "args" not in only_entrypoint


def test_networks_absent_means_all_present_means_as_given():      # §14.6 item 56
    assert params({}, networks_all=["a", "b"]).params["networks"] == ["a", "b"]
    assert params({"hive_networks": ["b"]}, networks_all=["a", "b"]).params["networks"] == ["b"]
    assert params({"hive_networks": []}, networks_all=["a", "b"]).params["networks"] == []


def test_proxy_variables_only_when_non_empty_and_under_environment():
    env = {"HTTP_PROXY": "http://p:3128", "http_proxy": "", "HTTPS_PROXY": None, "NO_PROXY": "localhost",
           "PATH": "/usr/bin"}
    p = params({"hive_environment": {"NO_PROXY": "*"}}, proxy_env=env).params
    assert p["env"] == {"HTTP_PROXY": "http://p:3128", "NO_PROXY": "*"}
    assert "env" not in params({}, proxy_env={"HTTP_PROXY": ""}).params
    assert proxy_environment(None) == {}


def test_environment_as_list():
    assert params({"hive_environment": ["A=1", "B=x=y"]}).params["env"] == {"A": "1", "B": "x=y"}
    with pytest.raises(InventoryError, match="service web.*environment"):
        params({"hive_environment": ["NOVALUE"]})


def test_labels_json_encode_non_strings_and_standalone_label_wins():   # §14.3 item 28
    p = params({"hive_labels": {"L1": {"a": 1}, "L2": 3, "L3": True, "HIVE_STANDALONE": "yes"}}).params
    assert p["labels"] == {"L1": '{"a": 1}', "L2": "3", "L3": "true", "HIVE_STANDALONE": "False"}


def test_ports_default_protocol_and_no_mode():
    p = params({"hive_ports": [{"published_port": 61001, "target_port": 80}]}).params
    assert p["publish"] == [{"published_port": 61001, "target_port": 80, "protocol": "tcp"}]


def test_sctp_port_is_a_clear_error():
    with pytest.raises(InventoryError, match=r"service web, attribute 'ports\[1\]'.*sctp"):
        params({"hive_ports": [{"published_port": 9, "target_port": 9, "protocol": "sctp"}]})


def test_mount_without_source_is_only_allowed_for_tmpfs():
    with pytest.raises(InventoryError, match=r"volumes\[1\]"):
        params({"hive_volumes": [{"source": "", "target": "/x", "type": "bind"}]})
    with pytest.raises(InventoryError, match="type"):
        params({"hive_volumes": [{"source": "a", "target": "/x", "type": "nfs"}]})


def test_mode_global_with_replicas_is_an_error():
    assert params({"hive_mode": "global"}).params["mode"] == "global"
    with pytest.raises(InventoryError, match="replicas"):
        params({"hive_mode": "global", "hive_replicas": 2})


def test_invalid_choices_name_service_and_attribute():
    with pytest.raises(InventoryError, match="service web, attribute 'mode'"):
        params({"hive_mode": "job"})
    with pytest.raises(InventoryError, match="endpoint_mode"):
        params({"hive_endpoint_mode": "round"})
    with pytest.raises(InventoryError, match="restart_config.condition"):
        params({"hive_restart_config": {"condition": "always"}})
    with pytest.raises(InventoryError, match="unknown key.*start_interval"):
        params({"hive_healthcheck": {"test": "true", "start_interval": "1s"}})
    with pytest.raises(InventoryError, match="placement"):
        params({"hive_placement": {"constraint": ["x"]}})


def test_dnsrr_with_ingress_port_is_an_error():
    with pytest.raises(InventoryError, match="dnsrr.*mode: host.*8081"):
        params(dict(FULL, hive_endpoint_mode="dnsrr"), name="powerdns")


def test_dnsrr_with_host_ports_is_fine():
    v = {"hive_endpoint_mode": "dnsrr",
         "hive_ports": [{"published_port": 80, "target_port": 80, "protocol": "tcp", "mode": "host"}]}
    assert params(v).params["endpoint_mode"] == "dnsrr"


def test_healthcheck_compose_forms():
    hc = params({"hive_healthcheck": {"test": "curl -f http://localhost/", "interval": 30, "timeout": "1.5s",
                                      "start_period": "1m", "retries": "2"}}).params["healthcheck"]
    assert hc == {"test": ["CMD-SHELL", "curl -f http://localhost/"], "interval": "30s", "timeout": "1s500ms",
                  "start_period": "1m", "retries": 2}
    assert params({"hive_healthcheck": {"disable": True}}).params["healthcheck"] == {"test": ["NONE"]}
    with pytest.raises(InventoryError, match="healthcheck.test"):
        params({"hive_healthcheck": {"test": ["curl", "x"]}})
    with pytest.raises(InventoryError, match="test is required"):
        params({"hive_healthcheck": {"interval": "1s"}})


def test_hosts_accepts_compose_list_form():
    assert params({"hive_hosts": ["a:1.2.3.4", "b=fe80::1"]}).params["hosts"] == {"a": "1.2.3.4", "b": "fe80::1"}
    with pytest.raises(InventoryError, match="hosts"):
        params({"hive_hosts": ["nameonly"]})


def test_dns_list_and_placement_compose_spelling():
    p = params({"hive_dns": ["1.1.1.1", "8.8.8.8"], "hive_placement": {"replicas_max_per_node": 2}}).params
    assert p["dns"] == ["1.1.1.1", "8.8.8.8"] and p["placement"] == {"replicas_max_per_node": 2}


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(("given", "expected"), [
    ("1m30s", "1m30s"), ("90s", "1m30s"), ("1.5h", "1h30m"), ("500ms", "500ms"), ("1500ms", "1s500ms"),
    ("2us", "2us"), ("1000ns", "1us"), (0, "0s"), (2.25, "2s250ms"), ("0s", "0s"), ("1h0m1s", "1h1s"),
])
def test_module_duration(given, expected):
    assert module_duration(given, service="s", attr="a") == expected


@pytest.mark.parametrize("bad", ["", "10", "1 m", "1d", "abc", "s", True, -1])
def test_module_duration_rejects(bad):
    with pytest.raises(InventoryError, match="service s, attribute 'a'"):
        module_duration(bad, service="s", attr="a")


@given(st.integers(min_value=0, max_value=10**12))
def test_module_duration_roundtrips_through_the_module_parser(microseconds):
    text = module_duration(f"{microseconds}us", service="s", attr="a")
    assert convert_duration_to_nanosecond(text) == microseconds * 1000


# ---------------------------------------------------------------- no IPVS (docker provider)


def test_no_ipvs_moves_ports_to_host_mode_and_dnsrr_with_notes():
    v = {"hive_ports": [{"published_port": 80, "target_port": 8080, "protocol": "tcp"},
                        {"published_port": 53, "target_port": 53, "protocol": "udp", "mode": "ingress"},
                        {"published_port": 22, "target_port": 22, "protocol": "tcp", "mode": "host"}]}
    spec = params(v, ipvs_available=False)
    assert [p["mode"] for p in spec.params["publish"]] == ["host", "host", "host"]
    assert spec.params["endpoint_mode"] == "dnsrr"
    assert len(spec.notes) == 2
    assert "80/tcp, 53/udp" in spec.notes[0] and "22/tcp" not in spec.notes[0]
    assert "dnsrr instead of vip" in spec.notes[1]


def test_no_ipvs_overrides_explicit_vip_and_says_so():
    spec = params({"hive_endpoint_mode": "vip"}, ipvs_available=False)
    assert spec.params["endpoint_mode"] == "dnsrr"
    assert spec.notes == ["service web: endpoint_mode dnsrr instead of vip "
                          "(the service name resolves to the task addresses, no virtual IP)"]


def test_no_ipvs_without_anything_to_adapt_has_no_notes():
    v = {"hive_endpoint_mode": "dnsrr",
         "hive_ports": [{"published_port": 80, "target_port": 80, "protocol": "tcp", "mode": "host"}]}
    assert params(v, ipvs_available=False).notes == []


def test_with_ipvs_nothing_is_adapted():
    spec = params({"hive_ports": [{"published_port": 80, "target_port": 80, "protocol": "tcp"}]})
    assert spec.notes == [] and "endpoint_mode" not in spec.params and "mode" not in spec.params["publish"][0]


def test_adaptation_summary_states_the_reason_once():
    notes = params({}, ipvs_available=False).notes + params({}, name="db", ipvs_available=False).notes
    text = adaptation_summary(notes)
    assert text.count("IPVS") == 1 and "service web" in text and "service db" in text
    assert adaptation_summary([]) == ""


# ---------------------------------------------------------------- image resolution (§14.6 item 54)


def test_string_image_resolves_to_itself():
    assert resolve_image({"hive_image": "nginx:1.25"}, None, "private", REGISTRY) == "nginx:1.25"


def test_build_spec_resolves_to_registry_latest_or_given_tag():
    svc = {"inventory_hostname": "pdnsdb", "hive_image_name": "image_pdnsdb"}
    image = {"hive_from": "mariadb:10", "hive_roles": ["r"]}
    assert resolve_image(svc, image, "private", REGISTRY) == "p-hive0.pdns:5000/image_pdnsdb:latest"
    assert (resolve_image(svc, image, "private", REGISTRY, tag="20261128033000-abc")
            == "p-hive0.pdns:5000/image_pdnsdb:20261128033000-abc")


def test_build_spec_in_pull_on_stage_resolves_to_pull_from():
    svc = {"hive_image_name": "image_pdnsdb"}
    image = {"hive_from": "mariadb:10", "hive_pull_on": ["production"], "hive_pull_from": "ext.io/pdnsdb:1"}
    assert resolve_image(svc, image, "production", REGISTRY) == "ext.io/pdnsdb:1"
    assert resolve_image(svc, image, "staging", REGISTRY) == "p-hive0.pdns:5000/image_pdnsdb:latest"


def test_image_resolution_errors():
    with pytest.raises(InventoryError, match="service pdnsdb.*image.pull_from"):
        resolve_image({"hive_image_name": "image_pdnsdb"}, {"hive_pull_on": ["private"]}, "private", REGISTRY)
    with pytest.raises(InventoryError, match="service web.*no image"):
        resolve_image({"inventory_hostname": "web"}, None, "private", REGISTRY)
    with pytest.raises(HiveError, match="image_pdnsdb is missing"):
        resolve_image({"hive_image_name": "image_pdnsdb"}, None, "private", REGISTRY)


# ---------------------------------------------------------------- force update (§14.6 item 57)


def test_force_update_when_a_running_image_differs_from_the_pulled_one():
    pulled = {"p-hive0.pdns": "sha256:new", "p-hive1.pdns": "sha256:new"}
    assert needs_force_update({"p-hive0.pdns": "sha256:new", "p-hive1.pdns": "sha256:old"}, pulled) is True
    assert needs_force_update({"p-hive0.pdns": ["sha256:new", "sha256:old"]}, pulled) is True


def test_no_force_update_when_all_running_images_are_current():
    pulled = {"p-hive0.pdns": "sha256:new", "p-hive1.pdns": "sha256:other"}
    assert needs_force_update({"p-hive0.pdns": "sha256:new", "p-hive1.pdns": ["sha256:other"]}, pulled) is False
    assert needs_force_update({}, pulled) is False


def test_force_update_matches_short_node_names_and_ids_without_prefix():
    pulled = {"p-hive0.pdns": "sha256:abc"}
    assert needs_force_update({"p-hive0": "abc"}, pulled) is False
    assert needs_force_update({"p-hive0": "def"}, pulled) is True


def test_node_without_pull_result_is_no_reason_to_force():
    assert needs_force_update({"p-hive9": "sha256:old"}, {"p-hive0": "sha256:new"}) is False


# ---------------------------------------------------------------- convergence


def task(name, node, desired, current, error="", **extra):
    return {"Name": name, "Node": node, "DesiredState": desired, "CurrentState": current, "Error": error, **extra}


def test_converged_when_all_desired_tasks_run():
    tasks = [task("web.1", "p-hive0", "Running", "Running 5 seconds ago"),
             task("web.2", "p-hive1", "Running", "Running 4 seconds ago"),
             task("web.1", "p-hive0", "Shutdown", "Failed 1 minute ago", "task: non-zero exit (1)")]
    assert convergence_report(tasks, service="web") == (True, "service web: 2/2 tasks running")


def test_pending_for_placement_reports_scheduler_error():
    err = "no suitable node (scheduling constraints not satisfied on 3 nodes)"
    ok, message = convergence_report([task("web.1", "", "Running", "Pending 3 seconds ago", err)], service="web")
    assert ok is False
    assert "0/1 tasks running" in message and err in message and "placement constraints" in message


def test_image_pull_failure_from_rejected_history():
    tasks = [task("web.1", "p-hive1", "Ready", "Preparing 1 second ago"),
             task("web.1", "p-hive0", "Shutdown", "Rejected 3 seconds ago",
                  "No such image: p-hive0.pdns:5000/image_web:latest")]
    tasks[0]["DesiredState"] = "Running"
    ok, message = convergence_report(tasks, service="web")
    assert not ok and "image cannot be pulled" in message and "web.1 on p-hive0" in message


def test_exit_code_of_failed_task():
    tasks = [task("db.1", "p-hive2", "Running", "Starting 1 second ago"),
             task("db.1", "p-hive2", "Shutdown", "Failed 5 seconds ago", "task: non-zero exit (137)")]
    ok, message = convergence_report(tasks, service="db")
    assert not ok and "task exited with code 137" in message


def test_healthcheck_required_when_service_has_one():
    running = task("web.1", "p-hive0", "Running", "Running 2 seconds ago")
    assert convergence_report([dict(running, healthy=True)], has_healthcheck=True)[0] is True
    ok, message = convergence_report([dict(running, health="starting")], service="web", has_healthcheck=True)
    assert not ok and "health starting" in message and "0/1 tasks running and healthy" in message
    ok, message = convergence_report([running], has_healthcheck=True)
    assert not ok and "health unknown" in message
    # without a health check, health is not looked at
    assert convergence_report([dict(running, healthy=False)])[0] is True


def test_expected_replicas_not_yet_created():
    tasks = [task("web.1", "p-hive0", "Running", "Running 2 seconds ago")]
    ok, message = convergence_report(tasks, service="web", expected=3)
    assert not ok and "1/3" in message
    assert convergence_report([], expected=0)[0] is True


def test_snake_case_tasks_and_plain_waiting_message():
    tasks = [{"name": "web.1", "node": "n1", "desired_state": "running", "current_state": "preparing"}]
    ok, message = convergence_report(tasks, service="web")
    assert not ok and message == "service web: 0/1 tasks running; web.1 on n1: preparing"


# ---------------------------------------------------------------- Ansible filter adapter


def _filters():
    import importlib.util
    from pathlib import Path

    import hive_builder
    path = Path(hive_builder.__file__).parent / "plugins" / "filter" / "hive_deploy_filters.py"
    spec = importlib.util.spec_from_file_location("hive_deploy_filters_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FilterModule().filters()


def test_filter_plugin_exposes_the_deploy_functions():
    f = _filters()
    result = f["hive_swarm_service"]({"hive_ports": [{"published_port": 80, "target_port": 80}]}, "web", "nginx",
                                     REPO_HOST, "10514", {}, "false", ["net"])
    assert result["params"]["publish"][0]["mode"] == "host" and len(result["notes"]) == 2
    assert f["hive_convergence"]([], "web", False, "0") == {"ok": True, "message": "service web: 0/0 tasks running"}
    assert f["hive_service_image"]({"hive_image": "x:1"}, None, "private", REGISTRY) == "x:1"


def test_filter_plugin_turns_user_errors_into_filter_errors():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="service web, attribute 'mode'"):
        _filters()["hive_swarm_service"]({"hive_mode": "job"}, "web", "nginx", REPO_HOST)


# ---------------------------------------------------------------- through the module's own conversion


def test_module_converts_full_params_into_the_intended_engine_spec():
    from tests.unit.render_module_specs import swarm_api_service
    api = swarm_api_service(params(FULL, name="powerdns", image="pdns@sha256:1").params)
    container = api["task_template"]["ContainerSpec"]
    assert container["Command"] == ["/usr/sbin/pdns_server"] and container["Args"] == ["--loglevel", "9"]
    assert container["Healthcheck"]["Interval"] == 90 * 10**9
    assert [m["Type"] for m in container["Mounts"]] == ["bind", "tmpfs", "tmpfs", "volume"]
    assert container["Hosts"] == ["10.0.0.5 db.local"]
    assert api["task_template"]["RestartPolicy"]["Window"] == 120 * 10**9
    assert api["task_template"]["Placement"]["MaxReplicas"] == 1
    assert api["mode"] == {"replicated": {"Replicas": 2}}
    assert api["labels"]["HIVE_STANDALONE"] == "True"


def test_module_converts_no_ipvs_params_into_dnsrr_and_host_ports():
    from tests.unit.render_module_specs import swarm_api_service
    v = {"hive_ports": [{"published_port": 80, "target_port": 8080, "protocol": "tcp"}]}
    api = swarm_api_service(params(v, ipvs_available=False).params)
    assert api["endpoint_spec"]["Mode"] == "dnsrr"
    assert api["endpoint_spec"]["Ports"] == [{"Protocol": "tcp", "PublishMode": "host", "PublishedPort": 80,
                                              "TargetPort": 8080}]
    assert api["task_template"]["LogDriver"] == {"Name": "syslog", "Options": {
        "syslog-address": "udp://p-hive0.pdns:10514", "syslog-facility": "local0", "tag": "web"}}


# ---------------------------------------------------------------- real `docker service ps` output
# Captured from a one-node swarm (engine 20.10.24, Debian 12) with
# `docker service ps --no-trunc --format '{{json .}}' <svc>` (ID/Image/Ports fields dropped).

REAL_PS = {
    "good": [{"CurrentState": "Running 34 seconds ago", "DesiredState": "Running", "Error": "",
              "Name": "good.1", "Node": "hdfnode0"}],
    "unplaceable": [{"CurrentState": "Pending 38 seconds ago", "DesiredState": "Running",
                     "Error": "\"no suitable node (scheduling constraints not satisfied on 1 node)\"",
                     "Name": "unplaceable.1", "Node": ""}],
    "crashing": [{"CurrentState": "Starting 1 second ago", "DesiredState": "Running", "Error": "",
                  "Name": "crashing.1", "Node": "hdfnode0"},
                 {"CurrentState": "Failed 2 seconds ago", "DesiredState": "Shutdown",
                  "Error": "\"task: non-zero exit (3)\"", "Name": "crashing.1", "Node": "hdfnode0"},
                 {"CurrentState": "Failed 5 seconds ago", "DesiredState": "Shutdown",
                  "Error": "\"task: non-zero exit (3)\"", "Name": "crashing.1", "Node": "hdfnode0"}],
    "badimage": [{"CurrentState": "Rejected 1 second ago", "DesiredState": "Ready",
                  "Error": "\"No such image: hdf.invalid/nothing:1\"", "Name": "badimage.1", "Node": "hdfnode0"},
                 {"CurrentState": "Rejected 6 seconds ago", "DesiredState": "Shutdown",
                  "Error": "\"No such image: hdf.invalid/nothing:1\"", "Name": "badimage.1", "Node": "hdfnode0"}],
    "unhealthy": [{"CurrentState": "Ready 2 seconds ago", "DesiredState": "Ready", "Error": "",
                   "Name": "unhealthy.1", "Node": "hdfnode0"},
                  {"CurrentState": "Failed 3 seconds ago", "DesiredState": "Shutdown",
                   "Error": "\"task: non-zero exit (137): dockerexec: unhealthy container\"",
                   "Name": "unhealthy.1", "Node": "hdfnode0"}],
    "portclash": [{"CurrentState": "Pending 15 seconds ago", "DesiredState": "Running",
                   "Error": "\"no suitable node (host-mode port already in use on 1 node)\"",
                   "Name": "portclash.1", "Node": ""}],
}


def test_real_running_healthy_service_converges():
    tasks = [dict(t, healthy=True) for t in REAL_PS["good"]]
    assert convergence_report(tasks, service="good", has_healthcheck=True, expected=1) == (
        True, "service good: 1/1 tasks running and healthy")


@pytest.mark.parametrize(("svc", "expected"), [
    ("unplaceable", 'unplaceable.1: no suitable node (scheduling constraints not satisfied on 1 node) — check '
                    "placement constraints"),
    ("crashing", "crashing.1 on hdfnode0: task exited with code 3 (task: non-zero exit (3))"),
    ("badimage", "badimage.1 on hdfnode0: image cannot be pulled (No such image: hdf.invalid/nothing:1)"),
    ("unhealthy", "unhealthy.1 on hdfnode0: health check failed"),
    ("portclash", "a published port is taken on every node"),
])
def test_real_failures_are_explained(svc, expected):
    ok, message = convergence_report(REAL_PS[svc], service=svc, expected=1)
    assert ok is False
    assert message.startswith(f"service {svc}: 0/1 tasks running; ")
    assert expected in message
    assert '"' not in message      # the CLI's quotes around the error are removed


def test_restart_config_without_condition_keeps_dockers_default_any():
    from hive_builder.render.swarm_service import _restart_config
    assert _restart_config("s", {"delay": "1s"})["condition"] == "any"
    assert _restart_config("s", {"condition": "on-failure"})["condition"] == "on-failure"


def test_standalone_service_boots_init_through_the_cgroup_wrapper():
    p = swarm_service_params("sd", {"hive_standalone": True}, image="i", registry_host="r").params
    assert p["command"] == sd.INIT_WRAPPER and p["args"] == ["/sbin/init"]
    assert p["cap_add"] == list(sd.CAPABILITIES)
    assert p["labels"]["HIVE_STANDALONE"] == "True"
    own = swarm_service_params("sd", {"hive_standalone": True, "hive_command": ["/lib/systemd/systemd", "--unit=x"]},
                               image="i", registry_host="r").params
    assert own["command"] == sd.INIT_WRAPPER and own["args"] == ["/lib/systemd/systemd", "--unit=x"]
    entry = swarm_service_params("sd", {"hive_standalone": True, "hive_entrypoint": ["/init.sh"]},
                                 image="i", registry_host="r").params
    assert entry["command"] == ["/init.sh"] and "args" not in entry
    micro = swarm_service_params("m", {}, image="i", registry_host="r").params
    assert "cap_add" not in micro and "command" not in micro


def test_cgroup_wrapper_passes_its_arguments_to_exec():
    script = sd.INIT_WRAPPER[2]
    assert sd.INIT_WRAPPER[:2] == ["/bin/sh", "-c"] and script.endswith('exec "$@"')
    assert "mount -t cgroup2" in script and "cgroup2fs" in script
