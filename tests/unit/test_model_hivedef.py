"""Hive definition -> stages, hosts, groups, host vars (reference §3, §14.1)."""

from __future__ import annotations

import pytest

from hive_builder.model import derived_host_vars
from tests.fixtures.inventories.builders import errors, hive_def, load, messages, private, write


def stage_of(tmp_path, stage_name="private", **stage):
    site = load(write(tmp_path, hive_def({stage_name: stage})), stage_name)
    return site, site.stages[stage_name]


def test_case1_single_combined_host(tmp_path):
    site, st = stage_of(tmp_path, provider="vagrant", separate_repository=False,
                        cidr="192.168.0.96/27", number_of_hosts=1, memory_size=4096,
                        mirrored_disk_size=10)
    assert st.host_names() == ["p-mother.pdns", "p-hive0.pdns"]
    (hive0,) = st.servers
    assert set(hive0.groups) == {"hives", "repository", "first_hive"}
    assert hive0.group_names == ["first_hive", "hives", "hosts", "private", "repository", "servers"]
    assert hive0.vars["hive_private_ip"] == "192.168.0.100"
    assert hive0.vars["hive_netmask"] == "255.255.255.224"
    assert hive0.vars["hive_subnet"] == "pdns-default"
    assert hive0.vars["hive_memory_size"] == 4096
    assert hive0.vars["hive_mirrored_disk_size"] == 10
    assert "hive_available_zone" not in hive0.vars
    groups = site.groups()
    assert sorted(g for g, v in groups.items() if "p-hive0.pdns" in v.get("hosts", [])) == [
        "first_hive", "hives", "private", "repository"]
    assert groups["servers"]["children"] == ["hives", "repository"]
    assert groups["hosts"]["children"] == ["servers", "mother"]


def test_case2_subnets_and_zones(tmp_path):
    _, st = stage_of(tmp_path, "staging", provider="aws", separate_repository=False,
                     cidr="192.168.0.0/24", region="ap-northeast-1", instance_type="t3.medium",
                     repository_instance_type="t3.large", mirrored_disk_size=20, subnets=[
                         {"cidr": "192.168.0.0/26", "name": "subnet-a",
                          "available_zone": "ap-northeast-1d"},
                         {"cidr": "192.168.0.64/26", "name": "subnet-b",
                          "available_zone": "ap-northeast-1b"},
                         {"cidr": "192.168.0.128/26", "name": "subnet-c",
                          "available_zone": "ap-northeast-1c"}])
    got = [(s.name, s.private_ip, s.available_zone, s.subnet, s.netmask) for s in st.servers]
    assert got == [
        ("s-hive0.pdns", "192.168.0.5", "ap-northeast-1d", "subnet-a", "255.255.255.192"),
        ("s-hive1.pdns", "192.168.0.69", "ap-northeast-1b", "subnet-b", "255.255.255.192"),
        ("s-hive2.pdns", "192.168.0.133", "ap-northeast-1c", "subnet-c", "255.255.255.192")]
    last = st.servers[2]
    assert set(last.groups) == {"hives", "repository"}
    assert last.vars["hive_instance_type"] == "t3.large"
    assert last.vars["hive_mirrored_disk_size"] == 20
    assert st.servers[0].vars["hive_instance_type"] == "t3.medium"


def test_case3_azure_separate_repository(tmp_path):
    _, st = stage_of(tmp_path, "production", provider="azure", separate_repository=True,
                     cidr="192.168.0.0/24", region="japaneast", mirrored_disk_size=20)
    assert [s.private_ip for s in st.servers] == [f"192.168.0.{i}" for i in (4, 5, 6, 7)]
    assert [s.available_zone for s in st.servers] == [1, 2, 3, 1]
    assert st.servers[3].groups == ("repository",)
    assert "hive_mirrored_disk_size" not in st.servers[3].vars
    assert st.first_hive.name == "hive0.pdns"
    assert [s.name for s in st.hives] == ["hive0.pdns", "hive1.pdns", "hive2.pdns"]


def test_case4_default_zone_suffixes_and_repository_disk(tmp_path):
    _, st = stage_of(tmp_path, provider="aws", cidr="10.0.0.0/24", region="r",
                     number_of_hosts=4, disk_size=30, repository_disk_size=100)
    assert [s.available_zone for s in st.servers] == ["r-a", "r-b", "r-c", "r-a"]
    assert [s.private_ip for s in st.servers] == [f"10.0.0.{i}" for i in (4, 5, 6, 7)]
    assert st.repository.vars["hive_disk_size"] == 100
    assert st.servers[0].vars["hive_disk_size"] == 30


def test_case5_alternating_subnets_unnamed(tmp_path):
    site, st = stage_of(tmp_path, provider="gcp", cidr="10.0.0.0/16", region="asia-northeast2",
                        number_of_hosts=5, subnets=[
                            {"cidr": "10.0.1.0/24", "available_zone": "asia-northeast2-a"},
                            {"cidr": "10.0.2.0/24"}])
    assert [s.subnet for s in st.servers] == ["p-subnet0", "p-subnet1"] * 2 + ["p-subnet0"]
    assert [s.private_ip for s in st.servers] == ["10.0.1.5", "10.0.2.5", "10.0.1.6",
                                                  "10.0.2.6", "10.0.1.7"]
    assert st.servers[1].available_zone == "asia-northeast2-b"
    assert st.servers[3].available_zone == "asia-northeast2-a"
    # the mother's subnets carry the same default names (fix of reference §12.2 #8)
    assert [s["name"] for s in st.mother.vars["hive_subnets"]] == ["p-subnet0", "p-subnet1"]


def test_case6_ip_address_list(tmp_path):
    _, st = stage_of(tmp_path, "staging", provider="prepared", cidr="192.168.0.96/27",
                     ip_address_list=["192.168.0.98", "192.168.0.99", "192.168.0.100"],
                     root_password="pw", separate_repository=False, internal_cidr="172.30.0.0/22")
    assert [s.private_ip for s in st.servers] == ["192.168.0.98", "192.168.0.99", "192.168.0.100"]
    assert all(s.vars["hive_root_password"] == "pw" for s in st.servers)
    assert all(s.vars["hive_internal_cidr"] == "172.30.0.0/22" for s in st.servers)
    assert set(st.servers[2].groups) == {"hives", "repository"}


def test_case7_one_host_separate_repository_is_rejected(tmp_path):
    text = messages(write(tmp_path, private(separate_repository=None)))
    assert "separate_repository is true with a single host" in text


@pytest.mark.parametrize("stage, expected", [
    ({"cidr": "10.0.0.0/24"}, "provider must be specified"),
    ({"provider": "aws"}, "cidr must be specified"),
    ({"provider": "foo", "cidr": "10.0.0.0/24"},
     'provider must be one of "vagrant", "aws", "azure", "gcp", "openstack", "prepared", '
     '"kickstart", "docker", but specified foo'),
    ({"provider": "vagrant", "cidr": "10.0.0.0/24", "instance_type": "x"},
     "instance_type cannot be specified when provider is vagrant"),
    ({"provider": "docker", "cidr": "10.0.0.0/24", "region": "x"},
     "region cannot be specified when provider is docker"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "memory_size": 1},
     "memory_size cannot be specified when provider is IaaS"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "bridge": "br0"},
     "bridge cannot be specified when provider is IaaS"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "kickstart_config": {}},
     "kickstart_config cannot be specified when provider is not kickstart"),
    ({"provider": "aws", "cidr": "10.0.0.1/24"}, "has host bits set"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "number_of_hosts": 0}, "expected an integer between 1 and 250"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "number_of_hosts": 2,
      "ip_address_list": ["10.0.0.5", "10.0.0.6", "10.0.0.7"]}, "they must match"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "ip_address_list": ["10.0.1.5", "10.0.0.6"]},
     "10.0.1.5 is outside the stage cidr 10.0.0.0/24"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "subnets": [{"cidr": "10.0.1.0/26"}]},
     "subnet 10.0.1.0/26 is outside the stage cidr"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "subnets": [{"name": "a"}]},
     "cidr in subnet must be specified"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "internal_cidr": "172.31.0.0/28"}, "/26 or larger"),
    ({"provider": "aws", "cidr": "10.0.0.0/24", "number_of_host": 3}, "unknown parameter"),
    ({"provider": "aws", "cidr": "10.0.0.0/29", "number_of_hosts": 4}, "too few usable addresses"),
    ({"provider": "kickstart", "cidr": "10.0.0.0/24"}, "kickstart_config must be specified"),
])
def test_case8_stage_validation(tmp_path, stage, expected):
    assert expected in messages(write(tmp_path, hive_def({"private": stage})))


def test_errors_name_file_object_and_attribute(tmp_path):
    errs = errors(write(tmp_path, hive_def({"private": {"provider": "aws", "cidr": "x"}})))
    (err,) = errs
    assert (err.file, err.obj, err.attr) == ("hive.yml", "stage private", "cidr")
    assert str(err).startswith("hive.yml, stage private, attribute 'cidr': ")


def test_unknown_stage_and_all_errors_collected(tmp_path):
    errs = errors(write(tmp_path, hive_def({"dev": {}, "staging": {"cidr": "10.0.0.0/24"}}),
                        ), "staging")
    text = "\n".join(map(str, errs))
    assert 'stage must be one of "private", "staging", "production", but specified dev' in text
    assert "provider must be specified" in text


def test_case9_mother_vars(tmp_path):
    _, st = stage_of(tmp_path, provider="vagrant", cidr="192.168.0.96/27", bridge="br0",
                     dev="virbr1", separate_repository=False, number_of_hosts=1)
    assert st.mother.vars == {"hive_provider": "vagrant", "hive_cidr": "192.168.0.96/27",
                              "hive_subnets": [{"cidr": "192.168.0.96/27", "name": "pdns-default"}],
                              "hive_bridge": "br0", "hive_dev": "virbr1"}
    _, ks = stage_of(tmp_path / "k", provider="kickstart", cidr="10.0.0.0/24", region="r",
                     kickstart_config={"iso_src": "a", "iso_dest": "b"})
    assert ks.mother.vars["hive_kickstart_config"] == {"iso_src": "a", "iso_dest": "b"}
    assert ks.mother.vars["hive_region"] == "r"


@pytest.mark.parametrize("provider, admin", [("vagrant", "vagrant"), ("aws", "admin"),
                                             ("azure", "hiveadmin"), ("gcp", "admin"),
                                             ("prepared", "admin"), ("docker", "admin")])
def test_case10_admin_by_provider(tmp_path, provider, admin):
    site, _ = stage_of(tmp_path, provider=provider, cidr="10.0.0.0/24")
    assert derived_host_vars(site, "private")["hive_safe_admin"] == admin
    assert derived_host_vars(site, "private", {"hive_admin": "ops"})["hive_safe_admin"] == "ops"


def test_case11_registry(tmp_path):
    site = load(write(tmp_path, private()))
    assert derived_host_vars(site, "private")["hive_registry"] == "p-hive0.pdns:5000"
    assert derived_host_vars(site, "private", {"hive_registry_port": 5443})["hive_registry"] == \
        "p-hive0.pdns:5443"


def test_hive_provider_on_every_host_of_the_stage(tmp_path):
    site = load(write(tmp_path, private()))
    hostvars = site.hostvars()
    assert hostvars["p-mother.pdns"]["hive_provider"] == "vagrant"
    assert hostvars["p-hive0.pdns"]["hive_provider"] == "vagrant"
    assert hostvars["p-hive0.pdns"]["hive_name"] == "pdns"


def test_stage_being_built_must_be_defined(tmp_path):
    assert "stage production is not defined" in messages(write(tmp_path, private()), "production")
