"""One real site per test session (docker provider), shared by every end-to-end test.

The site is built through the real CLI (`hive build-infra`, `setup-hosts`, `build-networks`) in a
copy of tests/e2e/project. Set HIVE_E2E_KEEP=1 to leave it running after the session (in
$HIVE_E2E_DIR, default /var/tmp/hive-e2e, where the next HIVE_E2E_KEEP session finds it again).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.site import docker_available, sweep_aborted_sessions

PROJECT = Path(__file__).parent / "project"
HIVE = [str(Path(sys.executable).parent / "hive")]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
    if docker_available():
        return
    skip = pytest.mark.skip(reason="no Docker engine answers `docker info` (scripts/test starts one)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@dataclass
class Site:
    root_dir: Path
    temp_dir: Path
    stage: str = "private"
    log: list[str] = field(default_factory=list)
    volumes_before: set[str] = field(default_factory=set)   # the engine's volumes before the site
    last_log: str = ""

    @property
    def context_dir(self) -> Path:
        return self.root_dir / ".hive" / self.stage

    @property
    def ssh_config(self) -> Path:
        return self.context_dir / "ssh_config"

    @property
    def hosts(self) -> list[str]:
        return [line.split()[1] for line in self.ssh_config.read_text().splitlines()
                if line.startswith("Host ")]

    @property
    def hives(self) -> list[str]:
        return self.hosts[:-1]

    @property
    def repository(self) -> str:
        return self.hosts[-1]

    @property
    def hive_log(self) -> Path:
        return self.context_dir / "hive.log"

    def run(self, *args: str, check: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess:
        """Run hive; what it printed is in the result, Ansible's full detail of this run (what
        `-v` would print) in `self.last_log`."""
        argv = [*HIVE, "-r", str(self.root_dir), "-W", str(self.temp_dir), *args]
        offset = self.hive_log.stat().st_size if self.hive_log.exists() else 0
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root_dir)
        try:
            with self.hive_log.open(errors="replace") as log:
                log.seek(offset if log.seek(0, 2) >= offset else 0)   # rotated meanwhile: all of it
                self.last_log = log.read()
        except OSError:
            self.last_log = ""
        self.log.append(f"$ hive {' '.join(args)} -> {proc.returncode}")
        if check and proc.returncode != 0:
            raise AssertionError(f"hive {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
        return proc

    def ssh(self, host: str, command: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(["ssh", "-F", str(self.ssh_config), host, command],
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"ssh {host} {command!r} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc


def _kept_base() -> Path | None:
    # A kept site must outlive pytest's pruning of old temporary directories (it keeps 3): it
    # lives in a fixed place and is picked up again by the next session (project files refreshed).
    if not os.environ.get("HIVE_E2E_KEEP"):
        return None
    return Path(os.environ.get("HIVE_E2E_DIR", "/var/tmp/hive-e2e"))


@pytest.fixture(scope="session", autouse=True)
def _no_leftovers_of_aborted_sessions():
    """A session killed before its teardown leaves its sites on the engine; the next one starts clean."""
    if docker_available():
        kept = _kept_base()
        removed = sweep_aborted_sessions(kept / "project" if kept else None)
        if removed:
            warnings.warn(f"removed leftovers of an aborted e2e session: {', '.join(removed)}")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    kept = _kept_base()
    keep = kept is not None
    base = kept or tmp_path_factory.mktemp("site")
    root = base / "project"
    # a developer's leftover project/.hive (port maps of an old run) must not leak into the site
    shutil.copytree(PROJECT, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".hive"))
    temp = base / "tmp"
    temp.mkdir(exist_ok=True)
    s = Site(root_dir=root, temp_dir=temp, volumes_before=set(subprocess.run(
        ["docker", "volume", "ls", "-q"], capture_output=True, text=True, check=True).stdout.split()))
    try:
        s.run("build-infra")
        s.run("setup-hosts")
        s.run("build-networks")
    except BaseException:
        if not keep:
            s.run("build-infra", "-D", check=False)
        raise
    yield s
    if not keep:
        s.run("build-infra", "-D", check=False)
