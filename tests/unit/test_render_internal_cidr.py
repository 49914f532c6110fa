import pytest

from hive_builder.render.internal_cidr import split_internal_cidr


def test_worked_example_slash22():
    nets = split_internal_cidr("172.31.252.0/22")
    assert nets["overlay"] == "172.31.252.0/24"
    assert nets["ingress"] == "172.31.253.0/24"
    assert nets["ingress_gateway"] == "172.31.253.1"
    assert nets["gwbridge"] == "172.31.254.0/25"
    assert nets["docker0_bip"] == "172.31.254.129/25"
    assert nets["registry"] == "172.31.255.0/25"
    assert nets["zabbix"] == "172.31.255.128/25"
    assert nets["zabbix_ips"] == ["172.31.255.130", "172.31.255.131", "172.31.255.132"]


def test_worked_example_slash16():
    nets = split_internal_cidr("10.254.0.0/16")
    assert (nets["overlay"], nets["ingress"], nets["gwbridge"]) == (
        "10.254.0.0/18", "10.254.64.0/18", "10.254.128.0/19")
    assert nets["docker0_bip"] == "10.254.160.1/19"
    assert nets["registry"] == "10.254.192.0/19"
    assert nets["zabbix_ips"][0] == "10.254.224.2"


def test_without_internal_cidr_uses_the_original_defaults():
    nets = split_internal_cidr(None)
    assert nets["docker0_bip"] == "172.17.128.1/16"
    assert nets["overlay"] is None and nets["ingress"] is None and nets["gwbridge"] is None
    assert nets["zabbix_ips"][0] == "172.19.0.2"
    assert nets["gwbridge_range"] == "172.20.0.0/16"


@pytest.mark.parametrize("bad", ["10.0.0.1/22", "10.0.0.0/28", "fd00::/64", "nonsense"])
def test_invalid_blocks_are_refused(bad):
    with pytest.raises(ValueError):
        split_internal_cidr(bad)
