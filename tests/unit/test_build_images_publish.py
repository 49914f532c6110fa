"""The task of build-images that stops, commits, tags and pushes the built images: rendered by
Ansible's templar and run by bash with a fake docker, it does each image's steps in order with
the commit instructions intact, and fails naming the image whose push failed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

BUILD_IMAGES = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "build-images.yml"
TASK = "built images committed and pushed (:latest and the immutable tag)"
FAKE_DOCKER = """\
#!/bin/sh
printf '%s\\n' "$*" >> "{log}"
case "$*" in *"{fail}"*) [ "$1" = push ] && exit 1 ;; esac
exit 0
"""
HOSTVARS = {
    "image_web": {"hive_build_tag": "20261130-aaa", "hive_build_changes": ['CMD ["python3", "/opt/web.py"]',
                                                                          "ENV GREETING=it's me"]},
    "image_db": {"hive_build_tag": "20261130-bbb", "hive_build_changes": ["USER postgres"]},
}


def publish_script() -> str:
    plays = yaml.safe_load(BUILD_IMAGES.read_text())
    [task] = [t for play in plays for t in play.get("tasks", ()) if t.get("name") == TASK]
    templar = Templar(loader=DataLoader(), variables={
        "hive_built": list(HOSTVARS), "hostvars": HOSTVARS, "hive_registry": "r.t:5000"})
    return templar.template(trust_as_template(task["ansible.builtin.shell"]))


def run(tmp_path: Path, fail: str = "no-such-image") -> tuple[subprocess.CompletedProcess, list[str]]:
    log = tmp_path / "docker.log"
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text(FAKE_DOCKER.format(log=log, fail=fail))
    fake.chmod(0o755)
    proc = subprocess.run(["bash", "-c", publish_script()], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PATH=f"{fake.parent}:{os.environ['PATH']}"))
    return proc, log.read_text().splitlines() if log.exists() else []


def calls_for(calls: list[str], container: str, image: str) -> list[str]:
    return [c for c in calls if container in c.split() or any(w.startswith(image) for w in c.split())]


def test_each_image_is_stopped_committed_tagged_and_pushed_in_order(tmp_path):
    proc, calls = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert calls_for(calls, "build_image_web", "r.t:5000/image_web") == [
        "stop build_image_web",
        'commit --change=CMD ["python3", "/opt/web.py"] --change=ENV GREETING=it\'s me '
        "build_image_web r.t:5000/image_web:latest",
        "tag r.t:5000/image_web:latest r.t:5000/image_web:20261130-aaa",
        "push -q r.t:5000/image_web:latest",
        "push -q r.t:5000/image_web:20261130-aaa",
    ]
    assert calls_for(calls, "build_image_db", "r.t:5000/image_db")[1] == \
        "commit --change=USER postgres build_image_db r.t:5000/image_db:latest"
    assert len(calls) == 10


def test_a_failed_push_fails_the_task_naming_the_image_and_the_others_still_finish(tmp_path):
    proc, calls = run(tmp_path, fail="image_db")
    assert proc.returncode == 1
    assert "commit or push of r.t:5000/image_db failed" in proc.stderr
    assert "image_web failed" not in proc.stderr
    assert "push -q r.t:5000/image_web:20261130-aaa" in calls
    assert "push -q r.t:5000/image_db:20261130-bbb" not in calls       # stops at the first failure
