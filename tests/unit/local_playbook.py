"""ansible-playbook run on this machine for a test: a throwaway ANSIBLE_HOME and local temp, the
JSON stdout callback, and the parsed report (the test fails with ansible's output when there is
none)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def run_playbook(tmp_path: Path, play: Path, args: list[str], env: dict[str, str] | None = None) -> dict:
    full_env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path),
                    ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_NOCOLOR="1",
                    ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOCALHOST_WARNING="0")
    full_env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    full_env.update(env or {})
    proc = subprocess.run([str(BIN / "ansible-playbook"), *args, str(play)],
                          env=full_env, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON from ansible-playbook: {proc.stdout}\n{proc.stderr}")


def local_args(inventory: str) -> list[str]:
    """Hosts of a comma-separated inventory string run locally with this test's Python."""
    return ["-i", inventory, "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}"]
