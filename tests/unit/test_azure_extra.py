"""The `azure` extra of pyproject.toml: exactly the distributions whose modules the
azure.azcollection modules import (all through module_utils/azure_rm_common.py, whose one try
block decides whether any module runs), at the versions of the collection's requirements.txt;
and the collection pinned for provider azure in ansible-requirements.yml."""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = Path(importlib.import_module("ansible_collections.azure.azcollection").__path__[0])
MODULES = ("resourcegroup", "virtualnetwork", "subnet", "securitygroup", "publicipaddress",
           "networkinterface", "virtualmachine", "manageddisk")
# modules of one distribution that is not named after them: msgraph-sdk brings msgraph-core and
# kiota-authentication-azure
DISTRIBUTION = {"msgraph": "msgraph-sdk", "msgraph_core": "msgraph-sdk",
                "kiota_authentication_azure": "msgraph-sdk", "packaging": "packaging"}


def _distribution(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] in DISTRIBUTION:
        return DISTRIBUTION[parts[0]]
    if parts[0] != "azure":
        return None
    if parts[1] == "mgmt":
        return f"azure-mgmt-{parts[2]}"
    return "-".join(parts[:3] if parts[1] == "storage" else parts[:2])


def _imports(path: Path, only_required: bool) -> set[str]:
    """Modules imported by `path`: at the top of a try block whose failure disables the module
    (azure_rm_common: HAS_AZURE = False), or anywhere (a module's own imports)."""
    tree = ast.parse(path.read_text())
    found = set()
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Try)] if only_required else [tree]
    for node in nodes:
        body = node.body if only_required else list(ast.walk(node))
        if only_required and not any(re.search(r"\bHAS_AZURE = False", ast.unparse(h)) for h in node.handlers):
            continue
        for statement in body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                found.add(statement.module)
            elif isinstance(statement, ast.Import):
                found.update(a.name for a in statement.names)
    return found


def needed() -> set[str]:
    modules = _imports(COLLECTION / "plugins" / "module_utils" / "azure_rm_common.py", True)
    for name in MODULES:
        modules |= _imports(COLLECTION / "plugins" / "modules" / f"azure_rm_{name}.py", False)
    modules.add("packaging")   # azure_rm_common refuses to run without packaging.version
    return {d for d in map(_distribution, modules) if d}


def extra() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(re.match(r"([A-Za-z0-9_.-]+)(.*)", r).groups()
                for r in data["project"]["optional-dependencies"]["azure"])


def pinned() -> dict[str, str]:
    lines = (COLLECTION / "requirements.txt").read_text().splitlines()
    return dict(re.match(r"([A-Za-z0-9_.-]+)(.*)", line.strip()).groups() for line in lines if line.strip())


def test_the_extra_is_what_the_modules_import_and_nothing_else():
    assert set(extra()) == needed()
    assert {"pandas", "azure-cli-core", "azure-keyvault"}.isdisjoint(extra())


def test_the_versions_are_the_collections():
    assert {name: extra()[name] for name in extra()} == {name: pinned()[name] for name in extra()}


def test_the_collection_is_pinned_for_provider_azure():
    collections = yaml.safe_load((ROOT / "hive_builder" / "ansible-requirements.yml").read_text())["collections"]
    azure = [c for c in collections if c["name"] == "azure.azcollection"]
    manifest = __import__("json").loads((COLLECTION / "MANIFEST.json").read_text())
    assert azure == [{"name": "azure.azcollection", "version": manifest["collection_info"]["version"],
                      "provider": "azure"}]
    assert azure[0]["version"] == "3.12.0"


def test_the_preflight_imports_only_what_the_extra_brings():
    source = ROOT / "hive_builder" / "providers" / "azure.py"
    imported = {d for d in map(_distribution, _imports(source, False)) if d}
    assert imported and imported <= set(extra())
