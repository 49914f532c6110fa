"""Zabbix on the shared e2e site (issue 11): the server on the repository, agents everywhere, and
each trigger of the hive templates raised by the real fault it watches, seen through the API of
the web console that `hive ssh -z` forwards.

Item intervals are the templates' macros, shortened here on the hosts as an operator would in the
web console; "check now" tasks make the server poll at once instead of waiting for its schedule.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess

import pytest

from hive_builder.lib.hive_zabbix import Api, ApiError
from tests.e2e.conftest import HIVE
from tests.e2e.probes import http_get, wait_for
from tests.e2e.site import play_recap
from tests.e2e.test_setup_hosts import private_ips

pytestmark = pytest.mark.e2e

PORT = 18052
TIMEOUT = 240        # seconds for a problem to show (expected: about a minute)
PROBE = "zbxprobe"
SCRATCH = "e2e_zbx_scratch"
PROBE_SERVICE = f"""\
plugin: hive_services
services:
  {PROBE}:
    image: {{registry}}/image_web:latest
    command: [python3, /opt/web/web.py]
    networks: [e2e_backend]
    volumes:
      # 8 MiB of tmpfs: filled past 90 % in an instant
      - source: {SCRATCH}
        target: /scratch
        type: volume
        driver: local
        driver_opts: {{{{type: tmpfs, device: tmpfs, o: size=8m}}}}
"""


class Zabbix:
    def __init__(self, site, api: Api):
        self.site, self.api = site, api

    def host_id(self, host: str) -> str:
        return self.api.call("host.get", {"output": ["hostid"], "filter": {"host": [host]}})[0]["hostid"]

    def items(self, host: str, key_prefix: str) -> list[dict]:
        return self.api.call("item.get", {"hostids": [self.host_id(host)], "output": ["itemid", "key_", "lastvalue", "state"],
                                          "search": {"key_": key_prefix}, "startSearch": True})

    def rules(self, host: str, key: str) -> list[dict]:
        return self.api.call("discoveryrule.get", {"hostids": [self.host_id(host)], "output": ["itemid", "key_"],
                                                   "filter": {"key_": key}})

    def check_now(self, things: list[dict]) -> None:
        if things:
            self.api.call("task.create", [{"type": 6, "request": {"itemid": t["itemid"]}} for t in things])

    def discover(self, host: str, rule: str, key: str) -> dict:
        """Run a discovery rule now until it has made the item `key`; that item."""
        def made():
            self.check_now(self.rules(host, rule))
            return next((i for i in self.items(host, key.split("[")[0]) if i["key_"] == key), None)
        return wait_for(f"{rule} on {host} discovers {key}", made, TIMEOUT, interval=5)

    def problems(self, name: str) -> list[str]:
        found = self.api.call("problem.get", {"output": ["name"], "search": {"name": name}})
        return [p["name"] for p in found]

    def wait_problem(self, name: str, poll: list[str], host: str, present: bool = True) -> list[str]:
        """Poll items (key prefixes on host) now and again until a problem named like `name`
        is present (or gone)."""
        def seen():
            for key in poll:
                self.check_now(self.items(host, key))
            names = self.problems(name)
            if bool(names) != present:
                return None
            return names or ["(resolved)"]
        return wait_for(f"problem {name!r} {'raised' if present else 'resolved'}", seen, TIMEOUT, interval=5)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def tunnel(site):
    """`hive ssh -z -Z PORT` kept open (stdin a pipe) while the module runs."""
    proc = subprocess.Popen([*HIVE, "-r", str(site.root_dir), "-W", str(site.temp_dir), "ssh", "-z", "-Z", str(PORT)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for("hive ssh -z forwards the console", lambda: proc.poll() is None and _listening(PORT), 60)
        yield proc
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def zabbix(site, tunnel) -> Zabbix:
    api = Api(f"http://localhost:{PORT}/api_jsonrpc.php")
    api.login((site.context_dir / "zabbix_admin_password").read_text().strip())
    z = Zabbix(site, api)
    # shorter intervals on every host (host macros win over the templates' own)
    for host in site.hosts:
        hostid = z.host_id(host)
        have = {m["macro"]: m for m in api.call("usermacro.get", {"hostids": [hostid], "output": "extend"})}
        for macro, value in (("{$HIVE.INTERVAL}", "15s"), ("{$HIVE.LLD.INTERVAL}", "30s")):
            if macro in have:
                api.call("usermacro.update", {"hostmacroid": have[macro]["hostmacroid"], "value": value})
            else:
                api.call("usermacro.create", {"hostid": hostid, "macro": macro, "value": value})
    site.ssh(site.repository, "sudo zabbix_server -R config_cache_reload")
    return z


def test_console_login_page_through_hive_ssh_z(site, tunnel):
    status, body = http_get(f"http://localhost:{PORT}/")
    assert status == 200 and "Zabbix" in body and 'name="password"' in body, body[:500]
    # the console is on the repository's loopback only: nothing answers on its private IP
    ip = private_ips(site)[site.repository]
    probe = site.ssh(site.repository, f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 "
                                      f"http://{ip}:10052/ || true", check=False)
    assert probe.stdout.strip() in ("000", ""), probe.stdout


def test_admin_password_is_generated_and_kept_0600(site, tunnel):
    path = site.context_dir / "zabbix_admin_password"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(path.read_text().strip()) >= 20
    with pytest.raises(ApiError):
        Api(f"http://localhost:{PORT}/api_jsonrpc.php").login("zabbix")


def test_every_server_is_registered_with_an_available_agent(site, zabbix):
    def available():
        hosts = zabbix.api.call("host.get", {"output": ["host"], "selectInterfaces": ["available", "ip"],
                                             "selectParentTemplates": ["host"]})
        seen = {h["host"]: h for h in hosts}
        if sorted(seen) != sorted(site.hosts):
            return None
        down = [h for h in site.hosts if [i["available"] for i in seen[h]["interfaces"]] != ["1"]]
        return None if down else seen
    seen = wait_for("every agent available", available, TIMEOUT, interval=5)
    assert {t["host"] for t in seen[site.repository]["parentTemplates"]} >= {
        "Linux by Zabbix agent", "Hive Server", "Hive Repository Server"}
    assert "Hive Repository Server" not in {t["host"] for t in seen[site.hives[0]]["parentTemplates"]}


def test_agent_port_answers_the_repository_only(site):
    hive = site.hives[1]
    ip = private_ips(site)[hive]
    assert site.ssh(site.repository, f"zabbix_get -s {ip} -k agent.ping").stdout.strip() == "1"
    # another hive is refused by the firewall
    other = site.ssh(site.hives[0], f"timeout 5 bash -c '</dev/tcp/{ip}/10050' && echo open || echo closed",
                     check=False)
    assert other.stdout.strip().endswith("closed"), other.stdout


def test_sudo_is_limited_to_the_user_parameters(site):
    rules = site.ssh(site.repository, "sudo -l -U zabbix").stdout
    assert "/usr/lib/hive-zabbix/hive-zabbix-docker services" in rules
    assert "(ALL) NOPASSWD: ALL" not in rules and "(root) NOPASSWD: ALL" not in rules
    denied = site.ssh(site.repository, "sudo -u zabbix sudo -n /bin/true", check=False)
    assert denied.returncode != 0


@pytest.fixture(scope="module")
def probe(site, zabbix):
    inventory = site.root_dir / "inventory" / "zz-zbxprobe.yml"
    inventory.write_text(PROBE_SERVICE.format(registry=f"{site.repository}:5000"))
    try:
        site.run("build-volumes", "-l", SCRATCH)
        site.run("deploy-services", "-l", PROBE)
        yield PROBE
    finally:
        site.run("deploy-services", "-D", "-l", PROBE, check=False)
        site.run("build-volumes", "-D", "-l", SCRATCH, check=False)
        inventory.unlink(missing_ok=True)


def test_service_below_its_replicas_raises_a_problem_that_resolves(site, zabbix, probe):
    repo = site.repository
    zabbix.discover(repo, "hive.swarm.services.discovery", f"hive.swarm.service.replicas[{probe}]")
    name = f"Service {probe} runs fewer replicas than desired"
    zabbix.wait_problem(name, ["hive.swarm.service.replicas"], repo, present=False)
    # a constraint no node meets: the running task stops and its successor stays pending
    site.ssh(site.hives[0], f"sudo docker service update -d --constraint-add node.labels.e2e_nowhere==true {probe}")
    try:
        zabbix.wait_problem(name, ["hive.swarm.service.replicas"], repo)
    finally:
        site.ssh(site.hives[0], f"sudo docker service update -d --constraint-rm node.labels.e2e_nowhere==true {probe}")
    zabbix.wait_problem(name, ["hive.swarm.service.replicas"], repo, present=False)


def test_volume_filled_past_90_percent_raises_the_usage_problem(site, zabbix, probe):
    repo = site.repository
    key = f"hive.volume.usage[{probe},/scratch]"
    wait_for(f"{probe} running", lambda: site.ssh(repo, f"dexec -n {probe} true", check=False).returncode == 0, 120)
    zabbix.discover(repo, "hive.volumes.discovery", key)
    site.ssh(repo, f"dexec -n {probe} sh -c 'dd if=/dev/zero of=/scratch/fill bs=1M count=16 2>/dev/null; true'")
    try:
        names = zabbix.wait_problem(f"Docker volume {SCRATCH} in {probe}", ["hive.volume.usage"], repo)
        assert names == [f"Exceed 90% Docker volume {SCRATCH} in {probe} usage"]
    finally:
        site.ssh(repo, f"dexec -n {probe} rm -f /scratch/fill", check=False)


def test_failed_unit_on_a_hive_raises_its_problem(site, zabbix):
    hive = site.hives[1]
    name = f"Failed systemd units on {hive}"
    assert site.ssh(hive, "systemctl list-units --state=failed --no-legend --plain | wc -l").stdout.strip() == "0"
    site.ssh(hive, "sudo systemd-run --unit=e2e-zbx-fail --property=Restart=no /bin/false")
    try:
        zabbix.wait_problem(name, ["hive.systemd.failed"], hive)
        names = next(i for i in zabbix.items(hive, "hive.systemd.failed.names") if i["key_"] == "hive.systemd.failed.names")
        assert "e2e-zbx-fail" in names["lastvalue"]
    finally:
        site.ssh(hive, "sudo systemctl reset-failed e2e-zbx-fail", check=False)
    zabbix.wait_problem(name, ["hive.systemd.failed"], hive, present=False)


def test_error_line_of_a_monitored_service_raises_the_log_problem(site, zabbix):
    from tests.e2e.test_services_ops import _token, _web_url
    token = _token("Error:zabbix")
    http_get(f"{_web_url(site)}/{token}")
    repo = zabbix.host_id(site.repository)

    def logged():
        [item] = zabbix.api.call("item.get", {"hostids": [repo], "output": ["itemid"],
                                              "filter": {"key_": 'logrt["/var/log/service-error.log"]'}})
        history = zabbix.api.call("history.get", {"itemids": [item["itemid"]], "history": 2, "output": ["value"],
                                                  "sortfield": "clock", "sortorder": "DESC", "limit": 50})
        return any(token in h["value"] for h in history)
    wait_for("the error line reaches Zabbix (active log item)", logged, TIMEOUT, interval=5)
    assert zabbix.problems("Error Log Detected for Services") == ["Error Log Detected for Services"]


def test_zabbix_database_joins_the_backups(site):
    out = site.run("backup", "-l", "hive-zabbix")
    assert "backup-hive-zabbix-latest.dump" in out.stdout
    listing = site.ssh(site.repository, "pg_restore -l ~/backup/backup-hive-zabbix-latest.dump").stdout
    assert "TABLE public hosts" in listing or "TABLE DATA public hosts" in listing, listing[:1000]


def test_zabbix_roles_converge_with_nothing_to_change(site):
    """The site was set up by the session fixture: running both roles again changes nothing (the
    API module included: password, templates digest, hosts)."""
    out = site.run("setup-hosts", "-T", "zabbix,zabbix-agent").stdout
    recap = play_recap(out)
    assert sorted(recap) == sorted(site.hosts)
    assert {h: r["changed"] for h, r in recap.items()} == {h: 0 for h in site.hosts}, out[-3000:]


def test_hive_user_parameters_answer_the_server(site):
    """What the server polls, asked the same way from the repository (agent, sudo, script): no
    DRBD volume on this site (an empty discovery, not an error), no failed unit, running services."""
    for hive in site.hives:
        ip = private_ips(site)[hive]
        get = lambda key: site.ssh(site.repository, f"zabbix_get -s {ip} -k '{key}'").stdout.strip()
        assert get("hive.drbd.discovery") == "[]"
        assert get("hive.systemd.failed") == "0"
    local = lambda key: site.ssh(site.repository, f"zabbix_get -s 127.0.0.1 -k '{key}'").stdout.strip()
    assert '{"{#SERVICE}":"web","{#STANDALONE}":"0"}' in local("hive.swarm.services.discovery")
    assert '{"{#SERVICE}":"hello","{#STANDALONE}":"1"}' in local("hive.swarm.services.discovery")
    assert local("hive.swarm.service.replicas[web]") == "100.0"
    assert local("hive.standalone.failed[hello]") == "0"
    # an error text, not a number: the server makes such an item unsupported
    assert "no such service: no-such-service" in local("hive.swarm.service.replicas[no-such-service]")
