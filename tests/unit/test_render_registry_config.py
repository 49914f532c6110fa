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
