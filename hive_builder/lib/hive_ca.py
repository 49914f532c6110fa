#!/usr/bin/python
"""Ansible module hive_ca: the site CA in <context_dir>/ca (cakey.pem, cacert.pem, extfile-ca.cnf).

Idempotent: an existing key and certificate are never replaced (servers trust them).
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: hive_ca
short_description: Create the hive site certificate authority if missing
description:
  - Creates the site CA of a hive stage, C(cakey.pem) (RSA, mode 0600) and C(cacert.pem), in
    O(ca_dir), and keeps C(extfile-ca.cnf) there up to date.
  - Idempotent. An existing key and certificate are never replaced, since the servers trust them.
  - Runs on the mother with the Python that runs hive (it imports C(hive_builder)).
author: swarmhive contributors
requirements:
  - cryptography
  - hive_builder importable by the module's Python
options:
  ca_dir:
    description: Directory of the CA files; created (mode 0700) when missing.
    type: path
    required: true
  hive_name:
    description: Name of the hive; the CA's subject is O(sub_prefix) followed by C(CN=ca.<hive_name>).
    type: str
    required: true
  sub_prefix:
    description:
      - Subject prefix, such as C(/O=Example/) (a missing final C(/) is added).
      - When omitted, the labels of O(hive_name) as C(/DC=) components, the last label first
        (C(/DC=com/DC=example/) for C(example.com)).
    type: str
  valid_days:
    description: Validity of a new CA certificate, in days.
    type: int
    default: 36500
notes:
  - Supports check mode; nothing is written in check mode.
"""

EXAMPLES = r"""
- name: Create the site CA
  hive_ca:
    ca_dir: "{{ hive_context_dir }}/ca"
    hive_name: "{{ hive_name }}"
    sub_prefix: "{{ hive_sub_prefix | default(omit) }}"
"""

RETURN = r"""
ca_cert:
  description: Path of the CA certificate.
  returned: success
  type: path
  sample: /home/admin/mysite/.hive/private/ca/cacert.pem
ca_key:
  description: Path of the CA private key.
  returned: success
  type: path
  sample: /home/admin/mysite/.hive/private/ca/cakey.pem
subject:
  description: Subject of the CA certificate.
  returned: success
  type: str
  sample: /DC=com/DC=example/CN=ca.example.com
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule


def _name(pairs):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    oids = {"CN": NameOID.COMMON_NAME, "DC": NameOID.DOMAIN_COMPONENT, "O": NameOID.ORGANIZATION_NAME,
            "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "C": NameOID.COUNTRY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME,
            "L": NameOID.LOCALITY_NAME, "emailAddress": NameOID.EMAIL_ADDRESS}
    unknown = [a for a, _ in pairs if a not in oids]
    if unknown:
        raise ValueError(f"unsupported subject attribute(s) {', '.join(unknown)}; use {', '.join(oids)}")
    return x509.Name([x509.NameAttribute(oids[a], v) for a, v in pairs])


def create_ca(ca_dir, subject, valid_days):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from hive_builder.render.certs import CA_KEY_SIZE, parse_subject

    key = rsa.generate_private_key(public_exponent=65537, key_size=CA_KEY_SIZE)
    name = _name(parse_subject(subject))
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_path = os.path.join(ca_dir, "cakey.pem")
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption()))
    with open(os.path.join(ca_dir, "cacert.pem"), "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))


def main():
    module = AnsibleModule(argument_spec=dict(
        ca_dir=dict(type="path", required=True), hive_name=dict(type="str", required=True),
        sub_prefix=dict(type="str"), valid_days=dict(type="int", default=36500)), supports_check_mode=True)
    try:
        from hive_builder.render.certs import ca_extfile, ca_subject
    except ImportError as exc:
        module.fail_json(msg=f"hive_ca must run with the Python that runs hive (hive_builder not importable: {exc})")
    p = module.params
    ca_dir = p["ca_dir"]
    subject = ca_subject(p["hive_name"], p["sub_prefix"])
    cert_path = os.path.join(ca_dir, "cacert.pem")
    changed = False
    exists = os.path.exists(cert_path) and os.path.exists(os.path.join(ca_dir, "cakey.pem"))
    if not exists:
        changed = True
        if not module.check_mode:
            os.makedirs(ca_dir, mode=0o700, exist_ok=True)
            try:
                create_ca(ca_dir, subject, p["valid_days"])
            except ValueError as exc:
                module.fail_json(msg=f"site CA subject {subject!r}: {exc}")
    ext_path = os.path.join(ca_dir, "extfile-ca.cnf")
    if not module.check_mode and os.path.isdir(ca_dir):
        try:
            current = open(ext_path).read()
        except OSError:
            current = None
        if current != ca_extfile():
            with open(ext_path, "w") as fh:
                fh.write(ca_extfile())
            changed = True
    module.exit_json(changed=changed, ca_cert=cert_path, ca_key=os.path.join(ca_dir, "cakey.pem"), subject=subject)


if __name__ == "__main__":
    main()
