"""The module payloads shared between runs by the hive_prefork callback: ansible-playbook run
twice on this machine with HIVE_ANSIBALLZ_CACHE; the second run uses the payload the first one
built for ansible's own module, and a library directory's module is never shared. Plus the pure
parts: which entries are shared, the copy, and the key that changes with an upgrade."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from hive_builder.execution import ansible

ROOT = Path(__file__).resolve().parents[2]
PLAY = """\
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.command: "true"
      changed_when: false
    - hive_files:
        files: [{path: "{{ probe_file }}", content: "x"}]
"""


def callback():
    spec = importlib.util.spec_from_file_location("hive_prefork_cb", ansible.CALLBACK_DIR / "hive_prefork.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shared_entries_are_ansibles_and_collections_modules_only():
    shareable = callback().shareable
    assert shareable("ansible.modules.command-ZIP_DEFLATED-none")
    assert shareable("ansible_collections.community.docker.plugins.modules.docker_container-ZIP_DEFLATED-none")
    assert not shareable("ansible.legacy.hive_files-ZIP_DEFLATED-none")
    assert not shareable("ansible.modules.command-ZIP_DEFLATED-none.lock")
    assert not shareable(".copy-x1y2")


def test_copy_adds_missing_entries_and_keeps_existing_ones(tmp_path):
    mod = callback()
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    for name in ("ansible.modules.a-Z-none", "ansible.modules.b-Z-none", "ansible.legacy.c-Z-none"):
        (src / name).write_text(name)
    dst.mkdir()
    (dst / "ansible.modules.b-Z-none").write_text("kept")
    assert mod.copy_new(src, dst) == ["ansible.modules.a-Z-none"]
    assert sorted(p.name for p in dst.iterdir()) == ["ansible.modules.a-Z-none", "ansible.modules.b-Z-none"]
    assert (dst / "ansible.modules.b-Z-none").read_text() == "kept"
    assert mod.copy_new(tmp_path / "missing", dst) == []


def test_key_changes_with_ansible_python_and_any_collection_manifest(tmp_path):
    key = callback().cache_key
    manifest = tmp_path / "ansible_collections" / "community" / "docker" / "MANIFEST.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"collection_info": {"version": "4.0.0"}}')
    base = key("2.19.14", "3.11.7", [str(tmp_path)])
    assert base == key("2.19.14", "3.11.7", [str(tmp_path)])
    assert base != key("2.19.15", "3.11.7", [str(tmp_path)])
    assert base != key("2.19.14", "3.12.1", [str(tmp_path)])
    manifest.write_text('{"collection_info": {"version": "4.0.1"}}')
    assert base != key("2.19.14", "3.11.7", [str(tmp_path)])


def run(tmp_path: Path, shared: Path, n: int) -> str:
    home = tmp_path / f"home{n}"
    env = dict(os.environ, ANSIBLE_HOME=str(home), ANSIBLE_LOCAL_TEMP=str(home / "tmp"), ANSIBLE_DEBUG="1",
               ANSIBLE_CALLBACK_PLUGINS=str(ansible.CALLBACK_DIR), ANSIBLE_CALLBACKS_ENABLED=ansible.PREFORK_CALLBACK,
               ANSIBLE_LIBRARY=str(ROOT / "hive_builder" / "playbooks" / "library"), HIVE_ANSIBALLZ_CACHE=str(shared))
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={sys.executable}",
                           "-e", f"probe_file={tmp_path / f'probe{n}'}", str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_second_run_uses_the_payload_the_first_built(tmp_path):
    (tmp_path / "play.yml").write_text(PLAY)
    shared = tmp_path / "shared"
    first = run(tmp_path, shared, 1)
    assert "ANSIBALLZ: using cached module" not in first
    [key_dir] = shared.iterdir()
    names = sorted(p.name for p in key_dir.iterdir())
    assert [n for n in names if n.startswith("ansible.modules.command-")], names
    assert not [n for n in names if n.startswith("ansible.legacy.")], names      # hive_files: never shared
    second = run(tmp_path, shared, 2)
    assert f"using cached module: {tmp_path / 'home2' / 'tmp'}" in second
    cached = [line for line in second.splitlines() if "ANSIBALLZ: using cached module" in line]
    assert any("ansible.modules.command-" in line for line in cached)
    assert not any("ansible.legacy.hive_files" in line for line in cached)       # built again
    assert (tmp_path / "probe2").read_text() == "x"
