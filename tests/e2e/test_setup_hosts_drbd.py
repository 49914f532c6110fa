"""The setup-hosts `drbd` role as on a real host, on a kernel without DRBD 9 (this machine's).

The docker provider records `drbd: emulated` and the role then does nothing. Here that fact is
overridden the way a user runs a phase without `hive` (ANSIBLE_CONFIG + vars.yml, manual §6.10),
so the role really installs its packages and probes the kernel module on the hives, and must
refuse: a stage with a drbd volume cannot be built without DRBD 9.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import hive_builder

DRBD_SERVICE = """\
plugin: hive_services
services:
  drbdprobe:
    image: busybox
    available_on: [private]
    volumes:
      - source: drbdprobe_data
        target: /data
        drbd: {fstype: xfs, size: 100M}
"""
PLAYBOOK = Path(hive_builder.__file__).parent / "playbooks" / "setup-hosts.yml"


def _drbd_role_as_on_real_hosts(site) -> subprocess.CompletedProcess:
    site.run("inventory")   # ansible.cfg and vars.yml in temp_dir are up to date
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-e", f"@{site.temp_dir / 'vars.yml'}",
         "-e", json.dumps({"hive_provider_facts": {"drbd": "kernel"}}),
         "-l", "private", "--tags", "drbd", str(PLAYBOOK)],
        capture_output=True, text=True, timeout=900, cwd=site.root_dir,
        env={**os.environ, "ANSIBLE_CONFIG": str(site.temp_dir / "ansible.cfg")})


def test_drbd_role_refuses_a_kernel_without_drbd9(site):
    extra = site.root_dir / "inventory" / "zz-drbd-probe.yml"
    extra.write_text(DRBD_SERVICE)
    try:
        proc = _drbd_role_as_on_real_hosts(site)
    finally:
        extra.unlink()
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-3000:]
    for hive in site.hives:   # each hive refuses, naming itself, what it found and the fix
        assert f"{hive}: mirrored volumes need DRBD 9: the drbd kernel module does not load" in output, output[-3000:]
    assert "Fix:" in output
    # the packages were really installed before the module probe
    assert site.ssh(site.hives[0], "dpkg -s drbd-utils lvm2 >/dev/null && echo installed").stdout.strip() == "installed"


def test_without_drbd_volumes_a_missing_module_is_only_a_warning(site):
    proc = _drbd_role_as_on_real_hosts(site)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert f"WARNING {site.hives[0]}: mirrored volumes need DRBD 9" in output, output[-3000:]
