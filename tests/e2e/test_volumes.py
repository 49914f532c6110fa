"""build-volumes on the docker provider: DRBD volumes are emulated by storage every hive shares."""

import json

import pytest

from tests.e2e.site import play_recap

VOLUME_FILE = """\
plugin: hive_services
services:
  voltest:
    image: busybox
    available_on: [private]
    volumes:
      - source: voltest_data
        target: /data
        drbd: {fstype: xfs, size: 100M}
"""


# A tiny image made on the hive from its own dash, cat and libc: no registry or Docker Hub needed.
MINI = ("tar -C / -ch usr/bin/dash usr/bin/cat lib/x86_64-linux-gnu/libc.so.6 lib64/ld-linux-x86-64.so.2 "
        "| sudo docker import - hive-e2e/mini >/dev/null")


def run_mini(site, hive, volume, script):
    site.ssh(hive, f"sudo docker image inspect hive-e2e/mini >/dev/null 2>&1 || {{ {MINI}; }}")
    return site.ssh(hive, f"sudo docker run --rm -v {volume}:/data hive-e2e/mini /usr/bin/dash -c '{script}'"
                    ).stdout.strip()


@pytest.fixture
def volume_service(site):
    path = site.root_dir / "inventory" / "zz-volumes.yml"
    path.write_text(VOLUME_FILE)
    try:
        yield "voltest_data"
    finally:
        site.run("build-volumes", "-D", "-l", "voltest_data", check=False)
        path.unlink()


def test_emulated_drbd_volume_is_shared_by_every_hive_and_destroyed_only_with_D(site, volume_service):
    out = site.run("build-volumes").stdout
    assert "DRBD is emulated" in out
    for hive in site.hives:
        inspect = site.ssh(hive, f"sudo docker volume inspect {volume_service} --format '{{{{.Options.device}}}}'")
        assert inspect.stdout.strip() == f"/var/lib/hive-shared/{volume_service}"

    first, other = site.hives[0], site.hives[-1]
    run_mini(site, first, volume_service, f"echo written-on-{first} > /data/f")
    seen = run_mini(site, other, volume_service, "cat /data/f")
    assert seen == f"written-on-{first}"

    rerun = site.run("build-volumes").stdout
    recap = play_recap(rerun)
    assert recap and all(c["changed"] == 0 for c in recap.values()), rerun[-3000:]

    # the fixture's service was never deployed: `hive status` says so (exit 3) and shows the volume
    proc = site.run("status", "--json", check=False)
    status = json.loads(proc.stdout)
    assert proc.returncode == 3 and status["problems"] == ["service voltest is not deployed"], status["problems"]
    assert status["volumes"]["mode"] == "emulated" and volume_service in status["volumes"]["names"]

    site.run("build-volumes", "-D", "-l", volume_service)
    for hive in site.hives:
        gone = site.ssh(hive, f"sudo docker volume inspect {volume_service}", check=False)
        assert gone.returncode != 0
    assert site.ssh(first, f"test -e /var/lib/hive-shared/{volume_service}", check=False).returncode != 0


def test_unknown_volume_in_limit_is_an_error(site, volume_service):
    proc = site.run("build-volumes", "-l", "nosuch", check=False)
    assert proc.returncode != 0
    assert "no volume named nosuch" in proc.stdout + proc.stderr
