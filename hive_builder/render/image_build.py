"""build-images decisions: image host vars -> build container, commit changes, build identity.

Pure functions over the host variables of an image host `image_<svc>` (reference §4.5, §6.3),
called by the build-images playbook through `plugins/filter/hive_deploy_filters.py`.

Build flow they serve: a container `build_image_<svc>` is created from `from` on the repository
server, the image's roles run inside it, then it is committed with the `--change` instructions of
`commit_changes` and pushed. The container is kept and reused by the next build, unless the
build's identity (`image_spec_digest`: the image attributes plus the contents of its roles)
changed, in which case it is recreated from `from` so that removed role steps disappear too
(the original kept the stale container until an operator deleted it).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hive_builder.errors import InventoryError
from hive_builder.render import standalone as sd
from hive_builder.render.swarm_service import proxy_environment

BUILD_CONTAINER_PREFIX = "build_image_"
IMAGE_HOST_PREFIX = "image_"
SPEC_DIGEST_LABEL = "hive.image-spec-digest"

# The original kept micro-service build containers alive with `sleep 2400` (40 minutes): a long
# role run (big package installs on a slow mirror) then failed half-way with a confusing
# "container not running". build-images stops the container explicitly before committing, so no
# time limit is needed. `sleep infinity` is not understood by every base image (older busybox),
# hence a loop of finite sleeps. PID 1 ignores signals it has no handler for, so the trap makes
# `docker stop` take effect at once instead of after the 10 s kill timeout; it covers the usual
# stop signals because the container runs with the image's stop_signal (which the commit keeps).
KEEPALIVE_COMMAND = ["/bin/sh", "-c",
                     "trap 'exit 0' TERM INT QUIT HUP USR1 USR2 WINCH; while :; do sleep 3600 & wait $!; done"]

# Used as ENTRYPOINT when neither the image attributes nor the base image define one: it runs the
# CMD as given, as an empty entrypoint would, but survives `docker commit --change`.
EXEC_ENTRYPOINT = ["/bin/sh", "-c", 'exec "$@"', "--"]

# Everything in an image mapping that changes what is built (pull_on/pull_from do not).
_SPEC_KEYS = ("from", "roles", "standalone", "env", "stop_signal", "user", "working_dir",
              "entrypoint", "command", "privileged", "expose")


def build_container_name(svc: str) -> str:
    return f"{BUILD_CONTAINER_PREFIX}{svc}"


def _obj(svc: str) -> str:
    return f"service {svc}"


def _exposed(svc: str, value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    result = []
    for item in values:
        text = str(item).strip()
        port, _, proto = text.partition("/")
        if not port.isdigit() or proto not in ("", "tcp", "udp", "sctp"):
            raise InventoryError(f"{item!r} is not a port (examples: 80, 53/udp)", obj=_obj(svc), attr="image.expose")
        result.append(text)
    return result


def _string_map(svc: str, attr: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InventoryError("must be a mapping", obj=_obj(svc), attr=attr)
    out = {}
    for key, val in value.items():
        if isinstance(val, bool):
            val = "true" if val else "false"
        out[str(key)] = "" if val is None else str(val)
    return out


def _str_list(svc: str, attr: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise InventoryError("must be a list of strings", obj=_obj(svc), attr=attr)


def build_container_params(svc: str, image_vars: Mapping[str, Any], proxy_env: Mapping[str, Any] | None = None,
                           spec_digest: str | None = None) -> dict[str, Any]:
    """community.docker.docker_container parameters of the build container (§6.3 step 3).

    `proxy_env` is the repository server's environment (its non-empty proxy variables are used,
    under the image's own `env`). `spec_digest`, when given, is put on the container as a label:
    docker_container recreates a container whose labels differ, so a changed build spec starts
    from a fresh `from` container.
    """
    v = image_vars
    if not v.get("hive_from"):
        raise InventoryError('"from" must be specified in "image"', obj=_obj(svc), attr="image.from")
    env = proxy_environment(proxy_env)
    env.update(_string_map(svc, "image.env", v.get("hive_env")))
    params: dict[str, Any] = {
        "name": build_container_name(svc),
        "hostname": f"{IMAGE_HOST_PREFIX}{svc}",
        "image": str(v["hive_from"]),
        "privileged": bool(v.get("hive_privileged")),
        # roles need root whatever the base image's USER is; the image's user is restored at commit
        "user": str(v.get("hive_user") or "root"),
        "command_handling": "correct",
    }
    if env:
        params["env"] = env
    exposed = _exposed(svc, v.get("hive_expose"))
    if exposed:
        params["exposed_ports"] = exposed
    if v.get("hive_working_dir"):
        params["working_dir"] = str(v["hive_working_dir"])
    if v.get("hive_stop_signal"):
        params["stop_signal"] = str(v["hive_stop_signal"])
    params["entrypoint"] = []
    if v.get("hive_standalone"):
        # systemd boots as in the deployed service, so roles can start and enable units
        params["command"] = list(sd.BUILD_COMMAND)
        params["capabilities"] = list(sd.CAPABILITIES)
        params["mounts"] = sd.build_mounts()
        params.setdefault("stop_signal", sd.STOP_SIGNAL)
    else:
        params["command"] = list(KEEPALIVE_COMMAND)
    if spec_digest:
        params["labels"] = {SPEC_DIGEST_LABEL: spec_digest}
    return params


def _json_instruction(keyword: str, words: list[str]) -> str:
    # JSON (exec) form: no shell gets between docker and the program
    return f"{keyword} {json.dumps(words)}"


def _env_instruction(svc: str, key: str, value: str) -> str:
    if "\n" in value or "\n" in key or "=" in key or not key:
        raise InventoryError(f"variable {key!r} cannot be written into the image (name with '=' or newline)",
                             obj=_obj(svc), attr="image.env")
    # Dockerfile ENV expands $VAR and unescapes \" and \\ inside double quotes
    quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'ENV {key}="{quoted}"'


def commit_changes(image_vars: Mapping[str, Any], base_image_config: Mapping[str, Any] | None) -> list[str]:
    """`docker commit --change` instructions, one per list element (§6.3 step 5).

    The engine accepts only CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR
    here; STOPSIGNAL reaches the image through the build container's config (the commit keeps it).

    `base_image_config` is the `Config` of `docker image inspect <from>` (keys Entrypoint, Cmd,
    User, ...). Micro-service images always get ENTRYPOINT and CMD, because the build container
    ran the keepalive command, which must not end up in the image: the image's `entrypoint` /
    `command`, else the base image's, else the exec wrapper / empty CMD. A standalone image runs
    its `command`, else the init (systemd) the build booted, with no entrypoint in front.
    """
    v = image_vars
    svc = str(v.get("inventory_hostname", "")).removeprefix(IMAGE_HOST_PREFIX) or "?"
    base = base_image_config or {}
    changes: list[str] = []
    standalone = bool(v.get("hive_standalone"))
    if v.get("hive_entrypoint") is not None:
        changes.append(_json_instruction("ENTRYPOINT", _str_list(svc, "image.entrypoint", v["hive_entrypoint"])))
    elif standalone:
        changes.append(_json_instruction("ENTRYPOINT", []))
    else:
        changes.append(_json_instruction("ENTRYPOINT", list(base.get("Entrypoint") or EXEC_ENTRYPOINT)))
    if v.get("hive_command") is not None:
        changes.append(_json_instruction("CMD", _str_list(svc, "image.command", v["hive_command"])))
    else:
        changes.append(_json_instruction("CMD", [sd.INIT] if standalone else list(base.get("Cmd") or [])))
    if v.get("hive_working_dir"):
        changes.append(f"WORKDIR {v['hive_working_dir']}")
    for port in _exposed(svc, v.get("hive_expose")):
        changes.append(f"EXPOSE {port}")
    for key, value in _string_map(svc, "image.env", v.get("hive_env")).items():
        changes.append(_env_instruction(svc, key, value))
    # the build container ran as root (see build_container_params); give the image its own user back
    user = v.get("hive_user") or base.get("User")
    if user:
        changes.append(f"USER {user}")
    # No STOPSIGNAL: `docker commit --change` refuses it ("stopsignal is not a valid change
    # command"); the image gets it from the build container's own stop_signal instead.
    return changes


# --------------------------------------------------------------------------- build identity


def image_spec_digest(image_vars: Mapping[str, Any], role_files_digest: str) -> str:
    """sha256 over everything that defines a build: the image attributes and the roles' files.

    Key order, YAML scalar spelling of the same value and attributes left at their default
    (absent vs null) do not change it; any value, the role order or any role file does.
    """
    spec = {key: image_vars.get(f"hive_{key}") for key in _SPEC_KEYS
            if image_vars.get(f"hive_{key}") is not None}
    spec["standalone"] = bool(spec.get("standalone"))
    spec["privileged"] = bool(spec.get("privileged"))
    document = json.dumps({"spec": spec, "role_files": role_files_digest}, sort_keys=True,
                          separators=(",", ":"), default=str)
    return hashlib.sha256(document.encode()).hexdigest()


def immutable_tag(digest: str, timestamp: datetime | float | int) -> str:
    """Registry tag for one build: `<UTC yyyymmddHHMMSS>-<first 12 of digest>`.

    Sortable by time and telling which spec produced it; valid as a Docker tag ([A-Za-z0-9_.-]).
    """
    if isinstance(timestamp, datetime):
        moment = timestamp.astimezone(timezone.utc) if timestamp.tzinfo else timestamp
    else:
        moment = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    return f"{moment:%Y%m%d%H%M%S}-{digest[:12]}"


_SKIPPED_DIRS = {"__pycache__", ".git", ".hg", ".svn"}


def role_files_digest(role_dirs: Iterable[Path | str]) -> str:
    """sha256 over the files of the given role directories, in the given (role) order.

    Within a role, files are taken in sorted relative-path order with their path, executable bit
    and contents, so the digest is the same on every machine and checkout; caches and VCS
    directories are skipped. A missing directory counts as such (creating it changes the digest).
    """
    h = hashlib.sha256()
    for role_dir in role_dirs:
        root = Path(role_dir)
        h.update(f"role\0{root.name}\0".encode())
        if not root.is_dir():
            h.update(b"missing\0")
            continue
        for path in sorted(_role_files(root), key=lambda p: p.relative_to(root).as_posix()):
            mode = "x" if os.access(path, os.X_OK) else "-"
            h.update(f"file\0{path.relative_to(root).as_posix()}\0{mode}\0".encode())
            content = path.read_bytes()
            h.update(f"{len(content)}\0".encode())
            h.update(content)
    return h.hexdigest()


def _role_files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_DIRS]
        for name in filenames:
            if not name.endswith((".pyc", ".pyo")):
                yield Path(dirpath) / name


def role_dirs(role_names: Iterable[str], search_paths: Iterable[Path | str]) -> list[Path]:
    """The directory of each role, looked up in `search_paths` in order (the project's roles
    before hive's builtin roles, as Ansible's roles_path does). An unknown role maps to its name
    under the first search path, which role_files_digest records as missing."""
    paths = [Path(p) for p in search_paths]
    found = []
    for name in role_names:
        candidates = [p / name for p in paths if (p / name).is_dir()]
        found.append(candidates[0] if candidates else (paths[0] / name if paths else Path(name)))
    return found
