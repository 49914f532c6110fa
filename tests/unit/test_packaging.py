"""The package as it is published: the wheel built from this tree, installed into a fresh
virtualenv outside the repository, runs hive on a project outside the repository; and the
documentation of hive's own Ansible modules (ansible-doc) matches their argument specs.

The wheel is built with `pip wheel --no-deps` (build isolation: setuptools from PyPI or pip's
cache) from a copy of the tree holding the junk a working tree collects (bytecode, editor
backups, patch leftovers), which must not reach the wheel. The fresh virtualenv gets the wheel
without its dependencies: those of the running interpreter (ansible-core, the Ansible
collections, PyYAML, docker...) are made visible to it through a .pth file, and ansible-core's
console scripts, which pip would have written, are written by the test. About 30 s.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import yaml

import hive_builder
from hive_builder.config.catalogue import PHASE_NAMES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "hive_builder"
DIST = "swarmhive"
JUNK = re.compile(r"(^|/)__pycache__/|\.py[co]$|~$|\.sw[po]$|\.orig$|\.rej$|\.bak$")
# copied to build the wheel: what pyproject.toml names (no tests, examples, docs, .git, .venv)
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "hive_builder")
ANSIBLE_SCRIPTS = {"ansible-playbook": "playbook", "ansible-inventory": "inventory",
                   "ansible-galaxy": "galaxy", "ansible-doc": "doc"}
# hive's own modules: lib/ (the library path of the generated ansible.cfg) and playbooks/library
MODULE_DIRS = (PACKAGE / "lib", PACKAGE / "playbooks" / "library")
MODULE_FILES = {p.stem: p for d in MODULE_DIRS for p in d.glob("*.py")}
LIB_MODULES = sorted(MODULE_FILES)


def run(argv, *, timeout=300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          **kwargs)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (f"{' '.join(result.args)} -> {result.returncode}\n"
                                    f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")
    return result


def package_files() -> set[str]:
    """The files of hive_builder/ in this tree that belong in the wheel (junk left out; like the
    globs of pyproject.toml's package-data, hidden files are not shipped)."""
    found = set()
    for path in PACKAGE.rglob("*"):
        name = path.relative_to(ROOT).as_posix()
        hidden = any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        if path.is_file() and not hidden and not JUNK.search(name):
            found.add(name)
    return found


# --- the wheel ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name)
        elif path.exists():
            shutil.copy2(path, src / name)
    pkg = src / "hive_builder"
    for junk in ("__pycache__/__init__.cpython-311.pyc", "cli/__pycache__/main.cpython-311.pyc",
                 "lib/__pycache__/hive_ca.cpython-311.pyc", "model/site.py~", "x.pyc",
                 "playbooks/library/__pycache__/hive_files.cpython-311.pyc",
                 "playbooks/setup-hosts.yml~", "playbooks/roles/docker/tasks/.main.yml.swp",
                 "playbooks/roles/docker/tasks/main.yml.orig", "plugins/filter/hive_filters.py.rej",
                 "schemas/hive.schema.json.bak", "images/node/Dockerfile~", "lib/hive_ca.py.orig"):
        (pkg / junk).parent.mkdir(parents=True, exist_ok=True)
        (pkg / junk).write_text("junk\n")
    out = work / "dist"
    ok(run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, src], timeout=600))
    wheels = list(out.glob(f"{DIST}-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_wheel_holds_the_package_and_no_junk(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert [n for n in names if JUNK.search(n)] == []
    files = {n for n in names if n.startswith("hive_builder/")}
    assert files == package_files()   # everything hive reads at run time, nothing else
    for phase in PHASE_NAMES:
        assert f"hive_builder/playbooks/{phase}.yml" in files
    assert "hive_builder/ansible-requirements.yml" in files
    assert {n for n in files if n.startswith("hive_builder/schemas/") and n.endswith(".json")}
    assert "hive_builder/images/node/Dockerfile" in files
    assert {str(f.relative_to(PACKAGE.parent)) for f in MODULE_FILES.values()} <= files
    assert not [n for n in names if not n.startswith(("hive_builder/", f"{DIST}-"))]


@pytest.mark.slow
def test_wheel_metadata(wheel):
    archive = zipfile.ZipFile(wheel)
    info = f"{DIST}-{hive_builder.__version__}.dist-info"
    assert wheel.name == f"{DIST}-{hive_builder.__version__}-py3-none-any.whl"
    meta = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
    assert meta["Name"] == DIST
    assert meta["Version"] == hive_builder.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert "hive-builder 2.3.1" in meta["Summary"]
    assert archive.read(f"{info}/licenses/LICENSE").decode().split()[:4] == \
        ["Apache", "License", "Version", "2.0,"]
    requires = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requires}
    assert names == {"ansible-core", "cryptography", "docker", "pyyaml", "argcomplete"}
    assert "ansible" not in names   # the collections come from ansible-requirements.yml
    assert "[console_scripts]\nhive = hive_builder.cli.main:main" in \
        archive.read(f"{info}/entry_points.txt").decode()
    # a README read on the package index: no relative links
    body = meta.get_payload()
    links = re.findall(r"\]\(([^)]+)\)", body)
    assert [link for link in links if not link.startswith("https://")] == []


# --- installed in a fresh virtualenv, run outside the repository --------------------------------

def dev_site_packages() -> list[str]:
    paths = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return list(dict.fromkeys(p for p in paths if os.path.isdir(p)))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A virtualenv with the wheel alone installed (no dependency downloaded)."""
    v = tmp_path_factory.mktemp("venv") / "v"
    ok(run([sys.executable, "-m", "venv", "--without-pip", v]))
    python = v / "bin" / "python"
    purelib = Path(ok(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]))
                   .stdout.strip())
    ok(run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index",
            wheel]))
    # after the venv's own site-packages: its hive_builder comes first. A plain path line does not
    # run the .pth files there (the dev venv's editable hook for /work/main stays out)
    (purelib / "zz_dev_dependencies.pth").write_text("".join(p + "\n" for p in dev_site_packages()))
    for script, cli in ANSIBLE_SCRIPTS.items():   # what pip writes when it installs ansible-core
        path = v / "bin" / script
        path.write_text(f"#!{python}\nimport sys\nfrom ansible.cli.{cli} import main\n"
                        "sys.exit(main())\n")
        path.chmod(0o755)
    return v


def clean_env(v: Path) -> dict:
    env = {k: val for k, val in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "ANSIBLE_CONFIG")
           and not k.startswith(("HIVE_", "PYTEST_"))}
    dev_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(v / "bin"), *(p for p in env.get("PATH", "").split(os.pathsep)
                                                     if p and p != dev_bin)])
    return env


@pytest.fixture(scope="module")
def site_project(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("site") / "demo"
    shutil.copytree(ROOT / "examples" / "demo", project, ignore=shutil.ignore_patterns(".hive"))
    return project


def _under(path: str | Path, parent: Path) -> bool:
    return Path(path).resolve().is_relative_to(parent.resolve())


@pytest.mark.slow
def test_installed_hive_is_the_wheels_and_runs_outside_the_repository(venv, site_project, tmp_path):
    env = clean_env(venv)
    hive = venv / "bin" / "hive"
    python = venv / "bin" / "python"
    where = ok(run([python, "-c", "import hive_builder, yaml; print(hive_builder.__file__)"],
                   cwd=tmp_path, env=env)).stdout.strip()
    assert _under(where, venv) and not _under(where, ROOT), where

    version = ok(run([hive, "--version"], cwd=tmp_path, env=env)).stdout
    assert hive_builder.__version__ in version.splitlines()[0], version   # metadata of `swarmhive`
    assert str(python) in version, version

    ok(run([hive, "check"], cwd=site_project, env=env))

    temp = tmp_path / "temp"
    temp.mkdir()
    inventory = json.loads(ok(run([hive, "-W", temp, "inventory"], cwd=site_project, env=env)).stdout)
    assert "p-hive0.demo" in inventory["_meta"]["hostvars"]

    # the generated ansible.cfg points into the installed package, never into this tree
    cfg = (temp / "ansible.cfg").read_text()
    installed = Path(where).parent
    assert f"playbook_dir = {installed / 'playbooks'}" in cfg, cfg
    assert str(installed / "lib") in cfg and str(installed / "plugins" / "inventory") in cfg
    assert str(ROOT) not in cfg

    # hive has no syntax-check of its own: ansible-playbook --syntax-check on the installed phase
    # playbooks with hive's ansible.cfg and vars (README: running your own playbook) resolves
    # every role, module (hive's lib/, the collections) and plugin they name
    playbooks = [installed / "playbooks" / f"{phase}.yml" for phase in PHASE_NAMES]
    syntax = ok(run([venv / "bin" / "ansible-playbook", "--syntax-check", "-e", f"@{temp / 'vars.yml'}",
                     "-l", "private", *playbooks], cwd=site_project,
                    env={**env, "ANSIBLE_CONFIG": str(temp / "ansible.cfg")}))
    assert "ERROR" not in syntax.stdout + syntax.stderr, syntax.stderr


# --- hive's Ansible modules: ansible-doc ---------------------------------------------------------

def ansible_doc_argv() -> list[str]:
    script = Path(sys.executable).parent / "ansible-doc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ansible.cli.doc"]


@pytest.fixture(scope="module")
def module_docs() -> dict:
    result = ok(run([*ansible_doc_argv(), "-M", ":".join(map(str, MODULE_DIRS)), "--json", *LIB_MODULES],
                    cwd=ROOT))
    return json.loads(result.stdout)


class _Spec(Exception):
    pass


def argument_spec(name: str) -> dict:
    """The argument_spec the module's main() hands to AnsibleModule (the module does not run)."""
    spec = importlib.util.spec_from_file_location(f"_hive_lib_{name}", MODULE_FILES[name])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def capture(*args, **kwargs):
        raise _Spec(kwargs["argument_spec"] if "argument_spec" in kwargs else args[0])

    module.AnsibleModule = capture
    with pytest.raises(_Spec) as caught:
        module.main()
    return caught.value.args[0]


def _normal(option: dict) -> dict:
    return {"type": option.get("type", "str"), "required": bool(option.get("required", False)),
            "default": option.get("default"), "choices": option.get("choices"),
            "elements": option.get("elements")}


def test_lib_holds_the_modules_hive_uses():
    assert {"hive_ca", "hive_provider", "hive_provider_facts", "hive_zabbix", "hive_files"} <= set(LIB_MODULES)


@pytest.mark.parametrize("name", LIB_MODULES)
def test_module_documentation_matches_its_argument_spec(module_docs, name):
    assert name in module_docs, f"ansible-doc has no documentation of {name}"
    doc = module_docs[name]["doc"]
    assert doc["module"] == name
    assert doc["short_description"] and doc["description"] and doc.get("author")
    options = doc.get("options") or {}
    spec = argument_spec(name)
    assert set(options) == set(spec)
    for option, documented in options.items():
        assert documented.get("description"), f"{name}: option {option} has no description"
        assert _normal(documented) == _normal(spec[option]), f"{name}: option {option}"
    examples = yaml.safe_load(module_docs[name]["examples"])
    assert examples and all(name in task for task in examples)
    assert module_docs[name]["return"], f"{name}: no RETURN"
