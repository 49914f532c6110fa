"""The packaged playbooks/group_vars (Jinja, what the playbooks use) and model/derived.py (Python,
what `hive check` and tests use) state the same rules: render the group_vars through a real
ansible for every provider and compare every key both define. One ansible run per provider."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hive_builder.cli import commands
from hive_builder.cli.main import main
from hive_builder.model import MemoryStore, load_site
from hive_builder.model.derived import derived_host_vars
from hive_builder.model.hivedef import PROVIDERS

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
HOSTS_YML = Path(commands.__file__).parents[1] / "playbooks" / "group_vars" / "hosts.yml"

EXTRA = {"kickstart": {"kickstart_config": {"iso_src": "/x.iso"}},
         "aws": {"region": "ap-northeast-1", "instance_type": "t3.medium"},
         "azure": {"region": "japaneast", "instance_type": "Standard_D2s_v3"},
         "gcp": {"region": "asia-northeast1", "instance_type": "e2-medium"},
         "openstack": {"instance_type": "m1.small"}}


def project(tmp_path: Path, provider: str) -> Path:
    root = tmp_path / provider
    (root / "inventory").mkdir(parents=True)
    stage = {"provider": provider, "cidr": "192.168.0.0/24", "number_of_hosts": 2,
             **EXTRA.get(provider, {})}
    (root / "inventory" / "hive.yml").write_text(yaml.safe_dump(
        {"plugin": "hive_inventory", "name": "t", "stages": {"private": stage}}))
    (root / "inventory" / "services.yml").write_text(yaml.safe_dump({
        "plugin": "hive_services",
        "services": {"web": {"image": "nginx:1", "ports": ["80:80", "8080", "53/udp"]}}}))
    return root


def rendered_by_ansible(temp: Path, keys: list[str]) -> dict:
    """{host: {key: value}} as each host of the play sees its variables (all hosts run locally)."""
    out = temp / "out"
    out.mkdir()
    play = [{"hosts": "servers:mother", "gather_facts": False, "tasks": [
        {"ansible.builtin.copy": {"dest": f"{out}/{{{{ inventory_hostname }}}}.json",
                                  "content": "{{ result | to_json }}"},
         "vars": {"result": {k: f"{{{{ {k} }}}}" for k in keys}}}]}]
    # a playbook next to the packaged group_vars, as the phase playbooks are
    pb = temp / "pb"
    pb.mkdir()
    (pb / "group_vars").symlink_to(HOSTS_YML.parent)
    playbook = pb / "render.yml"
    playbook.write_text(yaml.safe_dump(play))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "HIVE_"))}
    env["ANSIBLE_CONFIG"] = str(temp / "ansible.cfg")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-e", f"@{temp}/vars.yml",
                           "-e", "ansible_connection=local",
                           "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                          env=env, capture_output=True, text=True, cwd="/", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {p.stem: json.loads(p.read_text()) for p in out.iterdir()}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_group_vars_agree_with_derived_host_vars(tmp_path, capfd, provider):
    root, temp = project(tmp_path, provider), tmp_path / "t"
    temp.mkdir()
    assert main(["-r", str(root), "-W", str(temp), "inventory"]) == 0, capfd.readouterr().err
    site = load_site(root / "inventory", "private", MemoryStore())
    context_dir = str(root / ".hive" / "private")
    stage = site.stages["private"]
    expected = {s.name: derived_host_vars(site, "private", context_dir=context_dir)
                for s in stage.servers}
    mother = stage.mother.name
    expected[mother] = derived_host_vars(site, "private", context_dir=context_dir, mother=True)
    keys = sorted(set(yaml.safe_load(HOSTS_YML.read_text())) & set(expected[mother]))
    assert "hive_safe_selinux" in keys and "hive_registry" in keys
    rendered = rendered_by_ansible(temp, keys)
    for host, want in expected.items():
        assert rendered[host] == {k: want[k] for k in keys}, host
