"""High availability on the shared e2e site (manual chapter 9, reference §7, §6.5, §14.8).

`hastate` keeps a value on an emulated DRBD volume and carries HIVE_VIP and HIVE_MARK;
`hafollower` is placed by the node label that HIVE_MARK sets. Stopping the hive container that runs
`hastate` must move the task, its data, its virtual IP, the label and the follower to another hive;
the stopped hive is started again afterwards so that later tests see three Ready managers.
"""

from __future__ import annotations

import ipaddress
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
import yaml

PORT = 18090
FAILOVER_WAIT = 90      # generous bound, not a measurement (bench/bench_failover.py measures)
RECOVERY_WAIT = 240

HA_SERVICES = """\
plugin: hive_services
services:
  hastate:
    image:
      from: debian:bookworm
      roles: [python-aptk, ha-state]
      command: [python3, /opt/hastate/hastate.py, "8000"]
    ports: ["{port}:8000"]
    # swarm waits the restart delay (5 s by default) before replacing a lost task; condition must be
    # spelled out, or restart_config means condition none
    restart_config: {{condition: any, delay: 1s}}
    volumes:
      - source: hastate_data
        target: /data
        type: volume
        drbd: {{fstype: xfs, size: 100M}}
    labels:
      HIVE_VIP: {vip}
      HIVE_MARK: hastate
  hafollower:
    image: {registry}/image_hastate:latest
    command: [python3, /opt/hastate/hastate.py, "8001"]
    placement:
      constraints: ["node.labels.hastate == true"]
"""


@dataclass
class Ha:
    vip: str
    port: int
    stopped: set[str]

    @property
    def url(self) -> str:
        return f"http://{self.vip}:{self.port}/"


def _site_vip(site) -> str:
    """An unused address of the site's cidr (hosts are numbered from the bottom)."""
    hive_yml = yaml.safe_load((site.root_dir / "inventory" / "hive.yml").read_text())
    cidr = hive_yml["stages"][site.stage]["cidr"]
    return str(ipaddress.ip_network(cidr)[200])


def _http(method: str, url: str, data: bytes | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=3) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def _wait(what: str, probe, timeout: float):
    """Poll `probe` until it returns something true; fail naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except AssertionError as exc:  # e.g. sshd of a hive that is just booting: not yet
            value = f"probe failed: {str(exc).splitlines()[0]}"
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout} s: {what} (last seen: {value})") from None
            time.sleep(1)
            continue
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what} (last seen: {value!r})")
        time.sleep(1)


def _up_hives(site, ha: Ha) -> list[str]:
    return [h for h in site.hives if h not in ha.stopped]


def _docker(site, ha: Ha, command: str) -> str:
    """A docker command on a hive that is up (the swarm answers on any manager)."""
    return site.ssh(_up_hives(site, ha)[0], f"sudo docker {command}", timeout=30).stdout


def _host(site, node: str) -> str:
    """Inventory host of a swarm node name (the node may know itself by its short name)."""
    return next((h for h in site.hives if node in (h, h.split(".")[0])), node)


def _running_nodes(site, ha: Ha, service: str) -> list[str]:
    out = _docker(site, ha, f"service ps {service} --filter desired-state=running "
                            "--format '{{.Node}} {{.CurrentState}}'")
    return [_host(site, line.split()[0]) for line in out.splitlines() if line.split()[1:2] == ["Running"]]


def _labelled_nodes(site, ha: Ha) -> list[str]:
    out = _docker(site, ha, "node inspect --format '{{.Description.Hostname}} {{index .Spec.Labels \"hastate\"}}' "
                            "$(sudo docker node ls -q)")
    return sorted(_host(site, line.split()[0]) for line in out.splitlines() if line.split()[1:2] == ["true"])


def _vip_holders(site, ha: Ha) -> list[str]:
    return sorted(h for h in _up_hives(site, ha)
                  if f" {ha.vip}/" in site.ssh(h, "ip -4 -o addr show", timeout=30).stdout)


def _managers_ready(site, ha: Ha) -> bool:
    out = _docker(site, ha, "node ls --format '{{.Status}} {{.ManagerStatus}}'")
    states = [line.split() for line in out.splitlines()]
    return len(states) == len(site.hives) and all(s[:1] == ["Ready"] and len(s) == 2 for s in states)


def _placed_on_one_hive(site, ha: Ha) -> str | None:
    """The hive running hastate, once the follower, the label and the VIP have all joined it."""
    state = _running_nodes(site, ha, "hastate")
    if len(state) != 1:
        return None
    node = state[0]
    together = (_running_nodes(site, ha, "hafollower") == [node] and _labelled_nodes(site, ha) == [node]
                and _vip_holders(site, ha) == [node])
    return node if together else None


def _containers(site, hive: str, running: bool = False) -> list[str]:
    """Containers of our services on a hive; stopped ones too unless `running`."""
    everything = "" if running else "-a"
    return [c for svc in ("hastate", "hafollower")
            for c in site.ssh(hive, f"sudo docker ps -q {everything} --filter label=com.docker.swarm.service.name={svc}"
                              ).stdout.split()]


@pytest.fixture(scope="module")
def ha(site):
    path = site.root_dir / "inventory" / "zz-ha.yml"
    vip = _site_vip(site)
    path.write_text(HA_SERVICES.format(port=PORT, vip=vip, registry=f"{site.repository}:5000"))
    state = Ha(vip=vip, port=PORT, stopped=set())
    try:
        site.run("build-images", "-l", "hastate")
        site.run("build-volumes", "-l", "hastate_data")
        site.run("deploy-services", "-l", "hastate")
        site.run("deploy-services", "-l", "hafollower")
        yield state
    finally:
        for host in sorted(state.stopped):
            subprocess.run(["docker", "start", host], capture_output=True, timeout=120, check=False)
        site.run("deploy-services", "-D", "-l", "hafollower,hastate", check=False)
        # A volume used by a container cannot be removed. Swarm leaves the exited task containers of a
        # hive that was down when the service was removed: those are deleted here.
        _wait("the tasks of hastate and hafollower stopped",
              lambda: not any(_containers(site, h, running=True) for h in site.hives), FAILOVER_WAIT)
        for h in site.hives:
            if leftovers := _containers(site, h):
                site.ssh(h, f"sudo docker rm {' '.join(leftovers)}", check=False)
        site.run("build-volumes", "-D", "-l", "hastate_data", check=False)
        path.unlink()


def test_vip_label_and_follower_are_on_the_hive_running_the_service(site, ha):
    node = _wait("hastate, hafollower, the label and the VIP on one hive",
                 lambda: _placed_on_one_hive(site, ha), FAILOVER_WAIT)
    assert node in site.hives
    status, _ = _http("PUT", ha.url, b"before failover\n")
    assert status == 200
    assert _http("GET", ha.url) == (200, "before failover\n")


def test_stopping_the_hive_moves_task_data_vip_label_and_follower(site, ha):
    victim = _wait("hastate placed", lambda: _placed_on_one_hive(site, ha), FAILOVER_WAIT)
    marker = f"written while on {victim}\n"
    assert _http("PUT", ha.url, marker.encode())[0] == 200

    subprocess.run(["docker", "stop", victim], check=True, capture_output=True, timeout=120)
    ha.stopped.add(victim)

    # A stopped node container cannot answer; only the surviving hives are asked about VIPs.
    new = _wait("hastate, hafollower, the label and the VIP on a surviving hive",
                lambda: (n := _placed_on_one_hive(site, ha)) and n != victim and n, FAILOVER_WAIT)
    assert new != victim
    assert _wait("the data through the VIP", lambda: (r := _http("GET", ha.url))[0] == 200 and r[1],
                 FAILOVER_WAIT) == marker


def test_returning_hive_does_not_take_anything_back(site, ha):
    holder = _wait("hastate placed", lambda: _placed_on_one_hive(site, ha), FAILOVER_WAIT)
    returned = sorted(ha.stopped)
    for host in returned:
        subprocess.run(["docker", "start", host], check=True, capture_output=True, timeout=120)
        ha.stopped.discard(host)
    _wait("every hive a Ready manager again", lambda: _managers_ready(site, ha), RECOVERY_WAIT)
    for host in returned:   # like a rebooted server, the node keeps what setup-hosts wrote
        hosts = subprocess.run(["docker", "exec", host, "cat", "/etc/hosts"], check=True,
                               capture_output=True, text=True, timeout=30).stdout
        assert "ANSIBLE MANAGED BLOCK hive servers" in hosts, f"/etc/hosts of {host} after a restart:\n{hosts}"
    # the returning hive's daemon starts with an empty state and must not grab the VIP or label
    assert _wait("a single placement after the return", lambda: _placed_on_one_hive(site, ha),
                 FAILOVER_WAIT) == holder
    assert _http("GET", ha.url)[0] == 200
