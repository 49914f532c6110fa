"""`hive inventory` prints the listing itself (inventory_json.direct_listing) instead of running
ansible-inventory: byte for byte what `ansible-inventory --list` prints with the generated
ansible.cfg, on representative projects and on every kind of group_vars/host_vars file; anything
else goes through ansible-inventory (NeedsAnsible)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hive_builder.cli.main import main
from hive_builder.execution import ansible as execution
from hive_builder.inventory_json import (
    DEFAULT_ENABLE_PLUGINS, DEFAULT_VARS_PLUGINS_ENABLED, IGNORED_SOURCES, INTERNAL_STATIC_VARS,
    RESERVED_NAMES, VARS_EXTENSIONS, NeedsAnsible, direct_listing)
from hive_builder.model import MemoryStore, load_site
from tests.fixtures.inventories.builders import DOCKER, PDNS

REPO = Path(__file__).resolve().parents[2]
PACKAGED_GROUP_VARS = REPO / "hive_builder" / "playbooks" / "group_vars"
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
needs_ansible = pytest.mark.skipif(not ANSIBLE_INVENTORY.exists(), reason="ansible not installed")


@pytest.fixture(autouse=True)
def no_ansible_env(monkeypatch):
    for name in [k for k in os.environ if k.startswith(("ANSIBLE_", "HIVE_"))]:
        monkeypatch.delenv(name)


def project(tmp_path: Path, inventory: Path, name: str = "proj") -> Path:
    root = tmp_path / name
    shutil.copytree(inventory, root / "inventory", ignore=shutil.ignore_patterns("*.py"))
    return root


def bench_inventory(tmp_path: Path, per_stage: int = 12) -> Path:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from bench_inventory import generate
    finally:
        sys.path.pop(0)
    inventory = tmp_path / "bench-inventory"
    inventory.mkdir()
    generate(inventory, per_stage)
    return inventory


def write_files(base: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text, encoding="utf-8")


# every way Ansible finds and merges group_vars/host_vars files (DataLoader.find_vars_files)
INVENTORY_FILES = {
    "group_vars/all.yml": "shared: from-all\nhive_timezone: Asia/Tokyo\n",
    # a directory: every file below it, sorted, hidden and backup files skipped
    "group_vars/hosts/10-base.yml": "base: &b {x: 1, y: [1, 2.5, null, true]}\nshared: hosts\n",
    "group_vars/hosts/20-more.json": '{"more": {"nested": "\\u00e9t\\u00e9"}, "shared": "json"}',
    "group_vars/hosts/.hidden.yml": "hidden: true\n",
    "group_vars/hosts/old.yml~": "backup: true\n",
    "group_vars/hosts/notes.txt": "ignored: extension\n",
    "group_vars/hosts/sub/30-deeper": "deeper: {<<: {m: 1}, n: 2}\n",
    # no extension, and .yaml / .json forms; a packaged variable overridden by the user
    "group_vars/servers": "hive_safe_email: ops@example.com\nsizes: [1, 2]\n",
    "group_vars/services.yaml": "svc_default: '{{ hive_name }}-svc'\nlabel: ラベル\n",
    "group_vars/mother.json": '{"ansible_connection": "ssh", "only_mother": 1}',
    "group_vars/private.yml": "stage_var: private\ninventory_dir: removed-by-ansible\n",
    "group_vars/networks.yml": "",  # empty: ignored
    "group_vars/images.yml": "{}\n",
    # both a file and a directory of the same name: the directory wins (no extension first)
    "group_vars/volumes/a.yml": "vol: dir\n",
    "group_vars/volumes.yml": "vol: file\n",
    "host_vars/powerdns.yml": "svc_default: own\nhive_image: overridden\n",
    "host_vars/p-hive0.pdns/a.yml": "per_host: 1\n",
    "host_vars/p-hive0.pdns/b.yml": "per_host: 2\n",
    "host_vars/hive_default_network.json": '{"net": true}',
}


def run_both(root: Path, temp: Path, capfd, *options: str) -> tuple[str, str]:
    """(what `hive inventory` printed without ansible, what ansible-inventory prints)."""
    def refuse(values):
        raise AssertionError("hive inventory ran ansible-inventory")

    original, execution.run_inventory_list = execution.run_inventory_list, refuse
    try:
        assert main(["-r", str(root), "-W", str(temp), *options, "inventory"]) == 0
    finally:
        execution.run_inventory_list = original
    direct = capfd.readouterr().out
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "HIVE_"))}
    env["ANSIBLE_CONFIG"] = str(temp / "ansible.cfg")
    proc = subprocess.run([str(ANSIBLE_INVENTORY), "--list"], env=env, capture_output=True,
                          text=True, encoding="utf-8", cwd="/", check=False)
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    return direct, proc.stdout


@needs_ansible
@pytest.mark.parametrize("case", ["pdns", "pdns-staging", "docker", "demo", "e2e", "bench",
                                  "files", "files-own-playbooks"])
def test_same_bytes_as_ansible_inventory(tmp_path, capfd, case):
    options: tuple[str, ...] = ()
    if case.startswith("pdns"):
        root = project(tmp_path, PDNS)
        options = ("-s", "staging") if case == "pdns-staging" else ()
    elif case == "docker":
        root = project(tmp_path, DOCKER)
    elif case == "demo":
        root = project(tmp_path, REPO / "examples" / "demo" / "inventory")
    elif case == "e2e":
        root = project(tmp_path, REPO / "tests" / "e2e" / "project" / "inventory")
    elif case == "bench":
        root = project(tmp_path, bench_inventory(tmp_path))
    else:
        root = project(tmp_path, PDNS)
        write_files(root / "inventory", INVENTORY_FILES)
        (root / "inventory" / "README.md").write_text("not an inventory source\n")
        if case == "files-own-playbooks":
            playbooks = tmp_path / "playbooks"
            shutil.copytree(PACKAGED_GROUP_VARS, playbooks / "group_vars")
            write_files(playbooks, {"group_vars/all.yml": "shared: playbooks\n",
                                    "host_vars/p-mother.pdns.yml": "pb_host: true\n",
                                    "host_vars/powerdns.yml": "svc_default: playbooks\n"})
            options = ("-P", str(playbooks))
    temp = tmp_path / "temp"
    temp.mkdir()
    direct, by_ansible = run_both(root, temp, capfd, *options)
    assert direct == by_ansible
    if case.startswith("files"):  # the cases above did reach the listing
        hostvars = yaml.safe_load(direct)["_meta"]["hostvars"]
        assert hostvars["p-hive0.pdns"]["per_host"] == 2
        assert "inventory_dir" not in hostvars["p-hive0.pdns"]
        assert hostvars["powerdns"]["label"] == "ラベル"


def site_and_values(tmp_path: Path, inventory: Path = PDNS):
    root = project(tmp_path, inventory)
    values = {"inventory_path": str(root / "inventory"),
              "playbooks_dir": str(REPO / "hive_builder" / "playbooks"),
              "inventory_plugins": f"{root}/plugins/inventory:{REPO}/hive_builder/plugins/inventory",
              "vars_plugins": f"{root}/plugins/vars:{REPO}/hive_builder/plugins/vars",
              "vars_plugins_enabled": ", ".join(DEFAULT_VARS_PLUGINS_ENABLED),
              "enable_plugins": ", ".join(DEFAULT_ENABLE_PLUGINS)}
    return root, load_site(root / "inventory", "private", MemoryStore()), values


def test_direct_listing_of_a_plain_project(tmp_path):
    _, site, values = site_and_values(tmp_path)
    listing = direct_listing(site, values, {"ANSIBLE_NOCOLOR": "1", "PATH": "/bin"})
    server = listing["_meta"]["hostvars"]["p-hive0.pdns"]
    assert server["hive_safe_admin"].startswith("{{")  # packaged group_vars, not templated
    assert "hive_safe_admin" not in listing["_meta"]["hostvars"]["powerdns"]


REFUSED = {
    "another inventory source": {"inventory/hosts.ini": "[x]\nh1\n"},
    "an empty YAML file": {"inventory/empty.yml": ""},
    "!unsafe": {"inventory/group_vars/all.yml": "a: !unsafe '{{ x }}'\n"},
    "!vault": {"inventory/group_vars/all.yml": "a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n"},
    "a vaulted file": {"inventory/group_vars/all.yml": "$ANSIBLE_VAULT;1.1;AES256\n6162\n"},
    "a date": {"inventory/group_vars/hosts.yml": "d: 2024-01-01\n"},
    "a duplicate key": {"inventory/group_vars/hosts.yml": "a: 1\na: 2\n"},
    "a number key": {"inventory/group_vars/hosts.yml": "1: one\n"},
    "a list file": {"inventory/group_vars/hosts.yml": "- a\n"},
    "a reserved name": {"inventory/host_vars/powerdns.yml": "port: 80\n"},
    "tagged JSON": {"inventory/group_vars/all.json": '{"a": {"__ansible_unsafe": "x"}}'},
    "invalid YAML": {"inventory/group_vars/all.yml": "a: [\n"},
    "group_vars not a directory": {"inventory/group_vars": "a: 1\n"},
    "a user's vars plugin": {"plugins/vars/mine.py": "# a legacy vars plugin\n"},
    "a user's inventory plugin": {"plugins/inventory/hive_inventory.py": "# shadows ours\n"},
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_only_ansible_can_say(tmp_path, case):
    root, site, values = site_and_values(tmp_path)
    write_files(root, REFUSED[case])
    with pytest.raises(NeedsAnsible):
        direct_listing(site, values, {})


@pytest.mark.parametrize("setting", ["env", "vars_plugins_enabled", "enable_plugins",
                                     "relative", "no packaged vars plugins"])
def test_settings_only_ansible_can_follow(tmp_path, setting):
    _, site, values = site_and_values(tmp_path)
    env = {}
    if setting == "env":
        env = {"ANSIBLE_HASH_BEHAVIOUR": "merge"}
    elif setting == "vars_plugins_enabled":
        values["vars_plugins_enabled"] = "host_group_vars"
    elif setting == "enable_plugins":
        values["enable_plugins"] = "yaml, hive_inventory, hive_services"
    elif setting == "relative":
        values["playbooks_dir"] = "playbooks"
    else:
        values["vars_plugins"] = str(tmp_path)
    with pytest.raises(NeedsAnsible):
        direct_listing(site, values, env)


def test_hive_inventory_falls_back_to_ansible_inventory(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, PDNS)
    (root / "inventory" / "hosts.ini").write_text("[x]\nh1\n")
    ran = []
    monkeypatch.setattr(execution, "run_inventory_list", lambda values: ran.append(values))
    (tmp_path / "t").mkdir()
    assert main(["-r", str(root), "-W", str(tmp_path / "t"), "-v", "inventory"]) == 0
    captured = capsys.readouterr()
    assert len(ran) == 1 and captured.out == ""
    assert "through ansible-inventory (inventory source" in captured.err


@needs_ansible
def test_tables_follow_the_installed_ansible():
    from ansible import constants as C
    from ansible.inventory.manager import IGNORED
    from ansible.vars.reserved import get_reserved_names

    assert INTERNAL_STATIC_VARS == C.INTERNAL_STATIC_VARS
    assert RESERVED_NAMES == get_reserved_names() - {"vars"}
    assert list(VARS_EXTENSIONS) == ["", *C.YAML_FILENAME_EXTENSIONS]
    names = ["hive.yml", ".git", "group_vars", "host_vars", "vars_plugins", "a.md", "a.txt",
             "a.cfg", "a.retry", "a.orig", "a~", "a.bak", "hosts.ini", "x.yaml", "sub"]
    assert [bool(IGNORED_SOURCES.search(n)) for n in names] == [
        bool(IGNORED.search(n.encode())) for n in names]


def test_defaults_are_the_generated_ansible_cfg():
    from hive_builder.config.catalogue import BY_NAME
    assert BY_NAME["vars_plugins_enabled"].default == ", ".join(DEFAULT_VARS_PLUGINS_ENABLED)
    assert BY_NAME["enable_plugins"].default == ", ".join(DEFAULT_ENABLE_PLUGINS)


@needs_ansible
def test_vars_plugin_answers_from_its_cache():
    from ansible.inventory.group import Group
    from ansible.parsing.dataloader import DataLoader

    from hive_builder.plugins.vars import hive_playbook_group_vars as plugin

    plugin._group_vars_dir = str(PACKAGED_GROUP_VARS)
    try:
        module, loader = plugin.VarsModule(), DataLoader()
        groups = [Group("hosts"), Group("mother"), Group("nothing")]
        first = module.get_vars(loader, "/", groups)
        first["scribbled"] = True  # the caller's own copy
        again = module.get_vars(loader, "/", groups)
        fresh = module.get_vars(loader, "/", groups, cache=False)
        expected = {**yaml.safe_load((PACKAGED_GROUP_VARS / "hosts.yml").read_text()),
                    **yaml.safe_load((PACKAGED_GROUP_VARS / "mother.yml").read_text())}
        assert again == fresh == expected
        assert module.get_vars(loader, "/", [Group("nothing")]) == {}
    finally:
        plugin._group_vars_dir = plugin._UNSET
        plugin._FOUND.clear()
        plugin._MERGED.clear()

