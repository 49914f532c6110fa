"""build-images, deploy-services and initialize-services on the shared e2e site.

Services: tests/e2e/project/inventory/services.yml — `kvs` (sqlite behind HTTP, rows loaded by
the initialize role e2e-kvs-data) and `web` (reads kvs, published port auto-assigned). The tests
depend on each other's site state and run in file order.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.site import play_recap

BROKEN_SERVICES = """\
plugin: hive_services
services:
  broken:
    image: {registry}/image_web:latest
    command: [python3, -c, "raise SystemExit(3)"]
    networks: [e2e_backend]
"""


def _recap_changed(output: str) -> dict[str, int]:
    """host -> changed count from the run's recap."""
    return {host: counts["changed"] for host, counts in play_recap(output).items()}


def _hostvars(site) -> dict:
    return json.loads(site.run("inventory").stdout)["_meta"]["hostvars"]


def _hive_ips(site) -> list[str]:
    ips, host = {}, None
    for line in site.ssh_config.read_text().splitlines():
        words = line.split()
        if words[:1] == ["Host"]:
            host = words[1]
        elif words[:1] == ["HostName"] and host:
            ips[host] = words[1]
    return [ips[h] for h in site.hives]


def _web_port(site) -> int:
    ports = _hostvars(site)["web"]["hive_ports"]
    return next(p["published_port"] for p in ports if p["target_port"] == 8080)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def _web_page(site, expect: str, wait: float = 60) -> str:
    """The page of the web service, from whichever hive runs its task (host-mode publishing)."""
    port = _web_port(site)
    deadline = time.monotonic() + wait
    seen = []
    while True:
        for ip in _hive_ips(site):
            status, body = _get(f"http://{ip}:{port}/")
            if status == 200 and expect in body:
                return body
            seen.append(f"{ip}:{port} -> {status} {body[:200]!r}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no hive answered with {expect!r} on port {port}:\n" + "\n".join(seen[-6:]))
        time.sleep(2)


def _services(site) -> set[str]:
    out = site.ssh(site.hives[0], "sudo docker service ls --format '{{.Name}}'").stdout
    return set(out.split())


def test_build_deploy_initialize_serves_data_from_the_database(site):
    site.run("build-images")
    images = site.ssh(site.repository, "sudo docker image ls --format '{{.Repository}}:{{.Tag}}'").stdout
    assert f"{site.repository}:5000/image_web:latest" in images
    assert f"{site.repository}:5000/image_kvs:latest" in images
    assert f"{site.repository}:5000/hive/debian:bookworm" in images

    site.run("deploy-services")
    assert {"web", "kvs"} <= _services(site)
    site.run("initialize-services")

    page = _web_page(site, "greeting=hello from kvs")
    assert "hive e2e web v1" in page
    # the initialize role read the web service's published port from hostvars
    assert f"web_port={_web_port(site)}" in page


def test_project_module_with_env_python_first_line_runs_unchanged(site):
    """lib/e2e_origin.py starts with `#!/usr/bin/env python` (as modules written for the original
    do): it ran in web's build container (role e2e-web) and in kvs's task (initialize role)."""
    for service, path in (("web", "/opt/web/built-with.json"), ("kvs", "/tmp/initialized-with.json")):
        ran = json.loads(site.ssh(site.repository, f"dexec -n {service} cat {path}").stdout)
        assert ran["python"].startswith("/usr/bin/python3"), ran


def test_dexec_dcp_and_dsh_reach_a_service_task_from_any_server(site):
    """The docker-client tools (reference §10), as the admin on a server that may not run the task."""
    host = site.repository                # not a swarm node: everything goes over TLS to 2376
    kvs_hostname = site.ssh(host, "dexec -n kvs hostname").stdout.strip()
    assert kvs_hostname and kvs_hostname != host.split(".")[0], kvs_hostname
    assert "kvs.py" in site.ssh(host, "dexec -n kvs ls /opt/kvs").stdout
    site.ssh(host, "echo e2e-dcp > /tmp/dcp-in && dcp /tmp/dcp-in kvs:/tmp/dcp-copied "
                   "&& dcp kvs:/tmp/dcp-copied /tmp/dcp-out")
    assert site.ssh(host, "cat /tmp/dcp-out").stdout.strip() == "e2e-dcp"
    # dsh opens a shell in the same task: feed it a command on stdin
    assert site.ssh(host, "echo hostname | dsh kvs").stdout.strip().endswith(kvs_hostname)
    missing = site.ssh(host, "dexec -n nosuch true", check=False)
    assert missing.returncode != 0 and "service nosuch is not found." in missing.stderr
    too_far = site.ssh(host, "dexec -5 -n kvs true", check=False)
    assert too_far.returncode != 0 and "exceeds the number of replicas (1)" in too_far.stderr
    no_prefix = site.ssh(host, "dcp /tmp/dcp-in /tmp/elsewhere", check=False)
    assert no_prefix.returncode != 0 and "no service prefix." in no_prefix.stderr


def test_standalone_service_runs_its_units_under_systemd(site):
    """`hello` (standalone: true, from plain debian:bookworm): build-images installed and booted
    systemd, the role started a unit; the task container runs systemd as PID 1 again."""
    port = next(p["published_port"] for p in _hostvars(site)["hello"]["hive_ports"] if p["target_port"] == 8002)
    deadline, seen = time.monotonic() + 90, []
    while not any("standalone ok pid1=systemd" in body for _, body in seen[-len(site.hives):]):
        if time.monotonic() > deadline:
            raise AssertionError(f"hello did not answer on port {port}: {seen[-3:]}")
        seen += [_get(f"http://{ip}:{port}/") for ip in _hive_ips(site)]
        time.sleep(2)
    for hive in site.hives:
        ids = site.ssh(hive, "sudo docker ps -q --filter label=com.docker.swarm.service.name=hello").stdout.split()
        if not ids:
            continue
        state = site.ssh(hive, f"sudo docker exec {ids[0]} systemctl is-system-running", check=False).stdout.strip()
        assert state in ("running", "degraded"), state
        for unit in ("e2e-hello", "rsyslog"):   # rsyslog: the builtin role hive-syslog
            assert site.ssh(hive, f"sudo docker exec {ids[0]} systemctl is-active {unit}").stdout.strip() == "active"
        labels = site.ssh(hive, "sudo docker service inspect --format '{{json .Spec.Labels}}' hello").stdout
        assert json.loads(labels)["HIVE_STANDALONE"] == "True"
        break
    else:
        raise AssertionError("no hive runs a task container of hello")


def test_second_run_changes_nothing(site):
    images = site.run("build-images")
    assert "already built from this spec" in images.stdout
    deploy = site.run("deploy-services")
    changed = _recap_changed(deploy.stdout)
    assert changed and all(n == 0 for n in changed.values()), deploy.stdout[-3000:]


def test_broken_service_fails_with_its_task_error_and_can_be_removed_alone(site):
    inventory = site.root_dir / "inventory"
    (inventory / "broken.yml").write_text(BROKEN_SERVICES.format(registry=f"{site.repository}:5000"))
    (inventory / "group_vars").mkdir(exist_ok=True)
    (inventory / "group_vars" / "all.yml").write_text("hive_deploy_timeout: 30\n")
    try:
        failed = site.run("deploy-services", check=False)
        assert failed.returncode != 0
        assert "service broken" in failed.stdout
        assert "exited with code 3" in failed.stdout
        assert "greeting=hello from kvs" in _web_page(site, "greeting=hello from kvs")

        site.run("deploy-services", "-D", "-l", "broken")
        assert "broken" not in _services(site)
        assert {"web", "kvs"} <= _services(site)
    finally:
        (inventory / "broken.yml").unlink(missing_ok=True)
        (inventory / "group_vars" / "all.yml").unlink(missing_ok=True)


def test_changed_role_rolls_out_a_new_image(site):
    web_py = site.root_dir / "roles" / "e2e-web" / "files" / "web.py"
    web_py.write_text(web_py.read_text().replace('VERSION = "v1"', 'VERSION = "v2"'))
    built = site.run("build-images", "-l", "web")
    assert "image_web" in built.stdout
    # apt's package lists are left out of built images (hive_build_keep_apt_lists)
    lists = site.ssh(site.repository, f"sudo docker run --rm --entrypoint ls {site.repository}:5000/"
                                      "image_web:latest /var/lib/apt/lists").stdout.split()
    assert not [name for name in lists if "_" in name], lists
    # a hive whose registry login is gone (setup-hosts made it) logs in again when refused
    registry = f"{site.repository}:5000"
    site.ssh(site.hives[1], f"sudo docker logout {registry}")
    site.run("deploy-services")
    assert registry in site.ssh(site.hives[1], "sudo cat /root/.docker/config.json").stdout
    page = _web_page(site, "hive e2e web v2")
    assert "greeting=hello from kvs" in page
    tags = site.ssh(site.repository, "sudo docker image ls --format '{{.Tag}}' "
                                     f"{site.repository}:5000/image_web").stdout.split()
    # latest plus one immutable tag per build
    assert len([t for t in tags if t != "latest"]) >= 2


@pytest.mark.parametrize("phase", ["deploy-services"])
def test_unknown_limit_is_refused(site, phase):
    proc = site.run(phase, "-l", "nosuch", check=False)
    assert proc.returncode != 0
    assert "nosuch is not a service of stage private" in proc.stdout
