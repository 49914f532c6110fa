"""The hive_prefork callback, run by ansible-playbook: with it the filter plugins are imported once,
in the controller process, and the forked workers inherit them; without it every worker imports
them again. Either way the filters give the same result. A probe filter plugin records each
import of its file with the importing process id."""

from __future__ import annotations

from pathlib import Path

from hive_builder.execution import ansible
from tests.unit.local_playbook import local_args, run_playbook

ROOT = Path(__file__).resolve().parents[2]

PROBE = """\
import os
with open(os.environ["PROBE_IMPORT_LOG"], "a") as fh:
    fh.write(f"{os.getpid()}\\n")


class FilterModule:
    def filters(self):
        return {"probe_double": lambda x: x * 2}
"""
PLAY = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      ansible.builtin.debug:
        msg: "{{ 21 | probe_double }} {{ '10.0.0.0/16' | hive_internal_cidr | to_json }}"
    - name: second
      ansible.builtin.debug:
        msg: "{{ 2 | probe_double }}"
"""


def run(tmp_path: Path, enabled: bool) -> tuple[dict, list[str]]:
    tmp_path.mkdir()
    (tmp_path / "filter").mkdir()
    (tmp_path / "filter" / "probe.py").write_text(PROBE)
    (tmp_path / "play.yml").write_text(PLAY)
    log = tmp_path / "imports.log"
    env = {"ANSIBLE_FILTER_PLUGINS": f"{tmp_path / 'filter'}:{ROOT / 'hive_builder/plugins/filter'}",
           "ANSIBLE_CALLBACK_PLUGINS": str(ansible.CALLBACK_DIR), "PROBE_IMPORT_LOG": str(log)}
    if enabled:
        env["ANSIBLE_CALLBACKS_ENABLED"] = ansible.PREFORK_CALLBACK
    report = run_playbook(tmp_path, tmp_path / "play.yml", local_args("a,b,c,"), env)
    results = {(t["task"]["name"], host): r["msg"] for t in report["plays"][0]["tasks"]
               for host, r in t["hosts"].items()}
    return results, log.read_text().split()


def test_filters_imported_once_in_the_controller_with_prefork(tmp_path):
    warm, importers_warm = run(tmp_path / "warm", enabled=True)
    cold, importers_cold = run(tmp_path / "cold", enabled=False)
    assert warm == cold and len(warm) == 6
    assert warm[("second", "b")] == 4 and warm[("first", "a")].startswith("42 ")
    assert len(importers_warm) == 1
    assert len(importers_cold) == 6 and len(set(importers_cold)) == 6   # one import per worker

