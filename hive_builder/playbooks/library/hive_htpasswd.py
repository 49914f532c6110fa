#!/usr/bin/python
"""Ansible module hive_htpasswd: one user of a bcrypt htpasswd file, at a chosen bcrypt cost.

community.general.htpasswd always hashes at passlib's default cost (12) and keeps any hash that
verifies. The private registry checks the htpasswd hash on every request (it keeps no session),
so at cost 12 each manifest or blob request spent about 0.3 s of the repository server's CPU:
seconds per `docker pull` of an unchanged image, minutes per fresh site. hive's registry password
is 24 random characters, which no hashing cost makes easier or harder to guess.

Self-contained: it runs on the servers, where hive_builder is not installed.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: hive_htpasswd
short_description: ensure a user of a bcrypt htpasswd file, hashed at a given cost
description:
  - Makes O(path) hold one line C(name:hash) for O(name), where the bcrypt hash verifies
    O(password) and was computed at cost O(cost). Other users' lines are kept as they are.
  - The hash is replaced when it does not verify the password or has another cost; otherwise
    nothing changes (a bcrypt hash is salted, so it is never recomputed for nothing).
  - The file is written atomically with O(mode), O(owner) and O(group).
  - Hashes with the C(bcrypt) Python package when the host has it, else with the C(crypt) module
    of Python 3.12 and earlier (libxcrypt, as on Debian 12).
  - Supports check mode.
author: hive-builder developers
options:
  path:
    description: The htpasswd file; created when missing.
    type: path
    required: true
  name:
    description: The user name.
    type: str
    required: true
  password:
    description: The user's password.
    type: str
    required: true
  cost:
    description: The bcrypt cost (log2 of the rounds), 4 to 31.
    type: int
    default: 5
  mode:
    description: Mode of the file.
    type: str
    default: "0640"
  owner:
    description: Owner of the file.
    type: str
    default: root
  group:
    description: Group of the file.
    type: str
    default: root
"""

EXAMPLES = r"""
- name: registry user
  hive_htpasswd:
    path: /etc/docker/registry/htpasswd
    name: hive
    password: "{{ hive_registry_password }}"
    cost: 5
    group: docker-registry
"""

RETURN = r"""
cost:
  description: The bcrypt cost of the user's hash after the run.
  returned: success
  type: int
  sample: 5
"""

import grp
import os
import pwd
import tempfile
import warnings

from ansible.module_utils.basic import AnsibleModule


def _crypt():
    """Python's crypt module (libxcrypt's bcrypt), deprecated since 3.11 and gone in 3.13, where
    the host needs the bcrypt package instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    return crypt


def hash_password(password: str, cost: int) -> str:
    try:
        import bcrypt
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost)).decode()
    except ImportError:
        crypt = _crypt()
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))


def verifies(password: str, hashed: str) -> bool:
    try:
        import bcrypt
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ImportError:
        return _crypt().crypt(password, hashed) == hashed
    except ValueError:   # not a bcrypt hash
        return False


def hash_cost(hashed: str) -> int | None:
    """The cost field of `$2b$05$...`, or None for anything else (apr1, sha1, plaintext)."""
    parts = hashed.split("$")
    if len(parts) >= 4 and parts[1] in ("2a", "2b", "2y") and parts[2].isdigit():
        return int(parts[2])
    return None


def desired_lines(lines: list[str], name: str, password: str, cost: int) -> list[str] | None:
    """The file's lines with `name` hashed as wanted, or None when they already are."""
    prefix = f"{name}:"
    current = [line for line in lines if line.startswith(prefix)]
    if len(current) == 1:
        hashed = current[0][len(prefix):]
        if hash_cost(hashed) == cost and verifies(password, hashed):
            return None
    others = [line for line in lines if not line.startswith(prefix)]
    return others + [prefix + hash_password(password, cost)]


def _write(path: str, text: str, mode: int, uid: int, gid: int) -> None:
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".hive-htpasswd")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def ensure(params: dict, check: bool) -> bool:
    path = params["path"]
    mode = int(params["mode"], 8)
    uid = pwd.getpwnam(params["owner"]).pw_uid
    gid = grp.getgrnam(params["group"]).gr_gid
    try:
        with open(path) as src:
            lines = [line.rstrip("\n") for line in src if line.strip()]
    except FileNotFoundError:
        lines = []
    wanted = desired_lines(lines, params["name"], params["password"], params["cost"])
    if wanted is not None:
        if not check:
            _write(path, "\n".join(wanted) + "\n", mode, uid, gid)
        return True
    st = os.stat(path)
    if (st.st_mode & 0o7777, st.st_uid, st.st_gid) != (mode, uid, gid):
        if not check:
            os.chown(path, uid, gid)
            os.chmod(path, mode)
        return True
    return False


def main():
    module = AnsibleModule(argument_spec={
        "path": {"type": "path", "required": True},
        "name": {"type": "str", "required": True},
        "password": {"type": "str", "required": True, "no_log": True},
        "cost": {"type": "int", "default": 5},
        "mode": {"type": "str", "default": "0640"},
        "owner": {"type": "str", "default": "root"},
        "group": {"type": "str", "default": "root"},
    }, supports_check_mode=True)
    params = module.params
    if not 4 <= params["cost"] <= 31:
        module.fail_json(msg=f"cost must be 4 to 31, not {params['cost']}")
    if ":" in params["name"] or "\n" in params["name"]:
        module.fail_json(msg=f"an htpasswd user name cannot hold ':' or a newline: {params['name']!r}")
    try:
        changed = ensure(params, module.check_mode)
    except (OSError, KeyError) as e:
        module.fail_json(msg=f"{params['path']}: {e}")
    module.exit_json(changed=changed, cost=params["cost"])


if __name__ == "__main__":
    main()
