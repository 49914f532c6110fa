"""The Zabbix 6.0 template export (hive_builder.render.zabbix_templates) and its filter plugin.

No Zabbix is needed or used: the document is checked against the rules the 6.0 importer applies
(uuid shape and uniqueness, expressions naming an item of their own template) and against what
the rest of hive-builder relies on (names, macros, a stable digest).
"""

from __future__ import annotations

import hashlib
import re

import pytest
import yaml

from hive_builder.render import rsyslog
from hive_builder.render import zabbix_templates as zt

UUID_V4 = re.compile(r"^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$")


@pytest.fixture(scope="module")
def doc() -> dict:
    return yaml.safe_load(zt.templates_yaml())


def _templates(doc) -> dict:
    return {t["template"]: t for t in doc["zabbix_export"]["templates"]}


def _uuids(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uuid":
                yield value
            else:
                yield from _uuids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uuids(value)


def _references(expression: str) -> list[tuple[str, str]]:
    """(template, key) of each `/host/key` in a 6.0 expression; a key ends at the first ',' or
    ')' outside its brackets and quotes."""
    refs = []
    for match in re.finditer(r"\(/([^/]+)/", expression):
        key, depth, quoted, i = [], 0, False, match.end()
        while i < len(expression):
            ch = expression[i]
            if quoted:
                if ch == "\\":
                    key.append(ch)
                    i += 1
                    ch = expression[i]
                elif ch == '"':
                    quoted = False
            elif ch == '"':
                quoted = True
            elif ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
            elif ch in ",)" and depth == 0:
                break
            key.append(ch)
            i += 1
        refs.append((match.group(1), "".join(key)))
    return refs


def _triggers(template: dict):
    """(trigger, "trigger" or "prototype") for every trigger and trigger prototype of a template."""
    for item in template.get("items", []):
        for trigger in item.get("triggers", []):
            yield trigger, "trigger"
    for rule in template.get("discovery_rules", []):
        for proto in rule.get("item_prototypes", []):
            for trigger in proto.get("trigger_prototypes", []):
                yield trigger, "prototype"


def _keys(template: dict) -> set[str]:
    keys = {i["key"] for i in template.get("items", [])}
    for rule in template.get("discovery_rules", []):
        keys |= {p["key"] for p in rule.get("item_prototypes", [])}
    return keys


def test_document_shape(doc):
    export = doc["zabbix_export"]
    assert export["version"] == "6.0"
    assert export["groups"] == [{"uuid": "7df96b18c230490a9a0a9e2307226338", "name": "Templates"}]
    templates = _templates(doc)
    assert list(templates) == [zt.TEMPLATE_SERVER, zt.TEMPLATE_REPOSITORY] == \
        ["Hive Server", "Hive Repository Server"]
    for name, template in templates.items():
        assert template["name"] == name
        assert template["groups"] == [{"name": zt.TEMPLATE_GROUP}]
        assert zt.TEMPLATE_GROUP == "Templates"


def test_every_uuid_is_v4_shaped_and_unique(doc):
    uuids = list(_uuids(doc))
    # group, 2 templates, 3 items, 3 rules, 5 prototypes, 7 triggers and prototypes
    assert len(uuids) == 21
    assert all(isinstance(u, str) and UUID_V4.match(u) for u in uuids), uuids
    assert len(set(uuids)) == len(uuids)


@pytest.mark.parametrize("subject", ["", "hive.systemd.failed", "x" * 300])
def test_uuid_for_is_v4_shaped_and_depends_on_template_and_subject(subject):
    uuid = zt.uuid_for("T", subject)
    assert UUID_V4.match(uuid) and uuid == zt.uuid_for("T", subject)
    assert uuid != zt.uuid_for("U", subject)


def test_objects_that_need_a_uuid_have_one(doc):
    for template in _templates(doc).values():
        assert template["uuid"]
        for item in template.get("items", []):
            assert item["uuid"] and all(t["uuid"] for t in item.get("triggers", []))
        for rule in template.get("discovery_rules", []):
            assert rule["uuid"]
            for proto in rule["item_prototypes"]:
                assert proto["uuid"] and all(t["uuid"] for t in proto.get("trigger_prototypes", []))


def test_deterministic():
    text = zt.templates_yaml()
    assert text == zt.templates_yaml()
    assert zt.templates_digest() == zt.templates_digest() == hashlib.sha256(text.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", zt.templates_digest())
    assert "date" not in yaml.safe_load(text)["zabbix_export"]


def test_trigger_expressions_reference_an_item_of_their_own_template(doc):
    seen = 0
    for name, template in _templates(doc).items():
        keys = _keys(template)
        for trigger, _ in _triggers(template):
            refs = _references(trigger["expression"])
            assert refs, trigger
            for ref_template, ref_key in refs:
                assert ref_template == name, trigger
                assert ref_key in keys, (trigger, keys)
            seen += 1
    assert seen == 7


def test_prototype_triggers_reference_their_own_prototype_and_use_lld_macros(doc):
    for template in _templates(doc).values():
        for rule in template.get("discovery_rules", []):
            for proto in rule["item_prototypes"]:
                assert "{#" in proto["key"] and "{#" in proto["name"]
                for trigger in proto.get("trigger_prototypes", []):
                    assert [k for _, k in _references(trigger["expression"])] == [proto["key"]]
                    assert "{#" in trigger["name"]


def test_references_parser_handles_brackets_quotes_and_params():
    assert _references('count(/A B/logrt["/x,y)"],8h)>0') == [("A B", 'logrt["/x,y)"]')]
    assert _references("min(/T/k[{#A},{#B}],#3)>90") == [("T", "k[{#A},{#B}]")]


def test_expected_triggers(doc):
    templates = _templates(doc)
    server = {t["name"]: t for t, _ in _triggers(templates["Hive Server"])}
    repo = {t["name"]: t for t, _ in _triggers(templates["Hive Repository Server"])}
    assert {n: (t["expression"], t["priority"]) for n, t in server.items()} == {
        "Failed systemd units on {HOST.NAME}":
            ("last(/Hive Server/hive.systemd.failed)>0", "AVERAGE"),
        "DRBD disk of {#RESOURCE} on {HOST.NAME} is not UpToDate":
            ('find(/Hive Server/hive.drbd.disk[{#RESOURCE}],,"regexp","^(UpToDate|Diskless client)$")=0',
             "HIGH"),
    }
    assert "Failed systemd unit names" in server["Failed systemd units on {HOST.NAME}"]["description"]
    assert {n: (t["expression"], t["priority"]) for n, t in repo.items()} == {
        "Service {#SERVICE} runs fewer replicas than desired":
            ("last(/Hive Repository Server/hive.swarm.service.replicas[{#SERVICE}])<100", "HIGH"),
        "Service {#SERVICE} restarted within 8 hours":
            ("last(/Hive Repository Server/hive.swarm.service.uptime[{#SERVICE}])<8h", "WARNING"),
        "Standalone service {#SERVICE} has failed inner units":
            ("last(/Hive Repository Server/hive.standalone.failed[{#SERVICE}])>0", "AVERAGE"),
        "Exceed 90% Docker volume {#VOLUME} in {#SERVICE} usage":
            ("min(/Hive Repository Server/hive.volume.usage[{#SERVICE},{#TARGET}],#3)>90", "HIGH"),
        "Error Log Detected for Services":
            ('count(/Hive Repository Server/logrt["/var/log/service-error.log"],8h)>0', "AVERAGE"),
    }
    assert repo["Error Log Detected for Services"]["manual_close"] == "YES"
    assert all("manual_close" not in t for n, t in repo.items() if n != "Error Log Detected for Services")


def test_items_and_prototypes(doc):
    def flat(template):
        out = {i["key"]: i for i in template.get("items", [])}
        for rule in template.get("discovery_rules", []):
            out.update({p["key"]: p for p in rule["item_prototypes"]})
        return out

    templates = _templates(doc)
    server, repo = flat(templates["Hive Server"]), flat(templates["Hive Repository Server"])
    assert {k: (i["name"], i["value_type"], i.get("units")) for k, i in server.items()} == {
        "hive.systemd.failed": ("Failed systemd units", "UNSIGNED", None),
        "hive.systemd.failed.names": ("Failed systemd unit names", "CHAR", None),
        "hive.drbd.disk[{#RESOURCE}]": ("DRBD disk state of {#RESOURCE} ({#MODE})", "CHAR", None),
    }
    assert {k: (i["name"], i["value_type"], i.get("units")) for k, i in repo.items()} == {
        'logrt["/var/log/service-error.log"]': ("Errors of the services", "LOG", None),
        "hive.swarm.service.replicas[{#SERVICE}]": ("Running replicas of {#SERVICE}", "FLOAT", "%"),
        "hive.swarm.service.uptime[{#SERVICE}]": ("Uptime of {#SERVICE}", "UNSIGNED", "uptime"),
        "hive.standalone.failed[{#SERVICE}]": ("Failed inner units of {#SERVICE}", "UNSIGNED", None),
        "hive.volume.usage[{#SERVICE},{#TARGET}]":
            ("Usage of volume {#VOLUME} in {#SERVICE}", "FLOAT", "%"),
    }
    # the log item follows the file rsyslog writes
    assert f'logrt["{rsyslog.ERROR_LOG}"]' in repo
    assert repo[f'logrt["{rsyslog.ERROR_LOG}"]']["type"] == "ZABBIX_ACTIVE"
    for item in [*server.values(), *repo.values()]:
        assert item.get("type", "ZABBIX_PASSIVE") in ("ZABBIX_PASSIVE", "ZABBIX_ACTIVE")
        assert item["history"] == "7d" and item["delay"] == "{$HIVE.INTERVAL}"
        numeric = item["value_type"] in ("FLOAT", "UNSIGNED")
        assert item["trends"] == ("90d" if numeric else "0"), item


def test_discovery_rules(doc):
    templates = _templates(doc)
    rules = {r["key"]: r for t in templates.values() for r in t.get("discovery_rules", [])}
    assert {k: r["name"] for k, r in rules.items()} == {
        "hive.drbd.discovery": "DRBD resources",
        "hive.swarm.services.discovery": "Swarm services",
        "hive.volumes.discovery": "Docker volumes",
    }
    assert [r["key"] for r in templates["Hive Server"]["discovery_rules"]] == ["hive.drbd.discovery"]
    for rule in rules.values():
        assert rule["delay"] == "{$HIVE.LLD.INTERVAL}" and rule["lifetime"] == "0"
    for key, macros in {"hive.drbd.discovery": ("{#RESOURCE}", "{#MODE}"),
                        "hive.swarm.services.discovery": ("{#SERVICE}", "{#STANDALONE}"),
                        "hive.volumes.discovery": ("{#SERVICE}", "{#VOLUME}", "{#TARGET}")}.items():
        assert all(m in rules[key]["description"] for m in macros)


def test_volume_trigger_name_is_exact(doc):
    repo = _templates(doc)["Hive Repository Server"]
    names = [t["name"] for t, _ in _triggers(repo)]
    assert "Exceed 90% Docker volume {#VOLUME} in {#SERVICE} usage" in names


def test_user_macros_are_declared_on_each_template(doc):
    for template in _templates(doc).values():
        assert template["macros"] == [{"macro": "{$HIVE.INTERVAL}", "value": "1m"},
                                      {"macro": "{$HIVE.LLD.INTERVAL}", "value": "5m"}]
        text = yaml.safe_dump(template)
        used = set(re.findall(r"\{\$[A-Z0-9_.]+\}", text))
        assert used <= {m["macro"] for m in template["macros"]}


def _override_hides(override: dict, obj: str, name: str) -> bool:
    for op in override["operations"]:
        if op["operationobject"] == obj and op.get("discover") == "NO_DISCOVER":
            assert op["operator"] == "LIKE"
            if op["value"] in name:
                return True
    return False


def test_override_hides_standalone_prototypes_for_non_standalone_services(doc):
    rule = next(r for r in _templates(doc)["Hive Repository Server"]["discovery_rules"]
                if r["key"] == "hive.swarm.services.discovery")
    [override] = rule["overrides"]
    assert str(override["step"]) == "1"
    [condition] = override["filter"]["conditions"]
    assert condition["macro"] == "{#STANDALONE}" and condition["formulaid"] == "A"
    assert condition.get("operator", "MATCHES_REGEX") == "MATCHES_REGEX"
    assert re.search(condition["value"], "0") and not re.search(condition["value"], "1")
    assert not re.search(condition["value"], "10")

    # Zabbix matches override operations against the discovered object's name (LLD macros
    # expanded), so check with names as they come out for a few awkward service names
    for service in ("web", "winner", "inner-db", "failed"):
        for proto in rule["item_prototypes"]:
            item_name = proto["name"].replace("{#SERVICE}", service)
            standalone_only = proto["key"].startswith("hive.standalone.failed[")
            assert _override_hides(override, "ITEM_PROTOTYPE", item_name) == standalone_only, item_name
            for trigger in proto.get("trigger_prototypes", []):
                trigger_name = trigger["name"].replace("{#SERVICE}", service)
                assert _override_hides(override, "TRIGGER_PROTOTYPE", trigger_name) == \
                    standalone_only, trigger_name


def test_yaml_keeps_strings_strings():
    text = zt.templates_yaml()
    # YAML 1.1 readers (Zabbix's PHP one too) would turn these into numbers or booleans
    assert "version: '6.0'" in text and "manual_close: 'YES'" in text and "trends: '0'" in text
    assert "units: '%'" in text and "delay: '{$HIVE.INTERVAL}'" in text

    def scalars(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from scalars(value)
        elif isinstance(node, list):
            for value in node:
                yield from scalars(value)
        else:
            yield node

    assert all(isinstance(s, str) for s in scalars(yaml.safe_load(text)))


def test_filter_plugin_returns_the_same_text():
    from hive_builder.plugins.filter.hive_zabbix_filters import FilterModule
    filters = FilterModule().filters()
    assert filters["hive_zabbix_templates"](None) == zt.templates_yaml()
    assert filters["hive_zabbix_templates"]("anything") == zt.templates_yaml()
    assert filters["hive_zabbix_templates_digest"](None) == zt.templates_digest()
