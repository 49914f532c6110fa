import pytest

from hive_builder.render.networks import network_params


def test_default_network_takes_first_quarter_of_internal_cidr():
    params = network_params("hive_default_network", internal_cidr="172.31.252.0/22")
    assert params["driver"] == "overlay" and params["attachable"] is True
    assert params["ipam_config"] == [{"subnet": "172.31.252.0/24"}]


def test_explicit_ipam_wins_and_driver_opts_pass_through():
    params = network_params("hive_default_network",
                            ipam={"driver": "default", "config": [{"subnet": "10.9.0.0/24", "ip_range": "10.9.0.0/25"}],
                                  "options": {"a": 1}},
                            driver_opts={"com.docker.network.driver.mtu": 1400},
                            internal_cidr="172.31.252.0/22")
    assert params["ipam_config"] == [{"subnet": "10.9.0.0/24", "iprange": "10.9.0.0/25"}]
    assert params["ipam_driver"] == "default"
    assert params["ipam_driver_options"] == {"a": "1"}
    assert params["driver_options"] == {"com.docker.network.driver.mtu": "1400"}


def test_other_networks_get_no_subnet_from_internal_cidr():
    assert "ipam_config" not in network_params("backend", internal_cidr="172.31.252.0/22")


def test_unknown_ipam_key_is_an_error_naming_the_network():
    with pytest.raises(ValueError, match="backend"):
        network_params("backend", ipam={"config": [{"subnet": "10.0.0.0/24", "bogus": 1}]})
