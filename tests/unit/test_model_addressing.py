"""Address arithmetic: IP modes, zones, internal_cidr split (reference §3.7, §3.8, §3.10, §14.2)."""

from __future__ import annotations

import pytest

from hive_builder.model.addressing import (NotEnoughAddresses, Subnet, assign_addresses,
                                           available_zone, internal_networks)


def test_case12_internal_cidr_22():
    n = internal_networks("172.31.252.0/22")
    assert (n.overlay, n.ingress, n.ingress_gateway, n.gwbridge, n.docker0_bip, n.registry,
            n.zabbix) == ("172.31.252.0/24", "172.31.253.0/24", "172.31.253.1", "172.31.254.0/25",
                          "172.31.254.129/25", "172.31.255.0/25", "172.31.255.128/25")
    assert (n.zabbix_server_ip, n.zabbix_web_ip, n.zabbix_db_ip) == (
        "172.31.255.130", "172.31.255.131", "172.31.255.132")


def test_case13_internal_cidr_16():
    n = internal_networks("10.254.0.0/16")
    assert (n.overlay, n.ingress, n.ingress_gateway, n.gwbridge, n.docker0_bip, n.registry,
            n.zabbix, n.zabbix_server_ip, n.zabbix_web_ip, n.zabbix_db_ip) == (
        "10.254.0.0/18", "10.254.64.0/18", "10.254.64.1", "10.254.128.0/19", "10.254.160.1/19",
        "10.254.192.0/19", "10.254.224.0/19", "10.254.224.2", "10.254.224.3", "10.254.224.4")


def test_case14_no_internal_cidr_defaults():
    n = internal_networks(None)
    assert n.docker0_bip == "172.17.128.1/16"
    assert (n.zabbix, n.zabbix_server_ip, n.zabbix_web_ip, n.zabbix_db_ip) == (
        "172.19.0.0/16", "172.19.0.2", "172.19.0.3", "172.19.0.4")
    assert n.rsyslog_gwbridge == "172.20.0.0/16"
    # Docker keeps its own gwbridge/ingress; hive_default_network gets no ipam config
    assert n.gwbridge is None and n.ingress is None and n.overlay is None


def test_internal_cidr_too_small():
    with pytest.raises(ValueError, match="/26 or larger"):
        internal_networks("10.0.0.0/27")


def test_implicit_subnet_skips_three():
    got = assign_addresses(4, "192.168.0.0/24", "x-default")
    assert [a.ip for a in got] == ["192.168.0.4", "192.168.0.5", "192.168.0.6", "192.168.0.7"]
    assert {a.subnet.name for a in got} == {"x-default"}


def test_explicit_subnets_skip_four_round_robin():
    subnets = [Subnet("192.168.0.0/26", "a"), Subnet("192.168.0.64/26", "b"),
               Subnet("192.168.0.128/26", "c")]
    got = assign_addresses(4, "192.168.0.0/24", "x-default", subnets)
    assert [a.ip for a in got] == ["192.168.0.5", "192.168.0.69", "192.168.0.133", "192.168.0.6"]
    assert got[0].netmask == "255.255.255.192"


def test_ip_list_keeps_cidr_netmask():
    got = assign_addresses(2, "10.0.0.0/16", "d", ip_address_list=["10.0.3.1", "10.0.9.9"])
    assert [(a.ip, a.netmask) for a in got] == [("10.0.3.1", "255.255.0.0"),
                                               ("10.0.9.9", "255.255.0.0")]


def test_tiny_networks_do_not_crash():
    with pytest.raises(NotEnoughAddresses):
        assign_addresses(1, "10.0.0.0/31", "d")
    assert [a.ip for a in assign_addresses(1, "10.0.0.0/32", "d", [Subnet("10.0.0.0/29", "s")])
            ] == ["10.0.0.5"]


def test_not_enough_addresses():
    with pytest.raises(NotEnoughAddresses, match="192.168.0.0/29"):
        assign_addresses(4, "192.168.0.0/29", "d")


def test_zones():
    assert available_zone(4, "gcp", "r", ("-a", "-b", "-c"), None) == "r-b"
    assert available_zone(4, "azure", "r", ("-a", "-b", "-c"), None) == 2
    assert available_zone(4, "aws", "r", ("-a",), "zone-x") == "zone-x"
