import json

from hive_builder.render.daemon_json import TLS_CA_PATH, daemon_config, render_daemon_json


def test_tls_api_and_listeners():
    config = daemon_config("s-hive0.pdns")
    assert config["hosts"] == ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"]
    assert config["tls"] is True and config["tlsverify"] is True
    assert config["tlscacert"] == TLS_CA_PATH
    assert config["tlscert"] == "/etc/pki/tls/certs/s-hive0.pdns_cert.pem"
    assert config["tlskey"] == "/etc/pki/tls/private/s-hive0.pdns_key.pem"
    assert config["userland-proxy"] is False
    assert config["iptables"] is True
    assert config["storage-driver"] == "overlay2"


def test_bip_follows_internal_cidr():
    assert daemon_config("h", internal_cidr="172.31.252.0/22")["bip"] == "172.31.254.129/25"
    assert daemon_config("h")["bip"] == "172.17.128.1/16"


def test_docker_provider_gets_systemd_cgroups_and_the_reported_resolver():
    config = daemon_config("h", provider="docker", provider_facts={"dns": ["10.255.255.53"]})
    assert config["exec-opts"] == ["native.cgroupdriver=systemd"]
    assert config["dns"] == ["10.255.255.53"]
    assert daemon_config("h", provider="docker", provider_facts={"dns": "10.1.1.1"})["dns"] == ["10.1.1.1"]


def test_docker_provider_without_dns_fact_sets_no_dns():
    assert "dns" not in daemon_config("h", provider="docker", provider_facts={"ipvs": False})


def test_real_hosts_keep_dockers_own_resolver_and_cgroup_driver():
    config = daemon_config("h", provider="aws", provider_facts={"dns": ["10.0.0.2"]})
    assert "dns" not in config and "exec-opts" not in config


def test_rendering_is_stable_json():
    text = render_daemon_json("h", internal_cidr="10.254.0.0/16", provider="docker",
                              provider_facts={"dns": ["1.2.3.4"]})
    assert text == render_daemon_json("h", internal_cidr="10.254.0.0/16", provider="docker",
                                      provider_facts={"dns": ["1.2.3.4"]})
    assert json.loads(text)["bip"] == "10.254.160.1/19"
    assert text.endswith("\n")
