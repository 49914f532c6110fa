"""The hive definition (plugin: hive_inventory): validated into one StageSpec per stage."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from hive_builder.model.addressing import Subnet, internal_cidr_conflict
from hive_builder.model.checks import (STAGES, did_you_mean, is_int, reject_unknown, want_bool,
                                       want_int, want_list, want_mapping, want_str)
from hive_builder.model.files import SourceFile
from hive_builder.model.problems import Problems, Where, type_name

PROVIDERS = ("vagrant", "aws", "azure", "gcp", "openstack", "prepared", "kickstart", "docker")
LOCAL_PROVIDERS = ("vagrant", "docker")  # machines on the mother: memory/cpus, no instance types
PREFIXES = {"private": "p-", "staging": "s-", "production": ""}
SIZES = ("disk_size", "repository_disk_size", "mirrored_disk_size", "memory_size",
         "repository_memory_size", "cpus", "repository_cpus")
STRINGS = ("instance_type", "repository_instance_type", "region", "root_password", "bridge", "dev")
STAGE_KEYS = ("provider", "cidr", "separate_repository", "number_of_hosts", "subnets",
              "ip_address_list", "internal_cidr", "internal_cidr_v6", *SIZES, *STRINGS,
              "image_name", "az_suffix_list", "kickstart_config", "nameservers")
SUBNET_KEYS = ("cidr", "name", "available_zone")
MAX_HOSTS = 250  # one stage; far beyond any swarm of managers we build
HIVE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", re.I)


@dataclass(frozen=True)
class StageSpec:
    """A validated stage object; `params` keeps the values as written (for pass-through vars)."""

    name: str
    provider: str
    cidr: str
    separate_repository: bool
    number_of_hosts: int
    subnets: tuple[Subnet, ...]
    ip_address_list: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return PREFIXES[self.name]


@dataclass(frozen=True)
class HiveDef:
    name: str
    file: str
    stages: dict[str, StageSpec]


def parse_hive(source: SourceFile, problems: Problems) -> HiveDef | None:
    w = Where(problems, source.rel)
    before = len(problems.errors)
    data = source.data
    reject_unknown(w, data, ("plugin", "name", "stages"), "the hive definition")
    name = data.get("name")
    if name is None:
        w.error("the hive name is missing: expected e.g. 'name: pdns'", "name")
    elif not isinstance(name, str) or not HIVE_NAME.fullmatch(name):
        w.error("expected a domain-like name (letters, digits, '-', '.'), found "
                f"{type_name(name)}", "name")
    stages_raw = data.get("stages")
    stages: dict[str, StageSpec] = {}
    if stages_raw is None:
        w.error("no stages: expected a mapping of private/staging/production to stage objects",
                "stages")
    elif want_mapping(w, stages_raw, "stages"):
        if not stages_raw:
            w.error("expected at least one stage, found none", "stages")
        for stage_name, stage_raw in stages_raw.items():
            if stage_name not in STAGES:
                w.error(f'stage must be one of "private", "staging", "production", '
                        f"but specified {stage_name}" + did_you_mean(stage_name, STAGES),
                        "stages")
                continue
            spec = _parse_stage(w.at(f"stage {stage_name}"), stage_name, stage_raw)
            if spec is not None:
                stages[stage_name] = spec
    if len(problems.errors) > before or not isinstance(name, str):
        return None
    return HiveDef(name, source.rel, stages)


def _network(w: Where, value: Any, attr: str, version: int = 4) -> str | None:
    if not want_str(w, value, attr):
        return None
    try:
        net = ipaddress.ip_network(value)
    except ValueError as exc:
        w.error(f"expected a network address such as 192.168.0.0/24, found {value!r} ({exc})", attr)
        return None
    if net.version != version:
        w.error(f"expected an IPv{version} network, found {value!r}", attr)
        return None
    return str(net)


def _provider_rules(w: Where, provider: str, raw: dict) -> None:
    if provider != "kickstart" and "kickstart_config" in raw:
        w.error("kickstart_config cannot be specified when provider is not kickstart",
                "kickstart_config")
    if provider == "kickstart" and "kickstart_config" not in raw:
        w.error("kickstart_config must be specified when provider is kickstart", "kickstart_config")
    if provider in LOCAL_PROVIDERS:
        for key in ("instance_type", "repository_instance_type", "region"):
            if key in raw:
                w.error(f"{key} cannot be specified when provider is {provider}", key)
        if provider != "vagrant":
            for key in ("bridge", "dev"):
                if key in raw:
                    w.error(f"{key} cannot be specified when provider is {provider} "
                            "(vagrant only)", key)
    else:
        for key in ("memory_size", "repository_memory_size", "dev", "bridge"):
            if key in raw:
                w.error(f"{key} cannot be specified when provider is IaaS ({provider})", key)
    if provider == "aws":
        # zones come from each subnet's available_zone (without subnets: a zone of the region
        # offering the instance types, providers/aws.py); instances are reached with the key pair
        for key, why in (("az_suffix_list", "zones are the subnets' available_zone"),
                         ("root_password", "instances are reached as the admin with the stage's key pair")):
            if key in raw:
                w.error(f"{key} cannot be specified when provider is aws: {why}", key)
    if provider in ("gcp", "azure") and "root_password" in raw:
        # instances are made with the admin's key (metadata, VM profile): there is no root login
        w.error(f"root_password cannot be specified when provider is {provider}: instances are "
                "reached as the admin with the key hive gives them", "root_password")
    if provider == "azure" and "az_suffix_list" in raw:
        w.error("az_suffix_list cannot be specified when provider is azure: zones are 1, 2 and 3 "
                "(or the subnets' available_zone)", "az_suffix_list")


def _parse_stage(w: Where, stage: str, raw: Any) -> StageSpec | None:
    if not want_mapping(w, raw, None):
        return None
    before = len(w.problems.errors)
    reject_unknown(w, raw, STAGE_KEYS, "a stage")
    provider = raw.get("provider")
    if provider is None:
        w.error("provider must be specified", "provider")
    elif provider not in PROVIDERS:
        w.error("provider must be one of " + ", ".join(f'"{p}"' for p in PROVIDERS)
                + f", but specified {provider}" + did_you_mean(provider, PROVIDERS), "provider")
    else:
        _provider_rules(w, provider, raw)
    cidr = None
    if "cidr" not in raw:
        w.error("cidr must be specified", "cidr")
    else:
        cidr = _network(w, raw["cidr"], "cidr")
    for key in ("internal_cidr",):
        if key in raw and _network(w, raw[key], key):
            prefix = ipaddress.ip_network(raw[key]).prefixlen
            if prefix > 26:
                w.error(f"expected a network of /26 or larger to split in eighths, found "
                        f"{raw[key]}", key)
    if "internal_cidr_v6" in raw:
        _network(w, raw["internal_cidr_v6"], "internal_cidr_v6", version=6)
    overlap = internal_cidr_conflict(cidr, raw.get("internal_cidr")) if cidr else None
    if overlap:  # internal_cidr defaults to 172.31.252.0/22 (addressing.DEFAULT_INTERNAL_CIDR)
        w.error(overlap, "internal_cidr" if "internal_cidr" in raw else "cidr")
    separate = raw.get("separate_repository", True)
    want_bool(w, separate, "separate_repository")
    for key in SIZES:
        if key in raw:
            want_int(w, raw[key], key, lo=1)
    for key in STRINGS:
        if key in raw:
            want_str(w, raw[key], key)
    if "image_name" in raw and not isinstance(raw["image_name"], str | dict):
        w.error(f"expected a string or a mapping, found {type_name(raw['image_name'])}", "image_name")
    if "kickstart_config" in raw:
        want_mapping(w, raw["kickstart_config"], "kickstart_config")
    if "az_suffix_list" in raw:
        v = raw["az_suffix_list"]
        if not (isinstance(v, list) and v and all(isinstance(s, str) for s in v)):
            w.error(f"expected a non-empty list of strings, found {type_name(v)}", "az_suffix_list")
    if "nameservers" in raw:
        _ip_list(w, raw["nameservers"], "nameservers", None)
    net = ipaddress.IPv4Network(cidr) if cidr else None
    subnets = _parse_subnets(w, raw, net, PREFIXES[stage])
    ips = _ip_list(w, raw["ip_address_list"], "ip_address_list", net) if "ip_address_list" in raw else ()
    if subnets and "ip_address_list" in raw:
        w.error("subnets and ip_address_list cannot be used together: addresses come either "
                "from the subnets or from the list", "ip_address_list")
    count = _number_of_hosts(w, raw, separate, ips)
    if len(w.problems.errors) > before or cidr is None:
        return None
    return StageSpec(stage, provider, cidr, separate, count, subnets, ips, dict(raw))


def _number_of_hosts(w: Where, raw: dict, separate: Any, ips: tuple[str, ...]) -> int:
    explicit = raw.get("number_of_hosts")
    if explicit is not None and not want_int(w, explicit, "number_of_hosts", lo=1, hi=MAX_HOSTS):
        return 0
    if ips and explicit is not None and explicit != len(ips):
        w.error(f"number_of_hosts is {explicit} but ip_address_list has {len(ips)} addresses: "
                "they must match (or omit number_of_hosts)", "ip_address_list")
    count = len(ips) if ips else explicit if explicit is not None else (4 if separate is not False else 3)
    if separate is True and count == 1:
        w.error("separate_repository is true with a single host: that host is the repository "
                "server and no hive would exist; use number_of_hosts >= 2 or "
                "separate_repository: false", "number_of_hosts")
    return count


def _ip_list(w: Where, value: Any, attr: str, net: ipaddress.IPv4Network | None) -> tuple[str, ...]:
    if not want_list(w, value, attr):
        return ()
    result = []
    for index, item in enumerate(value, 1):
        try:
            ip = ipaddress.IPv4Address(item) if isinstance(item, str) else None
        except ValueError:
            ip = None
        if ip is None:
            w.error(f"element #{index}: expected an IPv4 address, found {type_name(item)}", attr)
        elif net is not None and ip not in net:
            w.error(f"element #{index}: {ip} is outside the stage cidr {net}", attr)
        elif str(ip) in result:
            w.error(f"element #{index}: {ip} is listed twice", attr)
        else:
            result.append(str(ip))
    return tuple(result)


def _parse_subnets(w: Where, raw: dict, net: ipaddress.IPv4Network | None, prefix: str
                   ) -> tuple[Subnet, ...]:
    if "subnets" not in raw:
        return ()
    value = raw["subnets"]
    if not want_list(w, value, "subnets"):
        return ()
    if not value:
        w.error("expected at least one subnet, found an empty list", "subnets")
    result = []
    for index, item in enumerate(value):
        sw = w.at(f"subnet #{index + 1}")
        if not want_mapping(sw, item, None):
            continue
        reject_unknown(sw, item, SUBNET_KEYS, "a subnet")
        if "cidr" not in item:
            sw.error("cidr in subnet must be specified", "cidr")
            continue
        cidr = _network(sw, item["cidr"], "cidr")
        name = item.get("name", f"{prefix}subnet{index}")
        zone = item.get("available_zone")
        if "name" in item:
            want_str(sw, name, "name")
        if zone is not None and not (isinstance(zone, str) or is_int(zone)):
            sw.error(f"expected a zone name or number, found {type_name(zone)}", "available_zone")
        if cidr and net is not None and not ipaddress.IPv4Network(cidr).subnet_of(net):
            sw.error(f"subnet {cidr} is outside the stage cidr {net}", "cidr")
        elif cidr:
            result.append(Subnet(cidr, name, zone))
    return tuple(result) if len(result) == len(value) else ()
