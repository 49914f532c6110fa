"""deploy-services decisions: service host vars -> community.docker.docker_swarm_service parameters.

Pure functions over the host variables that the `hive_services` inventory plugin gives a
service host `<svc>` and its image host `image_<svc>` (reference §4.2-§4.9, §6.6). The
deploy-services playbook calls them through the filters in `plugins/filter/hive_deploy_filters.py`.

Every value is checked and normalised by the model's table (`model/service_attrs.ATTRIBUTES`: the
same functions `hive check` runs), so this module only assembles: each attribute's normalised
value goes to the module parameter the table names, then what hive adds (proxy variables, the
standalone label and boot, default networks and logging) and what the site needs (no IPVS).
Every emitted name is one that community.docker 4.x `docker_swarm_service` accepts (tests check
them against the installed module's argument spec, and that deploy.yml passes each one).
Rollout and convergence (force update, `docker service ps` reports) are in render/rollout.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from hive_builder.errors import HiveError, InventoryError
from hive_builder.model.service_attrs import ATTRIBUTES, dnsrr_problem, normalise, replicas_problem
from hive_builder.render import standalone as sd

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy")

DEFAULT_SYSLOG_PORT = 10514
DEFAULT_IMAGE_TAG = "latest"

# Label set by deploy (reference §4.9); deploy's value wins over a user label of the same name,
# because follow-up tooling must be able to trust it.
STANDALONE_LABEL = "HIVE_STANDALONE"

# Parameters every service gets whatever its attributes; the others come from the table.
ALWAYS_EMITTED = ("name", "hostname", "image")
# Every docker_swarm_service parameter swarm_service_params can return (deploy.yml passes each).
EMITTED_PARAMS = frozenset(ALWAYS_EMITTED) | {a.param.split(".")[0] for a in ATTRIBUTES.values()
                                              if a.param}


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

    for attr, spec in ATTRIBUTES.items():
        value = v.get(f"hive_{attr}")
        if spec.param is None or spec.normalise is None or value is None:
            continue
        result = normalise(name, attr, value)
        if spec.omit_empty and not result:
            continue
        _put(params, spec.param, result)

    problem = replicas_problem(params.get("mode"), "replicas" in params)
    if problem:
        raise InventoryError(problem, obj=f"service {name}", attr="replicas")
    env = {**proxy_environment(proxy_env), **params.pop("env", {})}
    if env:
        params["env"] = env
    standalone = v.get("hive_standalone") is not None and normalise(name, "standalone", v["hive_standalone"])
    params["labels"] = {**params.get("labels", {}), STANDALONE_LABEL: "True" if standalone else "False"}
    params.setdefault("networks", list(networks_all or []))
    params.setdefault("logging", default_logging(name, registry_host, syslog_port))
    if standalone:
        _boot_systemd(params)

    if not ipvs_available:
        notes.extend(_adapt_to_missing_ipvs(name, params))
    problem = dnsrr_problem(params.get("endpoint_mode"), params.get("publish", []))
    if problem:
        raise InventoryError(problem, obj=f"service {name}", attr="ports")
    return SwarmServiceSpec(params, notes)


def _put(params: dict[str, Any], param: str, value: Any) -> None:
    """`limits.cpus` is sub-option cpus of parameter limits."""
    head, _, sub = param.partition(".")
    if sub:
        params.setdefault(head, {})[sub] = value
    else:
        params[head] = value


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


IPVS_MISSING_SUMMARY = ("this site's provider reported no IPVS in the kernel: swarm virtual IPs and the ingress "
                        "routing mesh do not work, so services are deployed with endpoint_mode dnsrr and "
                        "host-mode published ports")


def adaptation_summary(notes: Iterable[str]) -> str:
    """One message for the whole deploy: the reason once, then one line per adapted service."""
    notes = list(notes)
    if not notes:
        return ""
    return "\n".join([IPVS_MISSING_SUMMARY + ":"] + [f"  - {n}" for n in notes])
