"""deploy-services parameters (reference §4.3-§4.9, §6.6, §14.6; decisions item 12).

Values are normalised by the model's table (tests/unit/test_model_service_attrs.py); these tests
check the assembly into docker_swarm_service parameters. Rollout and convergence:
test_render_rollout.py; what deploy.yml passes: test_render_swarm_service_playbook.py.
"""

from __future__ import annotations

import pytest
from ansible_collections.community.docker.plugins.module_utils.util import (convert_duration_to_nanosecond,
                                                                            parse_healthcheck)

from hive_builder.errors import HiveError, InventoryError
from hive_builder.render import standalone as sd
from hive_builder.model.service_attrs import normalise
from hive_builder.render.swarm_service import (EMITTED_PARAMS, adaptation_summary, default_logging,
                                               proxy_environment, resolve_image, swarm_service_params)
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
                       "replicas_max_per_node": 1},
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
    with pytest.raises(InventoryError, match=r"service web, port #1 \(9/sctp\), attribute 'protocol'.*sctp"):
        params({"hive_ports": [{"published_port": 9, "target_port": 9, "protocol": "sctp"}]})


def test_mount_without_source_is_only_allowed_for_tmpfs():
    with pytest.raises(InventoryError, match=r"service web, volume #1, attribute 'source'"):
        params({"hive_volumes": [{"source": "", "target": "/x", "type": "bind"}]})
    with pytest.raises(InventoryError, match=r"volume 'a' \(#1\), attribute 'type'"):
        params({"hive_volumes": [{"source": "a", "target": "/x", "type": "nfs"}]})
    with pytest.raises(InventoryError, match="a tmpfs has no source"):
        params({"hive_volumes": [{"source": "a", "target": "/x", "type": "tmpfs"}]})
    assert params({"hive_volumes": [{"source": "", "target": "/x", "type": "tmpfs"}]}).params["mounts"] == [
        {"target": "/x", "type": "tmpfs"}]


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
    with pytest.raises(InventoryError, match="unknown parameter 'start_interval'"):
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
                                      "start_period": "1m", "retries": 2}}).params["healthcheck"]
    assert hc == {"test": ["CMD-SHELL", "curl -f http://localhost/"], "interval": "30s", "timeout": "1s500ms",
                  "start_period": "1m", "retries": 2}
    # the module's (and the reference's) way to turn off the image's check; compose's `disable` is
    # refused by the model (test_model_service_attrs.py)
    assert params({"hive_healthcheck": {"test": ["NONE"]}}).params["healthcheck"] == {"test": ["NONE"]}
    with pytest.raises(InventoryError, match="healthcheck.test"):
        params({"hive_healthcheck": {"test": ["curl", "x"]}})
    with pytest.raises(InventoryError, match="attribute 'healthcheck.test': test must be specified"):
        params({"hive_healthcheck": {"interval": "1s"}})


def test_hosts_accepts_compose_list_form():
    assert params({"hive_hosts": ["a:1.2.3.4", "b=fe80::1"]}).params["hosts"] == {"a": "1.2.3.4", "b": "fe80::1"}
    with pytest.raises(InventoryError, match="hosts"):
        params({"hive_hosts": ["nameonly"]})


def test_dns_list_and_placement_max_replicas():
    p = params({"hive_dns": ["1.1.1.1", "8.8.8.8"], "hive_placement": {"replicas_max_per_node": 2}}).params
    assert p["dns"] == ["1.1.1.1", "8.8.8.8"] and p["placement"] == {"replicas_max_per_node": 2}
    with pytest.raises(InventoryError, match="placement.max_replicas_per_node.*replicas_max_per_node"):
        params({"hive_placement": {"max_replicas_per_node": 2}})


def test_later_attributes_are_mapped():                            # reference §4.11
    p = params({"hive_stop_grace_period": 90, "hive_cap_add": ["cap_net_admin", "SYS_TIME"],
                "hive_cap_drop": ["all"], "hive_sysctls": {"net.ipv4.ip_forward": 1},
                "hive_mem_limit": 1073741824}).params
    assert p["stop_grace_period"] == "1m30s"
    assert p["cap_add"] == ["NET_ADMIN", "SYS_TIME"] and p["cap_drop"] == ["ALL"]
    assert p["sysctls"] == {"net.ipv4.ip_forward": "1"}
    assert p["limits"] == {"memory": "1073741824"}
    assert params({"hive_cpu_limit": 2}).params["limits"] == {"cpus": 2.0}


def test_every_emitted_parameter_is_a_module_option_listed_in_emitted_params():
    from tests.unit.render_module_specs import swarm_service_spec
    assert EMITTED_PARAMS <= set(swarm_service_spec())
    for ipvs in (True, False):
        assert set(params(FULL, name="powerdns", ipvs_available=ipvs).params) <= EMITTED_PARAMS
    # every parameter of the table is reached by FULL: no dead entry in EMITTED_PARAMS
    assert set(params(FULL, name="powerdns", proxy_env={"HTTP_PROXY": "http://p:3128"}).params) == EMITTED_PARAMS

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


def test_restart_config_without_condition_keeps_dockers_default_any():
    assert normalise("s", "restart_config", {"delay": "1s"})["condition"] == "any"
    assert normalise("s", "restart_config", {"condition": "on-failure"})["condition"] == "on-failure"
    assert params({"hive_restart_config": {"window": "1m"}}).params["restart_config"] == {"condition": "any",
                                                                                         "window": "1m"}


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
