"""The Ansible collections hive needs: which ones, where ansible-playbook will find them, and
installing them.

hive depends on ansible-core only (not the 48-namespace `ansible` bundle); the collections its
playbooks use are listed with their versions in hive_builder/ansible-requirements.yml. They are
installed from Galaxy when it answers, or else taken out of the `ansible` bundle's wheel on PyPI
(the one source of collections on a machine that reaches PyPI only).

A collection whose entry carries `provider: <name>` (amazon.aws, a cloud's modules) is needed only
by stages of that provider: the base install stays small, and a phase of such a stage refuses to
start while it is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from hive_builder.errors import HiveError

REQUIREMENTS_FILE = Path(__file__).resolve().parent.parent / "ansible-requirements.yml"
# the PyPI release of the `ansible` bundle that ships exactly the versions of REQUIREMENTS_FILE
PYPI_BUNDLE = "ansible==12.3.0"
# ansible's default COLLECTIONS_PATHS, searched when ANSIBLE_COLLECTIONS_PATH is not set
DEFAULT_PATHS = ("~/.ansible/collections", "/usr/share/ansible/collections")


@dataclass(frozen=True)
class Collection:
    name: str       # namespace.name
    version: str    # the version installed and tested
    provider: str | None = None   # needed only by stages of this provider; None: always

    @property
    def directory(self) -> str:
        """Its directory below a collections path: ansible_collections/<namespace>/<name>."""
        namespace, _, short = self.name.partition(".")
        return f"ansible_collections/{namespace}/{short}"


@dataclass(frozen=True)
class Found:
    version: str
    path: str       # the collection's directory


def listed(path: Path | None = None) -> tuple[Collection, ...]:
    """Every collection of the requirements file, those of every provider included."""
    data = yaml.safe_load((path or REQUIREMENTS_FILE).read_text()) or {}
    return tuple(Collection(str(c["name"]), str(c["version"]),
                            str(c["provider"]) if c.get("provider") else None)
                 for c in data.get("collections", ()))


def required(providers: Iterable[str] = (), path: Path | None = None) -> tuple[Collection, ...]:
    """The collections every stage needs, plus those of `providers`."""
    wanted = set(providers)
    return tuple(c for c in listed(path) if c.provider is None or c.provider in wanted)


def providers_listed(path: Path | None = None) -> tuple[str, ...]:
    """The providers that need collections of their own, in the file's order."""
    return tuple(dict.fromkeys(c.provider for c in listed(path) if c.provider))


def install_hint(collections: Iterable[Collection]) -> str:
    """The command that installs these: `--provider` for the ones only a provider needs."""
    extra = "".join(f" --provider {p}" for p in dict.fromkeys(c.provider for c in collections
                                                              if c.provider))
    return f"run `hive collections --install{extra}`"


def search_path(env: Mapping[str, str], sys_path: Sequence[str]) -> list[str]:
    """Where ansible looks for collections, first to last: ANSIBLE_COLLECTIONS_PATH (or its
    default), then the entries of the interpreter's sys.path (ansible's COLLECTIONS_SCAN_SYS_PATH)."""
    return [os.path.expanduser(p) for p in [*configured_paths(env), *sys_path] if p]


def configured_paths(env: Mapping[str, str]) -> list[str]:
    """ANSIBLE_COLLECTIONS_PATH (or its older plural name) split, else ansible's default."""
    configured = env.get("ANSIBLE_COLLECTIONS_PATH") or env.get("ANSIBLE_COLLECTIONS_PATHS")
    return configured.split(os.pathsep) if configured else list(DEFAULT_PATHS)


def find(collection: Collection, paths: Sequence[str]) -> Found | None:
    """The first installed copy along `paths` (the one ansible loads), from its MANIFEST.json."""
    for base in paths:
        # a path may name the ansible_collections directory itself, as ansible accepts
        root = base[:-len("ansible_collections")] if base.rstrip("/").endswith("ansible_collections") else base
        directory = os.path.join(root, collection.directory)
        try:
            with open(os.path.join(directory, "MANIFEST.json")) as f:
                return Found(str(json.load(f)["collection_info"]["version"]), directory)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def version_key(version: str) -> tuple[int, ...]:
    release = re.split(r"[-+]", version, maxsplit=1)[0]
    return tuple(int(part) if part.isdigit() else 0 for part in release.split("."))


def compatible(found: str, wanted: str) -> bool:
    """Same major version, and not older than the one tested (collections follow semver)."""
    have, want = version_key(found), version_key(wanted)
    return have[:1] == want[:1] and have >= want


def problems(collections: Sequence[Collection], paths: Sequence[str]) -> list[str]:
    out = []
    for c in collections:
        found = find(c, paths)
        if found is None:
            out.append(f"Ansible collection {c.name} is not installed (hive needs {c.version})")
        elif not compatible(found.version, c.version):
            out.append(f"Ansible collection {c.name} {found.version} at {found.path} is not "
                       f"compatible with {c.version}, the version hive needs "
                       f"(accepted: >={c.version},<{version_key(c.version)[0] + 1})")
    return out


def install_dir(purelib: str | None = None) -> str:
    """The running interpreter's site-packages when it can be written (a virtualenv), so that
    ansible, ansible-doc and Python imports find them; else ansible's per-user default."""
    purelib = purelib or sysconfig.get_paths()["purelib"]
    return purelib if os.access(purelib, os.W_OK) else os.path.expanduser(DEFAULT_PATHS[0])


def ansible_collections_path(env: Mapping[str, str], first: str | None = None) -> str:
    """ANSIBLE_COLLECTIONS_PATH for hive's ansible runs: the install directory ahead of what the
    user configured (or ansible's default), so the version checked is the version loaded."""
    first = first or install_dir()
    return os.pathsep.join([first, *(p for p in configured_paths(env) if p and p != first)])


def hive_search_path(env: Mapping[str, str] | None = None) -> list[str]:
    """Where hive's own ansible runs look for collections, first to last."""
    env = os.environ if env is None else env
    return search_path({"ANSIBLE_COLLECTIONS_PATH": ansible_collections_path(env)}, sys.path)


def check(env: Mapping[str, str] | None = None, providers: Iterable[str] = ()) -> None:
    """Raise a HiveError naming every missing or incompatible collection that a stage of
    `providers` needs (before a phase runs, and in `hive check`)."""
    paths = hive_search_path(env)
    bad = [c for c in required(providers) if problems([c], paths)]
    if bad:
        raise HiveError("; ".join(problems(bad, paths)), hint=install_hint(bad))


Report = Callable[[str], None]


def install(collections: Sequence[Collection], dest: str, report: Report,
            galaxy: str = "ansible-galaxy") -> None:
    """Install these exact versions into `dest`: from Galaxy, or else from PyPI's bundle."""
    if not collections:
        return
    specs = [f"{c.name}:=={c.version}" for c in collections]
    report(f"installing {', '.join(specs)} into {dest}")
    try:
        proc = subprocess.run([galaxy, "collection", "install", "--force", "-p", dest, *specs],
                              capture_output=True, text=True, timeout=600)
        galaxy_error = proc.stderr.strip().splitlines()[-1:] if proc.returncode else None
    except (OSError, subprocess.TimeoutExpired) as e:
        galaxy_error = [str(e)]
    if galaxy_error is None:
        return
    report(f"Galaxy did not answer ({' '.join(galaxy_error) or 'failed'}): taking the collections "
           f"from {PYPI_BUNDLE} on PyPI")
    with tempfile.TemporaryDirectory(prefix="hive-collections-") as tmp:
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                               "--only-binary=:all:", "-d", tmp, PYPI_BUNDLE],
                              capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if proc.returncode or not wheels:
            raise HiveError(f"neither Galaxy nor PyPI gave the Ansible collections: "
                            f"{proc.stderr.strip()[-500:]}",
                            hint="install them yourself: ansible-galaxy collection install -r "
                                 f"{REQUIREMENTS_FILE}")
        extract(wheels[0], collections, Path(dest))


def extract(wheel: Path, collections: Sequence[Collection], dest: Path) -> None:
    """Copy each collection's directory out of the bundle's wheel into dest, replacing an older
    copy there; refuse a bundle whose version of one of them differs."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        for c in collections:
            prefix = c.directory + "/"
            members = [n for n in names if n.startswith(prefix) and not n.endswith("/")]
            manifest = json.loads(zf.read(prefix + "MANIFEST.json")) if prefix + "MANIFEST.json" in names else {}
            version = manifest.get("collection_info", {}).get("version")
            if version != c.version:
                raise HiveError(f"{wheel.name} holds {c.name} {version}, not {c.version}")
            target = dest / c.directory
            staging = target.with_name(f".{target.name}.hive-new")
            shutil.rmtree(staging, ignore_errors=True)
            for member in members:
                relative = member[len(prefix):]
                if relative.startswith("/") or ".." in relative.split("/"):
                    raise HiveError(f"{wheel.name}: unsafe path {member}")
                out = staging / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(zf.read(member))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
