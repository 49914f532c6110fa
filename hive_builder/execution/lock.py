"""One hive run at a time per project and stage (decision 9).

The lock is an advisory `flock` on `<context_dir>/hive.lock`, so it disappears with the process
that held it, whatever killed it. The file records who holds it (pid, host, command, start time)
for the refusal message; finding such a record when the lock is free means the previous run died
without cleaning up, which the caller is told about (it then removes that run's leftovers).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from hive_builder.errors import HiveError

LOCK_FILE = "hive.lock"


def describe(info: dict) -> str:
    return (f"\"{info.get('command', '?')}\" (pid {info.get('pid', '?')} on host "
            f"{info.get('host', '?')}, started {info.get('started', '?')})")


@contextlib.contextmanager
def run_lock(context_dir: str | os.PathLike, command: str,
             on_stale: Callable[[dict], None] | None = None) -> Iterator[Path]:
    """Hold the lock of `context_dir` for the duration of the block.

    Raises HiveError naming the holder when another run has it. `on_stale(info)` is called when
    the record of a run that died without releasing the lock is found.
    """
    path = Path(context_dir) / LOCK_FILE
    fd = _acquire(path, command)
    try:
        previous = _read_record(fd)
        _write_record(fd, {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                           "started": time.strftime("%Y-%m-%d %H:%M:%S %z")})
        if previous is not None and on_stale is not None:
            on_stale(previous)
        yield path
    finally:
        # Unlink while still holding the lock; _acquire re-checks the inode, so a process that
        # opened the old file cannot believe it holds the lock.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _acquire(path: Path, command: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_record(fd) or {}
            os.close(fd)
            raise HiveError(
                f"another hive command is running on this project and stage: {describe(holder)}; "
                f"refusing to run \"{command}\" at the same time",
                hint=f"wait for it to finish (lock file {path})") from None
        try:
            same_file = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same_file = False
        if same_file:
            return fd
        os.close(fd)  # the holder released and removed it meanwhile: take the new file


def _read_record(fd: int) -> dict | None:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    if not data.strip():
        return None
    try:
        record = json.loads(data)
    except ValueError:
        return {"command": "unknown (unreadable lock record)"}
    return record if isinstance(record, dict) else {"command": str(record)}


def _write_record(fd: int, record: dict) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(record).encode() + b"\n")
