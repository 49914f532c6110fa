"""The CA creation of lib/hive_ca.py (real key generation, into a temp dir)."""

import importlib.util
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

LIB = Path(__file__).resolve().parents[2] / "hive_builder" / "lib" / "hive_ca.py"


def load_module():
    spec = importlib.util.spec_from_file_location("hive_ca_module", LIB)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_create_ca_subject_extensions_and_key_mode(tmp_path):
    load_module().create_ca(str(tmp_path), "/DC=com/DC=example/DC=pdns/CN=ca.pdns.example.com", 10)
    cert = x509.load_pem_x509_certificate((tmp_path / "cacert.pem").read_bytes())
    assert [(a.oid, a.value) for a in cert.subject] == [
        (NameOID.DOMAIN_COMPONENT, "com"), (NameOID.DOMAIN_COMPONENT, "example"),
        (NameOID.DOMAIN_COMPONENT, "pdns"), (NameOID.COMMON_NAME, "ca.pdns.example.com")]
    assert cert.issuer == cert.subject
    assert cert.public_key().key_size == 4096 and cert.signature_hash_algorithm.name == "sha256"
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign and ku.digital_signature and not ku.key_encipherment
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 10
    assert (tmp_path / "cakey.pem").stat().st_mode & 0o777 == 0o600


def test_unsupported_subject_attribute(tmp_path):
    import pytest
    with pytest.raises(ValueError, match="unsupported subject attribute"):
        load_module()._name([("XX", "y")])
