"""The host certificate parameters exactly as the tls-certificate role passes them to
community.crypto (through the filter hive_host_certificate)."""

import pytest

from hive_builder.render.tls_certificate import host_certificate, subject_alt_names, subject_ordered


def test_subject_is_the_reversed_hive_name_then_cn():
    assert subject_ordered("p-hive0.pdns.example.com", "pdns.example.com") == [
        {"DC": "com"}, {"DC": "example"}, {"DC": "pdns"}, {"CN": "p-hive0.pdns.example.com"}]


def test_sub_prefix_override_with_or_without_trailing_slash():
    assert subject_ordered("h", "x", "/O=acme/") == [{"O": "acme"}, {"CN": "h"}]
    assert subject_ordered("h", "x", "/C=JP/O=acme") == [{"C": "JP"}, {"O": "acme"}, {"CN": "h"}]


def test_bad_prefix_is_refused_naming_the_variable():
    with pytest.raises(ValueError, match="hive_sub_prefix: .*ATTR=VALUE"):
        subject_ordered("h", "x", "/DC=com/oops/")


def test_sans_cover_names_private_ip_and_loopback():
    assert subject_alt_names("p-hive0.rolestest", "10.0.0.4") == [
        "DNS:p-hive0.rolestest", "DNS:p-hive0", "IP:10.0.0.4", "IP:127.0.0.1"]
    assert subject_alt_names("single", None) == ["DNS:single", "IP:127.0.0.1"]


def test_host_certificate_parameters():
    params = host_certificate("p-hive0.demo", "demo", "10.0.0.4")
    assert params == {
        "key_type": "RSA", "key_size": 4096,                       # reference §6.2 #10
        "subject_ordered": [{"DC": "demo"}, {"CN": "p-hive0.demo"}],
        "subject_alt_name": ["DNS:p-hive0.demo", "DNS:p-hive0", "IP:10.0.0.4", "IP:127.0.0.1"],
        "extended_key_usage": ["clientAuth", "serverAuth"],
        "key_usage": ["digitalSignature", "keyEncipherment"],
        "basic_constraints": ["CA:FALSE"],
    }


def test_parameters_are_accepted_by_community_crypto():
    """Every key the role passes on is an option of the modules it calls, with a valid value."""
    from ansible_collections.community.crypto.plugins.module_utils._crypto.module_backends import csr, privatekey
    key_spec = privatekey.get_privatekey_argument_spec().argument_spec
    csr_spec = csr.get_csr_argument_spec().argument_spec
    params = host_certificate("h.demo", "demo", "10.0.0.4")
    assert params["key_type"] in key_spec["type"]["choices"] and "size" in key_spec
    for option in ("subject_ordered", "subject_alt_name", "extended_key_usage", "key_usage",
                   "basic_constraints"):
        assert csr_spec[option]["type"] == "list", option
