"""`hive init`'s starter inventory (render/starter.py): valid for the model and the schemas,
written only where the inventory has no YAML file, never overwriting."""

import json

import pytest
import yaml
from jsonschema import Draft7Validator

from hive_builder.cli.main import main
from hive_builder.model import MemoryStore, load_site, schema
from hive_builder.render import starter


def files(name="mysite"):
    return starter.starter_files(name, "/s/hive.schema.json", "/s/services.schema.json")


@pytest.mark.parametrize("directory, name", [
    ("mysite", "mysite"), ("My_Site", "my-site"), ("a..b", "a.b"), ("__", "mysite"),
    ("-x-", "x"), ("ünï", "n")])
def test_site_name(directory, name):
    assert starter.site_name(directory) == name


def test_each_file_starts_with_the_modeline():
    texts = files()
    assert texts["hive.yml"].splitlines()[0] == "# yaml-language-server: $schema=/s/hive.schema.json"
    assert texts["services.yml"].splitlines()[0] == \
        "# yaml-language-server: $schema=/s/services.schema.json"


def test_starter_loads_with_the_model(tmp_path):
    for name, text in files("demo-1").items():
        (tmp_path / name).write_text(text)
    site = load_site(tmp_path, "private", MemoryStore())
    stage = site.stages["private"]
    assert stage.provider == "docker"
    assert [s.name for s in stage.servers if "hives" in s.groups] == \
        ["p-hive0.demo-1", "p-hive1.demo-1", "p-hive2.demo-1"]
    assert list(site.services) == ["hello"]


def test_starter_validates_against_the_schemas():
    for name, text in files().items():
        data = yaml.safe_load(text)
        schema_name = schema.HIVE_SCHEMA if name == "hive.yml" else schema.SERVICES_SCHEMA
        validator = Draft7Validator(json.loads(schema.schema_path(schema_name).read_text()))
        assert list(validator.iter_errors(data)) == []


def test_init_writes_the_starter(tmp_path, capsys):
    root = tmp_path / "Shop"
    root.mkdir()
    assert main(["-r", str(root), "init"]) == 0
    err = capsys.readouterr().err
    assert "wrote starter" in err and "hive.yml" in err and "services.yml" in err
    hive = (root / "inventory" / "hive.yml").read_text()
    assert hive.startswith(f"# yaml-language-server: $schema={schema.schema_path('hive.schema.json')}")
    assert schema.schema_path("hive.schema.json").is_file()
    assert "name: shop" in hive
    load_site(root / "inventory", "private", MemoryStore())


def test_init_never_overwrites(tmp_path, capsys):
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "site.yaml").write_text("plugin: hive_inventory\n")
    assert main(["-r", str(tmp_path), "init"]) == 0
    err = capsys.readouterr().err
    assert "already has site.yaml: starter inventory not written" in err
    assert sorted(p.name for p in inventory.iterdir()) == ["site.yaml"]
    assert (tmp_path / ".hive").is_dir()


def test_init_fills_an_empty_inventory_directory(tmp_path, capsys):
    (tmp_path / "inventory" / "group_vars").mkdir(parents=True)
    assert main(["-r", str(tmp_path), "init"]) == 0
    assert sorted(p.name for p in (tmp_path / "inventory").iterdir()) == \
        ["group_vars", "hive.yml", "services.yml"]


def test_init_twice_keeps_the_files(tmp_path, capsys):
    assert main(["-r", str(tmp_path), "init"]) == 0
    (tmp_path / "inventory" / "hive.yml").write_text("# mine\n")
    capsys.readouterr()
    assert main(["-r", str(tmp_path), "init"]) == 0
    err = capsys.readouterr().err
    assert "is already initialized" in err and "starter inventory not written" in err
    assert (tmp_path / "inventory" / "hive.yml").read_text() == "# mine\n"
