"""registry-login's task (tasks/accounts.yml) rendered by Ansible's templar and run by sh with a
fake docker and runuser: an account whose config.json already holds the registry's credentials is
left alone whatever wrote the file; the others log in, the password only on stdin."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

TASKS = Path(__file__).resolve().parents[2] / "hive_builder/playbooks/roles/registry-login/tasks/accounts.yml"
REGISTRY, USER, PASSWORD = "r.t:5000", "hive", "s3cret pass"
FAKE_DOCKER = """\
#!/bin/sh
# docker --config DIR login --username U --password-stdin REGISTRY: record, store the entry
read -r password
printf '%s %s\\n' "$*" "$password" >> "{log}"
mkdir -p "$2"
printf '{{"auths": {{"%s": {{"auth": "%s"}}}}}}' "$7" "$(printf '%s:%s' "$5" "$password" | base64 -w0)" > "$2/config.json"
"""
FAKE_RUNUSER = """\
#!/bin/sh
# runuser -u USER -- command...
shift 3
exec "$@"
"""


def task_and_script(homes: list[Path]) -> tuple[dict, str]:
    [task] = yaml.safe_load(TASKS.read_text())
    variables = {"hive_registry_login_accounts": [{"user": h.name, "home": str(h)} for h in homes]}
    script = Templar(loader=DataLoader(), variables=variables).template(trust_as_template(task["ansible.builtin.shell"]))
    return task, script


def run(tmp_path: Path, homes: list[Path]) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "docker.log"
    for name, text in (("docker", FAKE_DOCKER.format(log=log)), ("runuser", FAKE_RUNUSER)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    task, script = task_and_script(homes)
    assert set(task["environment"]) == {"HIVE_PYTHON", "HIVE_REGISTRY", "HIVE_REGISTRY_USER", "HIVE_REGISTRY_PASSWORD"}
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", HIVE_PYTHON=sys.executable,
               HIVE_REGISTRY=REGISTRY, HIVE_REGISTRY_USER=USER, HIVE_REGISTRY_PASSWORD=PASSWORD)
    proc = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return proc, calls


def auth() -> str:
    return base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def test_missing_logins_are_made_then_left_alone(tmp_path):
    root, admin = tmp_path / "root", tmp_path / "admin"
    proc, calls = run(tmp_path, [root, admin])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["root", "admin"]          # the task reports changed
    assert calls == [f"--config {root}/.docker login --username {USER} --password-stdin {REGISTRY} {PASSWORD}",
                     f"--config {admin}/.docker login --username {USER} --password-stdin {REGISTRY} {PASSWORD}"]
    again, calls = run(tmp_path, [root, admin])
    assert again.returncode == 0 and again.stdout == "" and calls == []


def test_a_file_written_by_another_tool_with_the_same_credentials_is_no_change(tmp_path):
    root = tmp_path / "root"
    (root / ".docker").mkdir(parents=True)
    # docker_login's layout, another registry's entry too
    (root / ".docker" / "config.json").write_text(json.dumps(
        {"auths": {"other:5000": {"auth": "eDp5"}, REGISTRY: {"auth": auth()}}}, indent=4))
    proc, calls = run(tmp_path, [root])
    assert proc.returncode == 0 and proc.stdout == "" and calls == []


def test_other_credentials_or_a_broken_file_log_in_again(tmp_path):
    root = tmp_path / "root"
    (root / ".docker").mkdir(parents=True)
    for content in (json.dumps({"auths": {REGISTRY: {"auth": "b2xkOnB3"}}}), "{not json", "[]"):
        (root / ".docker" / "config.json").write_text(content)
        proc, calls = run(tmp_path, [root])
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["root"] and len(calls) == 1, content


def test_a_refused_login_fails_the_task(tmp_path):
    root = tmp_path / "root"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text("#!/bin/sh\necho 'unauthorized: authentication required' >&2\nexit 1\n")
    (bin_dir / "docker").chmod(0o755)
    (bin_dir / "runuser").write_text(FAKE_RUNUSER)
    (bin_dir / "runuser").chmod(0o755)
    _, script = task_and_script([root])
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", HIVE_PYTHON=sys.executable,
               HIVE_REGISTRY=REGISTRY, HIVE_REGISTRY_USER=USER, HIVE_REGISTRY_PASSWORD=PASSWORD)
    proc = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "unauthorized" in proc.stderr and proc.stdout == ""
