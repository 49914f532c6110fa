"""The site CA's signing of a server's request (render/ca_signing.py, module lib/hive_ca_sign.py):
the certificate carries what the request asks, a certificate is signed again only for a reason,
and it is interchangeable with community.crypto's x509_certificate (ownca) that it replaced:
a site set up by earlier versions keeps its certificates, and the other way round."""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hive_builder.render.ca_signing import sign, signing_reason
from tests.unit.local_playbook import local_args, run_playbook

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def make_ca(directory: Path) -> Path:
    spec = importlib.util.spec_from_file_location("hive_ca_module", ROOT / "hive_builder" / "lib" / "hive_ca.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    directory.mkdir(parents=True, exist_ok=True)
    mod.create_ca(str(directory), "/DC=org/DC=test/CN=ca.test.org", 100)
    return directory


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> Path:
    return make_ca(tmp_path_factory.mktemp("ca"))


def request(name: str = "s-hive0.test.org", ip: str = "10.0.0.1", key=None) -> bytes:
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name),
                                                        x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def signed(ca: Path, csr: bytes, days: int = 30) -> bytes:
    return sign(csr, (ca / "cacert.pem").read_bytes(), (ca / "cakey.pem").read_bytes(), days, NOW, 4242)


def test_the_certificate_carries_the_request_and_the_ca(ca):
    csr = request()
    cert = x509.load_pem_x509_certificate(signed(ca, csr))
    ca_cert = x509.load_pem_x509_certificate((ca / "cacert.pem").read_bytes())
    req = x509.load_pem_x509_csr(csr)
    assert cert.subject == req.subject and cert.issuer == ca_cert.subject
    assert cert.public_key() == req.public_key()
    for cls in (x509.SubjectAlternativeName, x509.ExtendedKeyUsage, x509.BasicConstraints):
        assert cert.extensions.get_extension_for_class(cls) == req.extensions.get_extension_for_class(cls)
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value == \
        x509.SubjectKeyIdentifier.from_public_key(req.public_key())
    assert cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == \
        ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert cert.signature_hash_algorithm.name == "sha256" and cert.serial_number == 4242
    assert cert.not_valid_before_utc == NOW and cert.not_valid_after_utc == NOW + datetime.timedelta(days=30)
    cert.verify_directly_issued_by(ca_cert)
    assert signing_reason(signed(ca, csr), csr, (ca / "cacert.pem").read_bytes()) is None


def test_signed_again_only_for_a_reason(ca, tmp_path):
    ca_pem = (ca / "cacert.pem").read_bytes()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = request(key=key)
    cert = signed(ca, csr)
    assert signing_reason(None, csr, ca_pem) == "no certificate yet"
    assert signing_reason(b"garbage", csr, ca_pem) == "the certificate is not readable"
    assert signing_reason(cert, request(), ca_pem) == "the server's key changed"
    assert signing_reason(cert, request(ip="10.0.0.2", key=key), ca_pem) == "the requested extensions changed"
    assert signing_reason(cert, request(name="s-hive9.test.org", key=key), ca_pem) == "the subject changed"
    other_ca = make_ca(tmp_path / "other")
    assert signing_reason(signed(other_ca, csr), csr, ca_pem) == "not signed by the site CA"
    # only the dates differ: up to date (x509_certificate's ignore_timestamps default)
    assert signing_reason(signed(ca, csr, days=1), csr, ca_pem) is None


def test_interchangeable_with_community_crypto_x509_certificate(ca, tmp_path):
    csr = request()
    (tmp_path / "req.csr").write_bytes(csr)
    common = {"csr_path": str(tmp_path / "req.csr"), "provider": "ownca", "ownca_path": str(ca / "cacert.pem"),
              "ownca_privatekey_path": str(ca / "cakey.pem"), "ownca_not_after": "+30d", "ownca_digest": "sha256",
              "mode": "0644"}
    ours = {"csr_content": csr.decode(), "ca_dir": str(ca), "valid_days": 30, "mode": "0644"}
    play = tmp_path / "play.yml"
    play.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [
        # a certificate of an earlier version is kept by hive_ca_sign
        {"community.crypto.x509_certificate": {**common, "path": str(tmp_path / "theirs.pem")}},
        {"hive_ca_sign": {**ours, "path": str(tmp_path / "theirs.pem")}},
        # hive_ca_sign's certificate: made, kept, and kept by x509_certificate too
        {"hive_ca_sign": {**ours, "path": str(tmp_path / "ours.pem"), "mode": "0640"}},
        {"hive_ca_sign": {**ours, "path": str(tmp_path / "ours.pem"), "mode": "0640"}},
        {"community.crypto.x509_certificate": {**common, "path": str(tmp_path / "ours.pem"), "mode": "0640"}},
        # check mode reports and writes nothing
        {"hive_ca_sign": {**ours, "path": str(tmp_path / "checked.pem")}, "check_mode": True},
    ]}]))
    report = run_playbook(tmp_path, play, local_args("localhost,"),
                          env={"ANSIBLE_LIBRARY": str(ROOT / "hive_builder" / "lib")})
    results = [t["hosts"]["localhost"] for t in report["plays"][0]["tasks"]]
    assert [r.get("failed", False) for r in results] == [False] * 6, results
    assert [r["changed"] for r in results] == [True, False, True, False, False, True]
    assert results[2]["reason"] == "no certificate yet" and results[1]["reason"] == ""
    assert (tmp_path / "ours.pem").stat().st_mode & 0o777 == 0o640
    assert not (tmp_path / "checked.pem").exists()
