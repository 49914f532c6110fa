"""Issue 10: messages name the key the user typed and suggest the closest valid name."""

from __future__ import annotations

import pytest

from hive_builder.cli.main import main
from hive_builder.errors import closest_name, did_you_mean
from tests.fixtures.inventories.builders import errors, hive_def, private, services, write

NGINX = {"image": "nginx"}
DRBD = {"source": "db", "target": "/db", "drbd": {"fstype": "xfs", "size": "1G"}}


@pytest.mark.parametrize("typed, candidates, expected", [
    ("separate_repo", ("separate_repository", "repository_cpus"), "separate_repository"),
    ("env", ("environment", "entrypoint"), "environment"),                  # unique prefix
    ("repo", ("repository_cpus", "repository_disk_size"), None),            # ambiguous prefix
    ("Device-ID", ("device_id", "size"), "device_id"),                      # case, '-'
    ("replica", ("replicas", "restart_config"), "replicas"),                # difflib
    ("deploy_services", ("deploy-services", "build-images"), "deploy-services"),
    ("foo", ("from", "roles"), None),
    (3, ("a",), None),
    ("", ("a",), None),
])
def test_closest_name(typed, candidates, expected):
    assert closest_name(typed, candidates) == expected
    assert did_you_mean(typed, candidates) == (f"; did you mean {expected!r}?" if expected else "")


def one_error(directory):
    (err,) = errors(directory)
    return err


def test_stage_key(tmp_path):
    err = one_error(write(tmp_path, private(separate_repo=False)))
    assert (err.file, err.obj, err.attr) == ("hive.yml", "stage private", "separate_repo")
    assert err.message.endswith("attribute 'separate_repo': unknown parameter 'separate_repo' in "
                                "a stage; did you mean 'separate_repository'?")


def test_unknown_key_without_a_close_name_lists_the_valid_ones(tmp_path):
    err = one_error(write(tmp_path, private(colour="red")))
    assert "unknown parameter 'colour' in a stage; expected one of provider, cidr, " in err.message
    assert "did you mean" not in err.message


@pytest.mark.parametrize("stage_name, provider, expected", [
    ("prod", "vagrant", "but specified prod; did you mean 'production'?"),
    ("private", "dockr", "but specified dockr; did you mean 'docker'?"),
])
def test_stage_name_and_provider(tmp_path, stage_name, provider, expected):
    hive = hive_def({stage_name: {"provider": provider, "cidr": "192.168.0.96/27",
                                  "separate_repository": False, "number_of_hosts": 1}})
    text = "\n".join(str(e) for e in errors(write(tmp_path, hive), stage="private"))
    assert expected in text


@pytest.mark.parametrize("service, obj, attr, expected", [
    ({**NGINX, "replica": 2}, "service s", "replica",
     "unknown parameter 'replica' in a service; did you mean 'replicas'?"),
    ({**NGINX, "env": {"A": 1}}, "service s", "env",
     "unknown parameter 'env' in a service; did you mean 'environment'?"),
    ({"image": {"from": "debian", "roles": [], "role": []}}, "service s, image", "role",
     "unknown parameter 'role' in an image build spec; did you mean 'roles'?"),
    ({**NGINX, "volumes": [{**DRBD, "targt": "/x"}]}, "service s, volume 'db' (#1)", "targt",
     "unknown parameter 'targt' in a volume; did you mean 'target'?"),
    ({**NGINX, "volumes": [{**DRBD, "drbd": {"fstype": "xfs", "size": "1G", "device_idx": 3}}]},
     "service s, volume 'db' (#1), drbd", "device_idx",
     "unknown parameter 'device_idx' in drbd; did you mean 'device_id'?"),
    ({**NGINX, "ports": [{"target_port": 80, "published": 8080}]}, "service s, port #1",
     "published", "unknown parameter 'published' in a port; did you mean 'published_port'?"),
    ({**NGINX, "ports": [{"target_port": 80, "protocol": "tpc"}]}, "service s, port #1",
     "protocol", "unknown protocol 'tpc': expected one of tcp, udp, sctp; did you mean 'tcp'?"),
    ({**NGINX, "mode": "replicatd"}, "service s", "mode",
     "did you mean 'replicated'?"),
    ({**NGINX, "available_on": ["prod"]}, "service s", "available_on",
     "found 'prod' (did you mean 'production'?)"),
])
def test_service_level_keys(tmp_path, service, obj, attr, expected):
    err = one_error(write(tmp_path, private(), services({"s": service})))
    assert (err.file, err.obj, err.attr) == ("services.yml", obj, attr)
    assert err.message.endswith(expected), err.message


def test_backup_script_key(tmp_path):
    svc = {**NGINX, "backup_scripts": [{"name": "db", "directory": "/d", "restore_cmd": "x"}]}
    err = one_error(write(tmp_path, private(), services({"s": svc})))
    assert err.attr == "restore_cmd"
    assert "did you mean 'restore_command'?" in err.message


def test_network_keys_and_names(tmp_path):
    err = one_error(write(tmp_path, private(), services({}, networks={"back": {"drivr": "x"}})))
    assert (err.obj, err.attr) == ("network back", "drivr")
    assert err.message.endswith("unknown parameter 'drivr' in a network; did you mean 'driver'?")
    err = one_error(write(tmp_path / "2", private(), services({"s": {**NGINX, "networks": ["bak"]}},
                                                              networks={"back": {}})))
    assert err.attr == "networks" and err.message.endswith("did you mean 'back'?")


def test_device_id_conflict_names_the_key(tmp_path):
    volume = {**DRBD, "drbd": {"fstype": "xfs", "size": "1G", "device_id": 5}}
    err = errors(write(tmp_path, private(), services({
        "a": {**NGINX, "volumes": [volume]},
        "b": {**NGINX, "volumes": [{**volume, "source": "db2"}]}})))[0]
    assert (err.obj, err.attr) == ("service b, volume 'db2' (#1)", "device_id")
    assert err.message.endswith("device_id 5 is already used by volume db")


def test_diskless_host_names_the_key(tmp_path):
    volume = {**DRBD, "drbd": {"fstype": "xfs", "size": "1G", "diskless": ["p-hive0.pdn"]}}
    err = one_error(write(tmp_path, private(), services({"s": {**NGINX, "volumes": [volume]}})))
    assert (err.obj, err.attr) == ("service s, volume 'db' (#1), drbd", "diskless")
    assert err.message.endswith("diskless host p-hive0.pdn is not a server of any stage; "
                                "did you mean 'p-hive0.pdns'?")


def test_hive_set_suggests_a_variable(tmp_path, capsys):
    assert main(["-r", str(tmp_path), "set", "stge", "staging"]) == 1
    assert "HIVE ERROR: unknown variable stge; did you mean 'stage'?" in capsys.readouterr().err
    assert main(["-r", str(tmp_path), "set", "start_phase", "deploy"]) == 1
    assert "did you mean 'deploy-services'?" in capsys.readouterr().err
    assert not (tmp_path / ".hive").exists()
