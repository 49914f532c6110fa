"""providers/azure_render.py: names, tags, subnets, rules and module parameters of an azure stage;
what the inventory must say; -H/-D from the resource group's listing; reading the tasks' results
back. Pure, no azure SDK."""

from __future__ import annotations

import pytest

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import azure_render as r
from hive_builder.providers.plan import ProvisionPlan, ServerPlan

FOUND = r.Found(premium_sizes=frozenset({"Standard_D2s_v5"}))
SUBNETS = [{"cidr": "10.1.0.0/26", "name": "subnet-a", "available_zone": 1},
           {"cidr": "10.1.0.64/26", "name": "subnet-b", "available_zone": 2},
           {"cidr": "10.1.0.128/26", "name": "subnet-c", "available_zone": 3}]
HIVE = {"instance_type": "Standard_D2s_v5", "disk_size": "30", "mirrored_disk_size": "20"}


def plan(tmp_path, *, published=None, subnets=SUBNETS, settings=None, servers=None, stage="private"):
    published = published or {}
    if servers is None:
        layout = [("p-hive0.t", "10.1.0.5", "subnet-a", 1, ("hives", "first_hive")),
                  ("p-hive1.t", "10.1.0.69", "subnet-b", 2, ("hives",)),
                  ("p-hive2.t", "10.1.0.133", "subnet-c", 3, ("hives",)),
                  ("p-hive3.t", "10.1.0.6", "subnet-a", 1, ("repository",))]
        servers = [ServerPlan(name=n, ip=ip, roles=roles,
                              sizes=HIVE if "hives" in roles else {"instance_type": "Standard_B2s_v2"},
                              settings={"hive_subnet": sn, "hive_available_zone": zone,
                                        **({"hive_published_ip": published[n]} if n in published else {})})
                   for n, ip, sn, zone, roles in layout]
    base = {"hive_region": "japaneast", "hive_subnets": subnets, "hive_file": "hive.yml",
            "hive_published_ports_tcp": ["80", "443"], "hive_published_ports_udp": ["53"]}
    return ProvisionPlan(hive_name="t", stage=stage, cidr="10.1.0.0/24", servers=tuple(servers),
                         context_dir=tmp_path, root_dir=tmp_path, admin_user="hiveadmin",
                         settings={**base, **(settings or {})})


def with_settings(p, server_index, **settings):
    servers = list(p.servers)
    s = servers[server_index]
    servers[server_index] = ServerPlan(name=s.name, ip=s.ip, roles=s.roles, sizes=s.sizes,
                                       settings={**s.settings, **settings})
    return ProvisionPlan(**{**p.__dict__, "servers": tuple(servers)})


def test_names_are_per_project_and_stage(tmp_path):
    lay = r.layout(plan(tmp_path))
    assert (lay.resource_group, lay.vnet_name, lay.nsg_name) == ("p-t", "vpc-p-t", "sg_p-t")
    assert lay.tags() == {"Project": "t", "Stage": "private"}
    production = r.layout(plan(tmp_path, stage="production"))
    assert (production.resource_group, production.vnet_name, production.nsg_name) == ("t", "vpc-t", "sg_t")
    assert r.layout(plan(tmp_path, settings={"hive_vpc_name": "mine"})).vnet_name == "mine"
    assert r.layout(plan(tmp_path, settings={"hive_region": "Japan East"})).location == "japaneast"
    server = plan(tmp_path).servers[1]
    assert (r.public_ip_name(server), r.nic_name(server), r.data_disk_name(server)) == (
        "gip-p-hive1", "p-hive1-primary", "mirrored_p-hive1")


def test_security_group_allows_the_network_ssh_published_ports_and_icmp(tmp_path):
    params = r.security_group_params(r.layout(plan(tmp_path)))
    assert params["purge_rules"] is True
    assert [(x["name"], x["priority"], x["protocol"], x["source_address_prefix"], x["destination_port_range"])
            for x in params["rules"]] == [
        ("internal", 100, "*", "VirtualNetwork", "*"),
        ("published-tcp", 200, "Tcp", "*", ["22", "80", "443"]),
        ("published-udp", 201, "Udp", "*", ["53"]),
        ("icmp", 300, "Icmp", "*", "*")]
    assert {x["access"] for x in params["rules"]} == {"Allow"}
    no_udp = r.security_group_params(r.layout(plan(tmp_path, settings={"hive_published_ports_udp": []})))
    assert [x["name"] for x in no_udp["rules"]] == ["internal", "published-tcp", "icmp"]


def test_ssh_port_moved_is_opened_besides_22(tmp_path):
    servers = [ServerPlan(name="p-hive0.t", ip="10.1.0.5", roles=("hives",), ssh_port=2222, sizes=HIVE,
                          settings={"hive_subnet": "subnet-a", "hive_available_zone": 1})]
    assert r.layout(plan(tmp_path, servers=servers)).ssh_ports == (22, 2222)


def test_network_and_the_implicit_subnet(tmp_path):
    p = plan(tmp_path)
    lay = r.layout(p)
    assert r.vnet_params(lay, p)["address_prefixes_cidr"] == ["10.1.0.0/24"]
    assert r.subnet_params(lay)[1] == {"name": "subnet-b", "resource_group": "p-t", "virtual_network_name": "vpc-p-t",
                                       "address_prefix_cidr": "10.1.0.64/26", "state": "present"}
    implicit = r.layout(plan(tmp_path, subnets=None))
    assert implicit.subnets == (r.SubnetSpec("t-default", "10.1.0.0/24"),)


def test_vms_debian_12_ssh_key_only_zone_and_disks(tmp_path):
    p = plan(tmp_path)
    hive0, hive1, _, repository = r.vm_params(r.layout(p), p, FOUND)
    assert hive0["image"] == {"publisher": "Debian", "offer": "debian-12", "sku": "12-gen2", "version": "latest"}
    assert (hive0["admin_username"], hive0["ssh_password_enabled"]) == ("hiveadmin", False)
    assert hive0["ssh_public_keys"] == [{"path": "/home/hiveadmin/.ssh/authorized_keys"}]
    assert (hive0["name"], hive0["short_hostname"], hive0["network_interface_names"]) == (
        "p-hive0", "p-hive0", ["p-hive0-primary"])
    assert hive1["zones"] == ["2"] and hive0["os_disk_size_gb"] == 30
    assert hive0["managed_disk_type"] == "Premium_LRS" and hive0["data_disks"] == [{"lun": 0, "caching": "None"}]
    # a size without premium storage gets Standard SSDs; no disk_size: the image's own size
    assert repository["managed_disk_type"] == "StandardSSD_LRS"
    assert "os_disk_size_gb" not in repository and "data_disks" not in repository
    assert (hive0["started"], hive0["allocated"]) == (True, True)   # a halted stage runs again
    lower = r.Found(premium_sizes=frozenset({"standard_d2s_v5"}))   # Azure ignores the case of sizes
    assert r.vm_params(r.layout(p), p, lower)[0]["managed_disk_type"] == "Premium_LRS"


def test_data_disks_in_the_vms_zone_and_only_on_hives_with_a_mirror(tmp_path):
    p = plan(tmp_path)
    disks = r.data_disk_params(r.layout(p), p, FOUND)
    assert [(d["name"], d["zone"], d["disk_size_gb"], d["create_option"]) for d in disks] == [
        ("mirrored_p-hive0", "1", 20, "empty"), ("mirrored_p-hive1", "2", 20, "empty"),
        ("mirrored_p-hive2", "3", 20, "empty")]
    diskless = with_settings(p, 1, hive_no_mirrored_device=True)
    assert [d["server"] for d in r.data_disk_params(r.layout(diskless), diskless, FOUND)] == ["p-hive0", "p-hive2"]
    params = r.tasks_vars(diskless, "present", FOUND)
    assert [vm.get("data_disk_index") for vm in params["vms"]] == [0, None, 1, None]


def test_public_ips_static_standard_and_a_users_address_reused(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    lay = r.layout(p)
    ips = r.public_ip_params(lay, p)
    assert [i["name"] for i in ips] == ["gip-p-hive1", "gip-p-hive2", "gip-p-hive3"]
    assert {(i["allocation_method"], i["sku"]) for i in ips} == {("Static", "Standard")}
    found = r.Found(published_ip_names={"p-hive0.t": "my-address"})
    nics = r.nic_params(lay, p, found)
    assert nics[0]["ip_configurations"] == [{"name": "ipconfig1", "primary": True, "private_ip_address": "10.1.0.5",
                                             "private_ip_allocation_method": "Static",
                                             "public_ip_address_name": "my-address"}]
    assert nics[1]["ip_configurations"][0]["public_ip_address_name"] == "gip-p-hive1"
    assert nics[1]["subnet_name"] == "subnet-b" and nics[1]["security_group"] == "sg_p-t"


@pytest.mark.parametrize("change, attr, message", [
    ({"sizes": {"disk_size": "30", "mirrored_disk_size": "20"}}, "instance_type", "instance_type must be specified"),
    ({"sizes": {"instance_type": "Standard_D2s_v5"}}, "mirrored_disk_size", "needs a disk for DRBD"),
    ({"settings": {"hive_subnet": "subnet-a", "hive_available_zone": "japaneast-1"}}, "available_zone",
     "is not an Azure zone"),
    ({"settings": {"hive_subnet": "subnet-a", "hive_available_zone": 1, "hive_vm_image_name": "ami-1"}},
     "image_name", "publisher:offer:sku:version"),
    ({"settings": {"hive_subnet": "subnet-a", "hive_available_zone": 1,
                   "hive_vm_image_name": "Canonical:ubuntu-24_04-lts:server:latest"}}, "image_name",
     "not a Debian 12 image"),
    ({"ip": "10.1.0.3"}, "ip_address_list", "one of the addresses Azure reserves"),
    ({"ip": "10.1.0.70"}, "ip_address_list", "outside its subnet"),
])
def test_refused_offline_names_the_attribute(tmp_path, change, attr, message):
    p = plan(tmp_path)
    s = p.servers[0]
    fields = {"name": s.name, "ip": s.ip, "roles": s.roles, "sizes": s.sizes, "settings": s.settings, **change}
    bad = ProvisionPlan(**{**p.__dict__, "servers": (ServerPlan(**fields),) + p.servers[1:]})
    with pytest.raises(InventoryError, match=message) as err:
        r.check_offline(bad)
    assert err.value.attr == attr and err.value.file == "hive.yml"


def test_a_debian_12_image_urn_is_accepted(tmp_path):
    p = with_settings(plan(tmp_path), 0, hive_vm_image_name="Debian:debian-12:12:0.20250101.1")
    r.check_offline(p)
    assert r.image(p.servers[0]) == {"publisher": "Debian", "offer": "debian-12", "sku": "12",
                                     "version": "0.20250101.1"}


def test_region_is_required(tmp_path):
    with pytest.raises(InventoryError, match="region must be specified when provider is azure") as err:
        r.layout(plan(tmp_path, settings={"hive_region": None}))
    assert err.value.attr == "region"


LISTING = [{"name": "p-hive0", "type": "Microsoft.Compute/virtualMachines"},
           {"name": "os_p-hive0", "type": "Microsoft.Compute/disks"},
           {"name": "mirrored_p-hive0", "type": "Microsoft.Compute/disks"},
           {"name": "p-hive0-primary", "type": "Microsoft.Network/networkInterfaces"},
           {"name": "gip-p-hive1", "type": "Microsoft.Network/publicIPAddresses"},
           {"name": "my-address", "type": "Microsoft.Network/publicIPAddresses"},
           {"name": "sg_p-t", "type": "Microsoft.Network/networkSecurityGroups"},
           {"name": "vpc-p-t", "type": "Microsoft.Network/virtualNetworks"}]


def test_teardown_everything_listed_in_dependency_order_keeping_the_users_address(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    found = r.Found(published_ip_names={"p-hive0.t": "my-address"})
    params = r.tasks_vars(p, "absent", found, LISTING)
    assert params["vm_names"] == ["p-hive0"] and params["disk_names"] == ["mirrored_p-hive0", "os_p-hive0"]
    assert params["public_ip_names"] == ["gip-p-hive1"] and params["nic_names"] == ["p-hive0-primary"]
    assert [s["name"] for s in params["subnets"]] == ["subnet-a", "subnet-b", "subnet-c"]
    assert params["kept"] == ["my-address"] and params["delete_group"] is False
    clean = r.tasks_vars(plan(tmp_path), "absent", r.Found(), LISTING[:5])
    assert clean["delete_group"] is True and clean["subnets"] == []   # no virtual network listed
    assert r.tasks_vars(plan(tmp_path), "absent", r.Found(), [])["delete_group"] is True   # empty group
    assert r.tasks_vars(plan(tmp_path), "absent", r.Found(), None)["delete_group"] is False   # no group
    other = r.tasks_vars(plan(tmp_path), "absent", r.Found(), [*LISTING, {"name": "kv", "type": "Microsoft.KeyVault/vaults"}])
    assert other["kept"] == ["kv (Microsoft.KeyVault/vaults)"] and other["delete_group"] is False


def test_built_servers_from_the_public_ip_results(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    states = [{"name": f"gip-p-hive{n}", "ip_address": f"203.0.113.{n}"} for n in (1, 2, 3)]
    built = r.built_servers(p, {"public_ips": states})
    assert [(b.name, b.public_ip, b.zone, b.data_disk) for b in built] == [
        ("p-hive0.t", "198.51.100.7", "1", True), ("p-hive1.t", "203.0.113.1", "2", True),
        ("p-hive2.t", "203.0.113.2", "3", True), ("p-hive3.t", "203.0.113.3", "1", False)]
    with pytest.raises(HiveError, match="no public address for p-hive3.t .gip-p-hive3 in resource group p-t"):
        r.built_servers(p, {"public_ips": states[:2]})
    facts = r.facts(built, r.layout(p))
    assert facts["ntp_servers"] == ["time.windows.com"]
    assert facts["mirrored_device_links"] == {f"p-hive{n}.t": "/dev/disk/azure/scsi1/lun0" for n in range(3)}
    assert facts["azure_resource_group"] == "p-t" and facts["azure_zones"]["p-hive1.t"] == "2"
