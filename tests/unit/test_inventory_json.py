"""inventory_json (ansible-inventory --list shape), PersistentFileStore and project resolution."""

from __future__ import annotations

import yaml

from hive_builder.inventory_json import apply_ops, inventory_ops, to_ansible_inventory
from hive_builder.model import load_site
from hive_builder.model.filestore import PersistentFileStore, global_stage
from hive_builder.model.project import load_project, resolve_project
from tests.fixtures.inventories.builders import PDNS, load, private, write
from tests.fixtures.inventories.builders import services as bare_services


def services(svcs, **file_keys):
    """builders.services with an image on every service that has none (image is required)."""
    return bare_services({name: {"image": "x", **body}
                          if isinstance(body, dict) and "image" not in body else body
                          for name, body in svcs.items()}, **file_keys)


def test_listing_shape(tmp_path):
    listing = to_ansible_inventory(load(write(tmp_path, private(), services({"web": {}}))))
    assert listing["all"]["children"][0] == "ungrouped"
    assert set(listing["all"]["children"]) == {
        "ungrouped", "first_hive", "hosts", "private", "services", "images", "volumes",
        "drbd_volumes", "networks", "staging", "production"}  # a services file's default stages
    assert "ungrouped" not in listing  # empty
    assert listing["_meta"]["hostvars"]["web"] == {"hive_name": "pdns", "hive_volumes": [],
                                                   "hive_ports": [], "hive_image": "x"}
    assert listing["_meta"]["hostvars"]["hive_default_network"] == {"hive_name": "pdns"}


def test_ops_per_file_cover_the_listing(tmp_path):
    site = load(write(tmp_path, private(), services({"a": {}}), services({"b": {}})))
    assert {op[1] for op in inventory_ops(site, "services1.yml") if op[0] == "host"} == {
        "b", "hive_default_network"}
    assert not any(op[1] == "b" for op in inventory_ops(site, "hive.yml"))
    assert inventory_ops(site) == (inventory_ops(site, "hive.yml")
                                   + inventory_ops(site, "services.yml")
                                   + inventory_ops(site, "services1.yml"))


class Recorder:
    def __init__(self):
        self.calls = []

    def add_group(self, g):
        self.calls.append(("group", g))

    def add_child(self, p, c):
        self.calls.append(("child", p, c))

    def add_host(self, h, group=None):
        self.calls.append(("host", h, group))

    def set_variable(self, e, k, v):
        self.calls.append(("var", e, k, v))


def test_apply_ops_creates_groups_before_hosts():
    rec = Recorder()
    apply_ops(rec, [("host", "x", "g"), ("var", "x", "k", 1)])
    assert rec.calls == [("group", "g"), ("host", "x", "g"), ("var", "x", "k", 1)]


def test_filestore_preserves_other_keys_and_sorts(tmp_path):
    path = tmp_path / ".hive" / "persistent_values.yml"
    path.parent.mkdir()
    path.write_text("stage: {global: staging}\npublished_port_map: {production: {x/1/tcp: 61009}}\n")
    store = PersistentFileStore(path)
    assert store.get("published_port_map", "production") == {"x/1/tcp": 61009}
    store.set("published_port_map", "staging", {"b/2/tcp": 61002, "a/1/tcp": 61001})
    assert not yaml.safe_load(path.read_text()).get("published_port_map", {}).get("staging")
    store.flush()
    text = path.read_text()
    assert yaml.safe_load(text) == {
        "stage": {"global": "staging"},
        "published_port_map": {"production": {"x/1/tcp": 61009},
                               "staging": {"a/1/tcp": 61001, "b/2/tcp": 61002}}}
    assert "{" not in text and text.index("a/1/tcp") < text.index("b/2/tcp")
    # no temp files left behind (the empty writer-lock file of config.persistence stays)
    assert sorted(p.name for p in path.parent.iterdir()) == ["persistent_values.yml", "persistent_values.yml.lock"]
    assert global_stage(tmp_path) == "staging"


def test_filestore_starts_from_legacy_file(tmp_path):
    legacy = tmp_path / ".hive" / "persistents.yml"
    legacy.parent.mkdir()
    legacy.write_text("verbose: {private: true}\ndrbd_device_map: {private: {a: 1}}\n")
    store = PersistentFileStore(tmp_path / ".hive" / "persistent_values.yml")
    assert store.get("drbd_device_map", "private") == {"a": 1}
    store.set("drbd_device_map", "private", {"a": 1, "b": 2})
    store.flush()
    data = yaml.safe_load((tmp_path / ".hive" / "persistent_values.yml").read_text())
    assert data == {"verbose": {"private": True}, "drbd_device_map": {"private": {"a": 1, "b": 2}}}


def test_resolve_project_defaults(tmp_path):
    inv = tmp_path / "inventory"
    inv.mkdir()
    project = resolve_project(str(inv / "hive.yml"), None, None)
    assert (project.root_dir, project.stage) == (tmp_path, "private")
    (tmp_path / ".hive").mkdir()
    (tmp_path / ".hive" / "persistent_values.yml").write_text("stage: {global: production}\n")
    assert resolve_project(str(inv / "hive.yml"), None, None).stage == "production"
    assert resolve_project(str(inv / "hive.yml"), "/elsewhere", "staging").stage == "staging"


def test_load_project_writes_nothing_until_flushed(tmp_path):
    root = tmp_path / "proj"
    inv = write(root / "inventory", private(), services({"web": {"ports": ["80"]}}))
    site, store = load_project(resolve_project(str(inv / "hive.yml"), None, None))
    assert not (root / ".hive").exists() and store.dirty
    store.flush()
    saved = yaml.safe_load((root / ".hive" / "persistent_values.yml").read_text())
    assert saved == {"published_port_map": {"private": {"web/80/tcp": 61001}}}
    again = load_site(inv, "private", PersistentFileStore(root / ".hive" / "persistent_values.yml"))
    assert again.published_ports == site.published_ports


def test_pdns_listing_is_json_plain():
    import json
    listing = to_ansible_inventory(load(PDNS))
    assert json.loads(json.dumps(listing)) == listing
