"""Issue 10: a project's own modules beginning with `#!/usr/bin/env python` run unchanged under
ansible-core 2.19 (plugins/module_shebang.py), with the host's Python as with the original."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hive_builder.cli.main import main
from hive_builder.plugins import module_shebang
from tests.fixtures.inventories.builders import PDNS

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")

# the two kinds of Python module: AnsiballZ (imports AnsibleModule) and a plain WANT_JSON script
ANSIBALLZ_MODULE = """#!/usr/bin/env python
# -*- coding: utf-8 -*-
import sys
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"name": {"type": "str", "default": "x"}})
    module.exit_json(changed=False, executable=sys.executable)


if __name__ == "__main__":
    main()
"""
WANT_JSON_MODULE = """#!/usr/bin/env python3
# WANT_JSON
import json
import sys
print(json.dumps({"changed": False, "executable": sys.executable}))
"""


@pytest.mark.parametrize("shebang, expected", [
    (("/usr/bin/env", ["python"]), True),
    (("/usr/bin/env", ["python3"]), True),
    (("/usr/bin/env", ["python3.11"]), True),
    (("/usr/bin/env", ["bash"]), False),
    (("/usr/bin/env", ["-S", "python3"]), False),
    (("/usr/bin/python", []), False),
    (("/usr/bin/python3", []), False),
])
def test_is_env_python(shebang, expected):
    assert module_shebang.is_env_python(*shebang) is expected


def test_wrap_resolves_env_python_as_python_unless_the_project_set_env_interpreter():
    calls = []

    def original(interpreter, task_vars, templar, args=(), remote_is_local=False):
        calls.append((interpreter, tuple(args), remote_is_local))
        return "#!x", "x"

    wrapped = module_shebang.wrap(original)
    wrapped("/usr/bin/env", {}, None, ["python"], remote_is_local=True)
    wrapped("/usr/bin/env", {"ansible_env_interpreter": "/opt/env"}, None, ["python"])
    wrapped("/bin/bash", {}, None, [])
    assert calls == [("/usr/bin/python", (), True), ("/usr/bin/env", ("python",), False),
                     ("/bin/bash", (), False)]


def test_install_is_idempotent():
    from ansible.executor import module_common
    assert module_shebang.install() and module_shebang.install()
    wrapped = module_common._get_shebang
    assert getattr(wrapped, module_shebang.MARK)
    assert not getattr(wrapped.__wrapped__, module_shebang.MARK, False)


@pytest.fixture
def legacy_project(tmp_path):
    """pdns with the modules in lib/ (the manual's place for them) and ansible.cfg generated."""
    if not Path("/usr/bin/python3").exists():
        pytest.skip("interpreter discovery needs a python3 in /usr/bin here")
    root = tmp_path / "pdns"
    shutil.copytree(PDNS, root / "inventory", ignore=shutil.ignore_patterns("*.py"))
    (root / "lib").mkdir()
    (root / "lib" / "legacy_ansiballz.py").write_text(ANSIBALLZ_MODULE)
    (root / "lib" / "legacy_want_json.py").write_text(WANT_JSON_MODULE)
    temp = tmp_path / "t"
    temp.mkdir()
    assert main(["-r", str(root), "-W", str(temp), "inventory"]) == 0
    return root, temp


def run_legacy_modules(root: Path, temp: Path, hosts: str) -> dict[str, dict[str, str]]:
    """Both modules on `hosts` (local connection), as a user's playbook run with the generated
    ansible.cfg (manual §6.10); returns host -> {module: executable, 'discovered': ...}."""
    playbook = root / "elsewhere" / "legacy.yml"
    playbook.parent.mkdir(exist_ok=True)
    playbook.write_text(yaml.safe_dump([{
        "hosts": hosts, "gather_facts": False,
        # the plays of build-images / initialize-services reach their containers through the
        # docker connection; how the interpreter is chosen does not depend on the connection
        "vars": {"ansible_connection": "local"},
        "tasks": [{"legacy_ansiballz": {"name": "y"}}, {"legacy_want_json": None}]}]))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "HIVE_"))}
    # interpreter discovery on this machine: its own python3, not a pyenv shim
    env.update(ANSIBLE_CONFIG=str(temp / "ansible.cfg"), PATH="/usr/bin:/bin",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-e", f"@{temp}/vars.yml", "-l", "private",
                           str(playbook)], env=env, capture_output=True, text=True, cwd="/",
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "was not found" not in proc.stdout
    ansiballz, want_json = json.loads(proc.stdout)["plays"][0]["tasks"]
    return {host: {"ansiballz": result["executable"],
                   "want_json": want_json["hosts"][host]["executable"],
                   "discovered": result.get("ansible_facts", {}).get(
                       "discovered_interpreter_python", "")}
            for host, result in ansiballz["hosts"].items()}


def test_env_python_modules_run_with_the_hosts_python(legacy_project):
    root, temp = legacy_project
    by_host = run_legacy_modules(root, temp, "mother:image_pdnsdb:powerdns")
    assert set(by_host) == {"p-mother.pdns", "image_pdnsdb", "powerdns"}
    # the mother: ansible_python_interpreter of group_vars/mother.yml (the Python running hive)
    mother = by_host["p-mother.pdns"]
    assert mother["ansiballz"] == mother["want_json"] == sys.executable
    # an image (build container) and a service (its task container): interpreter discovery, as
    # ansible.cfg interpreter_python = auto_silent asks
    for host in ("image_pdnsdb", "powerdns"):
        found = by_host[host]
        assert found["discovered"] and found["ansiballz"] == found["want_json"] == found["discovered"]


def test_project_group_vars_choose_the_python(legacy_project, tmp_path):
    root, temp = legacy_project
    python = tmp_path / "bin" / "python-of-the-project"
    python.parent.mkdir()
    python.symlink_to("/usr/bin/python3")
    group_vars = root / "inventory" / "group_vars"
    group_vars.mkdir()
    (group_vars / "services.yml").write_text(yaml.safe_dump({"ansible_python_interpreter": str(python)}))
    found = run_legacy_modules(root, temp, "powerdns")["powerdns"]
    assert found["ansiballz"] == found["want_json"] == str(python)
