#!/usr/bin/python
"""Ansible module hive_ca_sign: a server's certificate, signed by the site CA on the mother."""

from __future__ import annotations

DOCUMENTATION = r"""
module: hive_ca_sign
short_description: Sign a server's certificate request with the hive site CA
description:
  - Writes O(path), the certificate for O(csr_content) signed by the site CA in O(ca_dir)
    (C(cacert.pem), C(cakey.pem), made by M(hive_ca)).
  - The certificate has the request's subject, public key and extensions, a Subject Key
    Identifier, the CA's Authority Key Identifier and a SHA-256 signature, and is valid from now
    for O(valid_days) days.
  - Idempotent. A certificate is signed again only when it is missing or unreadable, or no
    longer matches the request (key, subject, extensions) or the CA (signature, issuer,
    authority key identifier). Its dates are not compared.
  - Runs on the mother with the Python that runs hive (it imports C(hive_builder)).
author: swarmhive contributors
requirements:
  - cryptography
  - hive_builder importable by the module's Python
options:
  csr_content:
    description: The certificate signing request, PEM.
    type: str
    required: true
  path:
    description: Where the certificate is written.
    type: path
    required: true
  ca_dir:
    description: Directory of the site CA's C(cacert.pem) and C(cakey.pem).
    type: path
    required: true
  valid_days:
    description: Validity of a new certificate, in days.
    type: int
    required: true
  mode:
    description: Mode of the certificate file.
    type: str
    default: "0644"
notes:
  - Supports check mode; nothing is written in check mode.
"""

EXAMPLES = r"""
- name: Certificate signed by the site CA
  hive_ca_sign:
    csr_content: "{{ hive_csr.content | b64decode }}"
    path: "{{ hive_ca_dir }}/{{ inventory_hostname }}_cert.pem"
    ca_dir: "{{ hive_ca_dir }}"
    valid_days: 36500
  delegate_to: "{{ hive_mother }}"
"""

RETURN = r"""
reason:
  description: Why the certificate was (or, in check mode, would be) signed; empty when it was up to date.
  returned: success
  type: str
  sample: no certificate yet
"""

import datetime
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def main():
    module = AnsibleModule(argument_spec=dict(
        csr_content=dict(type="str", required=True), path=dict(type="path", required=True),
        ca_dir=dict(type="path", required=True), valid_days=dict(type="int", required=True),
        mode=dict(type="str", default="0644")), supports_check_mode=True)
    try:
        from cryptography import x509
        from hive_builder.render.ca_signing import sign, signing_reason
    except ImportError as exc:
        module.fail_json(msg=f"hive_ca_sign must run with the Python that runs hive ({exc})")
    p = module.params
    ca_cert = _read(os.path.join(p["ca_dir"], "cacert.pem"))
    if ca_cert is None:
        module.fail_json(msg=f"no site CA certificate in {p['ca_dir']} (made by build-infra)")
    csr = p["csr_content"].encode()
    try:
        reason = signing_reason(_read(p["path"]), csr, ca_cert)
    except ValueError as exc:
        module.fail_json(msg=f"certificate request for {p['path']}: {exc}")
    mode = int(p["mode"], 8)
    if reason is None or module.check_mode:
        changed = reason is not None
        if not module.check_mode and os.stat(p["path"]).st_mode & 0o7777 != mode:
            os.chmod(p["path"], mode)
            changed = True
        module.exit_json(changed=changed, reason=reason or "")
    ca_key = _read(os.path.join(p["ca_dir"], "cakey.pem"))
    if ca_key is None:
        module.fail_json(msg=f"no site CA key in {p['ca_dir']} (made by build-infra)")
    cert = sign(csr, ca_cert, ca_key, p["valid_days"], datetime.datetime.now(datetime.timezone.utc),
                x509.random_serial_number())
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(p["path"]) or ".", prefix=".hive_ca_sign-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(cert)
    os.chmod(tmp, mode)
    os.replace(tmp, p["path"])
    module.exit_json(changed=True, reason=reason)


if __name__ == "__main__":
    main()
