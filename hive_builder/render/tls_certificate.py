"""Pure: subject and extensions of the host certificates signed by the site CA (reference §6.1
ca role, §6.2 tls-certificate role)."""

from __future__ import annotations


def default_sub_prefix(hive_name: str) -> str:
    """`/DC=com/DC=example/DC=pdns/` for hive name `pdns.example.com`."""
    labels = [x for x in hive_name.split(".") if x]
    return "/" + "".join(f"DC={x}/" for x in reversed(labels))


def parse_sub_prefix(sub_prefix: str) -> list[dict]:
    """`/DC=com/O=x/` -> [{"DC": "com"}, {"O": "x"}] (order kept)."""
    parts = []
    for item in sub_prefix.split("/"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"hive_sub_prefix: '{item}' is not of the form KEY=VALUE")
        parts.append({key.strip(): value.strip()})
    return parts


def subject_ordered(host: str, hive_name: str, sub_prefix: str | None = None) -> list[dict]:
    """Subject of the certificate of `host` for community.crypto's `subject_ordered`."""
    prefix = sub_prefix if sub_prefix else default_sub_prefix(hive_name)
    return parse_sub_prefix(prefix) + [{"CN": host}]


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
