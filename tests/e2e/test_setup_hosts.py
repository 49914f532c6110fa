"""setup-hosts and build-networks, checked from outside on the session's site (docker provider)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.e2e.site import play_recap

pytestmark = pytest.mark.e2e


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
    # dockerd unpacks pulled layers with unpigz when it is installed (the docker role's pigz)
    assert site.ssh(site.hives[1], "command -v unpigz").stdout.strip() == "/usr/bin/unpigz"
    password = site.context_dir / "registry_password"
    assert password.stat().st_mode & 0o777 == 0o600 and len(password.read_text().strip()) >= 16
    anonymous = site.ssh(site.hives[2], f"sudo docker --config /nonexistent pull {image}", check=False)
    assert anonymous.returncode != 0 and "no basic auth credentials" in (anonymous.stdout + anonymous.stderr)
    # the registry is HTTPS with the site CA (trusted system-wide on the servers)
    assert site.ssh(site.hives[1], f"curl -s -o /dev/null -w '%{{http_code}}' https://{registry}/v2/").stdout == "401"
    # one user, hashed at the low bcrypt cost the registry can afford to verify on every request
    [entry] = site.ssh(site.repository, "sudo cat /etc/docker/registry/htpasswd").stdout.split()
    user, hashed = entry.split(":", 1)
    assert hashed.startswith("$2b$05$")
    secret = password.read_text().strip()
    for given, status in ((secret, "200"), (secret + "x", "401")):
        assert site.ssh(site.hives[1], f"curl -s -o /dev/null -w '%{{http_code}}' -u {user}:{given} "
                                       f"https://{registry}/v2/").stdout == status


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


def _subnets(site, network: str) -> list[str]:
    return site.ssh(site.hives[0], f"sudo docker network inspect {network} "
                                   "--format '{{range .IPAM.Config}}{{.Subnet}} {{end}}'").stdout.split()


def test_default_overlay_network_exists(site):
    out = site.ssh(site.hives[0], "sudo docker network inspect hive_default_network "
                                  "--format '{{.Driver}} {{.Attachable}} {{.Scope}}'").stdout.split()
    assert out == ["overlay", "true", "swarm"]


def test_networks_take_their_subnets_from_the_inventory(site):
    # internal_cidr 172.31.252.0/22 (tests/e2e/project/inventory/hive.yml): the default network
    # gets its first quarter; the service file's network keeps its own ipam subnet
    assert _subnets(site, "hive_default_network") == ["172.31.252.0/24"]
    assert _subnets(site, "e2e_backend") == ["172.30.40.0/24"]
    # reference §3.10: ingress the second quarter, docker_gwbridge the fifth eighth, docker0 next
    assert _subnets(site, "docker_gwbridge") == ["172.31.254.0/25"]
    assert _subnets(site, "apiarist-ingress") == ["172.31.253.0/24"]
    assert site.ssh(site.hives[0], "sudo docker network inspect -f '{{.Ingress}}' apiarist-ingress"
                    ).stdout.strip() == "true"
    bip = site.ssh(site.hives[0], "ip -4 -o addr show docker0").stdout.split()[3]
    assert bip == "172.31.254.129/25"


def test_password_login_is_refused_by_the_reloaded_sshd(site):
    # PasswordAuthentication no (role base) must be live, not only written
    proc = subprocess.run(["ssh", "-F", str(site.ssh_config), "-o", "PubkeyAuthentication=no",
                           "-o", "PreferredAuthentications=password,keyboard-interactive",
                           "-o", "BatchMode=yes", site.hives[0], "true"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "Permission denied (publickey)" in proc.stderr, proc.stderr
    effective = site.ssh(site.hives[0], "sudo sshd -T").stdout.splitlines()
    assert "passwordauthentication no" in effective and "permitrootlogin no" in effective


def test_inventory_knobs_reach_the_hosts(site):
    # tests/e2e/project/inventory/group_vars/servers.yml sets them (reference §3.11)
    host = site.hives[1]
    assert site.ssh(host, "readlink -f /etc/localtime").stdout.strip().endswith("/Asia/Tokyo")
    assert site.ssh(host, "date +%Z").stdout.strip() == "JST"
    assert site.ssh(host, "cat /etc/default/locale").stdout.strip() == "LANG=en_US.UTF-8"
    assert "en_US.utf8" in site.ssh(host, "locale -a").stdout.split()
    sources = site.ssh(host, "cat /etc/chrony/sources.d/hive.sources").stdout
    assert f"server {site.hives[0]} iburst" in sources
    assert site.ssh(host, "grep -c '^pool' /etc/chrony/chrony.conf", check=False).stdout.strip() == "0"
    site.ssh(host, "systemctl is-active -q chrony")
    # a docker-provider server serves time and never sets the clock (-x), started without CAP_SYS_TIME
    assert site.ssh(host, "cat /etc/default/chrony").stdout.strip().endswith('DAEMON_OPTS="-F 1 -x"')
    site.ssh(host, "test -f /etc/systemd/system/chrony.service.d/hive-no-clock-control.conf")


def test_sysstat_collects_with_its_timers(site):
    host = site.hives[2]
    for unit in ("sysstat.service", "sysstat-collect.timer", "sysstat-summary.timer"):
        site.ssh(host, f"systemctl is-enabled -q {unit} && systemctl is-active -q {unit}")
    assert site.ssh(host, "grep '^ENABLED=' /etc/default/sysstat").stdout.strip() == 'ENABLED="true"'


def test_users_are_created_with_their_group_key_and_sudo(site):
    host = site.hives[2]
    assert site.ssh(host, "id -u e2eops1").stdout.strip() == "2101"
    assert site.ssh(host, "getent group e2eops").stdout.startswith("e2eops:x:2100:")
    site.ssh(host, "sudo test -f /etc/sudoers.d/e2eops")
    # the user logs in with the key given in hive_users, and may sudo without a password
    proc = subprocess.run(["ssh", "-F", str(site.ssh_config), "-l", "e2eops1", host,
                           "sudo -n id -u"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "0", proc.stderr


def test_ssh_moves_to_its_port_and_is_accepted_only_from_the_listed_sources(site):
    # group_vars: hive_sshd_port 2222, hive_ssh_source_ips [10.233.30.1 (this machine, the
    # network's gateway), 192.0.2.0/24]; ssh_config (written by build-infra) follows the port
    assert site.ssh_config.read_text().count("  Port 2222\n") == len(site.hosts)
    for host in (site.hives[0], site.repository):
        assert site.ssh(host, "sudo ss -Hltn sport = :22 | wc -l").stdout.strip() == "0"
        ssh_rules = [r for r in site.ssh(host, "sudo iptables -S INPUT").stdout.splitlines()
                     if "--dport 2222 " in r and r.endswith("-j ACCEPT")]
        assert sorted(r.split()[3] for r in ssh_rules) == ["10.233.30.1/32", "192.0.2.0/24"], ssh_rules
    # another server of the site is not a listed source: its ssh attempt is rejected
    probe = site.ssh(site.hives[1], f"timeout 10 bash -c 'exec 3<>/dev/tcp/{site.hives[0]}/2222' "
                                    "&& echo open || echo closed", check=False)
    assert probe.stdout.strip().endswith("closed"), probe.stdout + probe.stderr


UBUNTU_OS_RELEASE = """NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 22.04.4 LTS"
"""


def test_a_host_that_is_not_debian_12_is_refused_before_any_change(site):
    host = site.hives[2]
    site.ssh(host, f"printf '%s' '{UBUNTU_OS_RELEASE}' > /tmp/os-release && "
                   "sudo mount --bind /tmp/os-release /usr/lib/os-release")
    try:
        proc = site.run("setup-hosts", "-l", host, "-T", "base", check=False)
    finally:
        site.ssh(host, "sudo umount /usr/lib/os-release")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"{host} runs Ubuntu 22.04" in output, output[-3000:]
    assert "supports Debian 12 (bookworm) hosts only" in output
    assert "TASK [" in site.last_log and not re.search(r"^changed: ", site.last_log, re.M), site.last_log[-3000:]


def test_second_setup_hosts_changes_nothing(site):
    proc = site.run("setup-hosts")
    recap = play_recap(proc.stdout)
    assert sorted(recap) == sorted(site.hosts), f"no recap of every server in:\n{proc.stdout[-3000:]}"
    assert all(c["changed"] == 0 for c in recap.values()), (
        "tasks changed on the second run:\n  " + "\n  ".join(changed_tasks(site.last_log)))
