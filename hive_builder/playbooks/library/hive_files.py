#!/usr/bin/python
"""Ensure several small files on a server in one module call (setup-hosts is dominated by the
per-task cost of Ansible, not by the work itself).

Self-contained: it runs on the servers, where hive_builder is not installed.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: hive_files
short_description: ensure several files (content or a copy of another file on the host)
description:
  - Makes each listed file hold the given content (or the content of another file on the host),
    with the given mode, owner and group, in one module call instead of one task per file.
  - Parent directories are made (0755). A file is rewritten only when its content differs; a
    bind-mounted file, which cannot be replaced by a rename, is written in place.
  - Supports check mode.
author: hive-builder developers
options:
  files:
    description:
      - list of {path, content | src, mode, owner, group}; C(src) is a file on the host, C(mode)
        defaults to 0644, C(owner) and C(group) to root.
    type: list
    elements: dict
    required: true
  absent:
    description:
      - paths removed when they exist (files only).
    type: list
    elements: str
    default: []
  prune:
    description:
      - remove the files of directory C(path) whose names match C(patterns) (default all) and
        neither C(excludes) nor C(keep), hidden files never (a half-written C(.hive-) file is
        another run's). Subdirectories are left alone.
      - "{path, patterns, excludes, keep}: C(keep) lists file names."
    type: dict
"""

EXAMPLES = r"""
- name: zabbix agent configuration files
  hive_files:
    files:
      - {path: /etc/zabbix/zabbix_agentd.d/hive.conf, content: "UserParameter=a,b\n", mode: "0644"}
      - {path: /etc/hive/ca.pem, src: /etc/pki/tls/certs/ca.pem}

- name: one rule per selected service, none for the others
  hive_files:
    files: [{path: /etc/rsyslog-services.d/web.conf, content: "..."}]
    prune: {path: /etc/rsyslog-services.d, patterns: ["*.conf"], keep: [web.conf]}
"""

RETURN = r"""
changed_paths:
  description: the files that were (or, in check mode, would be) changed
  returned: always
  type: list
  elements: str
created_paths:
  description: the changed files that did not exist before (a subset of changed_paths)
  returned: always
  type: list
  elements: str
removed_paths:
  description: the files that were (or, in check mode, would be) removed (absent, prune)
  returned: always
  type: list
  elements: str
"""

import errno
import fnmatch
import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _desired_bytes(spec: dict) -> bytes:
    if spec.get("src") is not None:
        with open(spec["src"], "rb") as fh:
            return fh.read()
    return (spec.get("content") or "").encode()


def _write(path: str, data: bytes) -> None:
    directory = os.path.dirname(path) or "/"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".hive-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if exc.errno not in (errno.EBUSY, errno.EXDEV):
            raise
        with open(path, "wb") as fh:     # a bind-mounted file cannot be replaced by rename
            fh.write(data)


def ensure_file(spec: dict, check: bool) -> bool:
    """Make the file match `spec`; True when something was (or would be) changed."""
    path = spec["path"]
    data = _desired_bytes(spec)
    mode = int(str(spec.get("mode") or "0644"), 8)
    uid = pwd.getpwnam(spec["owner"]).pw_uid if spec.get("owner") else 0
    gid = grp.getgrnam(spec["group"]).gr_gid if spec.get("group") else (
        pwd.getpwuid(uid).pw_gid if spec.get("owner") else 0)
    changed = False
    try:
        with open(path, "rb") as fh:
            same = fh.read() == data
    except FileNotFoundError:
        same = False
    if not same:
        changed = True
        if not check:
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            _write(path, data)
    if check and not os.path.exists(path):
        return changed
    st = os.stat(path)
    if (st.st_mode & 0o7777) != mode:
        changed = True
        if not check:
            os.chmod(path, mode)
    if (st.st_uid, st.st_gid) != (uid, gid):
        changed = True
        if not check:
            os.chown(path, uid, gid)
    return changed


def remove_file(path: str, check: bool) -> bool:
    """Remove the file when it exists; True when it was (or would be) removed."""
    if not os.path.lexists(path):
        return False
    if os.path.isdir(path) and not os.path.islink(path):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file")
    if not check:
        os.unlink(path)
    return True


def pruned(prune: dict) -> list[str]:
    """The paths `prune` removes: files of the directory matched by patterns, not excluded or
    kept, not hidden."""
    directory = prune["path"]
    patterns = prune.get("patterns") or ["*"]
    excludes = prune.get("excludes") or []
    keep = set(prune.get("keep") or [])
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    return [os.path.join(directory, name) for name in names
            if not name.startswith(".") and name not in keep
            and any(fnmatch.fnmatchcase(name, p) for p in patterns)
            and not any(fnmatch.fnmatchcase(name, p) for p in excludes)
            and os.path.isfile(os.path.join(directory, name))]


def main():
    module = AnsibleModule(argument_spec={
        "files": {"type": "list", "elements": "dict", "required": True},
        "absent": {"type": "list", "elements": "str", "default": []},
        "prune": {"type": "dict", "options": {
            "path": {"type": "path", "required": True},
            "patterns": {"type": "list", "elements": "str", "default": ["*"]},
            "excludes": {"type": "list", "elements": "str", "default": []},
            "keep": {"type": "list", "elements": "str", "default": []}}},
    }, supports_check_mode=True)
    changed_paths, created_paths = [], []
    for spec in module.params["files"]:
        if not spec.get("path"):
            module.fail_json(msg="hive_files: every entry needs a path")
        try:
            existed = os.path.lexists(spec["path"])
            if ensure_file(spec, module.check_mode):
                changed_paths.append(spec["path"])
                if not existed:
                    created_paths.append(spec["path"])
        except (OSError, KeyError) as exc:
            module.fail_json(msg=f"hive_files: {spec['path']}: {exc}")
    removed = list(module.params["absent"])
    if module.params["prune"]:
        removed += pruned(module.params["prune"])
    removed_paths = []
    for path in dict.fromkeys(removed):
        try:
            if remove_file(path, module.check_mode):
                removed_paths.append(path)
        except OSError as exc:
            module.fail_json(msg=f"hive_files: cannot remove {path}: {exc}")
    module.exit_json(changed=bool(changed_paths or removed_paths), changed_paths=changed_paths,
                     created_paths=created_paths, removed_paths=removed_paths)


if __name__ == "__main__":
    main()
