"""The whole pipeline on prepared hosts, with the repository server on a hive
(`separate_repository: false`), through the real CLI: `hive all` from build-infra to
initialize-services on two existing hosts reached as root with `root_password`.

The hosts are node containers of this machine (tests/e2e/site.py `PreparedHosts`), so they share
its kernel: no IPVS (and no DRBD). The prepared provider reads that from the hosts themselves
(provider_facts.yml `ipvs: false`: services publish in host mode). Docker Hub is out of reach: the
stage asks for the mother's Debian base with `hive_seed_from_mother: true`.

Two hosts: both hives (swarm managers), the last one also the repository server. The swarm then
has two managers, which the model accepts; losing one of them loses the quorum (HA needs three
hives, tests/e2e/test_ha.py), which this module does not test.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import yaml

from hive_builder.providers.docker import kernel
from tests.e2e.conftest import Site
from tests.e2e.probes import http_get, wait_for
from tests.e2e.site import PreparedHosts
from tests.e2e.test_setup_hosts import changed_tasks

pytestmark = pytest.mark.e2e
PASSWORD = "e2e-Root-pw3"
CIDR = "10.233.34.0/24"
NAME = "prepfull"
SERVERS = [f"p-hive0.{NAME}", f"p-hive1.{NAME}"]   # in ip_address_list order; the last is the repository

SERVICES = """\
plugin: hive_services
services:
  pweb:
    image:
      from: debian:bookworm
      roles: [python-aptk, prepfull-web]
      command: [python3, /opt/pweb/pweb.py]
    ports: ["8080"]
"""
ROLE = """\
- name: program directory
  ansible.builtin.file:
    path: /opt/pweb
    state: directory
    mode: "0755"

- name: web program
  ansible.builtin.copy:
    src: pweb.py
    dest: /opt/pweb/pweb.py
    mode: "0644"
"""
# BaseHTTPRequestHandler logs every request line on stderr (line-buffered): the service's log
PWEB = '''\
"""A page naming the node that served it."""
import http.server
import socket


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"prepfull web on {socket.gethostname()}\\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("", 8080), Handler).serve_forever()
'''
PHASE_END = re.compile(r"^=== PHASE (\S+) END .*\(([\d.]+)s\)", re.M)


@pytest.fixture(scope="module")
def hosts():
    # the containers' hostnames are the inventory's: Docker bind-mounts /etc/hostname, so setup-hosts
    # could not rename them as it renames a real server
    h = PreparedHosts("e2eprepfull", CIDR, PASSWORD, count=2,
                      hostnames=tuple(s.split(".")[0] for s in SERVERS))
    h.down()
    try:
        h.up()
        yield h
    finally:   # also when up() or a test failed half-way
        h.down()


@pytest.fixture(scope="module")
def stage(hosts, tmp_path_factory) -> Site:
    base = tmp_path_factory.mktemp("provider-prepared-pipeline")
    project = base / "project"
    (project / "inventory" / "group_vars").mkdir(parents=True)
    (base / "tmp").mkdir()
    hive = {"plugin": "hive_inventory", "name": NAME, "stages": {"private": {
        "provider": "prepared", "cidr": CIDR, "separate_repository": False,
        "ip_address_list": hosts.ips, "root_password": PASSWORD}}}
    (project / "inventory" / "hive.yml").write_text(yaml.safe_dump(hive))
    (project / "inventory" / "services.yml").write_text(SERVICES)
    (project / "inventory" / "group_vars" / "servers.yml").write_text(
        "# no Docker Hub here: `from: debian:bookworm` is the mother's image, copied to the repository\n"
        "hive_seed_from_mother: true\n")
    role = project / "roles" / "prepfull-web"
    (role / "tasks").mkdir(parents=True)
    (role / "files").mkdir()
    (role / "tasks" / "main.yml").write_text(ROLE)
    (role / "files" / "pweb.py").write_text(PWEB)
    return Site(root_dir=project, temp_dir=base / "tmp")


@pytest.fixture(scope="module")
def built(stage) -> str:
    """Output of the first `hive all`."""
    started = time.monotonic()
    proc = stage.run("all", timeout=1500)
    stage.log.append(f"hive all: {time.monotonic() - started:.0f} s; phases: "
                     + ", ".join(f"{p} {s}s" for p, s in PHASE_END.findall(proc.stdout)))
    print(stage.log[-1])
    return proc.stdout + proc.stderr


def _hostvars(stage) -> dict:
    return json.loads(stage.run("inventory").stdout)["_meta"]["hostvars"]


def test_hive_all_runs_every_phase_with_the_facts_read_on_the_hosts(stage, built):
    assert [p for p, _ in PHASE_END.findall(built)] == [
        "build-infra", "setup-hosts", "build-images", "build-volumes", "build-networks",
        "deploy-services", "initialize-services"], built[-3000:]
    assert stage.hosts == SERVERS
    inventory = json.loads(stage.run("inventory").stdout)
    assert {g: inventory[g]["hosts"] for g in ("hives", "repository", "first_hive")} == {
        "hives": SERVERS, "repository": SERVERS[-1:], "first_hive": SERVERS[:1]}
    # the hosts share this machine's kernel: the provider found what the docker provider finds here
    facts = yaml.safe_load((stage.context_dir / "provider_facts.yml").read_text())
    assert facts == {"ipvs": kernel.ipvs_available(kernel.probe_kernel()), "drbd": "kernel"}, facts
    if not facts["ipvs"]:
        assert "prepared provider: no IPVS in the host kernel" in built


def test_the_service_answers_over_http_on_a_hive(stage, built):
    port = next(p["published_port"] for p in _hostvars(stage)["pweb"]["hive_ports"] if p["target_port"] == 8080)
    ips = [h.split()[1] for h in stage.ssh_config.read_text().splitlines() if h.strip().startswith("HostName")]

    def answer():
        for ip in ips:
            status, body = http_get(f"http://{ip}:{port}/")
            if status == 200 and body.startswith("prepfull web on "):
                return body
        return None
    wait_for(f"pweb on port {port} of {ips}", answer, timeout=60)
    spec = json.loads(stage.ssh(SERVERS[0], "sudo docker service inspect pweb --format '{{json .Endpoint.Spec}}'").stdout)
    if not yaml.safe_load((stage.context_dir / "provider_facts.yml").read_text())["ipvs"]:
        assert spec["Mode"] == "dnsrr" and {p["PublishMode"] for p in spec["Ports"]} == {"host"}, spec


def test_the_repository_server_is_a_swarm_manager_with_registry_and_rsyslog(stage, built):
    nodes = stage.ssh(SERVERS[0], "sudo docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'").stdout
    managers = dict(line.split() for line in nodes.splitlines() if line.strip())
    assert sorted(managers) == ["p-hive0", "p-hive1"] and set(managers.values()) <= {"Leader", "Reachable"}, nodes
    repo = SERVERS[-1]
    labels = json.loads(stage.ssh(repo, "sudo docker node inspect self --format '{{json .Spec.Labels}}'").stdout)
    assert labels.get("hives") == labels.get("repository") == "true", labels
    assert stage.ssh(repo, "systemctl is-active docker-registry rsyslog").stdout.split() == ["active", "active"]
    # the registry on the repository (a hive) serves the image every hive pulled
    tags = stage.ssh(repo, f"sudo docker image ls --format '{{{{.Tag}}}}' {repo}:5000/image_pweb").stdout.split()
    assert "latest" in tags and len(tags) == 2, tags   # :latest and the immutable tag


def test_hive_logs_shows_a_request_line(stage, built):
    marker = f"/prepfull-{uuid.uuid4().hex[:8]}"
    port = next(p["published_port"] for p in _hostvars(stage)["pweb"]["hive_ports"] if p["target_port"] == 8080)
    ips = [h.split()[1] for h in stage.ssh_config.read_text().splitlines() if h.strip().startswith("HostName")]
    assert any(http_get(f"http://{ip}:{port}{marker}")[0] == 200 for ip in ips)
    wait_for(f"GET {marker} in `hive logs pweb`",
             lambda: f"GET {marker} HTTP/1.1" in stage.run("logs", "pweb", "-n", "100").stdout, timeout=30)


def test_second_hive_all_changes_nothing(stage, built):
    """The whole pipeline again, build-infra included: sshd now refuses root and passwords (roles
    base, users), so build-infra reaches the hosts as the admin it bootstrapped the first time."""
    out = stage.run("all", timeout=1200).stdout
    assert "PHASE build-infra END" in out and "PHASE initialize-services END" in out
    assert not changed_tasks(out), changed_tasks(out)
