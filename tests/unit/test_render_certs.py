import pytest

from hive_builder.render.certs import ca_extfile, ca_subject, parse_subject, sub_prefix


@pytest.mark.parametrize("name, expected", [
    ("pdns.example.com", "/DC=com/DC=example/DC=pdns/"),
    ("demo", "/DC=demo/"),
])
def test_sub_prefix_from_hive_name(name, expected):
    assert sub_prefix(name) == expected


def test_sub_prefix_override_gets_trailing_slash():
    assert sub_prefix("x", "/C=JP/O=Acme") == "/C=JP/O=Acme/"
    assert sub_prefix("x", "/C=JP/") == "/C=JP/"


def test_ca_subject():
    assert ca_subject("pdns.example.com") == "/DC=com/DC=example/DC=pdns/CN=ca.pdns.example.com"
    assert ca_subject("x", "/O=acme") == "/O=acme/CN=ca.x"


def test_parse_subject_keeps_order_and_repeats():
    assert parse_subject("/DC=com/DC=example/CN=ca.example.com") == [
        ("DC", "com"), ("DC", "example"), ("CN", "ca.example.com")]


@pytest.mark.parametrize("bad", ["/DC=com/oops", "/=x", "/CN="])
def test_parse_subject_rejects_malformed(bad):
    with pytest.raises(ValueError):
        parse_subject(bad)


def test_ca_extfile():
    assert ca_extfile().splitlines() == ["basicConstraints=critical,CA:TRUE",
                                         "keyUsage=critical,digitalSignature,cRLSign,keyCertSign"]
