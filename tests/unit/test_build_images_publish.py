"""The task of build-images that publishes an image as soon as its roles are done (stop, commit,
tag, push): rendered by Ansible's templar with the task's own variables and run by bash with a
fake docker, it does the steps in order with the commit instructions intact, stops at the first
failure, and runs on the repository server's connection rather than the build container's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

BUILD_IMAGES = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "build-images.yml"
PUBLISH = "committed and pushed (:latest and the immutable tag)"
PREFETCH = "the hives start fetching it"
FAKE_DOCKER = """\
#!/bin/sh
printf '%s\\n' "$*" >> "{log}"
case "$*" in *"{fail}"*) exit 1 ;; esac
exit 0
"""
VARIABLES = {
    "inventory_hostname": "image_web", "hive_svc": "web", "hive_build_repo": "r.t",
    "hive_build_tag": "20261130-aaa",
    "hive_build_changes": ['CMD ["python3", "/opt/web.py"]', "ENV GREETING=it's me"],
    "hostvars": {"r.t": {"hive_registry": "r.t:5000"}, "h1": {"ansible_host": "10.0.0.1"}},
}


def task(name: str) -> dict:
    plays = yaml.safe_load(BUILD_IMAGES.read_text())
    [found] = [t for play in plays for t in play.get("tasks", ()) if t.get("name") == name]
    return found


def templar_for(found: dict, **extra) -> Templar:
    plays = yaml.safe_load(BUILD_IMAGES.read_text())
    [play] = [p for p in plays if any(t is found or t == found for t in p.get("tasks", ()))]
    # the play's own variables, those it derives from the inventory given here instead
    variables = {**{k: trust_as_template(v) for k, v in play.get("vars", {}).items()}, **VARIABLES, **extra,
                 **{k: trust_as_template(v) for k, v in found.get("vars", {}).items()}}
    return Templar(loader=DataLoader(), variables=variables)


def run(tmp_path: Path, fail: str = "no-such-step") -> tuple[subprocess.CompletedProcess, list[str]]:
    found = task(PUBLISH)
    script = templar_for(found).template(trust_as_template(found["ansible.builtin.shell"]))
    log = tmp_path / "docker.log"
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text(FAKE_DOCKER.format(log=log, fail=fail))
    fake.chmod(0o755)
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PATH=f"{fake.parent}:{os.environ['PATH']}"))
    return proc, log.read_text().splitlines() if log.exists() else []


def test_the_image_is_stopped_committed_tagged_and_pushed_in_order(tmp_path):
    proc, calls = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert calls == [
        "stop build_image_web",
        'commit --change=CMD ["python3", "/opt/web.py"] --change=ENV GREETING=it\'s me '
        "build_image_web r.t:5000/image_web:latest",
        "tag r.t:5000/image_web:latest r.t:5000/image_web:20261130-aaa",
        "push -q r.t:5000/image_web:latest",
        "push -q r.t:5000/image_web:20261130-aaa",
    ]


def test_a_failed_push_fails_the_task_and_stops_there(tmp_path):
    proc, calls = run(tmp_path, fail="push -q r.t:5000/image_web:latest")
    assert proc.returncode != 0
    assert calls[-1] == "push -q r.t:5000/image_web:latest"
    assert "push -q r.t:5000/image_web:20261130-aaa" not in calls


def test_the_build_container_connection_does_not_reach_the_delegated_tasks():
    # play vars would apply to the tasks delegated to the repository server and the hives as
    # well, and make them connect to the build container: the connection is a host fact
    plays = yaml.safe_load(BUILD_IMAGES.read_text())
    [roles_play] = [p for p in plays if any(t.get("name") == PUBLISH for t in p.get("tasks", ()))]
    assert not {k for k in roles_play.get("vars", {}) if k.startswith("ansible_")}
    first = roles_play["tasks"][0]
    assert first["ansible.builtin.set_fact"]["ansible_host"] == "build_image_{{ hive_svc }}"
    publish, prefetch = task(PUBLISH), task(PREFETCH)
    assert publish["delegate_to"] == "{{ hive_build_repo }}"
    assert prefetch["delegate_to"] == "{{ item }}"
    for delegated in (publish, prefetch):
        assert not {k for k in delegated.get("vars", {}) if k.startswith("ansible_")}
    t = templar_for(prefetch, item="h1")
    assert t.template(trust_as_template(prefetch["ansible.builtin.command"])) == \
        "docker pull -q r.t:5000/image_web:latest"
    # a hive that cannot fetch now is deploy-services' business, not a build failure
    assert prefetch["failed_when"] is False and prefetch["ignore_unreachable"] is True
    assert prefetch["poll"] == 0
