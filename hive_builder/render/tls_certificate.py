"""Pure: everything a host certificate of a server is made of (reference §6.2 tls-certificate
role): key type and size, subject, subject alternative names and extensions.

The only source of these values: the tls-certificate role takes them through the filter
`hive_host_certificate`. The site CA's own subject and extensions live in render/certs.py.
"""

from __future__ import annotations

from hive_builder.render.certs import parse_subject, sub_prefix

HOST_KEY_TYPE = "RSA"
HOST_KEY_SIZE = 4096
# docker's TLS API and the registry: the same certificate serves (serverAuth) and, in the admin's
# ~/.docker, identifies the client (clientAuth)
EXTENDED_KEY_USAGE = ("clientAuth", "serverAuth")
KEY_USAGE = ("digitalSignature", "keyEncipherment")
BASIC_CONSTRAINTS = ("CA:FALSE",)


def subject_ordered(host: str, hive_name: str, prefix_override: str | None = None) -> list[dict]:
    """`<sub_prefix>CN=<host>` for community.crypto's `subject_ordered` (order kept)."""
    try:
        pairs = parse_subject(sub_prefix(hive_name, prefix_override))
    except ValueError as exc:
        raise ValueError(f"hive_sub_prefix: {exc}") from None
    return [{attr: value} for attr, value in pairs] + [{"CN": host}]


def subject_alt_names(host: str, private_ip: str | None) -> list[str]:
    """Docker clients reach a node by inventory name, short name or private IP; local tools by
    127.0.0.1."""
    names = [f"DNS:{host}"]
    short = host.split(".", 1)[0]
    if short != host:
        names.append(f"DNS:{short}")
    if private_ip:
        names.append(f"IP:{private_ip}")
    names.append("IP:127.0.0.1")
    return names


def host_certificate(host: str, hive_name: str, private_ip: str | None,
                     prefix_override: str | None = None) -> dict:
    """Parameters of the host key (openssl_privatekey) and request (openssl_csr) of `host`."""
    return {
        "key_type": HOST_KEY_TYPE,
        "key_size": HOST_KEY_SIZE,
        "subject_ordered": subject_ordered(host, hive_name, prefix_override),
        "subject_alt_name": subject_alt_names(host, private_ip),
        "extended_key_usage": list(EXTENDED_KEY_USAGE),
        "key_usage": list(KEY_USAGE),
        "basic_constraints": list(BASIC_CONSTRAINTS),
    }
