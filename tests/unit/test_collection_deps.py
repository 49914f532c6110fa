"""The Ansible collections hive needs (execution/collection_deps.py, `hive collections`, the check
before a phase)."""

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from hive_builder.cli.main import main
from hive_builder.errors import HiveError
from hive_builder.execution import collection_deps as deps
from tests.unit import test_cli_run_phases

PACKAGE = Path(deps.__file__).parents[1]
POSIX = deps.Collection("ansible.posix", "2.1.0")
DOCKER = deps.Collection("community.docker", "4.8.5")
project = test_cli_run_phases.project     # the phase runner with ansible replaced by a recorder


def manifest(root: Path, name: str, version: str) -> Path:
    d = root.joinpath("ansible_collections", *name.split("."))
    d.mkdir(parents=True, exist_ok=True)
    (d / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": version}}))
    return d


def test_requirements_are_exactly_the_collections_the_content_uses():
    text = "".join(p.read_text(errors="replace") for p in PACKAGE.rglob("*")
                   if p.is_file() and p.suffix in (".yml", ".yaml", ".j2", ".py")
                   and "schemas" not in p.parts)
    # google.* and azure.* are also Python SDK packages (google.auth, azure.mgmt): only their
    # collections count
    used = set(re.findall(r"\b((?:community|ansible|amazon)\.[a-z_]+|google\.cloud|azure\.azcollection"
                          r"|kubernetes\.core)\.[a-z_]+", text)) - {"ansible.builtin", "ansible.module_utils", "ansible.plugins",
                                    "ansible.utils", "ansible.legacy", "ansible.inventory",
                                    "ansible.errors", "ansible.parsing", "ansible.template",
                                    "ansible.executor", "ansible.playbook", "ansible.vars",
                                    "ansible.constants", "ansible.release", "ansible.cli",
                                    "ansible.galaxy", "ansible.config", "ansible.collections",
                                    "ansible.modules", "ansible.module_utils"}
    assert {c.name for c in deps.listed()} == used
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", c.version) for c in deps.listed())


def test_a_providers_collections_are_needed_by_its_stages_only():
    """amazon.aws & co are needed where a stage uses the provider, and every provider's
    collection is used only below its own tasks files (roles/provider/tasks/<provider>*.yml)."""
    base = {c.name for c in deps.required()}
    assert "amazon.aws" not in base and "community.docker" in base
    for c in deps.listed():
        if not c.provider:
            continue
        assert c in deps.required([c.provider]) and c not in deps.required()
        users = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.yml")
                 if f"{c.name}." in p.read_text()}
        assert users and all(u.startswith(f"playbooks/roles/provider/tasks/{c.provider}")
                             for u in users), users


def test_requirements_file_is_an_ansible_galaxy_requirements_file():
    import yaml
    data = yaml.safe_load(deps.REQUIREMENTS_FILE.read_text())
    assert set(data) == {"collections"}
    # `provider` is hive's own key; ansible-galaxy ignores it
    assert all(set(c) <= {"name", "version", "provider"} for c in data["collections"])
    assert deps.providers_listed() and set(deps.providers_listed()) <= {"aws", "gcp", "azure"}


def test_search_path_is_configured_or_default_then_sys_path(monkeypatch):
    monkeypatch.setenv("HOME", "/home/u")
    assert deps.search_path({}, ["/sp", ""]) == [
        "/home/u/.ansible/collections", "/usr/share/ansible/collections", "/sp"]
    assert deps.search_path({"ANSIBLE_COLLECTIONS_PATH": "/a:~/b"}, ["/sp"]) == ["/a", "/home/u/b", "/sp"]
    assert deps.search_path({"ANSIBLE_COLLECTIONS_PATHS": "/old"}, []) == ["/old"]


def test_find_takes_the_first_copy_and_skips_broken_ones(tmp_path):
    manifest(tmp_path / "a", "community.docker", "3.0.0")
    manifest(tmp_path / "b", "community.docker", "4.8.5")
    broken = tmp_path / "a" / "ansible_collections" / "ansible" / "posix"
    broken.mkdir(parents=True)
    (broken / "MANIFEST.json").write_text("not json")
    manifest(tmp_path / "b", "ansible.posix", "2.1.0")
    paths = [str(tmp_path / "none"), str(tmp_path / "a"), str(tmp_path / "b")]
    assert deps.find(DOCKER, paths) == deps.Found("3.0.0", str(tmp_path / "a/ansible_collections/community/docker"))
    assert deps.find(POSIX, paths).version == "2.1.0"
    # a path may name the ansible_collections directory itself
    assert deps.find(DOCKER, [str(tmp_path / "b" / "ansible_collections")]).version == "4.8.5"
    assert deps.find(deps.Collection("community.general", "1.0.0"), paths) is None


@pytest.mark.parametrize("found, wanted, ok", [
    ("4.8.5", "4.8.5", True), ("4.9.0", "4.8.5", True), ("4.10.0", "4.8.5", True),
    ("4.8.4", "4.8.5", False), ("5.0.0", "4.8.5", False), ("3.9.9", "4.8.5", False),
    ("4.8.6-dev1", "4.8.5", True), ("11.4.2", "11.4.2", True), ("9.9.9", "11.4.2", False)])
def test_compatible_means_same_major_not_older(found, wanted, ok):
    assert deps.compatible(found, wanted) is ok


def test_problems_name_the_collection_version_and_place(tmp_path):
    manifest(tmp_path, "community.docker", "3.1.0")
    out = deps.problems([POSIX, DOCKER], [str(tmp_path)])
    assert out == [
        "Ansible collection ansible.posix is not installed (hive needs 2.1.0)",
        f"Ansible collection community.docker 3.1.0 at {tmp_path}/ansible_collections/community/docker "
        "is not compatible with 4.8.5, the version hive needs (accepted: >=4.8.5,<5)"]
    manifest(tmp_path, "ansible.posix", "2.2.0")
    manifest(tmp_path, "community.docker", "4.8.5")
    assert deps.problems([POSIX, DOCKER], [str(tmp_path)]) == []


def test_install_dir_is_site_packages_when_writable(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", "/home/u")
    assert deps.install_dir(str(tmp_path)) == str(tmp_path)
    assert deps.install_dir(str(tmp_path / "missing")) == "/home/u/.ansible/collections"


def test_ansible_collections_path_puts_the_install_dir_first_once(monkeypatch):
    assert deps.ansible_collections_path({}, "/v/sp") == \
        "/v/sp:~/.ansible/collections:/usr/share/ansible/collections"
    assert deps.ansible_collections_path({"ANSIBLE_COLLECTIONS_PATH": "/mine:/v/sp"}, "/v/sp") == "/v/sp:/mine"


def bundle(path: Path, versions: dict[str, str], extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, version in versions.items():
            d = "ansible_collections/" + name.replace(".", "/")
            zf.writestr(f"{d}/MANIFEST.json", json.dumps({"collection_info": {"version": version}}))
            zf.writestr(f"{d}/plugins/modules/m.py", f"# {name}\n")
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
    return path


def test_extract_copies_only_the_wanted_collections_replacing_older_copies(tmp_path):
    wheel = bundle(tmp_path / "ansible-1-py3-none-any.whl",
                   {"ansible.posix": "2.1.0", "community.docker": "4.8.5", "amazon.aws": "9.0.0"})
    dest = tmp_path / "sp"
    old = manifest(dest, "community.docker", "3.0.0")
    (old / "stale.py").write_text("old")
    deps.extract(wheel, [POSIX, DOCKER], dest)
    assert deps.problems([POSIX, DOCKER], [str(dest)]) == []
    assert not (old / "stale.py").exists()
    assert (dest / "ansible_collections/ansible/posix/plugins/modules/m.py").read_text() == "# ansible.posix\n"
    assert not (dest / "ansible_collections/amazon").exists()
    assert [p.name for p in (dest / "ansible_collections/community").iterdir()] == ["docker"]


def test_extract_refuses_another_version_and_unsafe_paths(tmp_path):
    wheel = bundle(tmp_path / "a.whl", {"community.docker": "4.0.0"})
    with pytest.raises(HiveError, match="holds community.docker 4.0.0, not 4.8.5"):
        deps.extract(wheel, [DOCKER], tmp_path / "sp")
    evil = bundle(tmp_path / "b.whl", {"community.docker": "4.8.5"},
                  {"ansible_collections/community/docker/../../../../evil": b"x"})
    with pytest.raises(HiveError, match="unsafe path"):
        deps.extract(evil, [DOCKER], tmp_path / "sp")
    assert not (tmp_path / "evil").exists()


def test_install_uses_galaxy_and_else_the_pypi_bundle(tmp_path, monkeypatch):
    calls, said = [], []

    def run(argv, **kw):
        calls.append(argv)
        if argv[1:3] == ["collection", "install"]:
            return subprocess.CompletedProcess(argv, 1, "", "ERROR! <urlopen error Name or service not known>")
        directory = Path(argv[argv.index("-d") + 1])
        bundle(directory / "ansible-12.3.0-py3-none-any.whl", {"ansible.posix": "2.1.0"})
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(deps.subprocess, "run", run)
    deps.install([POSIX], str(tmp_path / "sp"), said.append, galaxy="/g/ansible-galaxy")
    assert calls[0] == ["/g/ansible-galaxy", "collection", "install", "--force", "-p",
                        str(tmp_path / "sp"), "ansible.posix:==2.1.0"]
    assert calls[1][1:] == ["-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d",
                            calls[1][8], deps.PYPI_BUNDLE]
    assert deps.find(POSIX, [str(tmp_path / "sp")]).version == "2.1.0"
    assert "Name or service not known" in said[1] and deps.PYPI_BUNDLE in said[1]

    calls.clear()
    monkeypatch.setattr(deps.subprocess, "run",
                        lambda argv, **kw: calls.append(argv) or subprocess.CompletedProcess(argv, 0, "", ""))
    deps.install([DOCKER], str(tmp_path / "sp2"), said.append)
    assert len(calls) == 1   # Galaxy answered: no PyPI download


def test_install_without_any_source_says_how_to_install_by_hand(tmp_path, monkeypatch):
    monkeypatch.setattr(deps.subprocess, "run",
                        lambda argv, **kw: subprocess.CompletedProcess(argv, 1, "", "no network"))
    with pytest.raises(HiveError) as e:
        deps.install([POSIX], str(tmp_path), lambda line: None)
    assert "neither Galaxy nor PyPI" in str(e.value) and "ansible-galaxy collection install -r" in e.value.hint


def missing_requirement(tmp_path, monkeypatch):
    reqs = tmp_path / "reqs.yml"
    reqs.write_text("collections:\n  - {name: community.nowhere, version: 1.0.0}\n")
    monkeypatch.setattr(deps, "REQUIREMENTS_FILE", reqs)


def test_a_phase_refuses_to_start_without_its_collections(project, tmp_path, monkeypatch, capsys):
    root, temp, rec, hive = project
    missing_requirement(tmp_path, monkeypatch)
    assert hive("setup-hosts") == 1
    err = capsys.readouterr().err
    assert "Ansible collection community.nowhere is not installed (hive needs 1.0.0)" in err
    assert "hive collections --install" in err
    assert rec.calls == [] and not (temp / "ansible.cfg").exists()


def provider_requirement(tmp_path, monkeypatch):
    """Every base collection installed, and one only provider aws needs, missing."""
    reqs = tmp_path / "reqs.yml"
    reqs.write_text(deps.REQUIREMENTS_FILE.read_text() + "  - {name: cloud.nowhere, version: 1.0.0, provider: aws}\n")
    monkeypatch.setattr(deps, "REQUIREMENTS_FILE", reqs)


def test_a_providers_collection_is_checked_for_that_providers_stages_only(tmp_path, monkeypatch):
    provider_requirement(tmp_path, monkeypatch)
    deps.check(providers=["prepared"])
    deps.check()
    with pytest.raises(HiveError) as e:
        deps.check(providers=["aws"])
    assert "cloud.nowhere is not installed" in str(e.value)
    assert e.value.hint == "run `hive collections --install --provider aws`"


def test_a_phase_of_a_stage_needing_a_providers_collection_refuses(project, tmp_path, monkeypatch, capsys):
    root, temp, rec, hive = project
    provider_requirement(tmp_path, monkeypatch)
    assert hive("setup-hosts") == 0      # a prepared stage does not need it
    rec.provider = "aws"
    assert hive("setup-hosts") == 1
    err = capsys.readouterr().err
    assert "cloud.nowhere is not installed" in err and "--install --provider aws" in err
    assert len(rec.calls) == 1


def test_collections_command_installs_a_providers_collections_when_asked(tmp_path, monkeypatch, capsys):
    provider_requirement(tmp_path, monkeypatch)
    installed = []
    monkeypatch.setattr(deps, "install", lambda collections, dest, report, galaxy: installed.append(collections))
    assert main(["collections"]) == 0     # not asked for: listed, not an error
    out = capsys.readouterr().out
    assert "· cloud.nowhere" in out and "(provider aws only)" in out
    assert main(["collections", "--install"]) == 0 and installed == []
    assert main(["collections", "--install", "--provider", "aws"]) == 1   # the fake installed nothing
    assert installed == [[deps.Collection("cloud.nowhere", "1.0.0", "aws")]]
    assert "--provider aws" in capsys.readouterr().err
    assert main(["collections", "--provider", "docker"]) == 1
    assert "no collection is needed for this provider" in capsys.readouterr().err
    installed.clear()
    assert main(["collections", "--install", "--provider", "all"]) == 1
    assert installed == [[deps.Collection("cloud.nowhere", "1.0.0", "aws")]]


def test_phases_load_the_checked_copy_first(project, monkeypatch):
    root, temp, rec, hive = project
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", "/mine")
    assert hive("setup-hosts") == 0
    assert rec.calls[0]["env"]["ANSIBLE_COLLECTIONS_PATH"] == f"{deps.install_dir()}:/mine"


def test_collections_command_lists_and_fails_when_one_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["collections"]) == 0   # this venv has them (scripts/lib.sh installs them)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == [c.name for c in deps.listed()]
    assert all(line.startswith("✓ ") for line in out if "only)" not in line)
    missing_requirement(tmp_path, monkeypatch)
    assert main(["collections"]) == 1
    captured = capsys.readouterr()
    assert "✗ community.nowhere" in captured.out and "not installed" in captured.out
    assert "1 of 1 Ansible collections are missing" in captured.err
    assert not (tmp_path / ".hive").exists()


def test_collections_install_installs_only_what_is_missing(tmp_path, monkeypatch, capsys):
    missing_requirement(tmp_path, monkeypatch)
    installed = []

    def fake_install(collections, dest, report, galaxy):
        installed.append((collections, dest))
        manifest(tmp_path / "sp", "community.nowhere", "1.0.0")

    monkeypatch.setattr(deps, "install", fake_install)
    monkeypatch.setattr(deps, "install_dir", lambda: str(tmp_path / "sp"))
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", str(tmp_path / "sp"))
    assert main(["collections", "--install"]) == 0
    assert installed == [([deps.Collection("community.nowhere", "1.0.0")], str(tmp_path / "sp"))]
    assert main(["collections", "--install"]) == 0
    assert len(installed) == 1   # nothing left to install
