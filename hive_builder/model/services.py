"""Service definitions (plugin: hive_services): services, build images and networks of one file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hive_builder.model.checks import (STAGES, reject_unknown, unknown_key, want_bool, want_list,
                                       want_mapping, want_stages, want_str, want_str_list)
from hive_builder.model.files import SourceFile
from hive_builder.model.ports import Port, parse_ports
from hive_builder.model.problems import Problems, Where, type_name
from hive_builder.model.service_attrs import (ATTRIBUTES, COPIED, IMAGE_NORMALISERS, SERVICE_KEYS,
                                              dnsrr_problem, replicas_problem)
from hive_builder.model.volumes import Volume, parse_volumes

FILE_KEYS = ("plugin", "services", "networks", "available_on")
IMAGE_KEYS = ("from", "roles", "standalone", "env", "stop_signal", "user", "working_dir",
              "entrypoint", "command", "privileged", "expose", "pull_on", "pull_from")
NETWORK_KEYS = ("driver", "ipam", "driver_opts")
DEFAULT_NETWORK = "hive_default_network"
SERVICE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")
NETWORK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ImageSpec:
    """A build spec: the image is built on the repository server and pushed as image_<service>."""

    service: str
    params: dict[str, Any]  # image keys as written (from, roles, ...)

    @property
    def host_name(self) -> str:
        return f"image_{self.service}"


@dataclass(frozen=True)
class Service:
    name: str
    file: str
    stages: tuple[str, ...]
    image: str | ImageSpec | None
    ports: tuple[Port, ...]
    volumes: tuple[Volume, ...]
    standalone: bool
    copied: dict[str, Any]  # attributes passed through as hive_<attr>, as written
    has_ports: bool = False
    has_volumes: bool = False
    # the copied attributes as service_attrs normalised them (what deploy-services passes)
    normalised: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Network:
    name: str
    stages: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)  # driver, ipam, driver_opts as written
    file: str | None = None  # None: the implicit hive_default_network


@dataclass(frozen=True)
class ServicesFile:
    file: str
    available_on: tuple[str, ...]
    services: tuple[Service, ...]
    networks: tuple[Network, ...]

    @property
    def defines_default_network(self) -> bool:
        return any(n.name == DEFAULT_NETWORK for n in self.networks)


def parse_services_file(source: SourceFile, problems: Problems) -> ServicesFile:
    w = Where(problems, source.rel)
    data = source.data
    reject_unknown(w, data, FILE_KEYS, "a service definition file")
    available_on: tuple[str, ...] = STAGES
    if "available_on" in data:
        available_on = want_stages(w, data["available_on"], "available_on") or STAGES
    services: list[Service] = []
    raw_services = data.get("services")
    if raw_services is None:
        w.error("services must be specified: expected a mapping of service name to definition "
                "(use 'services: {}' for none)", "services")
    elif want_mapping(w, raw_services, "services"):
        for name, raw in raw_services.items():
            service = _parse_service(w, name, raw, available_on)
            if service is not None:
                services.append(service)
    networks: list[Network] = []
    raw_networks = data.get("networks")
    if raw_networks is not None and want_mapping(w, raw_networks, "networks"):
        for name, raw in raw_networks.items():
            network = _parse_network(w, name, raw, available_on)
            if network is not None:
                networks.append(network)
    return ServicesFile(source.rel, available_on, tuple(services), tuple(networks))


def _parse_network(w: Where, name: Any, raw: Any, stages: tuple[str, ...]) -> Network | None:
    nw = w.at(f"network {name}")
    if not isinstance(name, str) or not NETWORK_NAME.match(name):
        nw.error(f"expected a network name of letters, digits, '_', '.', '-', found {type_name(name)}")
        return None
    if raw is None:
        raw = {}
    if not want_mapping(nw, raw, None):
        return None
    before = len(nw.problems.errors)
    reject_unknown(nw, raw, NETWORK_KEYS, "a network")
    if "driver" in raw:
        want_str(nw, raw["driver"], "driver")
    if "driver_opts" in raw:
        want_mapping(nw, raw["driver_opts"], "driver_opts")
    if "ipam" in raw and want_mapping(nw, raw["ipam"], "ipam"):
        ipam = raw["ipam"]
        reject_unknown(nw.at("ipam"), ipam, ("driver", "config", "options"), "ipam")
        if "config" in ipam and want_list(nw, ipam["config"], "ipam.config"):
            for index, item in enumerate(ipam["config"], 1):
                cw = nw.at(f"ipam config #{index}")
                if want_mapping(cw, item, None):
                    reject_unknown(cw, item, ("subnet", "gateway", "iprange"), "an ipam config")
    if len(nw.problems.errors) > before:
        return None
    return Network(name, stages, dict(raw), w.file)


def _parse_service(w: Where, name: Any, raw: Any, file_stages: tuple[str, ...]) -> Service | None:
    sw = w.at(f"service {name}")
    if not isinstance(name, str) or not SERVICE_NAME.match(name):
        sw.error("expected a service name of letters, digits and '-' (not at either end), found "
                 f"{type_name(name)}")
        return None
    if name.startswith("hive-"):
        sw.error("service names beginning with 'hive-' are reserved for hive-builder")
    if not want_mapping(sw, raw, None):
        return None
    before = len(sw.problems.errors)
    for key in raw:
        if key not in SERVICE_KEYS:
            unknown_key(sw, key, sorted(SERVICE_KEYS), "a service")
    copied, normalised = {}, {}
    for key, normalise in COPIED.items():
        if key in raw:
            normalised[key] = normalise(sw, raw[key], key)
            copied[key] = raw[key]
    stages = file_stages
    if "available_on" in raw:
        stages = want_stages(sw, raw["available_on"], "available_on") or file_stages
    standalone = raw.get("standalone", False) is True
    image = None
    if "image" in raw:
        image = _parse_image(sw, name, raw["image"], standalone, stages)
    else:
        # reference §4.3: required in effect, deploy-services has nothing to run without it; no
        # kind of service (volumes-only or other) is exempt in the manual or the reference.
        sw.error('"image" must be specified: an image reference such as nginx:1.25 or a build '
                 "spec (mapping with from and roles); a service without an image cannot be "
                 "deployed", "image")
    ports = _parse_structured(sw, raw, "ports", lambda: parse_ports(sw, name, raw["ports"]),
                              lambda port: port.as_var(port.published))
    volumes = _parse_structured(sw, raw, "volumes", lambda: parse_volumes(sw, raw["volumes"]),
                                lambda volume: volume.mount())
    problem = replicas_problem(raw.get("mode"), "replicas" in raw)
    if problem:
        sw.error(problem, "replicas")
    problem = dnsrr_problem(raw.get("endpoint_mode"), [port.as_var(None) for port in ports])
    if problem:
        sw.error(problem, "ports")
    _check_log_monitor(sw, raw, standalone)
    if len(sw.problems.errors) > before:
        return None
    return Service(name, w.file or "", stages, image, ports, volumes, standalone, copied,
                   "ports" in raw, "volumes" in raw, normalised)


def _parse_structured(w: Where, raw: dict, attr: str, parse: Callable[[], tuple],
                      host_var: Callable[[Any], dict]) -> tuple:
    """ports or volumes: parsed by their own module, then, when every entry parsed, put through
    the normaliser deploy-services uses on their host var (what only deploy would refuse)."""
    if attr not in raw:
        return ()
    before = len(w.problems.errors)
    parsed = parse()
    normaliser = ATTRIBUTES[attr].normalise
    if len(w.problems.errors) == before and normaliser is not None:
        normaliser(w, [host_var(item) for item in parsed], attr)
    return parsed


def _check_log_monitor(w: Where, raw: dict, standalone: bool) -> None:
    """monitor_error only works on lines that reach the repository server's rsyslogd (§8.2, §8.3):
    refuse the combinations where the monitor would silently see nothing."""
    if raw.get("ignore_error") and not raw.get("monitor_error"):
        w.error("ignore_error only filters the lines monitor_error selects (manual 7.2): add "
                "monitor_error or remove ignore_error", "ignore_error")
    if not raw.get("monitor_error"):
        return
    if not standalone and raw.get("logging") is not None:
        w.error("the service sets its own logging, so its lines never reach the repository "
                "server's log collection and monitor_error would never see an error: remove "
                "logging (the default sends them there) or remove monitor_error", "monitor_error")
    image = raw.get("image")
    if standalone and isinstance(image, dict) and isinstance(image.get("roles"), list) \
            and "hive-syslog" not in image["roles"]:
        w.error("a standalone service's own syslog reaches the repository server only through "
                "the builtin role hive-syslog: add hive-syslog to image.roles, or monitor_error "
                "never sees an error", "monitor_error")


def _parse_image(w: Where, service: str, raw: Any, standalone: bool, stages: tuple[str, ...]
                 ) -> str | ImageSpec | None:
    if isinstance(raw, str):
        if not raw:
            w.error("expected an image reference such as nginx:1.25, found an empty string",
                    "image")
        return raw
    if not isinstance(raw, dict):
        w.error(f"expected an image reference (string) or a build spec (mapping), found "
                f"{type_name(raw)}", "image")
        return None
    iw = w.at("image")
    reject_unknown(iw, raw, IMAGE_KEYS, "an image build spec")
    if "from" not in raw:
        iw.error('"from" must be specified: the base image of the build', "from")
    else:
        want_str(iw, raw["from"], "from")
    if "roles" not in raw:
        iw.error("roles must be specified: the roles applied inside the build container", "roles")
    else:
        want_str_list(iw, raw["roles"], "roles")
    for key in ("standalone", "privileged"):
        if key in raw:
            want_bool(iw, raw[key], key)
    if "pull_from" in raw:
        want_str(iw, raw["pull_from"], "pull_from")
    for key, normalise in IMAGE_NORMALISERS.items():     # what build-images would refuse
        if key in raw:
            normalise(iw, raw[key], key)
    if "pull_on" in raw:
        pull_on = want_stages(iw, raw["pull_on"], "pull_on") or ()
        outside = [s for s in pull_on if s not in stages]
        if outside:
            iw.error(f"pull_on names stages where the service is not available: "
                     f"{', '.join(outside)}", "pull_on")
    if ("pull_on" in raw) != ("pull_from" in raw):
        given, missing = ("pull_on", "pull_from") if "pull_on" in raw else ("pull_from", "pull_on")
        iw.error(f"{missing} must be specified together with {given}", missing)
    params = dict(raw)
    if standalone:
        # a systemd-style service gets a systemd-style build (§4.7). Not privileged, unlike the
        # original: the build boots systemd with the service's own capabilities and mounts, which
        # suffices, and a privileged container cannot start on a docker-provider node.
        params.update(standalone=True)
    return ImageSpec(service, params)
