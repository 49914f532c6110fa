"""Pure: the Zabbix 6.0 templates of a site, as a configuration.import document (YAML).

Two templates: "Hive Server", linked to every server (systemd and DRBD health), and "Hive
Repository Server", linked to the repository server only, whose agent sees the whole swarm
(service replicas and uptime, standalone services' inner units, volume usage) and the error log
that rsyslog gathers there. The agent side (UserParameters answering the `hive.*` keys) lives
elsewhere; this module only describes what the server asks and when it complains.

The document must be byte-for-byte stable across runs: its digest decides whether the import is
skipped, and Zabbix matches imported objects to existing ones by uuid. So uuids are derived from
the template name and the object's key or expression, never random, and no export date is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import yaml

from hive_builder.render import rsyslog

TEMPLATE_SERVER = "Hive Server"
TEMPLATE_REPOSITORY = "Hive Repository Server"
TEMPLATE_GROUP = "Templates"
# Zabbix's own uuid for its stock "Templates" group: with it, import reuses that group instead of
# failing on, or duplicating, an existing group of the same name.
TEMPLATE_GROUP_UUID = "7df96b18c230490a9a0a9e2307226338"
EXPORT_VERSION = "6.0"

INTERVAL_MACRO = "{$HIVE.INTERVAL}"
LLD_INTERVAL_MACRO = "{$HIVE.LLD.INTERVAL}"
MACRO_DEFAULTS = {INTERVAL_MACRO: "1m", LLD_INTERVAL_MACRO: "5m"}
HISTORY = "7d"
TRENDS = "90d"
# a service, volume or DRBD resource that is gone (removed with -D) takes its items and open
# problems with it at the next discovery; a failed discovery removes nothing
LLD_LIFETIME = "0"
ERROR_LOG_KEY = f'logrt["{rsyslog.ERROR_LOG}"]'

_NUMERIC = ("FLOAT", "UNSIGNED")


@dataclass(frozen=True)
class Trigger:
    """A trigger (or trigger prototype) on the item that owns it: the expression is
    `function(/template/key<params>)<comparison>`, so it cannot name another item by mistake."""
    name: str
    function: str
    comparison: str
    priority: str
    params: str = ""
    description: str = ""
    manual_close: bool = False

    def expression(self, template: str, key: str) -> str:
        return f"{self.function}(/{template}/{key}{self.params}){self.comparison}"


@dataclass(frozen=True)
class Item:
    """An item, or an item prototype when listed under a Discovery."""
    key: str
    name: str
    value_type: str
    units: str = ""
    description: str = ""
    active: bool = False
    triggers: tuple[Trigger, ...] = ()


@dataclass(frozen=True)
class HideWhen:
    """An LLD override: rows whose `macro` matches `regex` get no prototypes whose *name*
    contains `item_name` / `trigger_name` (Zabbix matches override operations against the object
    name, not its key or expression)."""
    name: str
    macro: str
    regex: str
    item_name: str
    trigger_name: str


@dataclass(frozen=True)
class Discovery:
    key: str
    name: str
    lld_macros: tuple[str, ...]
    prototypes: tuple[Item, ...]
    description: str = ""
    overrides: tuple[HideWhen, ...] = ()


@dataclass(frozen=True)
class Template:
    template: str
    description: str
    items: tuple[Item, ...] = ()
    discoveries: tuple[Discovery, ...] = ()


STANDALONE_FAILED_NAME = "Failed inner units of"
# Docker service names hold no spaces, so this phrase cannot appear in another trigger's name
# through {#SERVICE} (a bare word such as "inner" could: a service called "winner").
STANDALONE_FAILED_TRIGGER = "has failed inner units"

SERVER = Template(
    template=TEMPLATE_SERVER,
    description="hive-builder: systemd and DRBD health of every server of the site.",
    items=(
        Item("hive.systemd.failed", "Failed systemd units", "UNSIGNED",
             description="Number of systemd units in the failed state.",
             triggers=(Trigger(
                 "Failed systemd units on {HOST.NAME}", "last", ">0", "AVERAGE",
                 description='The names of the failed units are in item "Failed systemd unit '
                             'names"; `systemctl --failed` on the host shows them too.'),)),
        Item("hive.systemd.failed.names", "Failed systemd unit names", "CHAR",
             description="Space-separated names of the failed systemd units."),
    ),
    discoveries=(
        Discovery(
            "hive.drbd.discovery", "DRBD resources", ("{#RESOURCE}", "{#MODE}"),
            description="DRBD resources of the volumes placed on this server; {#MODE} tells a "
                        "replica from a diskless client.",
            prototypes=(
                Item("hive.drbd.disk[{#RESOURCE}]", "DRBD disk state of {#RESOURCE} ({#MODE})",
                     "CHAR",
                     triggers=(Trigger(
                         "DRBD disk of {#RESOURCE} on {HOST.NAME} is not UpToDate", "find", "=0",
                         "HIGH", params=',,"regexp","^(UpToDate|Diskless client)$"',
                         description="The local replica is missing, outdated or still "
                                     "synchronising: the volume has lost a copy."),)),
            )),
    ),
)

REPOSITORY = Template(
    template=TEMPLATE_REPOSITORY,
    description="hive-builder: swarm services, standalone services, Docker volumes and the "
                "service error log, seen from the repository server.",
    items=(
        Item(ERROR_LOG_KEY, "Errors of the services", "LOG", active=True,
             description="Lines that rsyslog routed to the service error log.",
             triggers=(Trigger(
                 "Error Log Detected for Services", "count", ">0", "AVERAGE", params=",8h",
                 manual_close=True,
                 description="A service logged an error within 8 hours; see the item's latest "
                             "values. Close the problem by hand once dealt with."),)),
    ),
    discoveries=(
        Discovery(
            "hive.swarm.services.discovery", "Swarm services", ("{#SERVICE}", "{#STANDALONE}"),
            description="Swarm services of the site; {#STANDALONE} is 1 for services that run "
                        "systemd units inside.",
            prototypes=(
                Item("hive.swarm.service.replicas[{#SERVICE}]", "Running replicas of {#SERVICE}",
                     "FLOAT", units="%",
                     description="Running tasks as a percentage of the desired ones.",
                     triggers=(Trigger(
                         "Service {#SERVICE} runs fewer replicas than desired", "last", "<100",
                         "HIGH"),)),
                Item("hive.swarm.service.uptime[{#SERVICE}]", "Uptime of {#SERVICE}", "UNSIGNED",
                     units="uptime",
                     description="Seconds since the youngest running task of the service started.",
                     triggers=(Trigger(
                         "Service {#SERVICE} restarted within 8 hours", "last", "<8h",
                         "WARNING"),)),
                Item("hive.standalone.failed[{#SERVICE}]",
                     f"{STANDALONE_FAILED_NAME} {{#SERVICE}}", "UNSIGNED",
                     description="Failed systemd units inside a standalone service's container.",
                     triggers=(Trigger(
                         f"Standalone service {{#SERVICE}} {STANDALONE_FAILED_TRIGGER}", "last",
                         ">0", "AVERAGE"),)),
            ),
            overrides=(
                HideWhen("Not standalone", "{#STANDALONE}", "^0$",
                         item_name=STANDALONE_FAILED_NAME,
                         trigger_name=STANDALONE_FAILED_TRIGGER),
            )),
        Discovery(
            "hive.volumes.discovery", "Docker volumes", ("{#SERVICE}", "{#VOLUME}", "{#TARGET}"),
            description="Volumes mounted by the services; {#TARGET} is the mount point in the "
                        "container.",
            prototypes=(
                Item("hive.volume.usage[{#SERVICE},{#TARGET}]",
                     "Usage of volume {#VOLUME} in {#SERVICE}", "FLOAT", units="%",
                     triggers=(Trigger(
                         "Exceed 90% Docker volume {#VOLUME} in {#SERVICE} usage", "min", ">90",
                         "HIGH", params=",#3",
                         description="Three consecutive checks above 90%: grow the volume or "
                                     "clean it up."),)),
            )),
    ),
)

TEMPLATES = (SERVER, REPOSITORY)


def uuid_for(template: str, subject: str) -> str:
    """A stable UUIDv4-shaped id (32 lowercase hex digits) for `subject` (a key or an expression,
    empty for the template itself) of `template`; Zabbix 6.0 import rejects other shapes."""
    digits = list(hashlib.sha256(f"hive-builder:{template}:{subject}".encode()).hexdigest()[:32])
    digits[12] = "4"
    digits[16] = "89ab"[int(digits[16], 16) & 3]
    return "".join(digits)


def _trigger(template: str, key: str, trigger: Trigger) -> dict:
    expression = trigger.expression(template, key)
    out = {"uuid": uuid_for(template, expression), "expression": expression,
           "name": trigger.name, "priority": trigger.priority}
    if trigger.description:
        out["description"] = trigger.description
    if trigger.manual_close:
        out["manual_close"] = "YES"
    return out


def _item(template: str, item: Item, triggers_field: str) -> dict:
    out = {"uuid": uuid_for(template, item.key), "name": item.name}
    if item.active:
        out["type"] = "ZABBIX_ACTIVE"
    out.update({"key": item.key, "delay": INTERVAL_MACRO, "history": HISTORY,
                # text values cannot have trends, and import refuses a non-zero period for them
                "trends": TRENDS if item.value_type in _NUMERIC else "0",
                "value_type": item.value_type})
    if item.units:
        out["units"] = item.units
    if item.description:
        out["description"] = item.description
    if item.triggers:
        out[triggers_field] = [_trigger(template, item.key, t) for t in item.triggers]
    return out


def _override(hide: HideWhen) -> dict:
    return {
        "name": hide.name,
        "step": "1",
        "filter": {"conditions": [{"macro": hide.macro, "value": hide.regex, "formulaid": "A"}]},
        "operations": [
            {"operationobject": "ITEM_PROTOTYPE", "operator": "LIKE", "value": hide.item_name,
             "discover": "NO_DISCOVER"},
            {"operationobject": "TRIGGER_PROTOTYPE", "operator": "LIKE",
             "value": hide.trigger_name, "discover": "NO_DISCOVER"},
        ],
    }


def _discovery(template: str, rule: Discovery) -> dict:
    description = rule.description or rule.name
    out = {"uuid": uuid_for(template, rule.key), "name": rule.name, "key": rule.key,
           "delay": LLD_INTERVAL_MACRO, "lifetime": LLD_LIFETIME,
           "description": f"{description} LLD macros: {', '.join(rule.lld_macros)}.",
           "item_prototypes": [_item(template, p, "trigger_prototypes") for p in rule.prototypes]}
    if rule.overrides:
        out["overrides"] = [_override(o) for o in rule.overrides]
    return out


def _template(tpl: Template) -> dict:
    out = {"uuid": uuid_for(tpl.template, ""), "template": tpl.template, "name": tpl.template,
           "description": tpl.description, "groups": [{"name": TEMPLATE_GROUP}]}
    if tpl.items:
        out["items"] = [_item(tpl.template, i, "triggers") for i in tpl.items]
    if tpl.discoveries:
        out["discovery_rules"] = [_discovery(tpl.template, d) for d in tpl.discoveries]
    out["tags"] = [{"tag": "class", "value": "hive-builder"}]
    out["macros"] = [{"macro": m, "value": v} for m, v in MACRO_DEFAULTS.items()]
    return out


def templates_document() -> dict:
    """The export document as Python data (what templates_yaml() dumps)."""
    return {"zabbix_export": {
        "version": EXPORT_VERSION,
        "groups": [{"uuid": TEMPLATE_GROUP_UUID, "name": TEMPLATE_GROUP}],
        "templates": [_template(t) for t in TEMPLATES],
    }}


def templates_yaml() -> str:
    """The document for configuration.import with format "yaml"."""
    # safe_dump quotes whatever YAML 1.1 would read back as non-strings ('6.0', '0', 'YES', '%'),
    # which matters because Zabbix's PHP parser is YAML 1.1 too
    return yaml.safe_dump(templates_document(), sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=1000)


def templates_digest() -> str:
    """sha256 hex of templates_yaml(): unchanged digest, no need to import again."""
    return hashlib.sha256(templates_yaml().encode()).hexdigest()
