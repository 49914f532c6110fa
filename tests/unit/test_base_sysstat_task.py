"""base's one-round-trip sysstat task, rendered by Ansible's templar and run by bash against a
copy of /etc/default/sysstat and a fake systemctl: it sets ENABLED="true" as lineinfile did
(replace, or append when missing), enables and starts only what is not, prints what it changes,
changes nothing in check mode, and prints nothing on a second run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

TASKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles" / "base" / "tasks" / "main.yml"
FAKE_SYSTEMCTL = """\
#!/bin/sh
state="{state}"
echo "$*" >> "$state/calls"
case "$1" in
  is-enabled) test -e "$state/enabled-$3" ;;
  is-active) test -e "$state/active-$3" ;;
  enable) touch "$state/enabled-$3" ;;
  start) touch "$state/active-$2" ;;
esac
"""


def script(check_mode: bool, conf: Path) -> str:
    [task] = [t for t in yaml.safe_load(TASKS.read_text()) if "sysstat" in t.get("name", "")
              and "ansible.builtin.shell" in t]
    text = Templar(loader=DataLoader(), variables={"ansible_check_mode": check_mode}).template(
        trust_as_template(task["ansible.builtin.shell"]))
    assert "/etc/default/sysstat" in text
    return text.replace("/etc/default/sysstat", str(conf))


def run(tmp_path: Path, conf_text: str | None, check_mode: bool = False, units_on: bool = False):
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    if units_on:
        for unit in ("sysstat.service", "sysstat-collect.timer", "sysstat-summary.timer"):
            (state / f"enabled-{unit}").touch()
            (state / f"active-{unit}").touch()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "systemctl").write_text(FAKE_SYSTEMCTL.format(state=state))
    (bin_dir / "systemctl").chmod(0o755)
    conf = tmp_path / "sysstat"
    if conf_text is not None and not conf.exists():
        conf.write_text(conf_text)
    proc = subprocess.run(["bash", "-c", script(check_mode, conf)], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}"))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, conf.read_text() if conf.exists() else None


@pytest.mark.parametrize("before,after", [
    ('# comment\nENABLED="false"\nHISTORY=7\n', '# comment\nENABLED="true"\nHISTORY=7\n'),
    ("HISTORY=7\n", 'HISTORY=7\nENABLED="true"\n'),
])
def test_collection_enabled_then_nothing_to_do(tmp_path, before, after):
    out, text = run(tmp_path, before)
    assert text == after
    assert 'ENABLED="true" in' in out and "enabled sysstat-collect.timer" in out and "started sysstat.service" in out
    out, text = run(tmp_path, None)
    assert out == "" and text == after


def test_check_mode_reports_and_changes_nothing(tmp_path):
    out, text = run(tmp_path, 'ENABLED="false"\n', check_mode=True)
    assert text == 'ENABLED="false"\n'
    assert 'ENABLED="true" in' in out and "started sysstat-summary.timer" in out
    calls = (tmp_path / "state" / "calls").read_text().split("\n")
    assert not [c for c in calls if c.startswith(("enable ", "start "))]


def test_units_already_on_and_enabled_print_nothing(tmp_path):
    out, text = run(tmp_path, 'ENABLED="true"\n', units_on=True)
    assert out == "" and text == 'ENABLED="true"\n'
