"""JSON Schemas (draft-07) of the hive definition and of service definition files, for editors.

Generated from the model's own tables (the key tuples, enums and name patterns of hivedef.py,
services.py, service_attrs.py, volumes.py, ports.py), so that an editor running
yaml-language-server flags, while typing, what `hive check` would refuse. The model stays the
authority: JSON Schema cannot express everything it checks (see docs/service-attributes.md,
"Editor support"), so a file the schema accepts may still be refused by `hive check`, but a file
the schema refuses is refused by the model too (tests/unit/test_schema_*.py cross-check both).

The generated files are shipped in hive_builder/schemas/; regenerate them after changing a table:

    python -m hive_builder.model.schema            # writes hive_builder/schemas/*.schema.json
    python -m hive_builder.model.schema --check    # exit 1 when the shipped files are stale

Descriptions of service attributes come from docs/service-attributes.md when it is present (a
source checkout); a test keeps the shipped files equal to this module's output.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from hive_builder.model import hivedef, ports, service_attrs, services, volumes
from hive_builder.model.checks import STAGES
from hive_builder.model.files import HIVE_PLUGIN, SERVICES_PLUGIN
from hive_builder.model.problems import Problems, Where

DRAFT = "http://json-schema.org/draft-07/schema#"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
HIVE_SCHEMA = "hive.schema.json"
SERVICES_SCHEMA = "services.schema.json"
ATTRIBUTES_DOC = PACKAGE_DIR.parent / "docs" / "service-attributes.md"

Schema = dict[str, Any]


# ---------------------------------------------------------------- pattern helpers


def ecma(pattern: re.Pattern[str]) -> str:
    """A Python pattern as an ECMA-262 pattern (what JSON Schema validators use). Only the
    constructs the model's patterns use are translated: re.I ranges `a-z` (ECMA has no flags)."""
    text = pattern.pattern
    if pattern.flags & re.I:
        assert not re.search(r"A-Z", text), text
        text = text.replace("a-z", "a-zA-Z")
    return text


def any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"{OCTET}(?:\.{OCTET}){{3}}"
# loose: hex digits, ':' and '.' with at least one ':' (ipaddress checks the rest), optional zone
IPV6 = r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[^\s%]+)?"
PORT_NUMBER = r"0*(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"


def ipv4_network(max_prefix: int | None = None) -> Schema:
    """As ipaddress.ip_network reads an IPv4 network, except host bits set (not expressible).
    `max_prefix`: the prefix is required and at most this."""
    if max_prefix is None:
        return {"type": "string", "pattern": rf"^{IPV4}(?:/(?:3[0-2]|[12]?[0-9]))?$"}
    prefixes = "|".join(str(n) for n in range(max_prefix, -1, -1))
    return {"type": "string", "pattern": rf"^{IPV4}/(?:{prefixes})$"}


def _string(**extra: Any) -> Schema:
    return {"type": "string", "minLength": 1, **extra}


STRING_LIST: Schema = {"type": "array", "items": {"type": "string"}}
SCALAR: Schema = {"not": {"type": ["object", "array"]}}
SCALAR_MAP: Schema = {"type": "object", "additionalProperties": SCALAR}
STAGE_LIST: Schema = {"type": "array", "items": {"enum": list(STAGES)}}
WORDS: Schema = {"oneOf": [{"type": "string"},
                           {"type": "array", "items": {"type": ["string", "number"]}}]}
IP: Schema = {"type": "string", "pattern": rf"^(?:{IPV4}|{IPV6})$"}
# the model's duration part, its groups not capturing and its digits ASCII ones (as in ECMA)
DURATION_PART = re.sub(r"\((?!\?)", "(?:", service_attrs._DURATION_PART.pattern).replace(r"\d", "[0-9]")
DURATION: Schema = {"oneOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": rf"^\s*(?:{DURATION_PART})+\s*$"}],
                    "description": f"a duration {service_attrs._DURATION_EXAMPLES}"}
PROBE_DURATION: Schema = {"oneOf": [{"type": "number", "anyOf": [{"const": 0},
                                                                 {"minimum": 0.001}]},
                                    DURATION["oneOf"][1]],
                          "description": "a duration, 0 or at least 1ms"}
ABSOLUTE_PATH: Schema = {"type": "string", "pattern": "^/"}


def _object(properties: dict[str, Schema], keys: tuple[str, ...], required: tuple[str, ...] = (),
            **extra: Any) -> Schema:
    """A mapping that refuses unknown keys (the model's reject_unknown): exactly `keys`."""
    assert set(properties) == set(keys), set(properties) ^ set(keys)
    schema: Schema = {"type": "object", "properties": {k: properties[k] for k in keys},
                      "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def _when(condition: Schema, then: Schema, otherwise: Schema | None = None) -> Schema:
    rule = {"if": condition, "then": then}
    if otherwise is not None:
        rule["else"] = otherwise
    return rule


def _has(key: str, value: Schema | None = None) -> Schema:
    """The condition "`key` is given (and matches `value`)"."""
    schema: Schema = {"required": [key]}
    if value is not None:
        schema["properties"] = {key: value}
    return schema


def _forbid(*keys: str, why: str) -> Schema:
    """`keys` refused (`not: {}` rather than `false`, which some validators report without the
    key's path)."""
    return {"properties": {key: {"not": {}, "description": f"{key}: {why}"} for key in keys}}


# ---------------------------------------------------------------- the hive definition


def _provider_rules() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(provider -> keys it requires, provider -> keys it refuses), read from the model's own
    rule function by trying each stage key on each provider."""
    required, refused = {}, {}
    for provider in hivedef.PROVIDERS:
        problems = Problems()
        hivedef._provider_rules(Where(problems, "probe"), provider, {})
        required[provider] = sorted({e.attr for e in problems.errors if e.attr})
        refused[provider] = []
        for key in hivedef.STAGE_KEYS:
            problems = Problems()
            raw = {k: None for k in (*required[provider], key)}
            hivedef._provider_rules(Where(problems, "probe"), provider, raw)
            if any(e.attr == key for e in problems.errors):
                refused[provider].append(key)
    return required, refused


def _stage() -> Schema:
    props: dict[str, Schema] = {
        "provider": {"enum": list(hivedef.PROVIDERS),
                     "description": "where the servers come from"},
        "cidr": {**ipv4_network(), "description": "the stage's network (IPv4), e.g. 10.233.10.0/24"},
        "separate_repository": {"type": "boolean", "default": True,
                                "description": "true: the repository server is a host of its own"},
        "number_of_hosts": {"type": "integer", "minimum": 1, "maximum": hivedef.MAX_HOSTS,
                            "description": "hives plus the repository server (default 4 with "
                                           "separate_repository, else 3)"},
        "subnets": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/subnet"}},
        "ip_address_list": {"type": "array", "uniqueItems": True,
                            "items": {"type": "string", "pattern": f"^{IPV4}$"}},
        "internal_cidr": {**ipv4_network(26),
                          "description": "Docker's internal networks (/26 or larger, split in "
                                         "eighths); default 172.31.252.0/22"},
        "internal_cidr_v6": {"type": "string", "pattern": f"^{IPV6}/[0-9]+$"},
        "image_name": {"type": ["string", "object"]},
        "az_suffix_list": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "kickstart_config": {"type": "object"},
        "nameservers": {"type": "array", "uniqueItems": True,
                        "items": {"type": "string", "pattern": f"^{IPV4}$"}},
    }
    for key in hivedef.SIZES:
        props[key] = {"type": "integer", "minimum": 1}
    for key in hivedef.STRINGS:
        props[key] = _string()
    required, refused = _provider_rules()
    rules: list[Schema] = []
    for provider in hivedef.PROVIDERS:
        then: Schema = {}
        if required[provider]:
            then["required"] = required[provider]
        if refused[provider]:
            then.update(_forbid(*refused[provider],
                                why=f"cannot be specified when provider is {provider}"))
        if then:
            rules.append(_when(_has("provider", {"const": provider}), then))
    # a single host that is the repository server leaves no hive
    single = {"anyOf": [_has("number_of_hosts", {"const": 1}),
                        {"not": {"required": ["number_of_hosts"]},
                         **_has("ip_address_list", {"maxItems": 1, "minItems": 1})}]}
    rules.append(_when(single, _has("separate_repository", {"const": False})))
    rules.append({"not": {"required": ["subnets", "ip_address_list"]}})
    return _object(props, hivedef.STAGE_KEYS, ("provider", "cidr"), allOf=rules)


def hive_schema() -> Schema:
    subnet = _object({"cidr": ipv4_network(), "name": _string(),
                      "available_zone": {"type": ["string", "integer"]}},
                     hivedef.SUBNET_KEYS, ("cidr",))
    stages = {name: {"$ref": "#/definitions/stage"} for name in STAGES}
    return {
        "$schema": DRAFT,
        "title": "hive-builder hive definition (inventory/hive.yml)",
        "description": f"plugin: {HIVE_PLUGIN}: the site name and its stages",
        **_object({
            "plugin": {"const": HIVE_PLUGIN},
            "name": {"type": "string", "pattern": ecma(hivedef.HIVE_NAME),
                     "description": "domain-like name of the site: servers are <prefix>hiveN.<name>"},
            "stages": {"type": "object", "minProperties": 1, "properties": stages,
                       "additionalProperties": False},
        }, ("plugin", "name", "stages"), ("plugin", "name", "stages")),
        "definitions": {"stage": _stage(), "subnet": subnet},
    }


# ---------------------------------------------------------------- service definitions

# what a service may publish: the protocols of a port the swarm module takes
PUBLISH_PROTOCOLS = [p for p in ports.PROTOCOLS if p in service_attrs.PUBLISH_PROTOCOLS]


def _short_port() -> Schema:
    return {"type": "string", "pattern": rf"^\s*(?:{PORT_NUMBER}:)?{PORT_NUMBER}"
                                         rf"(?:/(?:{'|'.join(PUBLISH_PROTOCOLS)}))?\s*$"}


def _long_port() -> Schema:
    number: Schema = {"type": "integer", "minimum": 1, "maximum": 65535}
    return _object({"target_port": number, "published_port": number,
                    "protocol": {"enum": PUBLISH_PROTOCOLS},
                    "mode": {"enum": [*ports.MODES, None]}},
                   ports.LONG_KEYS, ("target_port",))


def _volume() -> Schema:
    name = {"pattern": ecma(volumes.VOLUME_NAME)}
    drbd = _object({"fstype": {"enum": list(volumes.FSTYPES)},
                    "size": {"type": "string", "pattern": ecma(volumes.SIZE),
                             "description": "a size with unit such as 500M or 20G"},
                    "diskless": {"type": ["array", "null"], "items": {"type": "string"}},
                    "device_id": {"type": ["integer", "null"], "minimum": volumes.DEVICE_FIRST,
                                  "maximum": volumes.DEVICE_LAST}},
                   volumes.DRBD_KEYS, ("fstype", "size"))
    created = {"anyOf": [{"required": ["driver"]}, {"required": ["drbd"]}]}
    mount_rules = {"allOf": [
        _when(_has("type", {"const": "tmpfs"}), {"properties": {"source": {"maxLength": 0}}}),
        _when(_has("type", {"const": "volume"}),
              {"properties": {"source": {"minLength": 1, **name}}}),
        _when({"not": _has("type", {"enum": ["volume", "tmpfs"]})},
              {"properties": {"source": {"pattern": "^/"}}}),
    ]}
    return _object({"source": {"type": "string"}, "target": ABSOLUTE_PATH,
                    "type": {"enum": [*volumes.MOUNT_TYPES, None]},
                    "readonly": {"type": "boolean"},
                    "driver": _string(), "driver_opts": {"type": "object"}, "drbd": drbd},
                   volumes.VOLUME_KEYS, ("source", "target"),
                   dependencies={"driver_opts": ["driver"]},
                   allOf=[{"not": {"required": ["driver", "drbd"]}},
                          _when(created, {"properties": {"type": {"enum": ["volume", None]},
                                                         "source": name}}, mount_rules)])


def _constraint() -> Schema:
    key = ecma(service_attrs.CONSTRAINT_KEY)
    value = ecma(service_attrs.CONSTRAINT_VALUE)
    assert value.endswith("]+"), value
    value = value[:-1]                          # the character class
    inner = value.replace(r" \t\n\f\r", "")    # the value is stripped: no blank at either end
    assert inner != value, value
    return {"type": "string", "pattern": rf"^\s*{key}\s*(?:==|!=)\s*{inner}(?:{value}*{inner})?\s*$"}


def _backup_script() -> Schema:
    part = {"type": "string", "pattern": ecma(service_attrs.BACKUP_FILE_PART)}
    props = {"name": {**part, "not": {"pattern": "^" + re.escape(
                 service_attrs.RESERVED_BACKUP_PREFIX)}},
             "ext": part, "cleanup_days_before": {"type": "integer", "minimum": 0},
             "batch_scripts": STRING_LIST}
    for key in ("directory", "backup_command", "backup_file", "restore_command", "restore_file"):
        props[key] = _string()
    return _object(props, service_attrs.BACKUP_KEYS, ("name",),
                   anyOf=[{"required": [k]} for k in ("directory", "backup_command",
                                                      "batch_scripts")],
                   dependencies={"backup_file": ["backup_command"],
                                 "restore_command": ["backup_command"],
                                 "restore_file": ["restore_command", "backup_command"]},
                   allOf=[{"not": {"required": ["directory", "backup_command"]}}])


def _healthcheck() -> Schema:
    test = {"oneOf": [
        {"type": "string", "pattern": r"\S"},
        {"type": "array", "items": [{"const": "NONE"}], "minItems": 1, "maxItems": 1},
        {"type": "array", "items": [{"const": "CMD"}], "additionalItems": {"type": "string"},
         "minItems": 2},
        {"type": "array", "items": [{"const": "CMD-SHELL"}, {"type": "string"}],
         "minItems": 2, "maxItems": 2},
    ]}
    props = {"test": test, "retries": {"type": "integer", "minimum": 0}}
    for key in ("interval", "timeout", "start_period"):
        props[key] = PROBE_DURATION
    return _object(props, service_attrs.HEALTHCHECK_KEYS, ("test",))


def _sysctl_name() -> str:
    names = "|".join(re.escape(n) for n in service_attrs.SYSCTL_NAMES)
    prefixes = "|".join(re.escape(p) for p in service_attrs.SYSCTL_PREFIXES)
    return rf"^(?:(?:{prefixes}).*|(?:{names}))$"


def _image_spec() -> Schema:
    env_name = {"pattern": r"^[^=\n]+$"}
    props = {
        "from": _string(description="the base image of the build"),
        "roles": {**STRING_LIST, "description": "roles applied inside the build container"},
        "standalone": {"type": "boolean"}, "privileged": {"type": "boolean"},
        "env": {"type": "object", "propertyNames": env_name,
                "additionalProperties": {**SCALAR, "pattern": r"^[^\n]*$"}},
        "stop_signal": _string(),
        "user": {"oneOf": [_string(), {"type": "integer"}]},
        "working_dir": ABSOLUTE_PATH,
        "entrypoint": WORDS, "command": WORDS,
        "expose": {"oneOf": [{"$ref": "#/definitions/exposed_port"},
                             {"type": "array", "items": {"$ref": "#/definitions/exposed_port"}}]},
        "pull_on": STAGE_LIST, "pull_from": _string(),
    }
    return _object(props, services.IMAGE_KEYS, ("from", "roles"),
                   dependencies={"pull_on": ["pull_from"], "pull_from": ["pull_on"]})


def _attribute_schemas() -> dict[str, Schema]:
    """One schema per entry of service_attrs.ATTRIBUTES (the generator fails on a new attribute
    without one)."""
    sa = service_attrs
    capability = rf"^(?:{any_case('CAP_')})?(?:{'|'.join(any_case(c) for c in sorted(sa.CAPABILITIES))})$"
    memory = rf"^\s*{sa.MEMORY.pattern}\s*$"
    return {
        "available_on": STAGE_LIST,
        "image": {"oneOf": [_string(), {"$ref": "#/definitions/image_build"}]},
        "ports": {"type": "array", "items": {"oneOf": [
            _short_port(), {"type": "integer", "minimum": 1, "maximum": 65535}, _long_port()]}},
        "volumes": {"type": "array", "items": {"$ref": "#/definitions/volume"}},
        "command": WORDS,
        "entrypoint": WORDS,
        "environment": {"oneOf": [SCALAR_MAP, {"type": "array", "items": {
            "type": "string", "pattern": "^[^=]+="}}]},
        "networks": STRING_LIST,
        "mode": {"enum": list(sa.SERVICE_MODES)},
        "replicas": {"type": "integer", "minimum": 0},
        "placement": _object({"constraints": {"type": "array", "items": _constraint()},
                              "preferences": {"type": "array", "items": _object(
                                  {"spread": _string()}, ("spread",), ("spread",))},
                              "replicas_max_per_node": {"type": "integer", "minimum": 1}},
                             sa.PLACEMENT_KEYS),
        "endpoint_mode": {"enum": list(sa.ENDPOINT_MODES)},
        "restart_config": _object({"condition": {"enum": list(sa.RESTART_CONDITIONS)},
                                   "delay": DURATION, "window": DURATION,
                                   "max_attempts": {"type": "integer", "minimum": 0}},
                                  sa.RESTART_KEYS),
        "healthcheck": _healthcheck(),
        "hosts": {"oneOf": [
            {"type": "object", "propertyNames": {"pattern": r"^\S+$"}, "additionalProperties": IP},
            {"type": "array", "items": {"type": "string", "pattern":
                                        rf"^\s*[^:=\s]+\s*[:=]\s*(?:{IPV4}|{IPV6})\s*$"}}]},
        "dns": {"oneOf": [IP, {"type": "array", "items": IP}]},
        "user": {"oneOf": [_string(), {"type": "integer"}]},
        "working_dir": ABSOLUTE_PATH,
        "labels": {"type": "object"},
        "logging": _object({"driver": _string(), "options": SCALAR_MAP}, sa.LOGGING_KEYS),
        "standalone": {"type": "boolean"},
        "initialize_roles": STRING_LIST,
        "backup_scripts": {"type": "array", "items": {"$ref": "#/definitions/backup_script"}},
        "monitor_error": STRING_LIST,
        "ignore_error": STRING_LIST,
        "stop_grace_period": DURATION,
        "cap_add": {"type": "array", "items": {"type": "string", "pattern": capability}},
        "cap_drop": {"type": "array", "items": {"type": "string", "pattern": capability}},
        "sysctls": {"type": "object", "propertyNames": {"pattern": _sysctl_name()},
                    "additionalProperties": SCALAR},
        "cpu_limit": {"type": "number", "exclusiveMinimum": 0},
        "mem_limit": {"oneOf": [{"type": "integer", "minimum": sa.MIN_MEMORY},
                                {"type": "string", "pattern": memory}]},
    }


def attribute_docs(path: Path = ATTRIBUTES_DOC) -> dict[str, str]:
    """attribute -> the first paragraph of its section in docs/service-attributes.md."""
    if not path.is_file():
        return {}
    result: dict[str, str] = {}
    for section in re.split(r"^### ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        heading, _, body = section.partition("\n")
        names = re.findall(r"`([a-z_]+)`", heading)
        paragraph = body.strip().split("\n\n", 1)[0]
        text = " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
        for name in names:
            result.setdefault(name, text)
    return result


def _service_rules() -> list[Schema]:
    """Checks across attributes that JSON Schema can state (services.py, service_attrs.py)."""
    nonempty = {"type": "array", "minItems": 1}
    not_host_port = {"not": {"type": "object", "required": ["mode"],
                             "properties": {"mode": {"const": "host"}}}}
    return [
        _when(_has("mode", {"const": "global"}),
              _forbid("replicas", why="cannot be used with mode global")),
        _when(_has("endpoint_mode", {"const": "dnsrr"}),
              {"properties": {"ports": {"not": {"contains": not_host_port}}}}),
        _when(_has("ignore_error", nonempty), _has("monitor_error", nonempty)),
        _when({"allOf": [_has("monitor_error", nonempty),
                         {"not": _has("standalone", {"const": True})}]},
              {"properties": {"logging": {"type": "null"}}}),
        _when({"allOf": [_has("monitor_error", nonempty), _has("standalone", {"const": True}),
                         _has("image", {"type": "object", "required": ["roles"],
                                        "properties": {"roles": {"type": "array"}}})]},
              {"properties": {"image": {"properties": {"roles": {
                  "contains": {"const": "hive-syslog"}}}}}}),
    ]


def services_schema(docs: dict[str, str] | None = None) -> Schema:
    docs = attribute_docs() if docs is None else docs
    attrs = _attribute_schemas()
    missing = set(service_attrs.SERVICE_KEYS) ^ set(attrs)
    if missing:
        raise AssertionError(f"no JSON Schema for service attributes {sorted(missing)}")
    props = {}
    for key in service_attrs.SERVICE_KEYS:
        schema = dict(attrs[key])
        if key in docs:
            schema["description"] = docs[key]
        props[key] = schema
    service = _object(props, service_attrs.SERVICE_KEYS, ("image",), allOf=_service_rules())
    ipam = _object({"driver": {}, "options": {},
                    "config": {"type": "array", "items": _object(
                        {"subnet": {}, "gateway": {}, "iprange": {}},
                        ("subnet", "gateway", "iprange"))}},
                   ("driver", "config", "options"))
    network = {"oneOf": [{"type": "null"}, _object(
        {"driver": _string(), "ipam": ipam, "driver_opts": {"type": "object"}},
        services.NETWORK_KEYS)]}
    exposed = {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 65535},
                         {"type": "string", "pattern": rf"^\s*{PORT_NUMBER}"
                                                       rf"(?:/(?:{'|'.join(ports.PROTOCOLS)}))?\s*$"}]}
    return {
        "$schema": DRAFT,
        "title": "hive-builder service definition file (inventory/*.yml)",
        "description": f"plugin: {SERVICES_PLUGIN}: services, build images and networks",
        **_object({
            "plugin": {"const": SERVICES_PLUGIN},
            "available_on": {**STAGE_LIST, "description": "stages where this file's services "
                                                          "and networks exist (default: all)"},
            "services": {"type": "object",
                         "propertyNames": {"pattern": ecma(services.SERVICE_NAME),
                                           "not": {"pattern": "^hive-"}},
                         "additionalProperties": {"$ref": "#/definitions/service"}},
            "networks": {"type": ["object", "null"],
                         "propertyNames": {"pattern": ecma(services.NETWORK_NAME)},
                         "additionalProperties": {"$ref": "#/definitions/network"}},
        }, services.FILE_KEYS, ("plugin", "services")),
        "definitions": {"service": service, "image_build": _image_spec(), "volume": _volume(),
                        "backup_script": _backup_script(), "network": network,
                        "exposed_port": exposed},
    }


# ---------------------------------------------------------------- files


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    """File name -> text of every shipped schema."""
    return {HIVE_SCHEMA: render(hive_schema()), SERVICES_SCHEMA: render(services_schema())}


def schema_path(name: str) -> Path:
    """The installed schema file (what the yaml-language-server modeline names)."""
    return SCHEMA_DIR / name


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = []
    for name, text in generated().items():
        path = schema_path(name)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not check:
            SCHEMA_DIR.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if check and stale:
        print("stale: " + ", ".join(stale) + " (run python -m hive_builder.model.schema)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
