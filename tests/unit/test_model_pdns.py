"""The worked example of reference §5 (tests/fixtures/inventories/pdns), adapted to decisions.md."""

from __future__ import annotations

import pytest

from hive_builder.model import MemoryStore, derived_host_vars, load_site
from tests.fixtures.inventories.builders import DOCKER, PDNS


@pytest.fixture(scope="module")
def store():
    return MemoryStore()


@pytest.fixture(scope="module")
def site(store):
    return load_site(PDNS, "private", store)


@pytest.fixture(scope="module")
def groups(site):
    return site.groups()


@pytest.fixture(scope="module")
def hostvars(site):
    return site.hostvars()


def test_groups_all_stages(groups):  # §5.1
    assert groups["mother"]["hosts"] == ["p-mother.pdns", "s-mother.pdns", "mother.pdns"]
    assert groups["hives"]["hosts"] == ["p-hive0.pdns", "s-hive0.pdns", "s-hive1.pdns",
                                        "s-hive2.pdns", "hive0.pdns", "hive1.pdns", "hive2.pdns"]
    assert groups["repository"]["hosts"] == ["p-hive0.pdns", "s-hive2.pdns", "hive3.pdns"]
    assert groups["first_hive"]["hosts"] == ["p-hive0.pdns", "s-hive0.pdns", "hive0.pdns"]
    assert groups["servers"] == {"children": ["hives", "repository"]}
    assert groups["hosts"] == {"children": ["servers", "mother"]}
    assert groups["services"]["hosts"] == ["powerdns", "pdnsdb", "pdnsadmin", "proxy",
                                           "configure", "certbot"]
    assert groups["images"]["hosts"] == ["image_pdnsdb", "image_pdnsadmin", "image_configure",
                                         "image_certbot"]
    assert groups["drbd_volumes"]["hosts"] == ["volume_pdnsdb_data", "volume_pdnsadmin_data",
                                               "volume_letsencrypt_data"]
    assert "volumes" not in groups  # empty groups are not listed, as ansible-inventory does
    assert groups["networks"]["hosts"] == ["hive_default_network"]


def test_stage_private(groups, hostvars, site):  # §5.2
    assert set(groups["private"]["hosts"]) == {
        "p-mother.pdns", "p-hive0.pdns", "powerdns", "pdnsdb", "volume_pdnsdb_data",
        "image_pdnsdb", "pdnsadmin", "volume_pdnsadmin_data", "image_pdnsadmin", "proxy",
        "configure", "image_configure", "hive_default_network"}
    mother = hostvars["p-mother.pdns"]
    assert mother["hive_cidr"] == "192.168.0.96/27"
    assert mother["hive_subnets"] == [{"cidr": "192.168.0.96/27", "name": "pdns-default"}]
    assert mother["hive_provider"] == "vagrant"
    hive0 = hostvars["p-hive0.pdns"]
    assert (hive0["hive_private_ip"], hive0["hive_netmask"], hive0["hive_subnet"],
            hive0["hive_memory_size"], hive0["hive_mirrored_disk_size"]) == (
        "192.168.0.100", "255.255.255.224", "pdns-default", 4096, 10)
    assert "hive_available_zone" not in hive0
    derived = derived_host_vars(site, "private")
    assert derived["hive_safe_admin"] == "vagrant"
    assert derived["hive_registry"] == "p-hive0.pdns:5000"


def test_stage_staging(site):  # §5.3
    st = site.stages["staging"]
    assert [(s.name, s.private_ip, s.subnet, s.available_zone) for s in st.servers] == [
        ("s-hive0.pdns", "192.168.0.5", "subnet-a", "ap-northeast-1d"),
        ("s-hive1.pdns", "192.168.0.69", "subnet-b", "ap-northeast-1b"),
        ("s-hive2.pdns", "192.168.0.133", "subnet-c", "ap-northeast-1c")]
    assert st.repository.vars["hive_instance_type"] == "t3.large"
    assert derived_host_vars(site, "staging")["hive_safe_admin"] == "admin"   # Debian AMIs
    assert derived_host_vars(site, "staging")["hive_registry"] == "s-hive2.pdns:5000"


def test_stage_production(groups, hostvars, site):  # §5.4
    production = set(groups["production"]["hosts"])
    assert {"mother.pdns", "hive0.pdns", "hive3.pdns", "certbot", "volume_letsencrypt_data",
            "image_certbot", "hive_default_network"} <= production
    assert hostvars["mother.pdns"]["hive_region"] == "japaneast"
    zones = [hostvars[f"hive{i}.pdns"]["hive_available_zone"] for i in range(4)]
    assert zones == [1, 2, 3, 1]
    assert [hostvars[f"hive{i}.pdns"]["hive_private_ip"] for i in range(4)] == [
        "192.168.0.4", "192.168.0.5", "192.168.0.6", "192.168.0.7"]
    assert "hive_mirrored_disk_size" not in hostvars["hive3.pdns"]
    assert hostvars["hive3.pdns"]["hive_provider"] == "azure"
    assert derived_host_vars(site, "production")["hive_safe_admin"] == "hiveadmin"


def test_service_vars(hostvars):
    assert hostvars["powerdns"]["hive_image"] == "procube/powerdns:latest"
    assert hostvars["powerdns"]["hive_ports"] == [
        {"published_port": 53, "target_port": 53, "protocol": "tcp"},
        {"published_port": 61001, "target_port": 8081, "protocol": "tcp"},
        {"published_port": 53, "target_port": 53, "protocol": "udp"}]
    assert hostvars["powerdns"]["hive_initialize_roles"] == ["python-aptk", "powerdns-init"]
    assert hostvars["pdnsdb"]["hive_image_name"] == "image_pdnsdb"
    assert hostvars["pdnsdb"]["hive_volumes"] == [
        {"source": "pdnsdb_data", "target": "/var/lib/mysql", "type": "volume"}]
    assert hostvars["image_pdnsdb"]["hive_from"] == "mariadb:10.4"
    assert hostvars["pdnsadmin"]["hive_ports"] == [
        {"published_port": 61002, "target_port": 80, "protocol": "tcp"}]
    assert hostvars["proxy"]["hive_ports"][0] == {"published_port": 80, "target_port": 80,
                                                  "protocol": "tcp", "mode": "host"}
    assert (hostvars["proxy"]["hive_mode"], hostvars["proxy"]["hive_endpoint_mode"]) == (
        "global", "dnsrr")
    assert hostvars["configure"]["hive_labels"] == {"HIVE_MARK": "proxy_config"}
    assert hostvars["image_configure"]["hive_entrypoint"] == ["/usr/local/bin/python"]
    assert hostvars["volume_pdnsdb_data"]["hive_volume"] == {
        "name": "pdnsdb_data",
        "drbd": {"fstype": "xfs", "size": "500M", "diskless": ["s-hive0.pdns"], "device_id": 1}}
    assert hostvars["volume_pdnsadmin_data"]["hive_volume"]["drbd"]["device_id"] == 2
    assert hostvars["volume_letsencrypt_data"]["hive_volume"]["drbd"]["device_id"] == 3
    assert hostvars["certbot"]["hive_backup_scripts"] == [
        {"name": "certificates", "directory": "/etc/letsencrypt", "cleanup_days_before": 10}]
    # hive_provider is per host of a stage; objects spanning stages do not get one (§12.2 #7)
    assert "hive_provider" not in hostvars["powerdns"]


def test_persisted_maps(store, site):
    # decisions 4/5: only the stage being built, keys with protocol; certbot (production) absent
    assert store.get("drbd_device_map", "private") == {"pdnsdb_data": 1, "pdnsadmin_data": 2}
    assert store.get("published_port_map", "private") == {
        "powerdns/53/tcp": 53, "powerdns/8081/tcp": 61001, "powerdns/53/udp": 53,
        "pdnsadmin/80/tcp": 61002, "proxy/80/tcp": 80, "proxy/443/tcp": 443}


def test_firewall_ports(site):
    derived = derived_host_vars(site, "private")
    assert derived["hive_published_ports_tcp"] == ["53", "80", "443"]
    assert derived["hive_published_ports_udp"] == ["53"]


def test_docker_fixture():
    site = load_site(DOCKER, "private", MemoryStore())
    st = site.stages["private"]
    assert [s.name for s in st.servers] == [f"p-hive{i}.demo" for i in range(4)]
    assert [s.private_ip for s in st.servers] == [f"10.233.10.{i}" for i in (4, 5, 6, 7)]
    assert st.repository.groups == ("repository",)
    assert st.internal.overlay == "172.31.252.0/24"
    assert st.internal.docker0_bip == "172.31.254.129/25"
    assert st.servers[0].vars["hive_internal_cidr"] == "172.31.252.0/22"
    derived = derived_host_vars(site, "private")
    assert derived["hive_safe_admin"] == "admin"
    assert derived["hive_published_ports_tcp"] == ["8443"]  # 61001 (web 80) is >= 10000
