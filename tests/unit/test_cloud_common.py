"""What the cloud providers share (providers/cloud.py): subnets, reserved addresses, ports, and
the ssh_config of the public addresses the tasks made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import cloud
from hive_builder.providers.plan import ProvisionPlan, ServerPlan


@dataclass
class Subnet:
    name: str
    cidr: str


@dataclass
class Built:
    name: str
    public_ip: str


def server(ip="10.0.0.10", **settings):
    return ServerPlan(name="p-hive0.t", ip=ip, roles=("hives",), settings=settings)


def test_ports_are_sorted_distinct_numbers():
    assert cloud.ports(["80", 443, "80", "x", None]) == (80, 443)
    assert cloud.ports(None) == ()


def test_server_subnet_by_name_or_the_only_one():
    a, b = Subnet("a", "10.0.0.0/25"), Subnet("b", "10.0.0.128/25")
    assert cloud.server_subnet([a], server(hive_subnet="whatever")) is a
    assert cloud.server_subnet([a, b], server(hive_subnet="b")) is b
    with pytest.raises(HiveError, match="subnet 'c' is not one of the stage's subnets"):
        cloud.server_subnet([a, b], server(hive_subnet="c"))


@pytest.mark.parametrize("ip, reserved, message", [
    ("10.0.1.5", (4, 1), "outside its subnet a"),
    ("10.0.0.3", (4, 1), "one of the addresses AWS reserves in 10.0.0.0/24 (the first 4 and the last)"),
    ("10.0.0.255", (4, 1), "reserves"),
    ("10.0.0.254", (2, 2), "(the first 2 and the last 2)"),
])
def test_check_address_refuses_what_the_cloud_keeps(ip, reserved, message):
    with pytest.raises(InventoryError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        cloud.check_address(server(ip), Subnet("a", "10.0.0.0/24"), reserved, "AWS",
                            {"file": "hive.yml", "obj": "stage private"})
    assert e.value.attr == "ip_address_list"


def test_check_address_accepts_a_usable_address():
    cloud.check_address(server("10.0.0.4"), Subnet("a", "10.0.0.0/24"), (4, 1), "AWS", {})


class Stub(cloud.CloudProvider):
    name = "stub"
    tasks_file = "stub.yml"

    def sanity_check(self, plan):
        pass


def test_cloud_provider_reaches_servers_at_their_public_addresses(tmp_path: Path):
    plan = ProvisionPlan(hive_name="t", stage="private", cidr="10.0.0.0/24",
                         servers=(server("10.0.0.4"),), context_dir=tmp_path, root_dir=tmp_path)
    p = Stub()
    assert p.checked_by_hive_check and not p.provision(plan) and not p.halt(plan)
    with pytest.raises(HiveError, match="ssh_config asked before the instances were made"):
        p.ssh_config(plan)
    p._built = [Built("p-hive0.t", "203.0.113.7")]
    text = p.ssh_config(plan)
    assert "Host p-hive0.t" in text and "HostName 203.0.113.7" in text
    assert cloud.published_ips(plan) == {}
    (tmp_path / "provider_facts.yml").write_text("x: 1\n")
    assert p.destroy(plan) and not (tmp_path / "provider_facts.yml").exists()
    assert not p.destroy(plan)


def stage(subnets=None, **settings):
    return ProvisionPlan(hive_name="t", stage="private", cidr="10.1.0.0/24", servers=(server("10.1.0.10"),),
                         context_dir=Path("/nonexistent"), root_dir=Path("/nonexistent"),
                         settings={"hive_file": "hive.yml", "hive_subnets": subnets, **settings})


def test_region_is_given_or_refused_with_the_clouds_example():
    assert cloud.region(stage(hive_region="eu-west-1"), "aws", " (e.g. ap-northeast-1)") == "eu-west-1"
    for missing in (None, ""):
        with pytest.raises(InventoryError) as err:
            cloud.region(stage(hive_region=missing), "gcp", ", e.g. asia-northeast1")
        assert str(err.value) == ("hive.yml, stage private, attribute 'region': region must be specified "
                                  "when provider is gcp, e.g. asia-northeast1")
        assert err.value.attr == "region"


def test_stage_subnets_as_given_names_filled_in_zones_untouched():
    subnets = cloud.stage_subnets(stage([{"cidr": "10.1.0.0/25", "name": "a", "available_zone": "z-1"},
                                         {"cidr": "10.1.0.128/25", "available_zone": 2}]), "t-default")
    assert subnets == (cloud.StageSubnet("a", "10.1.0.0/25", "z-1"), cloud.StageSubnet("subnet1", "10.1.0.128/25", 2))
    assert not any(s.implicit for s in subnets)


def test_without_subnets_the_stage_cidr_is_the_default_subnet():
    for none in (None, []):
        assert cloud.stage_subnets(stage(none), "p-t-default") == (
            cloud.StageSubnet("p-t-default", "10.1.0.0/24", None, implicit=True),)


@pytest.mark.parametrize("raw", [{"name": "a"}, {"name": "a", "cidr": ""}, "10.1.0.0/25", None])
def test_a_subnet_without_cidr_is_refused(raw):
    with pytest.raises(InventoryError, match=r"subnet #2 needs a cidr") as err:
        cloud.stage_subnets(stage([{"cidr": "10.1.0.0/25"}, raw]), "t-default")
    assert (err.value.attr, err.value.obj, err.value.file) == ("subnets", "stage private", "hive.yml")


def test_a_zone_that_is_not_a_name_is_refused_where_the_cloud_names_its_zones():
    given = stage([{"cidr": "10.1.0.0/25", "name": "a", "available_zone": 1}])
    with pytest.raises(InventoryError) as err:
        cloud.stage_subnets(given, "t-default", zone_name="an AWS zone name such as eu-west-1a")
    assert str(err.value) == ("hive.yml, stage private / subnet #1, attribute 'available_zone': available_zone "
                              "must be an AWS zone name such as eu-west-1a, found 1")
    assert cloud.stage_subnets(given, "t-default")[0].zone == 1    # Azure numbers its zones
    named = stage([{"cidr": "10.1.0.0/25", "name": "a", "available_zone": "eu-west-1b"}])
    assert cloud.stage_subnets(named, "d", zone_name="a zone name")[0].zone == "eu-west-1b"
