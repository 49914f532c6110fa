"""Service definitions (reference §4, §14.3)."""

from __future__ import annotations

import pytest

from hive_builder.model import MemoryStore
from tests.fixtures.inventories.builders import errors, load, messages, private, write
from tests.fixtures.inventories.builders import services as bare_services


def services(svcs, **file_keys):
    """builders.services with an image on every service that has none (image is required)."""
    return bare_services({name: {"image": "x", **body}
                          if isinstance(body, dict) and "image" not in body else body
                          for name, body in svcs.items()}, **file_keys)


def site_with(tmp_path, svcs, store=None, **file_keys):
    return load(write(tmp_path, private(), services(svcs, **file_keys)), store=store)


def svc_errors(tmp_path, svcs, **file_keys):
    return messages(write(tmp_path, private(), services(svcs, **file_keys)))


def ports_of(site, name):
    return site.hostvars()[name]["hive_ports"]


def test_case15_short_syntax_ports(tmp_path):
    store = MemoryStore()
    site = site_with(tmp_path, {"powerdns": {"image": "x", "ports": ["53:53/tcp", "8081",
                                                                     "53:53/udp"]}}, store)
    assert ports_of(site, "powerdns") == [
        {"published_port": 53, "target_port": 53, "protocol": "tcp"},
        {"published_port": 61001, "target_port": 8081, "protocol": "tcp"},
        {"published_port": 53, "target_port": 53, "protocol": "udp"}]
    assert store.get("published_port_map", "private") == {
        "powerdns/53/tcp": 53, "powerdns/8081/tcp": 61001, "powerdns/53/udp": 53}


def test_case16_stable_and_never_reused(tmp_path):
    store = MemoryStore()
    first = {"powerdns": {"image": "x", "ports": ["8081"]}, "web": {"image": "x", "ports": ["80"]}}
    assert ports_of(site_with(tmp_path / "a", first, store), "web")[0]["published_port"] == 61002
    again = site_with(tmp_path / "b", first, store)
    assert ports_of(again, "web")[0]["published_port"] == 61002
    assert ports_of(again, "powerdns")[0]["published_port"] == 61001
    replaced = {"powerdns": {"image": "x", "ports": ["8081"]}, "other": {"image": "x",
                                                                         "ports": ["80"]}}
    assert ports_of(site_with(tmp_path / "c", replaced, store), "other")[0]["published_port"] \
        == 61003
    assert store.get("published_port_map", "private")["web/80/tcp"] == 61002


def test_case17_long_syntax_defaults_to_tcp(tmp_path):
    site = site_with(tmp_path, {"s": {"image": "x", "ports": [{"target_port": 81},
                                                              {"target_port": 82,
                                                               "protocol": "udp",
                                                               "mode": "host"}]}})
    assert ports_of(site, "s") == [
        {"target_port": 81, "protocol": "tcp", "published_port": 61001},
        {"target_port": 82, "protocol": "udp", "published_port": 61002, "mode": "host"}]


def test_case18_unknown_protocol(tmp_path):
    (err,) = errors(write(tmp_path, private(), services({"web": {"ports": ["80/xyz"]}})))
    assert (err.file, err.obj) == ("services.yml", "service web, port '80/xyz'")
    assert "unknown protocol 'xyz'" in err.message


def test_case19_explicit_port_conflicts_are_errors(tmp_path):
    text = svc_errors(tmp_path, {"a": {"ports": ["8080:80"]}, "b": {"ports": ["8080:81"]}})
    assert "published port 8080 is already used by port a/80/tcp" in text
    store = MemoryStore({"published_port_map": {"private": {"a/80/tcp": 61001}}})
    text = "\n".join(map(str, errors(write(tmp_path / "2", private(), services(
        {"a": {"ports": ["80"]}, "b": {"ports": ["61001:81"]}})), store=store)))
    assert "61001 was assigned automatically to port a/80/tcp" in text


def test_same_number_different_protocols_is_fine(tmp_path):
    site = site_with(tmp_path, {"a": {"ports": ["53:53/tcp"]}, "b": {"ports": ["53:53/udp"]}})
    assert ports_of(site, "b")[0]["published_port"] == 53


def test_explicit_port_claimed_before_auto_regardless_of_order(tmp_path):
    site = site_with(tmp_path, {"a": {"ports": ["80"]}, "b": {"ports": ["61001:81"]}})
    assert ports_of(site, "a")[0]["published_port"] == 61002


def test_same_target_twice_in_one_service(tmp_path):
    assert "target port 80/tcp is listed twice" in svc_errors(
        tmp_path, {"a": {"ports": ["80", "8080:80"]}})


def drbd(source, **spec):
    return {"source": source, "target": f"/{source}", "type": "volume",
            "drbd": {"fstype": "xfs", "size": "1G", **spec}}


def test_case20_device_ids(tmp_path):
    store = MemoryStore()
    site = site_with(tmp_path, {"s1": {"volumes": [drbd("a"), drbd("b"), drbd("c", device_id=3)]},
                                "s2": {"volumes": [drbd("d")]}}, store)
    hv = site.hostvars()
    assert [hv[f"volume_{v}"]["hive_volume"]["drbd"]["device_id"] for v in "abcd"] == [1, 2, 3, 4]
    assert store.get("drbd_device_map", "private") == {"a": 1, "b": 2, "c": 3, "d": 4}
    text = svc_errors(tmp_path / "dup", {"s1": {"volumes": [drbd("a", device_id=5)]},
                                         "s2": {"volumes": [drbd("b", device_id=5)]}})
    assert ("service s2, volume 'b' (#1), attribute 'device_id': device_id 5 is already used by "
            "volume a") in text


def test_shared_volume_one_id_and_consistent_definition(tmp_path):
    site = site_with(tmp_path, {"s1": {"volumes": [drbd("a")]}, "s2": {"volumes": [drbd("a")]}})
    assert site.device_ids == {"a": 1}
    assert site.volumes["a"].services == ("s1", "s2")
    text = svc_errors(tmp_path / "x", {"s1": {"volumes": [drbd("a")]},
                                       "s2": {"volumes": [drbd("a", size="2G")]}})
    assert "different driver/drbd settings" in text


def test_case21_standalone_mounts(tmp_path):
    site = site_with(tmp_path, {"s": {"standalone": True, "image": {"from": "centos:8",
                                                                   "roles": ["r"]},
                                      "volumes": [{"source": "/data", "target": "/data",
                                                   "type": "bind"}]}})
    hv = site.hostvars()
    assert hv["s"]["hive_volumes"] == [
        {"source": "/sys/fs/cgroup", "target": "/sys/fs/cgroup", "type": "bind", "readonly": True},
        {"source": "", "target": "/run", "type": "tmpfs"},
        {"source": "", "target": "/tmp", "type": "tmpfs"},
        {"source": "/data", "target": "/data", "type": "bind"}]
    assert hv["s"]["hive_standalone"] is True
    assert hv["image_s"]["hive_standalone"] is True and "hive_privileged" not in hv["image_s"]


def test_case22_image_build_spec(tmp_path):
    site = site_with(tmp_path, {"s": {"image": {"from": "centos:8", "roles": ["r1"],
                                                "standalone": True}}},
                     available_on=["private", "staging"])
    hv, groups = site.hostvars(), site.groups()
    assert hv["s"]["hive_image_name"] == "image_s"
    assert (hv["image_s"]["hive_from"], hv["image_s"]["hive_roles"],
            hv["image_s"]["hive_standalone"]) == ("centos:8", ["r1"], True)
    assert hv["s"]["hive_volumes"] == []  # image-level standalone adds no mounts
    assert "image_s" in groups["images"]["hosts"] and "image_s" in groups["staging"]["hosts"]
    assert "image_s" not in groups.get("production", {}).get("hosts", [])


@pytest.mark.parametrize("image, expected", [
    ({"roles": ["r"]}, '"from" must be specified'),
    ({"from": "a"}, "roles must be specified"),
    ({"from": "a", "roles": [], "pull_from": "x"}, "pull_on must be specified together with "
                                                   "pull_from"),
    ({"from": "a", "roles": [], "pull_on": ["private"]}, "pull_from must be specified together"),
    ({"from": "a", "roles": [], "foo": 1}, "unknown parameter 'foo' in an image build spec"),
    (5, "expected an image reference (string) or a build spec (mapping), found a number (5)"),
])
def test_case23_image_errors(tmp_path, image, expected):
    assert expected in svc_errors(tmp_path, {"s": {"image": image}})


def test_case24_unknown_service_key(tmp_path):
    (err,) = errors(write(tmp_path, private(), services({"s1": {"resources": {}}})))
    assert (err.obj, err.attr) == ("service s1", "resources")
    assert "unknown parameter 'resources' in a service" in err.message


@pytest.mark.parametrize("volume, expected", [
    ("a:/b", "short syntax 'a:/b' is not supported"),
    ({"source": "a"}, 'both "source" and "target" must be specified'),
    ({"source": "a", "target": "/a", "driver": "local", "drbd": {"fstype": "xfs", "size": "1G"}},
     'both "driver" and "drbd" cannot be specified'),
    ({"source": "a", "target": "/a", "type": "volume", "foo": 1}, "unknown parameter 'foo'"),
    ({"source": "a", "target": "/a", "drbd": {"size": "1G"}}, "fstype must be specified"),
    ({"source": "a", "target": "/a", "drbd": {"fstype": "btrfs", "size": "1G"}},
     "expected one of xfs, ext4"),
    ({"source": "a", "target": "/a", "drbd": {"fstype": "xfs"}}, "size must be specified"),
    ({"source": "a", "target": "/a", "drbd": {"fstype": "xfs", "size": "lots"}},
     "expected a size with unit such as 500M"),
    ({"source": "a", "target": "/a", "drbd": {"fstype": "xfs", "size": "1G", "device_id": 256}},
     "between 1 and 255"),
    ({"source": "a", "target": "/a", "drbd": {"fstype": "xfs", "size": "1G",
                                              "diskless": ["nohost"]}},
     "diskless host nohost is not a server"),
    ({"source": "data", "target": "/a"}, "a bind mount needs an absolute host path"),
    (7, "expected a mapping, found a number (7)"),
])
def test_case25_volume_errors(tmp_path, volume, expected):
    assert expected in svc_errors(tmp_path, {"s": {"volumes": [volume]}})


def test_volume_error_names_the_volume(tmp_path):
    (err,) = errors(write(tmp_path, private(), services(
        {"web": {"volumes": [{"source": "/a", "target": "/a"}, {"source": "a"}]}})))
    assert err.obj == "service web, volume 'a' (#2)"


def test_volume_without_usable_source_is_named_by_position(tmp_path):
    errs = errors(write(tmp_path, private(), services(
        {"web": {"volumes": [{"target": "/a"}, {"source": "", "target": "/t", "type": "tmpfs",
                                                "bogus": 1}, {"source": 7, "target": "/x"}]}})))
    assert [e.obj for e in errs][:2] == ["service web, volume #1", "service web, volume #2"]
    assert "service web, volume #3" in [e.obj for e in errs]


def test_volume_named_by_source_in_cross_checks(tmp_path):
    text = messages(write(tmp_path, private(), services({
        "s1": {"volumes": [{"source": "data", "target": "/d", "driver": "local"}]},
        "s2": {"volumes": [{"source": "/etc", "target": "/e"},
                           {"source": "data", "target": "/d", "driver": "other"}]}})))
    assert "service s2, volume 'data' (#2): volume data is also created by service s1" in text


def test_service_without_image_is_an_error_naming_file_service_and_attribute(tmp_path):
    (err,) = errors(write(tmp_path, private(), bare_services(
        {"web": {"image": "nginx:1"}, "data": {"volumes": [{"source": "v", "target": "/v", "type": "volume"}]}})))
    assert (err.file, err.obj, err.attr) == ("services.yml", "service data", "image")
    assert "cannot be deployed" in err.message


def test_service_without_image_is_an_error_even_off_stage(tmp_path):
    (err,) = errors(write(tmp_path, private(), bare_services(
        {"web": {"available_on": ["production"]}})))
    assert (err.obj, err.attr) == ("service web", "image")


def test_driver_volume_host(tmp_path):
    site = site_with(tmp_path, {"s": {"volumes": [{"source": "v", "target": "/v",
                                                   "driver": "local",
                                                   "driver_opts": {"type": "tmpfs"}}]}})
    hv = site.hostvars()
    assert hv["volume_v"]["hive_volume"] == {"name": "v", "driver": "local",
                                            "driver_options": {"type": "tmpfs"}}
    assert hv["s"]["hive_volumes"] == [{"source": "v", "target": "/v", "type": "volume"}]
    assert "volume_v" in site.groups()["volumes"]["hosts"]


def test_case26_available_on(tmp_path):
    assert "expected stage names among private, staging, production, found 'dev'" in \
        svc_errors(tmp_path, {"s": {"available_on": ["dev"]}})
    site = site_with(tmp_path / "ok", {"s": {"available_on": ["production"],
                                             "image": {"from": "a", "roles": []},
                                             "volumes": [drbd("v")]}})
    groups = site.groups()
    assert set(groups["production"]["hosts"]) >= {"s", "image_s", "volume_v"}
    assert not {"s", "image_s", "volume_v"} & set(groups.get("private", {}).get("hosts", []))


def test_out_of_stage_services_get_no_auto_allocation(tmp_path):
    store = MemoryStore()
    site = site_with(tmp_path, {"s": {"available_on": ["production"], "ports": ["80", "81:81"],
                                      "volumes": [drbd("v")]}}, store)
    assert ports_of(site, "s") == [{"target_port": 80, "protocol": "tcp"},
                                   {"target_port": 81, "protocol": "tcp", "published_port": 81}]
    assert "device_id" not in site.hostvars()["volume_v"]["hive_volume"]["drbd"]
    assert store.data == {}


def test_case27_networks(tmp_path):
    site = site_with(tmp_path, {}, networks={"mynet": {"ipam": {"config": [
        {"subnet": "10.9.0.0/24"}]}}}, available_on=["private"])
    hv, groups = site.hostvars(), site.groups()
    assert groups["networks"]["hosts"] == ["mynet", "hive_default_network"]
    assert hv["mynet"]["hive_ipam"] == {"config": [{"subnet": "10.9.0.0/24"}]}
    assert "hive_default_network" in groups["private"]["hosts"]
    assert "unknown parameter 'foo' in a network" in svc_errors(
        tmp_path / "bad", {}, networks={"n": {"foo": 1}})
    assert "network nowhere is not defined" in svc_errors(
        tmp_path / "ref", {"s": {"networks": ["nowhere"]}})


def test_case28_labels_pass_through(tmp_path):
    site = site_with(tmp_path, {"s": {"labels": {"L1": {"a": 1}, "L2": 3}}})
    assert site.hostvars()["s"]["hive_labels"] == {"L1": {"a": 1}, "L2": 3}


@pytest.mark.parametrize("attrs, expected", [
    ({"mode": "daemon"}, "expected one of replicated, global"),
    ({"endpoint_mode": "VIP"}, "expected one of vip, dnsrr"),
    ({"replicas": "two"}, "expected an integer >= 0"),
    ({"mode": "global", "replicas": 2}, "replicas cannot be used with mode global"),
    ({"command": {"a": 1}}, "expected a list of strings or numbers"),
    ({"environment": [1]}, "expected a list of strings"),
    ({"backup_scripts": [{"directory": "/a"}]}, "name must be specified"),
    ({"backup_scripts": [{"name": "a", "directory": "/a", "backup_command": "x"}]},
     "directory and backup_command are exclusive"),
    ({"backup_scripts": "nightly"}, "expected a list"),
    ({"monitor_error": "Error"}, "expected a list of strings"),
    ({"placement": {"constraint": []}}, "unknown parameter 'constraint'"),
    ({"standalone": "yes"}, "expected true or false"),
])
def test_attribute_validation(tmp_path, attrs, expected):
    assert expected in svc_errors(tmp_path, {"s": attrs})


def test_all_errors_of_a_file_are_reported(tmp_path):
    errs = errors(write(tmp_path, private(), services(
        {"a": {"mode": "x"}, "b": {"ports": ["80/xyz"]}, "c": {"image": 5}})))
    assert [e.obj.split(",")[0] for e in errs] == ["service a", "service b", "service c"]


def test_names(tmp_path):
    assert "reserved for hive-builder" in svc_errors(tmp_path, {"hive-x": {}})
    assert "expected a service name" in svc_errors(tmp_path / "2", {"web_1": {}})
    assert "also a group name" in svc_errors(tmp_path / "3", {"hives": {}})
    assert "also a network name" in svc_errors(tmp_path / "4", {"n": {}}, networks={"n": {}})


def test_duplicate_service_across_files(tmp_path):
    d = write(tmp_path, private(), services({"web": {}}), services({"web": {}}))
    text = messages(d)
    assert "services1.yml, service web: service web is already defined in services.yml" in text


def test_service_named_like_a_server_is_impossible(tmp_path):
    # server names always contain the hive name after a dot; service names cannot contain dots
    assert "expected a service name" in svc_errors(tmp_path, {"hive0.pdns": {}})


def test_case29_broken_file_is_an_error_not_skipped(tmp_path):
    d = write(tmp_path, private(), raw={"services.yml": "plugin: hive_services\nservices: [\n"})
    (err,) = errors(d)
    assert err.file == "services.yml" and "invalid YAML: line" in err.message


def test_file_level_errors(tmp_path):
    d = write(tmp_path, private(), raw={"a.yml": "- just a list\n", "b.yml": "plugin: hive_services\n",
                                         "c.yml": "plugin: hive_services\nservices: {a: 1, a: 2}\n"})
    text = messages(d)
    assert "a.yml: expected a mapping at the top of the file, found a list" in text
    assert "c.yml: invalid YAML: line 2, column 18: duplicate key 'a'" in text
    # what the unreadable files define is unknown: the other files wait until they are fixed
    assert "b.yml" not in text and len(text.splitlines()) == 2
    (d / "a.yml").unlink()
    (d / "c.yml").unlink()
    assert "b.yml, attribute 'services': services must be specified" in messages(d)


def test_broken_yaml_is_reported_once_without_consequences(tmp_path):
    """Issue 10: the hive definition unreadable is not also 'no hive definition', a services
    file unreadable does not make the networks it defines 'not defined' elsewhere."""
    d = write(tmp_path, private(), raw={"hive.yml": "plugin: hive_inventory\nname: x\nstages:\n"
                                                    "  private:\n    cidr: \"10.0.0.0/24\n"})
    (err,) = errors(d)
    assert (err.file, err.obj, err.attr) == ("hive.yml", None, None)
    assert err.message == ("hive.yml: invalid YAML: line 6, column 1: found unexpected end of "
                           "stream (while scanning a quoted scalar that starts at line 5, "
                           "column 11)")
    d = write(tmp_path / "2", private(), services({"web": {"networks": ["back"]}}),
              raw={"nets.yml": "plugin: hive_services\nservices: {}\nnetworks:\n  back: {}\n"
                               " bad: indent\n"})
    (err,) = errors(d)
    assert err.file == "nets.yml" and err.message.startswith(
        "nets.yml: invalid YAML: line 5, column 2: did not find expected key")


def test_hive_definition_count(tmp_path):
    assert "found none" in messages(write(tmp_path, None, services({})))
    d = write(tmp_path / "two", private(), raw={"other.yml": "plugin: hive_inventory\nname: x\n"})
    assert "expected exactly one hive definition" in messages(d)


def test_unquoted_port_number_is_short_syntax(tmp_path):
    site = site_with(tmp_path, {"s": {"ports": [80, "8080:8080"]}})
    assert ports_of(site, "s") == [
        {"target_port": 80, "protocol": "tcp", "published_port": 61001},
        {"target_port": 8080, "protocol": "tcp", "published_port": 8080}]


def test_docker_provider_rules(tmp_path):
    hive = {"plugin": "hive_inventory", "name": "d", "stages": {"private": {
        "provider": "docker", "cidr": "10.0.0.0/24", "memory_size": 2048, "cpus": 2,
        "repository_instance_type": "x", "bridge": "br0"}}}
    text = messages(write(tmp_path, hive))
    assert "repository_instance_type cannot be specified when provider is docker" in text
    assert "bridge cannot be specified when provider is docker" in text
    assert "memory_size" not in text and "cpus" not in text
