"""The shipped JSON Schemas (hive_builder/schemas/) are the generator's output, valid draft-07,
and cover every key of the model's tables."""

import json

import pytest
from jsonschema import Draft7Validator

from hive_builder.model import hivedef, schema, service_attrs, services, volumes


@pytest.mark.parametrize("name", [schema.HIVE_SCHEMA, schema.SERVICES_SCHEMA])
def test_shipped_file_is_generated(name):
    shipped = schema.schema_path(name).read_text(encoding="utf-8")
    assert shipped == schema.generated()[name], \
        f"{name} is stale: run python -m hive_builder.model.schema"


def test_check_mode_reports_fresh_files():
    assert schema.main(["--check"]) == 0


@pytest.mark.parametrize("name", [schema.HIVE_SCHEMA, schema.SERVICES_SCHEMA])
def test_valid_draft7(name):
    Draft7Validator.check_schema(json.loads(schema.schema_path(name).read_text()))


def test_keys_are_the_model_tables():
    hive = schema.hive_schema()
    assert list(hive["properties"]) == ["plugin", "name", "stages"]
    stage = hive["definitions"]["stage"]
    assert list(stage["properties"]) == list(hivedef.STAGE_KEYS)
    assert stage["additionalProperties"] is False
    assert stage["properties"]["provider"]["enum"] == list(hivedef.PROVIDERS)
    assert list(hive["definitions"]["subnet"]["properties"]) == list(hivedef.SUBNET_KEYS)
    svc = schema.services_schema(docs={})
    assert list(svc["properties"]) == list(services.FILE_KEYS)
    defs = svc["definitions"]
    assert list(defs["service"]["properties"]) == list(service_attrs.SERVICE_KEYS)
    assert list(defs["image_build"]["properties"]) == list(services.IMAGE_KEYS)
    assert list(defs["volume"]["properties"]) == list(volumes.VOLUME_KEYS)
    assert list(defs["backup_script"]["properties"]) == list(service_attrs.BACKUP_KEYS)
    assert list(defs["network"]["oneOf"][1]["properties"]) == list(services.NETWORK_KEYS)


def test_provider_rules_read_from_the_model():
    required, refused = schema._provider_rules()
    assert required["kickstart"] == ["kickstart_config"]
    assert "kickstart_config" in refused["docker"] and "bridge" in refused["docker"]
    assert "instance_type" in refused["docker"] and "memory_size" not in refused["docker"]
    assert "memory_size" in refused["aws"] and "instance_type" not in refused["aws"]
    assert "bridge" not in refused["vagrant"]


def test_descriptions_from_the_attribute_docs():
    docs = schema.attribute_docs()
    if not docs:
        pytest.skip("docs/service-attributes.md is not here (installed package)")
    props = schema.services_schema()["definitions"]["service"]["properties"]
    assert "Stages" in props["available_on"]["description"]
    assert props["command"]["description"] == props["entrypoint"]["description"]


def test_new_attribute_without_schema_fails(monkeypatch):
    monkeypatch.setattr(service_attrs, "SERVICE_KEYS", (*service_attrs.SERVICE_KEYS, "newattr"))
    with pytest.raises(AssertionError, match="newattr"):
        schema.services_schema(docs={})


def test_ecma_case_insensitive():
    assert schema.ecma(hivedef.HIVE_NAME).count("a-zA-Z") == hivedef.HIVE_NAME.pattern.count("a-z")
