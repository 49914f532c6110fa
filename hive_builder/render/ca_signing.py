"""The site CA signs a server's certificate request (setup-hosts, role tls-certificate, on the
mother): what community.crypto's x509_certificate (provider ownca) did, with its defaults, in the
Python that runs hive. That module paid about 1.6 s of the mother's CPU per server, most of it
compiling its module_utils from the module's zip and validating the CA's RSA key at every load.

The certificate: the request's subject, public key and extensions, a Subject Key Identifier when
the request has none, the CA's Authority Key Identifier, SHA-256, valid from now for `valid_days`.
A certificate is signed again only when it is missing or unreadable, or no longer matches the
request (key, subject, extensions) or the CA (signature, issuer, authority key id); its dates
are not compared, as x509_certificate's ignore_timestamps default did not.
"""

from __future__ import annotations

import datetime


def _x509():
    from cryptography import x509
    return x509


def _without_key_ids(extensions) -> list:
    x509 = _x509()
    return [e for e in extensions
            if not isinstance(e.value, (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier))]


def _authority_key_id(ca_cert):
    x509 = _x509()
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())


def _subject_key_id(csr):
    x509 = _x509()
    try:
        return csr.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(csr.public_key())


def signing_reason(cert_pem: bytes | None, csr_pem: bytes, ca_cert_pem: bytes) -> str | None:
    """Why the certificate must be signed (again), None when it is up to date."""
    from cryptography.exceptions import InvalidSignature
    x509 = _x509()
    csr = x509.load_pem_x509_csr(csr_pem)
    if not csr.is_signature_valid:
        raise ValueError("the certificate signing request's signature is not valid")
    if cert_pem is None:
        return "no certificate yet"
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        return "the certificate is not readable"
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    if cert.public_key() != csr.public_key():
        return "the server's key changed"
    if cert.subject != csr.subject:
        return "the subject changed"
    cert_extensions = _without_key_ids(cert.extensions)
    if sorted(cert_extensions, key=lambda e: e.oid.dotted_string) != \
            sorted(_without_key_ids(csr.extensions), key=lambda e: e.oid.dotted_string):
        return "the requested extensions changed"
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return "no subject key identifier"
    if ski.digest != _subject_key_id(csr).digest:
        return "another subject key identifier"
    if cert.issuer != ca_cert.subject:
        return "issued by another CA"
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return "not signed by the site CA"
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return "no authority key identifier"
    if aki != _authority_key_id(ca_cert):
        return "another authority key identifier"
    return None


def sign(csr_pem: bytes, ca_cert_pem: bytes, ca_key_pem: bytes, valid_days: int,
         now: datetime.datetime, serial: int) -> bytes:
    """The certificate for the request, signed by the CA (PEM)."""
    from cryptography.hazmat.primitives import hashes, serialization
    x509 = _x509()
    csr = x509.load_pem_x509_csr(csr_pem)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    # the site CA's own key, made by hive_ca: its RSA consistency check (most of a load's time)
    # proves nothing here
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None, unsafe_skip_rsa_key_validation=True)
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
               .serial_number(serial).not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=valid_days)).public_key(csr.public_key()))
    for extension in _without_key_ids(csr.extensions):
        builder = builder.add_extension(extension.value, critical=extension.critical)
    builder = builder.add_extension(_subject_key_id(csr), critical=False)
    builder = builder.add_extension(_authority_key_id(ca_cert), critical=False)
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
