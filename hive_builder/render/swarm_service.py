"""deploy-services decisions: service host vars -> community.docker.docker_swarm_service parameters.

Pure functions over the host variables that the `hive_services` inventory plugin gives a
service host `<svc>` and its image host `image_<svc>` (reference §4.2-§4.9, §6.6). The
deploy-services playbook calls them through the filters in `plugins/filter/hive_deploy_filters.py`.

Every emitted parameter name and shape is one that community.docker 4.x `docker_swarm_service`
accepts (tests check the names against the installed module's documentation), so a mistake in a
service definition is reported here, naming the service and attribute, instead of surfacing as an
Ansible module traceback on the first hive.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from hive_builder.errors import HiveError, InventoryError
from hive_builder.render import standalone as sd

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy")

DEFAULT_SYSLOG_PORT = 10514
DEFAULT_IMAGE_TAG = "latest"

# Label set by deploy (reference §4.9); deploy's value wins over a user label of the same name,
# because follow-up tooling must be able to trust it.
STANDALONE_LABEL = "HIVE_STANDALONE"

_PUBLISH_PROTOCOLS = ("tcp", "udp")       # the module's choices; the engine's sctp is not offered
_MOUNT_TYPES = ("bind", "volume", "tmpfs")
_RESTART_CONDITIONS = ("none", "on-failure", "any")
_HEALTHCHECK_PREFIXES = ("NONE", "CMD", "CMD-SHELL")


class SwarmServiceSpec(NamedTuple):
    """Module parameters plus what was adapted to the site, in words a person can read."""

    params: dict[str, Any]
    notes: list[str]


# --------------------------------------------------------------------------- image


def resolve_image(service_vars: Mapping[str, Any], image_vars: Mapping[str, Any] | None,
                  stage: str, registry: str, tag: str | None = None) -> str:
    """Image reference deployed for a service (reference §6.6, §14.6 item 54).

    `registry` is the private registry `<repository host>:5000`; `tag` an immutable tag that
    build-images recorded for this build (default `latest`, as the original).
    """
    if service_vars.get("hive_image"):
        return str(service_vars["hive_image"])
    image_name = service_vars.get("hive_image_name")
    service = _service_name(service_vars, image_name)
    if not image_name:
        raise InventoryError("the service has no image (give a reference string or a build mapping)",
                             obj=f"service {service}", attr="image")
    if image_vars is None:
        raise HiveError(f"service {service}: image host {image_name} is missing from the inventory",
                        hint="the hive_services inventory plugin creates it from the image mapping")
    if stage in (image_vars.get("hive_pull_on") or []):
        pull_from = image_vars.get("hive_pull_from")
        if not pull_from:
            raise InventoryError(f"stage {stage} is in image.pull_on but image.pull_from is not given",
                                 obj=f"service {service}", attr="image.pull_from")
        return str(pull_from)
    return f"{registry}/{image_name}:{tag or DEFAULT_IMAGE_TAG}"


def _service_name(service_vars: Mapping[str, Any], image_name: str | None) -> str:
    if service_vars.get("inventory_hostname"):
        return str(service_vars["inventory_hostname"])
    if image_name and image_name.startswith("image_"):
        return image_name[len("image_"):]
    return "?"


# --------------------------------------------------------------------------- environment


def proxy_environment(environment: Mapping[str, Any] | None) -> dict[str, str]:
    """The proxy variables of a host's environment that are set and non-empty.

    The original passed every proxy name, empty when unset, which put `HTTP_PROXY=` into every
    container and broke programs that treat a set-but-empty proxy as a proxy URL.
    """
    environment = environment or {}
    return {k: str(environment[k]) for k in PROXY_VARIABLES if environment.get(k)}


def _env_value(value: Any) -> str:
    # The module refuses non-strings; YAML gives ints and bools for unquoted values.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _environment(service: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): _env_value(v) for k, v in value.items()}
    if isinstance(value, list):
        result = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            if not sep:
                raise InventoryError(f"entry {item!r} must be KEY=VALUE",
                                     obj=f"service {service}", attr="environment")
            result[key] = val
        return result
    raise InventoryError("must be a mapping (or a list of KEY=VALUE)",
                         obj=f"service {service}", attr="environment")


# --------------------------------------------------------------------------- durations

_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_MICROSECONDS = {"ns": 0.001, "us": 1, "µs": 1, "ms": 1_000, "s": 1_000_000,
                 "m": 60_000_000, "h": 3_600_000_000}


def module_duration(value: Any, *, service: str, attr: str) -> str:
    """A compose-style duration ("1m30s", "1.5s", "500ms", or a number of seconds) in the form
    the module parses: `[Nh][Nm][Ns][Nms][Nus]` with integer parts (sub-microsecond is dropped)."""
    if isinstance(value, bool):
        raise InventoryError(f"{value!r} is not a duration", obj=f"service {service}", attr=attr)
    if isinstance(value, (int, float)):
        total_us = round(value * 1_000_000)
    else:
        text = str(value).strip()
        parts = _GO_DURATION_PART.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise InventoryError(f"{value!r} is not a duration (examples: 30s, 1m30s, 500ms)",
                                 obj=f"service {service}", attr=attr)
        total_us = round(sum(float(n) * _MICROSECONDS[u] for n, u in parts))
    if total_us < 0:
        raise InventoryError(f"{value!r} must not be negative", obj=f"service {service}", attr=attr)
    out = []
    for unit, size in (("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000), ("us", 1)):
        count, total_us = divmod(total_us, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"


# --------------------------------------------------------------------------- attribute mappers


def _str_list(service: str, attr: str, value: Any, *, split: bool = False) -> list[str]:
    if isinstance(value, str):
        return shlex.split(value) if split else [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise InventoryError("must be a list of strings", obj=f"service {service}", attr=attr)


def _only_keys(service: str, attr: str, value: Any, allowed: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InventoryError("must be a mapping", obj=f"service {service}", attr=attr)
    allowed = tuple(allowed)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InventoryError(f"unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(allowed)})",
                             obj=f"service {service}", attr=attr)
    return value


def _choice(service: str, attr: str, value: Any, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if value not in choices:
        raise InventoryError(f"{value!r} must be one of {', '.join(choices)}",
                             obj=f"service {service}", attr=attr)
    return value


def _publish(service: str, ports: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for index, port in enumerate(ports, 1):
        attr = f"ports[{index}]"
        if not isinstance(port, Mapping) or "target_port" not in port:
            raise InventoryError("must be a mapping with target_port", obj=f"service {service}", attr=attr)
        entry: dict[str, Any] = {"target_port": int(port["target_port"])}
        if port.get("published_port") is not None:
            entry["published_port"] = int(port["published_port"])
        protocol = port.get("protocol") or "tcp"
        if protocol not in _PUBLISH_PROTOCOLS:
            raise InventoryError(
                f"protocol {protocol} cannot be published by a swarm service here "
                f"(community.docker supports {', '.join(_PUBLISH_PROTOCOLS)})",
                obj=f"service {service}", attr=attr)
        entry["protocol"] = protocol
        if port.get("mode") is not None:
            entry["mode"] = _choice(service, f"{attr}.mode", port["mode"], ("ingress", "host"))
        result.append(entry)
    return result


def _mounts(service: str, volumes: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for index, volume in enumerate(volumes, 1):
        attr = f"volumes[{index}]"
        if not isinstance(volume, Mapping) or not volume.get("target"):
            raise InventoryError("must be a mapping with a target", obj=f"service {service}", attr=attr)
        mount: dict[str, Any] = {"target": str(volume["target"])}
        mount_type = volume.get("type")
        if mount_type is not None:
            mount["type"] = _choice(service, f"{attr}.type", mount_type, _MOUNT_TYPES)
        # A tmpfs has no source; the inventory writes '' for it, which is left out rather than
        # sent to the engine as an empty source.
        if volume.get("source") not in (None, ""):
            mount["source"] = str(volume["source"])
        elif mount_type != "tmpfs":
            raise InventoryError("source is required unless type is tmpfs", obj=f"service {service}", attr=attr)
        if volume.get("readonly") is not None:
            mount["readonly"] = bool(volume["readonly"])
        result.append(mount)
    return result


def _labels(value: Any, standalone: bool, service: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    if value is not None:
        if not isinstance(value, Mapping):
            raise InventoryError("must be a mapping", obj=f"service {service}", attr="labels")
        for key, val in value.items():
            labels[str(key)] = val if isinstance(val, str) else json.dumps(val)
    labels[STANDALONE_LABEL] = "True" if standalone else "False"
    return labels


def _healthcheck(service: str, value: Any) -> dict[str, Any]:
    check = _only_keys(service, "healthcheck", value,
                       ("test", "interval", "timeout", "retries", "start_period", "disable"))
    if check.get("disable"):
        return {"test": ["NONE"]}
    result: dict[str, Any] = {}
    test = check.get("test")
    if test is None:
        raise InventoryError("test is required (or disable: true)", obj=f"service {service}", attr="healthcheck")
    if isinstance(test, str):
        result["test"] = ["CMD-SHELL", test]
    elif isinstance(test, list) and test and str(test[0]) in _HEALTHCHECK_PREFIXES:
        result["test"] = [str(t) for t in test]
    else:
        raise InventoryError(
            'test must be a shell string or a list starting with "CMD", "CMD-SHELL" or "NONE"',
            obj=f"service {service}", attr="healthcheck.test")
    for key in ("interval", "timeout", "start_period"):
        if check.get(key) is not None:
            result[key] = module_duration(check[key], service=service, attr=f"healthcheck.{key}")
    if check.get("retries") is not None:
        result["retries"] = int(check["retries"])
    return result


def _restart_config(service: str, value: Any) -> dict[str, Any]:
    config = _only_keys(service, "restart_config", value, ("condition", "delay", "max_attempts", "window"))
    # Docker's own default is `any`; the module would send `none` when only delay/window are given,
    # and a failed task would then never be restarted.
    result: dict[str, Any] = {"condition": _choice(service, "restart_config.condition",
                                                   config.get("condition") or "any", _RESTART_CONDITIONS)}
    for key in ("delay", "window"):
        if config.get(key) is not None:
            result[key] = module_duration(config[key], service=service, attr=f"restart_config.{key}")
    if config.get("max_attempts") is not None:
        result["max_attempts"] = int(config["max_attempts"])
    return result


def _placement(service: str, value: Any) -> dict[str, Any]:
    placement = _only_keys(service, "placement", value,
                           ("constraints", "preferences", "max_replicas_per_node", "replicas_max_per_node"))
    result: dict[str, Any] = {}
    if placement.get("constraints") is not None:
        result["constraints"] = _str_list(service, "placement.constraints", placement["constraints"])
    if placement.get("preferences") is not None:
        prefs = placement["preferences"]
        if not isinstance(prefs, list) or not all(isinstance(p, Mapping) for p in prefs):
            raise InventoryError("must be a list of mappings such as {spread: node.labels.zone}",
                                 obj=f"service {service}", attr="placement.preferences")
        result["preferences"] = [dict(p) for p in prefs]
    # compose spells it max_replicas_per_node, the module replicas_max_per_node
    per_node = placement.get("max_replicas_per_node", placement.get("replicas_max_per_node"))
    if per_node is not None:
        result["replicas_max_per_node"] = int(per_node)
    return result


def _hosts(service: str, value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):     # compose extra_hosts style: "name:ip" or "name=ip"
        result = {}
        for item in value:
            parts = re.split(r"[:=]", str(item), maxsplit=1)
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise InventoryError(f"entry {item!r} must be name:address", obj=f"service {service}", attr="hosts")
            result[parts[0]] = parts[1]
        return result
    raise InventoryError("must be a mapping hostname -> address", obj=f"service {service}", attr="hosts")


def _logging(service: str, value: Any) -> dict[str, Any]:
    logging = _only_keys(service, "logging", value, ("driver", "options"))
    result: dict[str, Any] = {}
    if logging.get("driver") is not None:
        result["driver"] = str(logging["driver"])
    if logging.get("options") is not None:
        result["options"] = {str(k): _env_value(v) for k, v in logging["options"].items()}
    return result


def default_logging(service: str, repository_host: str, syslog_port: int = DEFAULT_SYSLOG_PORT) -> dict[str, Any]:
    """decisions.md item 12: syslog over UDP to the repository's rsyslogd, tag = service name."""
    return {"driver": "syslog",
            "options": {"syslog-address": f"udp://{repository_host}:{syslog_port}",
                        "syslog-facility": "local0",
                        "tag": service}}


# --------------------------------------------------------------------------- the service


def swarm_service_params(name: str, service_vars: Mapping[str, Any], *, image: str, registry_host: str,
                         syslog_port: int = DEFAULT_SYSLOG_PORT, proxy_env: Mapping[str, Any] | None = None,
                         ipvs_available: bool = True, networks_all: list[str] | None = None) -> SwarmServiceSpec:
    """docker_swarm_service parameters for service `name` (reference §6.6, decisions item 12).

    `registry_host` is the repository server's host name (the syslog destination), `proxy_env`
    the first hive's environment (only its non-empty proxy variables are used), `networks_all`
    the hosts of group `networks` in the stage. Absent attributes are absent from the result so
    the playbook can write `p.x | default(omit)`.
    """
    v = service_vars
    params: dict[str, Any] = {"name": name, "hostname": name, "image": image}
    notes: list[str] = []

    # The swap is deliberate (§14.6 item 55): compose `entrypoint` is the swarm "command",
    # compose `command` the swarm "args".
    if v.get("hive_command") is not None:
        params["args"] = _str_list(name, "command", v["hive_command"], split=True)
    if v.get("hive_entrypoint") is not None:
        params["command"] = _str_list(name, "entrypoint", v["hive_entrypoint"], split=True)

    env = proxy_environment(proxy_env)
    env.update(_environment(name, v.get("hive_environment")))
    if env:
        params["env"] = env

    publish = _publish(name, v.get("hive_ports") or [])
    mounts = _mounts(name, v.get("hive_volumes") or [])
    if publish:
        params["publish"] = publish
    if mounts:
        params["mounts"] = mounts

    params["labels"] = _labels(v.get("hive_labels"), bool(v.get("hive_standalone")), name)
    networks = v.get("hive_networks")
    params["networks"] = list(networks_all or []) if networks is None else _network_list(name, networks)

    mode = v.get("hive_mode")
    if mode is not None:
        params["mode"] = _choice(name, "mode", mode, ("replicated", "global"))
    if v.get("hive_replicas") is not None:
        if mode == "global":
            raise InventoryError("replicas cannot be combined with mode global", obj=f"service {name}",
                                 attr="replicas")
        params["replicas"] = int(v["hive_replicas"])
    if v.get("hive_endpoint_mode") is not None:
        params["endpoint_mode"] = _choice(name, "endpoint_mode", v["hive_endpoint_mode"], ("vip", "dnsrr"))
    if v.get("hive_placement") is not None:
        params["placement"] = _placement(name, v["hive_placement"])
    if v.get("hive_restart_config") is not None:
        params["restart_config"] = _restart_config(name, v["hive_restart_config"])
    if v.get("hive_healthcheck") is not None:
        params["healthcheck"] = _healthcheck(name, v["hive_healthcheck"])
    if v.get("hive_hosts") is not None:
        params["hosts"] = _hosts(name, v["hive_hosts"])
    if v.get("hive_dns") is not None:
        params["dns"] = _str_list(name, "dns", v["hive_dns"])
    for attr in ("user", "working_dir"):
        if v.get(f"hive_{attr}") is not None:
            params[attr] = str(v[f"hive_{attr}"])
    params["logging"] = (_logging(name, v["hive_logging"]) if v.get("hive_logging") is not None
                         else default_logging(name, registry_host, syslog_port))
    _map_later_attributes(name, v, params)
    if v.get("hive_standalone"):
        _boot_systemd(params)

    if not ipvs_available:
        notes.extend(_adapt_to_missing_ipvs(name, params))
    _check_dnsrr_ports(name, params)
    return SwarmServiceSpec(params, notes)


def _network_list(service: str, networks: Any) -> list[Any]:
    if not isinstance(networks, list):
        raise InventoryError("must be a list of network names", obj=f"service {service}", attr="networks")
    return [dict(n) if isinstance(n, Mapping) else str(n) for n in networks]


def _map_later_attributes(name: str, v: Mapping[str, Any], params: dict[str, Any]) -> None:
    """Attributes the original added after 2.3.1 (reference §4.11), mapped when present."""
    if v.get("hive_stop_grace_period") is not None:
        params["stop_grace_period"] = module_duration(v["hive_stop_grace_period"], service=name,
                                                      attr="stop_grace_period")
    for attr in ("cap_add", "cap_drop"):
        if v.get(f"hive_{attr}") is not None:
            params[attr] = _str_list(name, attr, v[f"hive_{attr}"])
    if v.get("hive_sysctls") is not None:
        params["sysctls"] = {str(k): _env_value(x) for k, x in v["hive_sysctls"].items()}
    limits = {}
    if v.get("hive_cpu_limit") is not None:
        limits["cpus"] = float(v["hive_cpu_limit"])
    if v.get("hive_mem_limit") is not None:
        limits["memory"] = str(v["hive_mem_limit"])
    if limits:
        params["limits"] = limits


def _boot_systemd(params: dict[str, Any]) -> None:
    """A standalone task runs systemd as PID 1 (render/standalone.py): its capabilities, and
    unless the service names its own entrypoint, the cgroup wrapper in front of its command
    (the image's init when it has none)."""
    params["cap_add"] = sd.service_capabilities(params.get("cap_add"))
    if "command" not in params:
        params["command"] = list(sd.INIT_WRAPPER)
        params.setdefault("args", [sd.INIT])


def _adapt_to_missing_ipvs(name: str, params: dict[str, Any]) -> list[str]:
    """Without IPVS there is neither a service VIP nor the ingress routing mesh (lab §4):
    publish on the node running each task and let DNS return the task addresses."""
    notes = []
    moved = [f"{p.get('published_port', p['target_port'])}/{p['protocol']}"
             for p in params.get("publish", []) if p.get("mode") != "host"]
    for port in params.get("publish", []):
        port["mode"] = "host"
    if moved:
        notes.append(f"service {name}: ports {', '.join(moved)} published in host mode "
                     "(reachable only on the nodes running a task of the service)")
    if params.get("endpoint_mode") != "dnsrr":
        was = params.get("endpoint_mode", "vip")
        params["endpoint_mode"] = "dnsrr"
        notes.append(f"service {name}: endpoint_mode dnsrr instead of {was} "
                     "(the service name resolves to the task addresses, no virtual IP)")
    return notes


def _check_dnsrr_ports(name: str, params: Mapping[str, Any]) -> None:
    # The engine refuses this combination at create time with a less helpful message.
    if params.get("endpoint_mode") == "dnsrr":
        ingress = [str(p["target_port"]) for p in params.get("publish", []) if p.get("mode") != "host"]
        if ingress:
            raise InventoryError(
                f"endpoint_mode dnsrr needs every port published with mode: host (ports {', '.join(ingress)})",
                obj=f"service {name}", attr="ports")


IPVS_MISSING_SUMMARY = ("this site's provider reported no IPVS in the kernel: swarm virtual IPs and the ingress "
                        "routing mesh do not work, so services are deployed with endpoint_mode dnsrr and "
                        "host-mode published ports")


def adaptation_summary(notes: Iterable[str]) -> str:
    """One message for the whole deploy: the reason once, then one line per adapted service."""
    notes = list(notes)
    if not notes:
        return ""
    return "\n".join([IPVS_MISSING_SUMMARY + ":"] + [f"  - {n}" for n in notes])


# --------------------------------------------------------------------------- rollout


def _image_id(value: Any) -> str:
    text = str(value or "")
    return text[len("sha256:"):] if text.startswith("sha256:") else text


def _short(node: str) -> str:
    return node.split(".", 1)[0]


def needs_force_update(running_task_image_ids: Mapping[str, Any], pulled_image_ids: Mapping[str, Any]) -> bool:
    """True iff a node runs a task whose container image differs from what was just pulled there
    (§14.6 item 57), so a re-pushed `:latest` rolls out although the service spec is unchanged.

    Both mappings are keyed by node (`p-hive0` or `p-hive0.pdns`; compared by short name when the
    exact name is not found); running values are one image id or a list of them; ids compare with
    or without the `sha256:` prefix. A node with no pull result is not evidence of staleness.
    """
    pulled = {str(k): _image_id(v) for k, v in pulled_image_ids.items() if v}
    pulled_short = {_short(k): v for k, v in pulled.items()}
    for node, ids in running_task_image_ids.items():
        new = pulled.get(str(node), pulled_short.get(_short(str(node))))
        if new is None:
            continue
        for running in ids if isinstance(ids, list) else [ids]:
            if running and _image_id(running) != new:
                return True
    return False


def _field(task: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if task.get(n) not in (None, ""):
            return task[n]
    return None


def _state_word(value: Any) -> str:
    # `docker service ps` prints "Running 2 minutes ago"; the API gives "running".
    return str(value or "").split(" ", 1)[0].lower()


def _health(task: Mapping[str, Any]) -> str | None:
    value = _field(task, "healthy", "health", "Health")
    if value is None:
        return None
    if isinstance(value, bool):
        return "healthy" if value else "unhealthy"
    return str(value).lower()


_EXIT_CODE = re.compile(r"non-zero exit \((\d+)\)")


def explain_task_error(error: str) -> str:
    """A task error as the operator should read it, with what to check next."""
    lowered = error.lower()
    if "no suitable node" in lowered:
        if "host-mode port" in lowered:
            return f"{error} — a published port is taken on every node the task may run on"
        if "scheduling constraints" in lowered:
            return f"{error} — check placement constraints against the node labels"
        return f"{error} — no node can take the task (constraints, resources or ports)"
    if any(s in lowered for s in ("no such image", "pull access denied", "manifest unknown",
                                  "not found: manifest", "could not be accessed on a registry",
                                  "error pulling image", "unauthorized")):
        return f"image cannot be pulled ({error}) — was build-images run, and can the hives log in to the registry?"
    if "unhealthy" in lowered:
        return f"health check failed ({error}) — see the service log"
    match = _EXIT_CODE.search(lowered)
    if match:
        return f"task exited with code {match.group(1)} ({error}) — see the service log"
    if "address already in use" in lowered or "port is already allocated" in lowered:
        return f"published port already in use on the node ({error})"
    if "invalid mount config" in lowered or "bind source path does not exist" in lowered:
        return f"mount failed ({error}) — does the volume or host path exist on that node?"
    return error


# A task whose desired state is one of these is meant to run (a restarted slot's new task waits
# in "Ready" during the restart delay); shutdown/complete/remove mean history.
_DESIRED_ALIVE = {"new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running"}


def _error(task: Mapping[str, Any]) -> str:
    # `docker service ps --no-trunc` prints the error in double quotes
    return str(_field(task, "Error", "error") or "").strip().strip('"')


def convergence_report(service_tasks: Iterable[Mapping[str, Any]], *, service: str = "",
                       has_healthcheck: bool = False, expected: int | None = None) -> tuple[bool, str]:
    """Has the service converged, and if not, why (deploy-services polls this until timeout).

    Tasks are `docker service ps --no-trunc --format '{{json .}}'` objects (DesiredState,
    CurrentState, Error, Node, Name) or the same in snake case; `healthy`/`health` is added by the
    caller from `docker inspect` when the service has a health check. A task "should run" when
    its desired state is running or a state before it (e.g. Ready while a restart is delayed).
    Converged means: every task that should run is running (and healthy when `has_healthcheck`),
    and at least `expected` (replicas) of them when given. Otherwise the message carries the most relevant task error:
    first one of a task that should run, then the newest failed task (tasks are listed newest
    first per slot, as `docker service ps` prints them).
    """
    tasks = list(service_tasks)
    wanted = [t for t in tasks if _state_word(_field(t, "DesiredState", "desired_state")) in _DESIRED_ALIVE]
    history = [t for t in tasks if t not in wanted]
    label = f"service {service}" if service else "service"

    def ready(t: Mapping[str, Any]) -> bool:
        if _state_word(_field(t, "CurrentState", "current_state")) != "running":
            return False
        return not has_healthcheck or _health(t) == "healthy"

    ready_count = sum(1 for t in wanted if ready(t))
    needed = len(wanted) if expected is None else max(expected, len(wanted))
    summary = f"{ready_count}/{needed} tasks {'running and healthy' if has_healthcheck else 'running'}"
    if ready_count == needed and all(ready(t) for t in wanted):
        return True, f"{label}: {summary}"

    def where(t: Mapping[str, Any]) -> str:
        name = _field(t, "Name", "name") or "task"
        node = _field(t, "Node", "node")
        return f"{name} on {node}" if node else str(name)

    for t in wanted:
        error = _error(t)
        if error:
            return False, f"{label}: {summary}; {where(t)}: {explain_task_error(error)}"
    for t in history:
        error = _error(t)
        state = _state_word(_field(t, "CurrentState", "current_state"))
        if error and state in ("failed", "rejected"):
            return False, f"{label}: {summary}; {where(t)}: {explain_task_error(error)}"
    for t in wanted:
        if _state_word(_field(t, "CurrentState", "current_state")) == "running" and has_healthcheck:
            health = _health(t) or "unknown"
            if health != "healthy":
                return False, f"{label}: {summary}; {where(t)}: health {health}"
    for t in wanted:
        if not ready(t):
            state = _field(t, "CurrentState", "current_state") or "unknown"
            return False, f"{label}: {summary}; {where(t)}: {state}"
    return False, f"{label}: {summary}; waiting for the scheduler to create tasks"
