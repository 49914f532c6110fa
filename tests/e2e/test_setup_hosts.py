"""setup-hosts and build-networks, checked from outside on the session's site (docker provider)."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.e2e

RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", re.M)


def private_ips(site) -> dict[str, str]:
    ips, host = {}, None
    for line in site.ssh_config.read_text().splitlines():
        fields = line.split()
        if fields[:1] == ["Host"]:
            host = fields[1]
        elif fields[:1] == ["HostName"] and host:
            ips[host] = fields[1]
    return ips


def changed_tasks(output: str) -> list[str]:
    """'<task> on <host>' for every task Ansible reported as changed."""
    found, task = [], None
    for line in output.splitlines():
        m = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\]", line)
        if m:
            task = m.group(1)
        m = re.match(r"^changed: \[([^\]]+)\]", line)
        if m:
            found.append(f"{task} on {m.group(1)}")
    return found


def test_every_hive_is_a_manager_with_its_group_labels(site):
    first = site.hives[0]
    nodes = site.ssh(first, "sudo docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'").stdout.split("\n")
    managers = {line.split()[0]: line.split()[1] for line in nodes if line.strip()}
    assert sorted(managers) == sorted(h.split(".")[0] for h in site.hives)
    assert all(status in ("Leader", "Reachable") for status in managers.values())
    labels = json.loads(site.ssh(first, "sudo docker node inspect self --format '{{json .Spec.Labels}}'").stdout)
    for group in ("first_hive", "hives", "servers", "hosts", site.stage):
        assert labels.get(group) == "true", labels
    other = json.loads(site.ssh(site.hives[1], "sudo docker node inspect self --format '{{json .Spec.Labels}}'").stdout)
    assert "first_hive" not in other and other.get("hives") == "true"


def test_image_pushed_on_one_hive_is_pulled_on_another_over_tls_with_password(site):
    registry = f"{site.repository}:5000"
    image = f"{registry}/e2e-setup-hosts:1"
    site.ssh(site.hives[0],
             "set -e; d=$(mktemp -d -p /root 2>/dev/null || mktemp -d); cd $d; echo hello > hello.txt; "
             "printf 'FROM scratch\\nCOPY hello.txt /hello.txt\\nCMD [\"/hello.txt\"]\\n' > Dockerfile; "
             f"sudo docker build -q -t {image} . >/dev/null && sudo docker push {image} >/dev/null", timeout=300)
    site.ssh(site.hives[1], f"sudo docker pull {image} >/dev/null && sudo docker image inspect {image} >/dev/null",
             timeout=300)
    anonymous = site.ssh(site.hives[2], f"sudo docker --config /nonexistent pull {image}", check=False)
    assert anonymous.returncode != 0 and "no basic auth credentials" in (anonymous.stdout + anonymous.stderr)
    # the registry is HTTPS with the site CA (trusted system-wide on the servers)
    assert site.ssh(site.hives[1], f"curl -s -o /dev/null -w '%{{http_code}}' https://{registry}/v2/").stdout == "401"


def test_docker_tls_api_requires_a_client_certificate(site):
    target = f"https://{site.hives[0]}:2376/version"
    without = site.ssh(site.hives[1], f"curl -s --cacert ~/.docker/ca.pem {target}", check=False)
    assert without.returncode != 0
    with_cert = site.ssh(site.hives[1], f"curl -s --cacert ~/.docker/ca.pem --cert ~/.docker/cert.pem "
                                        f"--key ~/.docker/key.pem {target}")
    assert "ApiVersion" in json.loads(with_cert.stdout)


def test_firewall_rules_are_live_and_persisted(site):
    ips = private_ips(site)
    for host in (site.hives[0], site.repository):
        chain = site.ssh(host, "sudo iptables -S HIVE-SERVICE").stdout
        for ip in ips.values():
            assert f"-A HIVE-SERVICE -s {ip}/32 -p tcp -m multiport --dports 2376,2377,7946 -j ACCEPT" in chain
            assert f"-A HIVE-SERVICE -s {ip}/32 -p udp -m multiport --dports 7946,4789 -j ACCEPT" in chain
        input_rules = site.ssh(host, "sudo iptables -S INPUT").stdout.splitlines()
        assert input_rules[-1] == "-A INPUT -j REJECT --reject-with icmp-host-prohibited"
        assert "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" in input_rules
        site.ssh(host, "sudo test -s /etc/iptables/rules.v4 && systemctl is-enabled -q netfilter-persistent")
    repo_chain = site.ssh(site.repository, "sudo iptables -S HIVE-SERVICE").stdout
    assert "--dport 10514" in repo_chain and "--dport 5000" in repo_chain


def test_default_overlay_network_exists(site):
    out = site.ssh(site.hives[0], "sudo docker network inspect hive_default_network "
                                  "--format '{{.Driver}} {{.Attachable}} {{.Scope}}'").stdout.split()
    assert out == ["overlay", "true", "swarm"]


def test_second_setup_hosts_changes_nothing(site):
    proc = site.run("setup-hosts")
    output = proc.stdout + proc.stderr
    recap = RECAP.findall(output)
    if not recap:
        log = site.context_dir / "hive.log"
        output = log.read_text() if log.exists() else output
        recap = RECAP.findall(output.rsplit("PLAY RECAP", 1)[-1])
    assert recap, f"no PLAY RECAP in the output of `hive setup-hosts`:\n{output[-3000:]}"
    assert all(int(changed) == 0 for _, changed in recap), (
        "tasks changed on the second run:\n  " + "\n  ".join(changed_tasks(output)))
