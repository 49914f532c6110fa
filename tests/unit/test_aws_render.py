"""providers/aws_render.py: names, tags, subnets, ports and module parameters of an aws stage;
what the inventory must say; reading the tasks' results back. Pure, no boto3."""

from __future__ import annotations

import pytest

from hive_builder.errors import InventoryError
from hive_builder.providers import aws_render as r
from hive_builder.providers.plan import ProvisionPlan, ServerPlan

FOUND = r.Found(image_id="ami-0de12bbbbbbbbbbb2", root_device_name="/dev/xvda")
SUBNETS = [{"cidr": "10.1.0.0/26", "name": "subnet-a", "available_zone": "ap-northeast-1a"},
           {"cidr": "10.1.0.64/26", "name": "subnet-c", "available_zone": "ap-northeast-1c"},
           {"cidr": "10.1.0.128/26", "name": "subnet-d", "available_zone": "ap-northeast-1d"}]
HIVE = {"instance_type": "t3.medium", "disk_size": "16", "mirrored_disk_size": "20"}


def plan(tmp_path, *, published=None, subnets=SUBNETS, settings=None, servers=None, stage="private"):
    published = published or {}
    if servers is None:
        layout = [("p-hive0.t", "10.1.0.5", "subnet-a", ("hives", "first_hive")),
                  ("p-hive1.t", "10.1.0.69", "subnet-c", ("hives",)),
                  ("p-hive2.t", "10.1.0.133", "subnet-d", ("hives",)),
                  ("p-hive3.t", "10.1.0.6", "subnet-a", ("repository",))]
        servers = [ServerPlan(name=n, ip=ip, roles=roles,
                              sizes=HIVE if "hives" in roles else {"instance_type": "t3.large"},
                              settings={"hive_subnet": sn, **({"hive_published_ip": published[n]} if n in published else {})})
                   for n, ip, sn, roles in layout]
    base = {"hive_region": "ap-northeast-1", "hive_subnets": subnets, "hive_file": "hive.yml",
            "hive_published_ports_tcp": ["80", "443"], "hive_published_ports_udp": ["53"]}
    return ProvisionPlan(hive_name="t", stage=stage, cidr="10.1.0.0/24", servers=tuple(servers),
                         context_dir=tmp_path, root_dir=tmp_path, settings={**base, **(settings or {})})


def test_names_and_tags_are_per_project_and_stage(tmp_path):
    lay = r.layout(plan(tmp_path))
    assert (lay.vpc_name, lay.key_name, lay.group_name) == ("vpc-p-t", "awsroot-p-t", "group-vpc-p-t")
    assert lay.tags("x") == {"Name": "x", "Project": "t", "Stage": "private"}
    assert lay.filters == {"tag:Project": "t", "tag:Stage": "private"}
    production = r.layout(plan(tmp_path, stage="production"))
    assert production.vpc_name == "vpc-t"   # 2.3.1's name for the stage without prefix
    named = r.layout(plan(tmp_path, settings={"hive_vpc_name": "mine", "hive_aws_key_name": "k"}))
    assert (named.vpc_name, named.key_name) == ("mine", "k")


def test_security_group_opens_ssh_and_published_ports_below_10000(tmp_path):
    params = r.security_group_params(r.layout(plan(tmp_path)))
    assert params["rules"] == [
        {"proto": "all", "group_name": "group-vpc-p-t"},
        {"proto": "tcp", "ports": ["22", "80", "443"], "cidr_ip": "0.0.0.0/0"},
        {"proto": "udp", "ports": ["53"], "cidr_ip": "0.0.0.0/0"}]
    no_udp = r.security_group_params(r.layout(plan(tmp_path, settings={"hive_published_ports_udp": []})))
    assert [rule["proto"] for rule in no_udp["rules"]] == ["all", "tcp"]


def test_ssh_port_moved_by_strict_source_ip_is_opened_besides_22(tmp_path):
    servers = [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), ssh_port=2222, sizes=HIVE,
                          settings={"hive_subnet": "subnet-a"})]
    assert r.layout(plan(tmp_path, servers=servers)).ssh_ports == (22, 2222)


def test_subnets_and_the_implicit_one(tmp_path):
    assert r.subnet_params(r.layout(plan(tmp_path)), FOUND)[1] == {
        "cidr": "10.1.0.64/26", "az": "ap-northeast-1c", "map_public": False,
        "tags": {"Name": "subnet-c", "Project": "t", "Stage": "private"}, "state": "present"}
    implicit = plan(tmp_path, subnets=None)
    lay = r.layout(implicit)
    assert lay.subnets == (r.SubnetSpec("p-t-default", "10.1.0.0/24", None),)
    found = r.Found("ami-1", default_zone="ap-northeast-1c")
    assert r.subnet_params(lay, found)[0]["az"] == "ap-northeast-1c"
    assert r.zones_needed(lay, implicit, "ap-northeast-1c") == {"t3.medium": {"ap-northeast-1c"},
                                                               "t3.large": {"ap-northeast-1c"}}


def test_instances_root_size_from_the_image_device_and_a_data_disk_on_hives(tmp_path):
    p = plan(tmp_path)
    found = r.Found("ami-1", root_device_name="/dev/sda1")   # never a hard-coded /dev/xvda
    hive0, *_, repository = r.instance_params(r.layout(p), p, found)
    assert hive0["volumes"] == [
        {"device_name": "/dev/sda1", "ebs": {"volume_size": 16, "volume_type": "gp3", "delete_on_termination": True}},
        {"device_name": "/dev/sdb", "ebs": {"volume_size": 20, "volume_type": "gp3", "delete_on_termination": True}}]
    assert repository["volumes"] == [] and repository["instance_type"] == "t3.large"
    assert hive0["filters"] == {"tag:Name": "p-hive0.t", "tag:Project": "t", "tag:Stage": "private",
                                "instance-state-name": ["pending", "running", "stopping", "stopped"]}
    assert "image-id" not in hive0["filters"]   # a newer Debian must not make a second instance
    assert (hive0["subnet"], repository["subnet"]) == (0, 0)
    assert hive0["network_interfaces"][0]["private_ip_address"] == "10.1.0.5"


def test_no_mirrored_device_means_no_data_disk(tmp_path):
    servers = [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes=HIVE,
                          settings={"hive_subnet": "subnet-a", "hive_no_mirrored_device": True})]
    p = plan(tmp_path, servers=servers)
    assert [v["device_name"] for v in r.instance_params(r.layout(p), p, FOUND)[0]["volumes"]] == ["/dev/xvda"]
    r.check_offline(p)   # a diskless hive is allowed


@pytest.mark.parametrize("change, attr, message", [
    ({"settings": {"hive_region": None}}, "region", "region must be specified"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes={"mirrored_disk_size": "20"},
                             settings={"hive_subnet": "subnet-a"})]}, "instance_type", "instance_type must be specified"),
    ({"servers": [ServerPlan(name="p-hive3.t", ip="10.1.0.5", roles=("repository",), sizes={},
                             settings={"hive_subnet": "subnet-a"})]}, "repository_instance_type",
     "repository_instance_type must be specified"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes={"instance_type": "t3.small"},
                             settings={"hive_subnet": "subnet-a"})]}, "mirrored_disk_size", "needs a disk for DRBD"),
    # moto accepts an address AWS reserves (the first four of a subnet and the last)
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.3", roles=("hives",), sizes=HIVE,
                             settings={"hive_subnet": "subnet-a"})]}, "ip_address_list", "addresses AWS reserves"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.63", roles=("hives",), sizes=HIVE,
                             settings={"hive_subnet": "subnet-a"})]}, "ip_address_list", "addresses AWS reserves"),
    # moto answers an address outside the subnet with an HTTP 500
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.70", roles=("hives",), sizes=HIVE,
                             settings={"hive_subnet": "subnet-a"})]}, "ip_address_list", "outside its subnet"),
    ({"subnets": [{"cidr": "10.1.0.0/26", "name": "subnet-a", "available_zone": 1}]}, "available_zone",
     "must be an AWS zone name"),
])
def test_what_the_inventory_must_say(tmp_path, change, attr, message):
    settings = change.pop("settings", None)
    p = plan(tmp_path, **change, settings=settings)
    with pytest.raises(InventoryError) as err:
        r.check_offline(p)
    assert err.value.attr == attr and message in str(err.value) and err.value.file == "hive.yml"


def test_newest_debian_image_and_its_filters():
    images = [{"ImageId": "ami-a", "CreationDate": "2025-01-01T10:00:00.000Z", "Name": "debian-12-amd64-20250101"},
              {"ImageId": "ami-b", "CreationDate": "2025-06-01T20:00:00.000Z", "Name": "debian-12-amd64-20250601"}]
    assert r.newest_image(images)["ImageId"] == "ami-b" and r.newest_image([]) is None
    assert r.image_filters("arm64") == {"Owners": ["136693071363"], "Filters": [
        {"Name": "name", "Values": ["debian-12-arm64-*"]}, {"Name": "architecture", "Values": ["arm64"]},
        {"Name": "state", "Values": ["available"]}]}
    assert r.is_debian_12(images[0]) and not r.is_debian_12({"Name": "al2023-ami-2023"})


def test_results_read_back_and_facts(tmp_path):
    p = plan(tmp_path)
    instances = [[{"instance_id": f"i-{n}", "block_device_mappings": [
        {"device_name": "/dev/xvda", "ebs": {"volume_id": f"vol-root{n}"}},
        *([{"device_name": "/dev/sdb", "ebs": {"volume_id": f"vol-data{n}"}}] if n < 3 else [])]}]
        for n in range(4)]
    built = r.built_servers(p, {"instances": instances, "public_ips": ["1.1.1.0", "1.1.1.1", "1.1.1.2", "1.1.1.3"]})
    assert built[0] == r.Built("p-hive0.t", "i-0", "1.1.1.0", "vol-data0")
    assert built[3].data_volume_id is None
    facts = r.facts(built, "ami-1", "ap-northeast-1")
    assert facts["ntp_servers"] == ["169.254.169.123"] and facts["ipvs"] and facts["drbd"] == "kernel"
    assert facts["mirrored_volume_ids"] == {"p-hive0.t": "vol-data0", "p-hive1.t": "vol-data1",
                                            "p-hive2.t": "vol-data2"}
    with pytest.raises(Exception, match="no instance or address for p-hive1.t"):
        r.built_servers(p, {"instances": instances, "public_ips": ["1.1.1.0", "", "1.1.1.2", "1.1.1.3"]})


def test_teardown_finds_live_instances_and_keeps_the_users_address(tmp_path):
    lay = r.layout(plan(tmp_path, published={"p-hive0.t": "198.51.100.7"}))
    params = r.teardown_params(lay, {
        "instances": [{"InstanceId": "i-2", "State": {"Name": "stopped"}},
                      {"InstanceId": "i-1", "State": {"Name": "running"}},
                      {"InstanceId": "i-0", "State": {"Name": "terminated"}}],
        "addresses": [{"PublicIp": "198.51.100.7"}, {"PublicIp": "203.0.113.9"}],
        "security_groups": [{"GroupId": "sg-1", "GroupName": "group-vpc-p-t"},
                            {"GroupId": "sg-0", "GroupName": "default"}]})
    assert params["instance_ids"] == ["i-1", "i-2"] and params["running_ids"] == ["i-1"]
    assert params["release_ips"] == ["203.0.113.9"] and params["group_ids"] == ["sg-1"]
    assert params["vpc_ids"] == [] and params["key_names"] == []
    assert r.tag_filters(lay) == [{"Name": "tag:Project", "Values": ["t"]},
                                  {"Name": "tag:Stage", "Values": ["private"]}]
