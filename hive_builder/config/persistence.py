"""The persistent values file `<root_dir>/.hive/persistent_values.yml` (decision 1).

Format (reference §2.4): variable name → {scope key → value}, the scope key being `global` or a
stage name. Other code (the inventory model's allocation store) keeps its maps in the same file, so
every write is load-modify-write of the whole file under an advisory lock, replaced atomically;
keys this module does not know are preserved.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

from hive_builder.errors import HiveError

HIVE_DIR = ".hive"
FILE_NAME = "persistent_values.yml"
LEGACY_FILE_NAME = "persistents.yml"  # what the original code really wrote (reference §13)

Data = dict[str, dict[str, object]]


def persistent_file(root_dir: str | os.PathLike) -> Path:
    return Path(root_dir) / HIVE_DIR / FILE_NAME


def legacy_file(root_dir: str | os.PathLike) -> Path:
    return Path(root_dir) / HIVE_DIR / LEGACY_FILE_NAME


def read(root_dir: str | os.PathLike) -> Data:
    """Current persisted values; the legacy file is read only when the new one does not exist."""
    path = persistent_file(root_dir)
    if not path.exists():
        legacy = legacy_file(root_dir)
        if not legacy.exists():
            return {}
        path = legacy
    return parse(path.read_text(), path)


def parse(text: str, path: Path | str) -> Data:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise HiveError(f"{path}: invalid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HiveError(f"{path}: must be a mapping of variable name to {{scope: value}}")
    for name, scoped in data.items():
        if not isinstance(scoped, dict):
            raise HiveError(f"{path}: entry {name} must be a mapping of scope "
                            f"(global or a stage name) to value, not {scoped!r}")
    return data


def dump(data: Data) -> str:
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=True)


def lookup(data: Data, name: str, scope_key: str) -> tuple[bool, object]:
    scoped = data.get(name) or {}
    if scope_key in scoped:
        return True, scoped[scope_key]
    return False, None


def update(root_dir: str | os.PathLike, mutate: Callable[[Data], None]) -> Data:
    """Apply `mutate` to the freshest file content and write it back atomically."""
    path = persistent_file(root_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path):
        data = read(root_dir)
        mutate(data)
        write_atomically(path, dump(data))
    return data


def set_value(root_dir: str | os.PathLike, name: str, scope_key: str, value: object) -> Data:
    return update(root_dir, lambda data: data.setdefault(name, {}).__setitem__(scope_key, value))


def unset_value(root_dir: str | os.PathLike, name: str, scope_key: str) -> bool:
    """Remove the value of `name` persisted for `scope_key`; False when there was none (the file
    is then left as it was). An entry left without any scope is removed too."""
    if not lookup(read(root_dir), name, scope_key)[0]:
        return False
    removed = []

    def mutate(data: Data) -> None:
        scoped = data.get(name) or {}
        if scope_key in scoped:
            del scoped[scope_key]
            removed.append(True)
            if not scoped:
                data.pop(name, None)
    update(root_dir, mutate)
    return bool(removed)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialise writers of `path` (hive processes of other stages, the allocation store)."""
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_atomically(path: Path, text: str) -> None:
    # 0600: the file may hold cloud credentials (aws_secret_access_key, azure_secret).
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
