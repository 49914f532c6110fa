import pytest

from hive_builder.render.tls_certificate import (default_sub_prefix, parse_sub_prefix,
                                                 subject_alt_names, subject_ordered)


def test_default_prefix_reverses_the_hive_name():
    assert default_sub_prefix("pdns.example.com") == "/DC=com/DC=example/DC=pdns/"


def test_subject_is_prefix_then_cn():
    assert subject_ordered("p-hive0.pdns.example.com", "pdns.example.com") == [
        {"DC": "com"}, {"DC": "example"}, {"DC": "pdns"}, {"CN": "p-hive0.pdns.example.com"}]
    assert subject_ordered("h", "x", "/O=acme/") == [{"O": "acme"}, {"CN": "h"}]


def test_bad_prefix_is_refused():
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_sub_prefix("/DC=com/oops/")


def test_sans_cover_names_private_ip_and_loopback():
    assert subject_alt_names("p-hive0.rolestest", "10.0.0.4") == [
        "DNS:p-hive0.rolestest", "DNS:p-hive0", "IP:10.0.0.4", "IP:127.0.0.1"]
