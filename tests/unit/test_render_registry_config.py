import yaml

from hive_builder.render.registry_config import render_registry_config


def test_registry_config_tls_auth_and_storage():
    config = yaml.safe_load(render_registry_config("p-hive3.x", port=5000))
    assert config["http"]["addr"] == ":5000"
    assert config["http"]["tls"] == {"certificate": "/etc/pki/tls/certs/p-hive3.x_cert.pem",
                                     "key": "/etc/docker/registry/p-hive3.x_key.pem"}
    assert config["auth"] == {"htpasswd": {"realm": "Registry Realm",
                                           "path": "/etc/docker/registry/htpasswd"}}
    assert config["storage"]["filesystem"]["rootdirectory"] == "/var/lib/docker-registry"
    assert config["storage"]["delete"]["enabled"] is True


def test_registry_port_is_configurable():
    assert yaml.safe_load(render_registry_config("h", port=5443))["http"]["addr"] == ":5443"


def test_registry_binds_to_the_private_ip_when_known():
    config = yaml.safe_load(render_registry_config("p-hive3.x", port=5000, private_ip="10.0.0.7"))
    assert config["http"]["addr"] == "10.0.0.7:5000"
    assert yaml.safe_load(render_registry_config("h", private_ip="fd00::7"))["http"]["addr"] == "[fd00::7]:5000"


def test_bad_registry_listen_values_are_refused():
    import pytest
    with pytest.raises(ValueError, match="hive_registry_port"):
        render_registry_config("h", port=70000, private_ip="10.0.0.7")
    with pytest.raises(ValueError):
        render_registry_config("h", private_ip="not-an-ip")
