"""The commands the daemon runs (`ip`, `arping`, `ping`, `iptables`), behind a narrow interface so
that tests substitute a recorder with scripted outputs."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0


class Runner(Protocol):
    def __call__(self, argv: Sequence[str]) -> Result: ...


def run_command(argv: Sequence[str]) -> Result:
    """The real runner. A missing binary is a failed command, not a crash of the daemon."""
    try:
        p = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    except FileNotFoundError as e:
        return Result(127, "", str(e))
    except subprocess.TimeoutExpired:
        return Result(124, "", f"timeout: {' '.join(argv)}")
    return Result(p.returncode, p.stdout, p.stderr)


Sleeper = Callable[[float], None]
real_sleep: Sleeper = time.sleep
