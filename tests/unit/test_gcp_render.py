"""providers/gcp_render.py: names, labels, subnetworks, zones, ports and module parameters of a
gcp stage; what the inventory must say; reading the tasks' results back. Pure, no google-auth."""

from __future__ import annotations

import pytest

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import gcp_render as r
from hive_builder.providers.plan import ProvisionPlan, ServerPlan

FOUND = r.Found(project_id="demo-project-1", credential_file="/site/gcp_credential.json")
SUBNETS = [{"cidr": "10.1.0.0/26", "name": "subnet-a", "available_zone": "asia-northeast1-a"},
           {"cidr": "10.1.0.64/26", "name": "subnet-b", "available_zone": "asia-northeast1-b"},
           {"cidr": "10.1.0.128/26", "name": "subnet-c", "available_zone": "asia-northeast1-c"}]
HIVE = {"instance_type": "e2-standard-2", "disk_size": "30", "mirrored_disk_size": "20"}


def plan(tmp_path, *, published=None, subnets=SUBNETS, settings=None, servers=None, stage="private",
         zones=True):
    published = published or {}
    if servers is None:
        layout = [("p-hive0.t", "10.1.0.5", "subnet-a", ("hives", "first_hive")),
                  ("p-hive1.t", "10.1.0.69", "subnet-b", ("hives",)),
                  ("p-hive2.t", "10.1.0.133", "subnet-c", ("hives",)),
                  ("p-hive3.t", "10.1.0.6", "subnet-a", ("repository",))]
        servers = []
        for n, ip, sn, roles in layout:
            extra = {"hive_published_ip": published[n]} if n in published else {}
            if zones:
                extra["hive_available_zone"] = "asia-northeast1-" + sn[-1]
            servers.append(ServerPlan(name=n, ip=ip, roles=roles,
                                      sizes=HIVE if "hives" in roles else {"instance_type": "e2-standard-4"},
                                      settings={"hive_subnet": sn, **extra}))
    base = {"hive_region": "asia-northeast1", "hive_subnets": subnets, "hive_file": "hive.yml",
            "hive_published_ports_tcp": ["80", "443"], "hive_published_ports_udp": ["53"]}
    return ProvisionPlan(hive_name="t", stage=stage, cidr="10.1.0.0/24", servers=tuple(servers),
                         context_dir=tmp_path, root_dir=tmp_path, settings={**base, **(settings or {})})


def test_names_and_labels_are_per_project_and_stage(tmp_path):
    lay = r.layout(plan(tmp_path))
    assert (lay.network_name, lay.internal_firewall, lay.ssh_firewall) == ("vpc-p-t", "internal-p-t", "ssh-p-t")
    assert [s.gcp_name for s in lay.subnets] == ["vpc-p-t-subnet-a", "vpc-p-t-subnet-b", "vpc-p-t-subnet-c"]
    assert lay.labels == {"hive_project": "t", "hive_stage": "private"}
    assert lay.filters == ['labels.hive_project = "t"', 'labels.hive_stage = "private"']
    production = r.layout(plan(tmp_path, stage="production"))
    # 2.3.1's names for the stage without prefix
    assert (production.network_name, production.internal_firewall, production.ssh_firewall) == (
        "vpc-t", "internal-t", "ssh-t")
    assert r.layout(plan(tmp_path, settings={"hive_vpc_name": "mine"})).network_name == "mine"


def test_without_subnets_the_stage_cidr_is_one_subnetwork_named_as_the_model_names_it(tmp_path):
    servers = [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes=HIVE,
                          settings={"hive_subnet": "t-default"})]
    lay = r.layout(plan(tmp_path, subnets=None, servers=servers))
    assert [(s.name, s.gcp_name, s.cidr) for s in lay.subnets] == [("t-default", "vpc-p-t-default", "10.1.0.0/24")]


def test_firewalls_open_the_stage_inside_and_ssh_and_published_ports_below_10000(tmp_path):
    p = plan(tmp_path)
    internal, public = r.firewall_params(r.layout(p), p)
    assert internal["source_ranges"] == ["10.1.0.0/24"]
    assert internal["allowed"] == [{"ip_protocol": "tcp", "ports": ["0-65535"]},
                                   {"ip_protocol": "udp", "ports": ["0-65535"]}, {"ip_protocol": "icmp"}]
    assert public["source_ranges"] == ["0.0.0.0/0"]
    assert public["allowed"] == [{"ip_protocol": "tcp", "ports": ["22", "80", "443"]},
                                 {"ip_protocol": "udp", "ports": ["53"]}, {"ip_protocol": "icmp"}]
    no_udp = plan(tmp_path, settings={"hive_published_ports_udp": []})
    assert [a["ip_protocol"] for a in r.firewall_params(r.layout(no_udp), no_udp)[1]["allowed"]] == ["tcp", "icmp"]


def test_ssh_port_moved_by_strict_source_ip_is_opened_besides_22(tmp_path):
    servers = [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), ssh_port=2222, sizes=HIVE,
                          settings={"hive_subnet": "subnet-a"})]
    assert r.layout(plan(tmp_path, servers=servers)).ssh_ports == (22, 2222)


def test_zones_from_the_model_else_the_subnet_else_region_a_b_c(tmp_path):
    p = plan(tmp_path)
    lay = r.layout(p)
    assert [r.server_zone(lay, p, s) for s in p.servers] == [
        "asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c", "asia-northeast1-a"]
    bare = plan(tmp_path, subnets=[{"cidr": "10.1.0.0/24", "name": "only"}], zones=False,
                servers=[ServerPlan(name=f"p-hive{i}.t", ip=f"10.1.0.{i + 5}", roles=("hives",), sizes=HIVE,
                                    settings={"hive_subnet": "only"}) for i in range(4)])
    lay = r.layout(bare)
    assert [r.server_zone(lay, bare, s) for s in bare.servers] == [
        "asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c", "asia-northeast1-a"]


def test_instances_fixed_ip_boot_disk_data_disk_labels_and_addresses(tmp_path):
    p = plan(tmp_path, published={"p-hive1.t": "198.51.100.7"})
    lay = r.layout(p)
    instances = r.instance_params(lay, p)
    first = instances[0]
    assert first["name"] == "p-hive0" and first["zone"] == "asia-northeast1-a"
    assert first["machine_type"] == "e2-standard-2" and first["network_ip"] == "10.1.0.5"
    assert first["boot_disk"] == {"disk_name": "boot-p-hive0", "disk_size_gb": 30, "disk_type": "pd-balanced",
                                  "source_image": "projects/debian-cloud/global/images/family/debian-12"}
    assert first["metadata"] == {"hostname": "p-hive0.t", "enable-oslogin": "FALSE"} and first["ssh_user"] == "admin"
    assert first["labels"] == {"hive_project": "t", "hive_stage": "private"}
    assert first["shielded_instance_config"]["enable_secure_boot"] is False   # unsigned DRBD module
    assert (first["subnet"], first["address"], first["data_disk"], first["nat_ip"]) == (0, 0, 0, None)
    # the user's address is used as is; ours are made per server
    assert instances[1]["address"] is None and instances[1]["nat_ip"] == {"address": "198.51.100.7"}
    assert [a["name"] for a in r.address_params(lay, p)] == ["gip-p-hive0", "gip-p-hive2", "gip-p-hive3"]
    assert instances[2]["address"] == 1 and instances[3]["address"] == 2
    # the repository has no DRBD disk; its boot disk is the manual's 25 GB
    assert instances[3]["data_disk"] is None and instances[3]["boot_disk"]["disk_size_gb"] == 25
    disks = r.disk_params(lay, p)
    assert [(d["name"], d["zone"], d["size_gb"]) for d in disks] == [
        ("drbd-p-hive0", "asia-northeast1-a", 20), ("drbd-p-hive1", "asia-northeast1-b", 20),
        ("drbd-p-hive2", "asia-northeast1-c", 20)]


def test_no_mirrored_device_means_no_data_disk(tmp_path):
    servers = [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes=HIVE,
                          settings={"hive_subnet": "subnet-a", "hive_no_mirrored_device": True})]
    p = plan(tmp_path, servers=servers)
    assert r.disk_params(r.layout(p), p) == [] and r.instance_params(r.layout(p), p)[0]["data_disk"] is None
    assert r.facts(p, [], "x")["mirrored_device_links"] == {}


def test_image_name_replaces_debian(tmp_path):
    servers = [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes=HIVE,
                          settings={"hive_subnet": "subnet-a", "hive_vm_image_name": "projects/me/global/images/mine"})]
    p = plan(tmp_path, servers=servers)
    assert r.instance_params(r.layout(p), p)[0]["boot_disk"]["source_image"] == "projects/me/global/images/mine"


@pytest.mark.parametrize("change, attr, text", [
    ({"settings": {"hive_region": None}}, "region", "region must be specified when provider is gcp"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes={"mirrored_disk_size": "2"},
                             settings={"hive_subnet": "subnet-a"})]}, "instance_type", "instance_type must be specified"),
    ({"servers": [ServerPlan(name="p-hive3.t", ip="10.1.0.6", roles=("repository",), sizes={},
                             settings={"hive_subnet": "subnet-a"})]}, "repository_instance_type",
     "repository_instance_type must be specified"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes={"instance_type": "e2-small"},
                             settings={"hive_subnet": "subnet-a"})]}, "mirrored_disk_size",
     "mirrored_disk_size must be specified when provider is gcp"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.1", roles=("hives",), sizes=HIVE,
                             settings={"hive_subnet": "subnet-a"})]}, "ip_address_list", "addresses GCP reserves"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.70", roles=("hives",), sizes=HIVE,
                             settings={"hive_subnet": "subnet-a"})]}, "ip_address_list", "outside its subnet"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes=HIVE,
                             settings={"hive_subnet": "subnet-a", "hive_available_zone": "us-east1-b"})]},
     "available_zone", "not a zone of region asia-northeast1"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes={**HIVE, "disk_size": "8"},
                             settings={"hive_subnet": "subnet-a"})]}, "disk_size", "below the 10 GB"),
    ({"settings": {"hive_vpc_name": "My_Net"}}, "hive_vpc_name", "not a valid GCP name"),
    ({"servers": [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), sizes=HIVE,
                             settings={"hive_subnet": "subnet-a", "hive_vm_image_name": {"x": 1}})]},
     "image_name", "image_name must be an image's name or URL"),
])
def test_refused_offline_naming_file_object_and_attribute(tmp_path, change, attr, text):
    with pytest.raises(InventoryError) as err:
        r.check_offline(plan(tmp_path, **change))
    assert err.value.attr == attr and err.value.file == "hive.yml" and err.value.obj == "stage private"
    assert text in str(err.value)


def test_a_hive_named_like_a_domain_gets_gcp_names_without_dots(tmp_path):
    p = plan(tmp_path)
    dotted = ProvisionPlan(hive_name="Demo.example.com", stage=p.stage, cidr=p.cidr, servers=p.servers,
                           context_dir=tmp_path, root_dir=tmp_path, settings=p.settings)
    lay = r.check_offline(dotted)
    assert lay.network_name == "vpc-p-demo-example-com" and lay.labels["hive_project"] == "demo-example-com"


def test_a_name_too_long_for_gcp_is_refused(tmp_path):
    p = plan(tmp_path)
    long = ProvisionPlan(hive_name="x" * 64, stage=p.stage, cidr=p.cidr, servers=p.servers,
                         context_dir=tmp_path, root_dir=tmp_path, settings=p.settings)
    with pytest.raises(InventoryError, match="cannot be a GCP label value") as err:
        r.check_offline(long)
    assert err.value.attr == "name"


def test_teardown_by_name_and_label_keeps_the_users_address(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    halted = r.tasks_vars(p, "halted", FOUND)
    assert halted["zones"] == ["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"]
    assert [s["status"] for s in halted["stop"]] == ["TERMINATED"] * 4
    assert "disks" not in halted["stop"][0] and "network_interfaces" not in halted["stop"][0]
    absent = r.tasks_vars(p, "absent", FOUND)
    assert absent["addresses"] == ["gip-p-hive1", "gip-p-hive2", "gip-p-hive3"]
    assert absent["firewalls"] == ["internal-p-t", "ssh-p-t"] and absent["network"] == "vpc-p-t"
    assert absent["subnetworks"][0] == {"name": "vpc-p-t-subnet-a", "ip_cidr_range": "10.1.0.0/26"}
    assert absent["network_link"] == \
        "https://www.googleapis.com/compute/v1/projects/demo-project-1/global/networks/vpc-p-t"
    assert (absent["project"], absent["auth_kind"], absent["service_account_file"]) == (
        "demo-project-1", "serviceaccount", "/site/gcp_credential.json")


def test_outcome_gives_the_public_addresses_and_facts(tmp_path):
    p = plan(tmp_path, published={"p-hive1.t": "198.51.100.7"})
    results = [{"name": f"p-hive{i}", "networkInterfaces": [{"accessConfigs": [{"natIP": f"203.0.113.{i}"}]}]}
               for i in range(4)]
    built = r.built_servers(p, {"instances": results})
    assert [b.public_ip for b in built] == ["203.0.113.0", "203.0.113.1", "203.0.113.2", "203.0.113.3"]
    facts = r.facts(p, built, "demo-project-1")
    assert facts["ntp_servers"] == ["169.254.169.254"] and facts["drbd"] == "kernel" and facts["ipvs"]
    assert facts["gcp_instances"]["p-hive2.t"] == {"name": "p-hive2", "zone": "asia-northeast1-c"}
    assert facts["mirrored_device_links"] == {f"p-hive{i}.t": f"/dev/disk/by-id/google-drbd-p-hive{i}" for i in range(3)}
    with pytest.raises(HiveError, match="4 servers but 3 instance results"):
        r.built_servers(p, {"instances": results[:3]})
    with pytest.raises(HiveError, match="p-hive0 of p-hive0.t has no external address"):
        r.built_servers(p, {"instances": [{"networkInterfaces": [{}]}] + results[1:]})
