"""`hive all` skips setup-hosts when nothing that feeds it changed since every server last
converged (docs/architecture.md, "converge stamps").

A full, successful setup-hosts leaves on each server the digest of its inputs in a file under
/run. /run is emptied by a reboot (a docker-provider server's /run is a tmpfs too), so a restarted
server always converges again: what a boot can undo (a container's /etc/hosts, a lost rule) is
never trusted to a stamp. The inputs are hashed broadly: hive's own package and playbooks, every
file of the project outside .hive, the stage's context directory (keys, CA, provider facts), the
persistent values, the generated ansible.cfg and extra vars, and the ANSIBLE_/HIVE_ environment.
Anything else changing costs one converge, never a skipped one. `hive setup-hosts` always runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

import hive_builder
from hive_builder.execution.ssh import Runner, failure_reason

PHASE = "setup-hosts"
STAMP_FILE = "/run/hive-builder/setup-hosts.digest"
STAMP_VAR = "hive_setup_hosts_stamp"   # the last play of setup-hosts.yml writes it
RECORD_FILE = "setup-hosts.converged"  # in the context dir: the stamp and the inputs after it
FORMAT = "1"                             # bump when what is hashed changes meaning

# names in the project and context directories that are run bookkeeping, not inputs
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules",
                          ".pytest_cache", ".mypy_cache"})
SKIPPED_SUFFIXES = (".pyc", ".lock", ".swp", "~")
SKIPPED_PREFIXES = ("hive.log", "progress.", "setup-hosts.converged", ".setup-hosts.converged")
LARGE_FILE = 1 << 20        # bigger files are hashed by size and mtime, not content
PERSISTENT_FILE = "persistent_values.yml"
VOLATILE_VALUES = ("start_phase",)   # rewritten after every phase
ENV_PREFIXES = ("ANSIBLE_", "HIVE_")
CONNECT_TIMEOUT = 5       # seconds; a server that is slow to answer is simply converged
SSH_TIMEOUT = 15
VOLATILE_ENV = ("HIVE_PROGRESS_FILE",)


def eligible(values: Mapping[str, object]) -> bool:
    """Only a full converge of every server records (and may skip on) stamps."""
    return not any(values.get(k) for k in ("tags", "limit_target", "check_mode", "halt", "destroy"))


def _wanted(name: str) -> bool:
    return not (name.endswith(SKIPPED_SUFFIXES) or name.startswith(SKIPPED_PREFIXES))


def tree_files(top: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Every regular file under `top` in a stable order, without bookkeeping or the `skip` trees."""
    skipped = {p.resolve() for p in skip}
    found = []
    for here, dirs, files in os.walk(top):
        here_path = Path(here)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS
                         and (here_path / d).resolve() not in skipped)
        found += [here_path / f for f in sorted(files) if _wanted(f)]
    return found


def _feed_file(h, path: Path, top: Path) -> None:
    try:
        st = path.stat()
    except OSError:
        return
    h.update(f"\0{path.relative_to(top)}\0{st.st_mode & 0o7777:o}\0".encode())
    if st.st_size > LARGE_FILE:
        h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        return
    try:
        h.update(path.read_bytes())
    except OSError as e:
        h.update(f"unreadable {e.errno}".encode())


def _feed_tree(h, label: str, top: Path, skip: Iterable[Path] = ()) -> None:
    h.update(f"\0tree {label}\0".encode())
    if top.is_dir():
        for path in tree_files(top, skip):
            _feed_file(h, path, top)


def persistent_values_text(path: Path) -> str:
    """The persistent values without the ones every phase rewrites, canonically."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        data = {}
    except (OSError, yaml.YAMLError) as e:
        return f"unreadable {e}"
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in VOLATILE_VALUES}
    return json.dumps(data, sort_keys=True, default=str)


def environment_text(env: Mapping[str, str]) -> str:
    return json.dumps({k: v for k, v in env.items()
                       if k.startswith(ENV_PREFIXES) and k not in VOLATILE_ENV}, sort_keys=True)


def inputs_digest(*, root_dir: Path, context_dir: Path, playbooks_dir: Path,
                  generated: Mapping[str, str], env: Mapping[str, str],
                  package_dir: Path | None = None, skip: Iterable[Path] = ()) -> str:
    """sha256 of everything setup-hosts reads on this machine (`generated`: name -> text of the
    files hive writes for the run, ansible.cfg and the extra vars; `skip`: trees inside the project
    that are not inputs, such as a temporary directory)."""
    h = hashlib.sha256(f"hive-converge-stamp {FORMAT} {hive_builder.__version__}".encode())
    package = package_dir or Path(hive_builder.__file__).resolve().parent
    _feed_tree(h, "package", package)
    if not playbooks_dir.resolve().is_relative_to(package):
        _feed_tree(h, "playbooks", playbooks_dir)
    hive_dir = root_dir / ".hive"
    _feed_tree(h, "project", root_dir, skip=[hive_dir, *skip])
    _feed_tree(h, "context", context_dir)
    h.update(b"\0persistent\0" + persistent_values_text(hive_dir / PERSISTENT_FILE).encode())
    for name in sorted(generated):
        h.update(f"\0generated {name}\0{generated[name]}".encode())
    h.update(b"\0env\0" + environment_text(env).encode())
    return h.hexdigest()


def current_inputs(values: Mapping[str, object], env: Mapping[str, str] | None = None) -> str:
    """The digest a converge of setup-hosts with these settings records."""
    from hive_builder.render.ansible_cfg import render_ansible_cfg
    from hive_builder.render.vars_yml import render_vars_yml
    values = {**values, "phase": PHASE}
    root_dir = Path(str(values["root_dir"]))
    return inputs_digest(root_dir=root_dir, context_dir=Path(str(values["context_dir"])),
                         playbooks_dir=Path(str(values["playbooks_dir"])),
                         generated={"ansible.cfg": render_ansible_cfg(values),
                                    "vars.yml": render_vars_yml(values)},
                         env=os.environ if env is None else env,
                         skip=[Path(str(values["temp_dir"]))])


def before_run(values: Mapping[str, object]) -> dict[str, str]:
    """Extra vars of a setup-hosts run: the stamp when it converges every server fully. Any run
    but a dry one first forgets the last converge, so that one ending badly leaves no skip."""
    if values.get("check_mode"):
        return {}
    clear_record(Path(str(values["context_dir"])))
    return {STAMP_VAR: current_inputs(values)} if eligible(values) else {}


def after_success(values: Mapping[str, object], extra: Mapping[str, str]) -> None:
    """Remember the stamp the servers now hold, with the inputs as the run left them (a first
    run writes keys and passwords into the context directory)."""
    if STAMP_VAR in extra:
        save_record(Path(str(values["context_dir"])), extra[STAMP_VAR], current_inputs(values))


def record_path(context_dir: Path) -> Path:
    return context_dir / RECORD_FILE


def load_record(context_dir: Path) -> dict | None:
    try:
        record = json.loads(record_path(context_dir).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def clear_record(context_dir: Path) -> None:
    """Before setup-hosts runs: a run that does not end well leaves nothing to skip on."""
    record_path(context_dir).unlink(missing_ok=True)


def save_record(context_dir: Path, stamp: str, inputs: str) -> None:
    path = record_path(context_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps({"stamp": stamp, "inputs": inputs}) + "\n")
    os.replace(tmp, path)


def read_command() -> str:
    return f"cat {STAMP_FILE} 2>/dev/null || true"


@dataclass(frozen=True)
class Verdict:
    skip: bool
    reason: str


def verdict(record: Mapping[str, str] | None, inputs: str,
            answers: Mapping[str, tuple[int, str, str]]) -> Verdict:
    """Skip only when the last full converge ended well (`record`), nothing it read changed
    since (`inputs`), and every server still holds that converge's stamp (`answers`, in order)."""
    if not record or not record.get("stamp"):
        return Verdict(False, "no full converge of setup-hosts has ended well here")
    if record.get("inputs") != inputs:
        return Verdict(False, "its inputs changed since the last converge")
    if not answers:
        return Verdict(False, "no server to ask")
    for host, (code, out, err) in answers.items():
        if code != 0:
            return Verdict(False, f"{host} did not answer ({failure_reason(code, err)})")
        stamp = out.strip()
        if not stamp:
            return Verdict(False, f"{host} has not converged since it started")
        if stamp != record["stamp"]:
            return Verdict(False, f"{host} was last converged with other inputs")
    return Verdict(True, f"nothing changed since all {len(answers)} servers converged")


def read_stamps(run: Runner, hosts: list[str], parallel: int = 16) -> dict[str, tuple[int, str, str]]:
    """host -> (exit code, stdout, stderr) of reading the stamp, every host at once, in order."""
    if not hosts:
        return {}
    with ThreadPoolExecutor(max_workers=min(parallel, len(hosts))) as pool:
        futures = [pool.submit(run, h, read_command()) for h in hosts]
        return {h: tuple(f.result()[:3]) for h, f in zip(hosts, futures)}
