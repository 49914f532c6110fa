"""Running ansible-playbook / ansible-inventory with the generated files (reference §2.6, §2.7)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hive_builder import phases
from hive_builder.execution import collection_deps, converge_stamp
from hive_builder.config.catalogue import environment_of, variable
from hive_builder.errors import HiveError
from hive_builder.render.ansible_cfg import render_ansible_cfg
from hive_builder.render.vars_yml import render_vars_yml

Report = Callable[[str], None]

CALLBACK_DIR = Path(__file__).resolve().parents[1] / "plugins" / "callback"
PROGRESS_CALLBACK = "hive_progress"
PREFORK_CALLBACK = "hive_prefork"
LOG_ROTATE_BYTES = 10 * 1024 * 1024
LOG_KEEP = 3


def stdout_report(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True)
class GeneratedFiles:
    ansible_cfg: Path
    vars_yml: Path


def write_generated_files(values: Mapping[str, object]) -> GeneratedFiles:
    temp_dir = Path(str(values["temp_dir"]))
    temp_dir.mkdir(parents=True, exist_ok=True)
    files = GeneratedFiles(temp_dir / "ansible.cfg", temp_dir / "vars.yml")
    _write(files.ansible_cfg, render_ansible_cfg(values))
    _write(files.vars_yml, render_vars_yml(values))
    return files


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def ansible_environment(values: Mapping[str, object], files: GeneratedFiles,
                        base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of ansible: ours on top of the caller's (credentials only when set)."""
    env = dict(os.environ if base is None else base)
    env["ANSIBLE_CONFIG"] = str(files.ansible_cfg)
    env["ANSIBLE_COLLECTIONS_PATH"] = collection_deps.ansible_collections_path(env)
    env.update(environment_of(values))
    # filter and test plugins loaded before the workers fork (plugins/callback/hive_prefork.py)
    env["ANSIBLE_CALLBACK_PLUGINS"] = prepend_path(str(CALLBACK_DIR), env.get("ANSIBLE_CALLBACK_PLUGINS"))
    env["ANSIBLE_CALLBACKS_ENABLED"] = prepend_list(PREFORK_CALLBACK, env.get("ANSIBLE_CALLBACKS_ENABLED"))
    # module payloads kept between runs (the same callback), in the temp dir next to ansible.cfg
    env["HIVE_ANSIBALLZ_CACHE"] = str(files.ansible_cfg.parent / "ansiballz")
    if not values.get("verbose") and values.get("stdout_callback") in (None, "", "default"):
        # compact progress on the terminal (-v, or another stdout_callback set by the user, keeps
        # ansible's own output); the log keeps everything either way
        env["ANSIBLE_STDOUT_CALLBACK"] = PROGRESS_CALLBACK
    return env


def prepend_path(first: str, existing: str | None) -> str:
    """`first` ahead of an os.pathsep-separated list (once)."""
    rest = [p for p in (existing or "").split(os.pathsep) if p and p != first]
    return os.pathsep.join([first, *rest])


def prepend_list(first: str, existing: str | None) -> str:
    """`first` ahead of a comma-separated list (once), as ansible's list settings are written."""
    rest = [p.strip() for p in (existing or "").split(",") if p.strip() and p.strip() != first]
    return ",".join([first, *rest])


def rotate_log(path: Path | str, max_bytes: int = LOG_ROTATE_BYTES, keep: int = LOG_KEEP) -> bool:
    """hive.log -> hive.log.1 -> ... -> hive.log.<keep> (the oldest dropped) once it is larger
    than max_bytes; True when rotated."""
    path = Path(path)
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except OSError:
        return False
    for n in range(keep, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        newer = path if n == 1 else path.with_name(f"{path.name}.{n - 1}")
        if newer.exists():
            os.replace(newer, older)
    return True


def ansible_executable(name: str) -> str:
    """The ansible next to the running interpreter (a venv need not be activated)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def run_phase(values: Mapping[str, object], phase_name: str, *, report: Report = stdout_report,
              warn: Report = stdout_report, providers: Sequence[str] = ()) -> None:
    """Run one phase playbook; raise HiveError naming the phase and the log file on failure.
    `providers`: the stage's, whose own collections (amazon.aws...) must be installed too."""
    values = {**values, "phase": phase_name}
    playbook, warning = phases.playbook_path(phase_name, playbooks_dir=str(values["playbooks_dir"]),
                                             root_dir=str(values["root_dir"]))
    if warning:
        warn(warning)
    if not playbook.is_file():
        raise HiveError(f"playbook of phase {phase_name} not found: {playbook}",
                        hint="check playbooks_dir (-P)")
    if values.get("limit_target") and phases.phase(phase_name).limit_ignored:
        warn(f"-l {values['limit_target']} is ignored: {phase_name} acts on every server of the "
             "stage")
    tags = values.get("tags") if phase_name in variable("tags").cli.subcommands else None
    if tags not in (None, ""):
        # refused before anything runs: an unknown tag would make ansible run nothing at all
        roles_path = str(values.get("roles_path") or "").split(":")
        tags = phases.check_tags(str(tags), phases.playbook_tags(playbook, roles_path), phase_name)
    collection_deps.check(providers=providers)
    files = write_generated_files(values)
    extra_vars = converge_stamp.before_run(values) if phase_name == converge_stamp.PHASE else {}
    argv = phases.playbook_argv(
        phase_name, stage=str(values["stage"]), playbook=playbook, vars_file=files.vars_yml,
        limit_target=values.get("limit_target"), verbose=bool(values.get("verbose")),
        check_mode=bool(values.get("check_mode")), tags=tags,
        ansible_playbook=ansible_executable("ansible-playbook"), extra_vars=extra_vars)
    env = ansible_environment(values, files)
    log_path = values.get("log_path")
    if log_path:
        with contextlib.suppress(OSError):
            rotate_log(str(log_path))
    # long steps of hive's own modules (the docker provider building its node image) report
    # through this file: a module's output reaches nobody before it returns
    progress_file = Path(str(values["temp_dir"])) / f"progress.{os.getpid()}"
    env["HIVE_PROGRESS_FILE"] = str(progress_file)

    def progress(line: str) -> None:
        report(line)
        _append_log(log_path, line)

    started = time.monotonic()
    progress(f"=== PHASE {phase_name} START at {_now()} ===")
    _append_log(log_path, "$ " + " ".join(argv))

    def module_progress(line: str) -> None:
        report(_on_fresh_line(f"    {line}"))
        _append_log(log_path, line)

    with _docker_tunnels_for(phase_name, values), follow_progress(progress_file, module_progress):
        code = run_command(argv, env)
    took = time.monotonic() - started
    if code != 0:
        progress(f"=== PHASE {phase_name} FAILED at {_now()} ({took:.1f}s) \u2717 ===")
        raise HiveError(f"phase {phase_name} failed: ansible-playbook exit code = {code}",
                        hint=f"full output in {log_path}" if log_path else None)
    converge_stamp.after_success(values, extra_vars)
    progress(f"=== PHASE {phase_name} END at {_now()} ({took:.1f}s) \u2713 ===")


@contextlib.contextmanager
def follow_progress(path: Path, report: Report, interval: float = 0.5):
    """While the body runs, report every line appended to `path` (then remove it)."""
    with contextlib.suppress(OSError):
        path.unlink()
    stop = threading.Event()
    position = 0

    def drain() -> None:
        nonlocal position
        try:
            with open(path, "rb") as fh:
                fh.seek(position)
                data = fh.read()
        except OSError:
            return
        complete = data[:data.rfind(b"\n") + 1]
        position += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            report(line)

    def loop() -> None:
        while not stop.wait(interval):
            drain()

    thread = threading.Thread(target=loop, name="hive-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        drain()
        with contextlib.suppress(OSError):
            path.unlink()


def _on_fresh_line(line: str) -> str:
    # the progress callback may have a live (\r-overwritten) line on the terminal: start afresh
    from hive_builder.execution.progress_format import live_enabled
    return "\r\033[K" + line if live_enabled(sys.stdout.isatty(), os.environ) else line


def _docker_tunnels_for(phase_name: str, values: Mapping[str, object]):
    if not phases.phase(phase_name).docker_tunnels:
        return contextlib.nullcontext()
    from hive_builder.execution import ssh, tunnels
    config = Path(str(values["context_dir"])) / "ssh_config"
    return tunnels.docker_tunnels(config, ssh.ssh_config_hosts(config), str(values["temp_dir"]),
                                  ssh=ssh.ssh_executable())


def run_inventory_list(values: Mapping[str, object]) -> None:
    """`ansible-inventory --list` as the playbooks see it: ansible.cfg's `playbook_dir` makes the
    packaged group_vars apply, so a plain `ANSIBLE_CONFIG=<temp_dir>/ansible.cfg ansible-inventory
    --list` prints the same."""
    files = write_generated_files(values)
    argv = [ansible_executable("ansible-inventory"), "--list"]
    code = run_command(argv, ansible_environment(values, files))
    if code != 0:
        raise HiveError(f"ansible-inventory failed: exit code = {code}")


def run_command(argv: list[str], env: Mapping[str, str]) -> int:
    """Run a child sharing our terminal; on Ctrl-C let it stop (it got the SIGINT too), then
    re-raise so the CLI reports the interruption."""
    try:
        proc = subprocess.Popen(argv, env=dict(env))
    except OSError as e:
        raise HiveError(f"cannot run {argv[0]}: {e.strerror or e}") from None
    try:
        return proc.wait()
    except KeyboardInterrupt:
        _stop(proc)
        raise


def _stop(proc: subprocess.Popen) -> None:
    # A terminal Ctrl-C already reached ansible (same process group): give it time to stop on
    # its own before insisting; a SIGTERM sent to hive alone is forwarded after that grace.
    for sig, grace in ((None, 5), (signal.SIGTERM, 10)):
        if proc.poll() is not None:
            return
        if sig is not None:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=grace)
            return
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            continue
    proc.kill()
    proc.wait()


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %z")


def _append_log(log_path: object, line: str) -> None:
    if not log_path:
        return
    try:
        with open(str(log_path), "a") as log:
            log.write(f"{line}\n")
    except OSError:
        pass  # the log is a convenience; ansible itself reports an unwritable log_path
