"""Service attributes: one table from each attribute to its normaliser and to the
community.docker.docker_swarm_service parameter it becomes (docs/service-attributes.md).

A normaliser `(where, value, attr) -> value` checks a value as the user wrote it and returns it
in the form the module takes (a duration as `1m30s`, a shell-string health check as
`[CMD-SHELL, ...]`, a port as a `publish` entry ...). Problems are reported through `where`, which
names the file, the service and the attribute; the value returned then means nothing. The model
runs every normaliser when it loads the inventory (`hive check`), so what it accepts
deploy-services accepts too; the renderer (render/swarm_service.py) runs the same normalisers
again on the host vars, which keep the values as the user wrote them, and only assembles the
results (`normalise`). Checks that need several attributes are the `*_problem` functions, shared
the same way.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hive_builder.model.checks import (is_int, reject_unknown, want_bool, want_int, want_list,
                                       want_mapping, want_one_of, want_str, want_str_list)
from hive_builder.model.log_patterns import pattern_problem
from hive_builder.model.problems import Problems, Where, type_name
from hive_builder.model.volumes import VOLUME_NAME, volume_label

BACKUP_KEYS = ("name", "directory", "backup_command", "backup_file", "restore_command",
               "restore_file", "ext", "cleanup_days_before", "batch_scripts")
PLACEMENT_KEYS = ("constraints", "preferences", "replicas_max_per_node")
RESTART_KEYS = ("condition", "delay", "max_attempts", "window")
RESTART_CONDITIONS = ("none", "on-failure", "any")
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period")
LOGGING_KEYS = ("driver", "options")
PORT_KEYS = ("published_port", "target_port", "protocol", "mode")
PUBLISH_PROTOCOLS = ("tcp", "udp")     # the swarm module's choices: it cannot publish sctp
PUBLISH_MODES = ("ingress", "host")
SERVICE_MODES = ("replicated", "global")
ENDPOINT_MODES = ("vip", "dnsrr")
MOUNT_KEYS = ("source", "target", "type", "readonly")
MOUNT_TYPES = ("bind", "volume", "tmpfs")
BACKUP_FILE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
RESERVED_BACKUP_PREFIX = "hive-"

# swarmkit's constraint.Parse: `KEY == VALUE` or `KEY != VALUE` with these characters
CONSTRAINT_KEY = re.compile(r"[a-z_][a-z0-9\-_.]+", re.I | re.A)
CONSTRAINT_VALUE = re.compile(r"[a-z0-9:\-_ \t\n\f\r.*()?+\[\]\\^$|/]+", re.I | re.A)
# Linux capabilities as Docker names them (case-insensitive, with or without CAP_), plus ALL
CAPABILITIES = frozenset((
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
    "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
    "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
    "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
    "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
    "CHECKPOINT_RESTORE ALL").split())
# sysctls a container may set (runc: only those of a namespace the container has of its own)
SYSCTL_NAMES = ("kernel.domainname", "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                "kernel.shm_rmid_forced")
SYSCTL_PREFIXES = ("net.", "fs.mqueue.")
# a size as the module's human_to_bytes reads it: units B K M G T P, powers of 1024
MEMORY = re.compile(r"(\d+(?:\.\d+)?)([KMGTPkmgtp]B?|[Bb])?", re.A)
MEMORY_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}
MIN_MEMORY = 6 * 2**20     # dockerd: "Minimum memory limit allowed is 6MB"

Normaliser = Callable[[Where, Any, str], Any]


# ---------------------------------------------------------------- durations

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_MICROSECONDS = {"ns": 0.001, "us": 1, "µs": 1, "ms": 1_000, "s": 1_000_000,
                 "m": 60_000_000, "h": 3_600_000_000}
_MAX_MICROSECONDS = (2**63 - 1) // 1000    # the engine keeps nanoseconds in an int64
_DURATION_EXAMPLES = "such as 30s, 1m30s, 1.5s or 500ms, or a number of seconds"


def _microseconds(w: Where, value: Any, attr: str) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        w.error(f"expected a duration {_DURATION_EXAMPLES}, found {type_name(value)}", attr)
        return None
    if isinstance(value, str):
        text = value.strip()
        parts = _DURATION_PART.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            w.error(f"expected a duration {_DURATION_EXAMPLES}, found {value!r}", attr)
            return None
        total = round(sum(float(n) * _MICROSECONDS[u] for n, u in parts))
    elif not math.isfinite(value) or value < 0:
        w.error(f"expected a duration of 0 seconds or more, found {value}", attr)
        return None
    else:
        total = round(value * 1_000_000)
    if total > _MAX_MICROSECONDS:
        w.error(f"{value!r} is too long a duration (at most about 292 years)", attr)
        return None
    return total


def _format_duration(total_us: int) -> str:
    """`[Nh][Nm][Ns][Nms][Nus]` with integer parts: the form the module parses."""
    out = []
    for unit, size in (("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000),
                       ("us", 1)):
        count, total_us = divmod(total_us, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"


def duration(w: Where, value: Any, attr: str) -> str | None:
    """A compose-style duration ("1m30s", "1.5s", "500ms", or a number of seconds) as the module
    takes it (sub-microsecond parts are dropped)."""
    total = _microseconds(w, value, attr)
    return None if total is None else _format_duration(total)


def _probe_duration(w: Where, value: Any, attr: str) -> str | None:
    """A health check duration: 0 (Docker's default) or at least 1ms, as the engine requires."""
    total = _microseconds(w, value, attr)
    if total is None:
        return None
    if 0 < total < 1000:
        w.error(f"expected 0 or at least 1ms (the engine refuses shorter ones), found {value!r}",
                attr)
        return None
    return _format_duration(total)


# ---------------------------------------------------------------- simple values


def _str_value(value: Any) -> str:
    """An environment, logging option or sysctl value: the module refuses non-strings, and YAML
    gives numbers and booleans for unquoted values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar_values(w: Where, v: dict, attr: str) -> None:
    for key, value in v.items():
        if not isinstance(key, str):
            w.error(f"expected string keys, found {type_name(key)}", attr)
        elif isinstance(value, dict | list):
            w.error(f"{key}: expected a scalar value, found {type_name(value)}", attr)


def _str_map(v: dict) -> dict[str, str]:
    return {str(k): _str_value(x) for k, x in v.items() if not isinstance(x, dict | list)}


def _argv(w: Where, v: Any, attr: str) -> list[str]:
    """command, entrypoint: a list of words, or a string split like a shell command line."""
    if isinstance(v, str):
        try:
            return shlex.split(v)
        except ValueError as exc:
            w.error(f"cannot split {v!r} into words as a shell would: {exc}", attr)
            return []
    if want_str_list(w, v, attr, scalars=True):
        return [str(x) for x in v]
    return []


def _environment(w: Where, v: Any, attr: str) -> dict[str, str]:
    """A mapping NAME: value, or a list of NAME=value."""
    if isinstance(v, list):
        result: dict[str, str] = {}
        if want_str_list(w, v, attr):
            for item in v:
                name, sep, value = item.partition("=")
                if not sep or not name:
                    w.error(f"entry {item!r}: expected NAME=value", attr)
                else:
                    result[name] = value
        return result
    if not want_mapping(w, v, attr):
        return {}
    _scalar_values(w, v, attr)
    return _str_map(v)


def _str_mapping(w: Where, v: Any, attr: str) -> dict[str, str]:
    if not want_mapping(w, v, attr):
        return {}
    _scalar_values(w, v, attr)
    return _str_map(v)


def _labels(w: Where, v: Any, attr: str) -> dict[str, str]:
    """Values may be anything: non-strings are JSON-encoded (reference §4.3)."""
    if not want_mapping(w, v, attr):
        return {}
    result = {}
    for key, value in v.items():
        if not isinstance(key, str):
            w.error(f"expected string label names, found {type_name(key)}", attr)
        else:
            result[key] = value if isinstance(value, str) else json.dumps(value, default=str)
    return result


def _user(w: Where, v: Any, attr: str) -> str | None:
    if is_int(v):
        return str(v)
    return v if want_str(w, v, attr) else None


def _working_dir(w: Where, v: Any, attr: str) -> str | None:
    if not want_str(w, v, attr):
        return None
    if not v.startswith("/"):
        w.error(f"expected an absolute path in the container, found {v!r}", attr)
        return None
    return v


def _str_list(w: Where, v: Any, attr: str) -> list[str]:
    return list(v) if want_str_list(w, v, attr) else []


def _one_of(*allowed: str) -> Normaliser:
    return lambda w, v, a: v if want_one_of(w, v, a, allowed) else None


def _count(lo: int) -> Normaliser:
    return lambda w, v, a: v if want_int(w, v, a, lo=lo) else None


def _bool(w: Where, v: Any, attr: str) -> bool | None:
    return v if want_bool(w, v, attr) else None


def _validated(check: Callable[[Where, Any, str], None]) -> Normaliser:
    """A check of an attribute that is not a swarm option: the value stays as written."""
    def normalise(w: Where, v: Any, attr: str) -> Any:
        check(w, v, attr)
        return v
    return normalise


# ---------------------------------------------------------------- swarm structures


def constraint_problem(expression: str) -> str | None:
    """Why swarm refuses a placement constraint (swarmkit's constraint.Parse), or None."""
    for operator in ("==", "!="):
        if operator in expression:
            key, value = (part.strip() for part in expression.split(operator, 1))
            if not CONSTRAINT_KEY.fullmatch(key):
                return (f"constraint {expression!r}: {key!r} is not a valid key (letters, digits, "
                        "'_', '-', '.', such as node.labels.zone)")
            if not CONSTRAINT_VALUE.fullmatch(value):
                return f"constraint {expression!r}: {value!r} is not a valid value"
            return None
    return (f"constraint {expression!r}: expected KEY == VALUE or KEY != VALUE, such as "
            "node.labels.zone == a")


def _placement(w: Where, v: Any, attr: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if not want_mapping(w, v, attr):
        return result
    if "max_replicas_per_node" in v:
        w.error("max_replicas_per_node is docker compose's spelling: write replicas_max_per_node "
                "(the name of the swarm module and of docker service create "
                "--replicas-max-per-node)", f"{attr}.max_replicas_per_node")
    reject_unknown(w.at(attr), {k: x for k, x in v.items() if k != "max_replicas_per_node"},
                   PLACEMENT_KEYS, attr)
    if "constraints" in v and want_str_list(w, v["constraints"], f"{attr}.constraints"):
        for expression in v["constraints"]:
            problem = constraint_problem(expression)
            if problem:
                w.error(problem, f"{attr}.constraints")
        result["constraints"] = list(v["constraints"])
    if "preferences" in v and want_list(w, v["preferences"], f"{attr}.preferences"):
        for preference in v["preferences"]:
            if not (isinstance(preference, dict) and list(preference) == ["spread"]
                    and isinstance(preference["spread"], str) and preference["spread"]):
                found = (f"a mapping with {', '.join(map(str, preference))}"
                         if isinstance(preference, dict) else type_name(preference))
                w.error("expected mappings {spread: LABEL} such as {spread: node.labels.zone}, "
                        f"found {found}", f"{attr}.preferences")
        result["preferences"] = [dict(p) for p in v["preferences"] if isinstance(p, dict)]
    if "replicas_max_per_node" in v and want_int(w, v["replicas_max_per_node"],
                                                 f"{attr}.replicas_max_per_node", lo=1):
        result["replicas_max_per_node"] = v["replicas_max_per_node"]
    return result


def _restart(w: Where, v: Any, attr: str) -> dict[str, Any]:
    if not want_mapping(w, v, attr):
        return {}
    reject_unknown(w.at(attr), v, RESTART_KEYS, attr)
    # Docker's own default is `any`; the module would send `none` when only delay/window are given,
    # and a failed task would then never be restarted.
    result: dict[str, Any] = {"condition": v.get("condition", "any")}
    if "condition" in v:
        want_one_of(w, v["condition"], f"{attr}.condition", RESTART_CONDITIONS)
    for key in ("delay", "window"):
        if key in v:
            result[key] = duration(w, v[key], f"{attr}.{key}")
    if "max_attempts" in v and want_int(w, v["max_attempts"], f"{attr}.max_attempts", lo=0):
        result["max_attempts"] = v["max_attempts"]
    return result


def _healthcheck(w: Where, v: Any, attr: str) -> dict[str, Any]:
    """The module's keys (reference §4.3); `test` as a string runs in a shell."""
    result: dict[str, Any] = {}
    if not want_mapping(w, v, attr):
        return result
    if "disable" in v:
        w.error("disable is docker compose's spelling: write test: [NONE] to turn off the "
                "image's health check", f"{attr}.disable")
    reject_unknown(w.at(attr), {k: x for k, x in v.items() if k != "disable"},
                   HEALTHCHECK_KEYS, attr)
    if "test" in v:
        result["test"] = _healthcheck_test(w, v["test"], f"{attr}.test")
    elif "disable" not in v:
        # without a test the module drops the whole health check, intervals included
        w.error("test must be specified: a shell command line, or a list starting with CMD, "
                "CMD-SHELL or NONE", f"{attr}.test")
    for key in ("interval", "timeout", "start_period"):
        if key in v:
            result[key] = _probe_duration(w, v[key], f"{attr}.{key}")
    if "retries" in v and want_int(w, v["retries"], f"{attr}.retries", lo=0):
        result["retries"] = v["retries"]
    return result


def _healthcheck_test(w: Where, test: Any, attr: str) -> list[str]:
    if isinstance(test, str):
        if not test.strip():
            w.error("expected a command line, found an empty string", attr)
        return ["CMD-SHELL", test]
    if not want_str_list(w, test, attr):
        return []
    kind = test[0] if test else None
    if not ((kind == "NONE" and len(test) == 1) or (kind == "CMD" and len(test) >= 2)
            or (kind == "CMD-SHELL" and len(test) == 2)):
        w.error("expected a shell command line (string), or a list: CMD then the command and its "
                "arguments, CMD-SHELL then one command line, or NONE alone (no health check); "
                f"found {test!r}", attr)
    return list(test)


def _hosts(w: Where, v: Any, attr: str) -> dict[str, str]:
    """A mapping hostname: address, or a compose-style list of "hostname:address"."""
    entries: list[tuple[str, Any]] = []
    if isinstance(v, list):
        if want_str_list(w, v, attr):
            for item in v:
                parts = re.split(r"[:=]", item, maxsplit=1)
                if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                    w.error(f"entry {item!r}: expected HOSTNAME:ADDRESS", attr)
                else:
                    entries.append((parts[0].strip(), parts[1].strip()))
    elif isinstance(v, dict):
        entries = list(v.items())
    else:
        w.error(f"expected a mapping hostname: address, found {type_name(v)}", attr)
    result = {}
    for name, address in entries:
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            w.error(f"expected host names without spaces, found {type_name(name)}", attr)
        elif not _is_ip(address):
            w.error(f"{name}: expected an IP address, found {type_name(address)}", attr)
        else:
            result[name] = address
    return result


def _is_ip(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _dns(w: Where, v: Any, attr: str) -> list[str]:
    """A server address or a list of them."""
    if isinstance(v, str):
        servers = [v]
    elif isinstance(v, list) and want_str_list(w, v, attr):
        servers = list(v)
    else:
        if not isinstance(v, list):
            w.error(f"expected an IP address or a list of them, found {type_name(v)}", attr)
        return []
    for server in servers:
        if not _is_ip(server):
            w.error(f"expected an IP address, found {server!r}", attr)
    return servers


def _logging(w: Where, v: Any, attr: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if not want_mapping(w, v, attr):
        return result
    reject_unknown(w.at(attr), v, LOGGING_KEYS, attr)
    if "driver" in v and want_str(w, v["driver"], f"{attr}.driver"):
        result["driver"] = v["driver"]
    if "options" in v:
        result["options"] = _str_mapping(w, v["options"], f"{attr}.options")
    return result


def _capabilities(w: Where, v: Any, attr: str) -> list[str]:
    """cap_add, cap_drop: capability names as Docker reads them (any case, CAP_ optional), given
    as Docker's CLI writes them (NET_ADMIN)."""
    result: list[str] = []
    if not want_str_list(w, v, attr):
        return result
    for capability in v:
        name = capability.upper().removeprefix("CAP_")
        if name not in CAPABILITIES:
            w.error(f"unknown capability {capability!r}: expected names such as NET_ADMIN or "
                    "SYS_TIME, or ALL", attr)
        elif name not in result:
            result.append(name)
    return result


def sysctl_problem(name: str) -> str | None:
    if name in SYSCTL_NAMES or name.startswith(SYSCTL_PREFIXES):
        return None
    return (f"{name} cannot be set in a container (not in a kernel namespace of its own): "
            "expected net.*, fs.mqueue.*, kernel.domainname, kernel.msgmax, kernel.msgmnb, "
            "kernel.msgmni, kernel.sem or kernel.shm*")


def _sysctls(w: Where, v: Any, attr: str) -> dict[str, str]:
    result = _str_mapping(w, v, attr)
    for name in result:
        problem = sysctl_problem(name)
        if problem:
            w.error(problem, attr)
    return result


def _cpus(w: Where, v: Any, attr: str) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
        w.error(f"expected a number of CPUs greater than 0, such as 0.5 or 2, found {type_name(v)}",
                attr)
        return None
    return float(v)


def _memory(w: Where, v: Any, attr: str) -> str | None:
    text = str(v) if is_int(v) else v.strip() if isinstance(v, str) else None
    match = MEMORY.fullmatch(text) if text is not None else None
    if match is None:
        w.error("expected a size such as 512M or 2G (units B, K, M, G, T, P: powers of 1024; "
                f"bytes without a unit), found {type_name(v)}", attr)
        return None
    unit = (match[2] or "")[:1].lower()
    if float(match[1]) * MEMORY_UNITS[unit] < MIN_MEMORY:
        w.error(f"expected at least 6M (Docker refuses smaller memory limits), found {v!r}", attr)
        return None
    return text


# ---------------------------------------------------------------- ports and volumes
# Parsed by model/ports.py and model/volumes.py; these normalise the resulting host vars
# (hive_ports: Port.as_var, hive_volumes: Volume.mount and the standalone mounts).


def _port_label(index: int, port: Any) -> str:
    if isinstance(port, dict) and is_int(port.get("target_port")):
        return f"port #{index} ({port['target_port']}/{port.get('protocol') or 'tcp'})"
    return f"port #{index}"


def _publish(w: Where, v: Any, attr: str) -> list[dict[str, Any]]:
    result = []
    if want_list(w, v, attr):
        for index, port in enumerate(v, 1):
            entry = _publish_entry(w.at(_port_label(index, port)), port)
            if entry is not None:
                result.append(entry)
    return result


def _publish_entry(w: Where, port: Any) -> dict[str, Any] | None:
    if not want_mapping(w, port, None):
        return None
    reject_unknown(w, port, PORT_KEYS, "a port")
    entry: dict[str, Any] = {}
    if want_int(w, port.get("target_port"), "target_port", 1, 65535):
        entry["target_port"] = port["target_port"]
    if port.get("published_port") is not None and want_int(w, port["published_port"],
                                                           "published_port", 1, 65535):
        entry["published_port"] = port["published_port"]
    protocol = port.get("protocol") or "tcp"
    if protocol not in PUBLISH_PROTOCOLS:
        w.error(f"expected tcp or udp, found {type_name(protocol)}: the swarm module "
                "(community.docker.docker_swarm_service) publishes no other protocol", "protocol")
    entry["protocol"] = protocol
    if port.get("mode") is not None and want_one_of(w, port["mode"], "mode", PUBLISH_MODES):
        entry["mode"] = port["mode"]
    return entry


def _mounts(w: Where, v: Any, attr: str) -> list[dict[str, Any]]:
    result = []
    if want_list(w, v, attr):
        for index, mount in enumerate(v, 1):
            source = mount.get("source") if isinstance(mount, dict) else None
            entry = _mount_entry(w.at(volume_label(index, source)), mount)
            if entry is not None:
                result.append(entry)
    return result


def _mount_entry(w: Where, mount: Any) -> dict[str, Any] | None:
    if not want_mapping(w, mount, None):
        return None
    reject_unknown(w, mount, MOUNT_KEYS, "a mount")
    entry: dict[str, Any] = {}
    target = mount.get("target")
    if not isinstance(target, str) or not target.startswith("/"):
        w.error(f"expected an absolute path in the container, found {type_name(target)}", "target")
    else:
        entry["target"] = target
    mount_type = mount.get("type")
    if mount_type is not None and want_one_of(w, mount_type, "type", MOUNT_TYPES):
        entry["type"] = mount_type
    source = mount.get("source")
    if source is not None and not isinstance(source, str):
        w.error(f"expected a string, found {type_name(source)}", "source")
    elif mount_type == "tmpfs":
        if source:
            w.error(f"a tmpfs has no source: write source: '' (found {source!r})", "source")
    elif not source:
        # the inventory writes '' for a tmpfs; an empty volume source would be a new anonymous
        # volume for every task
        w.error("source must not be empty unless type is tmpfs: a host path for bind, a volume "
                "name for volume", "source")
    elif mount_type in (None, "bind") and not source.startswith("/"):
        w.error(f"a bind mount needs an absolute host path, found {source!r}; for a named volume "
                "add 'type: volume'", "source")
    elif mount_type == "volume" and not VOLUME_NAME.match(source):
        w.error(f"expected a volume name (letters, digits, '_', '.', '-'), found {source!r}",
                "source")
    else:
        entry["source"] = source
    if mount.get("readonly") is not None and want_bool(w, mount["readonly"], "readonly"):
        entry["readonly"] = mount["readonly"]
    return entry


# ---------------------------------------------------------------- checks across attributes


def replicas_problem(mode: Any, has_replicas: bool) -> str | None:
    if mode == "global" and has_replicas:
        return "replicas cannot be used with mode global (one task runs on every node)"
    return None


def dnsrr_problem(endpoint_mode: Any, publish: list[dict[str, Any]]) -> str | None:
    """Swarm refuses ingress-mode published ports on a service without a virtual IP."""
    if endpoint_mode != "dnsrr":
        return None
    ingress = [f"{p.get('target_port')}/{p.get('protocol') or 'tcp'}" for p in publish
               if p.get("mode") != "host"]
    if not ingress:
        return None
    return (f"endpoint_mode dnsrr needs every port published with mode: host (the ingress "
            f"routing mesh needs a virtual IP); target ports {', '.join(ingress)} are not")


# ---------------------------------------------------------------- backups and log monitoring

def _backup_scripts(w: Where, v: Any, attr: str) -> None:
    if not want_list(w, v, attr):
        return
    names: set[str] = set()
    for index, item in enumerate(v, 1):
        bw = w.at(f"backup script #{index}")
        if not want_mapping(bw, item, None):
            continue
        reject_unknown(bw, item, BACKUP_KEYS, "a backup script")
        name = item.get("name")
        if name is None:
            bw.error("name must be specified (it names the backup files)", "name")
        elif _backup_file_part(bw, name, "name"):
            if name.startswith(RESERVED_BACKUP_PREFIX):
                bw.error(f"names starting with {RESERVED_BACKUP_PREFIX} are reserved for "
                         "hive-builder's own backups (hive-registry, hive-zabbix)", "name")
            if name in names:
                bw.error(f"backup script name {name!r} is used twice in this service", "name")
            names.add(name)
        if "directory" in item and "backup_command" in item:
            bw.error("directory and backup_command are exclusive: back up either a directory or "
                     "the output of a command", "backup_command")
        if "directory" not in item and "backup_command" not in item and "batch_scripts" not in item:
            bw.error("expected directory, backup_command or batch_scripts, found none")
        _backup_dependencies(bw, item)
        for key in ("directory", "backup_command", "backup_file", "restore_command",
                    "restore_file"):
            if key in item:
                want_str(bw, item[key], key)
        if "ext" in item:
            _backup_file_part(bw, item["ext"], "ext")
        if "cleanup_days_before" in item:
            want_int(bw, item["cleanup_days_before"], "cleanup_days_before", lo=0)
        if "batch_scripts" in item:
            want_str_list(bw, item["batch_scripts"], "batch_scripts")


def _backup_file_part(w: Where, value: Any, attr: str) -> bool:
    """name and ext make up the backup file names `backup-<name>-<time>.<ext>`."""
    if not want_str(w, value, attr):
        return False
    if not BACKUP_FILE_PART.match(value):
        w.error(f"expected letters, digits, '_', '.' and '-' (not first), found {value!r}: it is "
                "part of the backup file names", attr)
        return False
    return True


def _backup_dependencies(w: Where, item: dict) -> None:
    if "backup_file" in item and "backup_command" not in item:
        w.error("backup_file needs backup_command (the command that writes it)", "backup_file")
    if "directory" not in item and "backup_command" not in item:
        for key in ("restore_command", "restore_file"):
            if key in item:
                w.error(f"{key} without backup_command or directory: there is no backup to "
                        "restore", key)
    if "restore_file" in item and "restore_command" not in item:
        w.error("restore_file needs restore_command (the command that reads it)", "restore_file")
    if "directory" in item:
        # a directory is restored by unpacking its archive: a command would never run
        for key in ("restore_command", "restore_file"):
            if key in item:
                w.error(f"{key} cannot be used with directory (its backup is restored by "
                        "unpacking the archive into the directory)", key)


def _log_patterns(w: Where, v: Any, attr: str) -> None:
    """monitor_error / ignore_error: regular expressions as rsyslog's re_match compiles them."""
    if want_str_list(w, v, attr):
        for pattern in v:
            problem = pattern_problem(pattern)
            if problem:
                w.error(f"pattern '{pattern}': {problem}", attr)



# ---------------------------------------------------------------- image build specs
# Keys of an `image` mapping that build-images turns into build container parameters and commit
# instructions (render/image_build.py), checked as it reads them.


def _image_words(w: Where, v: Any, attr: str) -> list[str]:
    """image.entrypoint / image.command: a list of words (a string is one word: exec form)."""
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v] if want_str_list(w, v, attr, scalars=True) else []


def _expose(w: Where, v: Any, attr: str) -> list[str]:
    """image.expose: a port or a list of them, `80` or `53/udp`."""
    result = []
    for item in v if isinstance(v, list) else [v]:
        text = str(item).strip() if is_int(item) or isinstance(item, str) else ""
        port, _, protocol = text.partition("/")
        if not (port.isdigit() and 1 <= int(port) <= 65535 and protocol in ("", "tcp", "udp", "sctp")):
            w.error(f"expected a port such as 80 or 53/udp, found {type_name(item)}", attr)
        else:
            result.append(text)
    return result


def _image_env(w: Where, v: Any, attr: str) -> dict[str, str]:
    """image.env: written into the image as ENV instructions."""
    result = _str_mapping(w, v, attr)
    for key, value in result.items():
        if not key or "=" in key or "\n" in key or "\n" in value:
            w.error(f"{key!r}: a name without '=' or newline, and a value without newline, can be "
                    "written into the image", attr)
    return result


IMAGE_NORMALISERS: dict[str, Normaliser] = {
    "entrypoint": _image_words,
    "command": _image_words,
    "env": _image_env,
    "expose": _expose,
    "working_dir": _working_dir,
    "user": _user,
    "stop_signal": lambda w, v, a: v if want_str(w, v, a) else None,
}


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Attribute:
    """How one service attribute is checked and what deploy-services makes of it."""

    normalise: Normaliser | None   # None: interpreted by the model's own parser (services.py)
    param: str | None = None       # docker_swarm_service parameter ("limits.cpus": a sub-option);
    #                                None: not a swarm option
    copied: bool = True            # kept as written in host var hive_<name>; False: the model
    #                                parses it and the host var holds the parsed form
    omit_empty: bool = False       # an empty result is not passed


ATTRIBUTES: dict[str, Attribute] = {
    # parsed by the model: services.py (available_on, image), ports.py, volumes.py
    "available_on": Attribute(None, copied=False),
    "image": Attribute(None, "image", copied=False),     # render/swarm_service.resolve_image
    "ports": Attribute(_publish, "publish", copied=False, omit_empty=True),
    "volumes": Attribute(_mounts, "mounts", copied=False, omit_empty=True),
    # copied (reference §4.3); compose's command is the swarm args, its entrypoint the swarm
    # command (§14.6 item 55)
    "command": Attribute(_argv, "args"),
    "entrypoint": Attribute(_argv, "command"),
    "environment": Attribute(_environment, "env"),
    "networks": Attribute(_str_list, "networks"),
    "mode": Attribute(_one_of(*SERVICE_MODES), "mode"),
    "replicas": Attribute(_count(0), "replicas"),
    "placement": Attribute(_placement, "placement"),
    "endpoint_mode": Attribute(_one_of(*ENDPOINT_MODES), "endpoint_mode"),
    "restart_config": Attribute(_restart, "restart_config"),
    "healthcheck": Attribute(_healthcheck, "healthcheck"),
    "hosts": Attribute(_hosts, "hosts"),
    "dns": Attribute(_dns, "dns"),
    "user": Attribute(_user, "user"),
    "working_dir": Attribute(_working_dir, "working_dir"),
    "labels": Attribute(_labels, "labels"),
    "logging": Attribute(_logging, "logging"),
    # standalone shapes labels, capabilities, command and mounts (render/standalone.py)
    "standalone": Attribute(_bool),
    "initialize_roles": Attribute(_str_list),
    "backup_scripts": Attribute(_validated(_backup_scripts)),
    "monitor_error": Attribute(_validated(_log_patterns)),
    "ignore_error": Attribute(_validated(_log_patterns)),
    # added after 2.3.1 (reference §4.11)
    "stop_grace_period": Attribute(duration, "stop_grace_period"),
    "cap_add": Attribute(_capabilities, "cap_add"),
    "cap_drop": Attribute(_capabilities, "cap_drop"),
    "sysctls": Attribute(_sysctls, "sysctls"),
    "cpu_limit": Attribute(_cpus, "limits.cpus"),
    "mem_limit": Attribute(_memory, "limits.memory"),
}
# attribute -> normaliser(where, value, attr); all of these are copied as hive_<attr>
COPIED: dict[str, Normaliser] = {name: a.normalise for name, a in ATTRIBUTES.items()
                                 if a.copied and a.normalise is not None}
# attributes interpreted by the model rather than copied
STRUCTURED = tuple(name for name, a in ATTRIBUTES.items() if not a.copied)
SERVICE_KEYS = tuple(ATTRIBUTES)


def normalise(service: str, attr: str, value: Any) -> Any:
    """The normalised value of one attribute of `service` (the renderer's entry point); an invalid
    value raises the InventoryError the model would have reported (service and attribute named)."""
    normaliser = ATTRIBUTES[attr].normalise
    assert normaliser is not None, f"{attr} has no normaliser"
    problems = Problems()
    result = normaliser(Where(problems, None, f"service {service}"), value, attr)
    if problems.errors:
        raise problems.errors[0]
    return result
