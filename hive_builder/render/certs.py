"""Pure: subject and extensions of the site CA (reference §6.1 ca role) and the subject prefix
shared with the host certificates (whose extensions are in render/tls_certificate.py).

Subjects are handled as ordered (attribute, value) pairs, e.g. for hive `pdns.example.com`:
`/DC=com/DC=example/DC=pdns/CN=ca.pdns.example.com`.
"""

from __future__ import annotations

CA_KEY_SIZE = 4096
DEFAULT_VALID_DAYS = 36500   # the original's hive_valid_in default: a private site CA that never expires in practice
CA_KEY_USAGE = ("digitalSignature", "cRLSign", "keyCertSign")


def sub_prefix(hive_name: str, override: str | None = None) -> str:
    """`hive_sub_prefix` if given, else /DC= of the reversed labels of the hive name, ending in '/'."""
    if override:
        return override if override.endswith("/") else override + "/"
    labels = [label for label in hive_name.split(".") if label]
    return "".join(f"/DC={label}" for label in reversed(labels)) + "/"


def parse_subject(subject: str) -> list[tuple[str, str]]:
    """'/DC=com/CN=x' -> [('DC', 'com'), ('CN', 'x')]; raises ValueError on a malformed part."""
    pairs = []
    for part in subject.strip("/").split("/"):
        if not part:
            continue
        attr, sep, value = part.partition("=")
        if not sep or not attr or not value:
            raise ValueError(f"subject part {part!r} of {subject!r} is not ATTR=VALUE")
        pairs.append((attr.strip(), value.strip()))
    return pairs


def ca_subject(hive_name: str, prefix_override: str | None = None) -> str:
    return f"{sub_prefix(hive_name, prefix_override)}CN=ca.{hive_name}"


def ca_extfile() -> str:
    """extfile-ca.cnf as the original wrote it (kept in <context_dir>/ca for people using openssl by hand)."""
    return ("basicConstraints=critical,CA:TRUE\n"
            f"keyUsage=critical,{','.join(CA_KEY_USAGE)}\n")
