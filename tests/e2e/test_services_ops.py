"""Operations on the shared e2e site: log collection, error monitoring, backups (issue 9).

Runs after test_services.py (file order), on the services it deployed: `web` (every request line
is logged; monitor_error), `kvs` (backup_scripts in the three forms), `hello` (standalone, builtin
role hive-syslog). Everything is checked where a user would look: the files on the repository
server, and the `hive logs` / `hive backup` / `hive restore` commands.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
import uuid

import pytest

from tests.e2e.probes import http_get, wait_for
from tests.e2e.test_setup_hosts import private_ips

pytestmark = pytest.mark.e2e

ARRIVAL = 30        # seconds a collected line may take to reach its file (expected: about 1)
PROBE_SERVICE = """\
plugin: hive_services
services:
  opsprobe:
    image: {registry}/image_web:latest
    command: [python3, /opt/web/web.py]
    networks: [e2e_backend]
    monitor_error: ["never-logged"]
    backup_scripts:
      - {{name: opsprobe-etc, directory: /etc/opt}}
"""


def _token(kind: str) -> str:
    return f"e2e-{kind}-{uuid.uuid4().hex[:10]}"


def _web_url(site) -> str:
    """http://<hive running web>:<published port>/ (host-mode publishing on this provider)."""
    import json
    hostvars = json.loads(site.run("inventory").stdout)["_meta"]["hostvars"]
    port = next(p["published_port"] for p in hostvars["web"]["hive_ports"] if p["target_port"] == 8080)
    ips = private_ips(site)
    for hive in site.hives:
        if site.ssh(hive, "sudo docker ps -q --filter label=com.docker.swarm.service.name=web").stdout.strip():
            return f"http://{ips[hive]}:{port}"
    raise AssertionError("no hive runs a task of web")


@pytest.fixture(scope="module")
def web(site) -> str:
    url = _web_url(site)
    wait_for("web answers", lambda: http_get(url + "/")[0] == 200, 60)
    return url


def _remote_grep(site, token: str, path: str) -> str:
    return site.ssh(site.repository, f"sudo grep -rF -- {shlex.quote(token)} {path} || true").stdout


def _arrives(site, token: str, path: str) -> str:
    return wait_for(f"{token} in {path} on the repository server",
                    lambda: _remote_grep(site, token, path), ARRIVAL)


# --------------------------------------------------------------------------- log collection


def test_task_lines_land_in_their_service_file(site, web):
    token = _token("web")
    http_get(f"{web}/{token}")
    line = _arrives(site, token, "/var/log/services/web.log")
    # format of reference §8.2: date time, then the tag Docker's syslog driver sets (service name)
    assert re.match(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d web\[\d+\]: .*GET /" + token, line), line
    # web asked kvs for the page: kvs's own request line, from the hive running kvs
    assert _remote_grep(site, '"GET / HTTP', "/var/log/services/kvs.log")
    shown = site.run("logs", "web", "-n", "500")
    assert token in shown.stdout


def test_standalone_service_syslog_lands_by_hostname(site):
    token = _token("hello")
    site.ssh(site.repository, f"dexec -n hello logger -t e2e-probe {token}")
    line = _arrives(site, token, "/var/log/services/hello.log")
    assert "e2e-probe" in line and ".notice:" in line, line


def test_other_facilities_of_a_hive(site):
    hive = site.hives[1]
    token1, token2 = _token("local1"), _token("user")
    short = hive.split(".")[0]
    site.ssh(hive, f"logger -d -n {site.repository} -P 10514 -p local1.info -t e2etool {token1}")
    site.ssh(hive, f"logger -d -n {site.repository} -P 10514 -p user.info -t e2etool {token2}")
    found = _arrives(site, token1, "/var/log/services/")
    assert re.search(rf"/var/log/services/({re.escape(short)}|{re.escape(hive)})\.e2etool\.log:", found), found
    assert _arrives(site, token2, "/var/log/service-other-facility.log")


def test_syslog_port_is_open_only_to_the_stage_servers(site):
    """This machine is on the site's network but is not one of its servers: dropped."""
    import socket
    ips = private_ips(site)
    token = _token("outsider")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(3):
            sock.sendto(f"<134>Nov 29 00:00:00 outsider e2e: {token}".encode(), (ips[site.repository], 10514))
    token_inside = _token("insider")
    site.ssh(site.hives[0], f"logger -d -n {site.repository} -P 10514 -p user.info -t e2e {token_inside}")
    _arrives(site, token_inside, "/var/log/service-other-facility.log")
    time.sleep(2)
    assert not _remote_grep(site, token, "/var/log/services/ /var/log/service-other-facility.log")


# --------------------------------------------------------------------------- error monitoring


def test_monitored_error_reaches_the_error_log_and_an_ignored_one_does_not(site, web):
    caught, ignored = _token("Error:caught"), _token("Error:ignored-e2e")
    http_get(f"{web}/{ignored}")
    http_get(f"{web}/{caught}")
    line = _arrives(site, caught, "/var/log/service-error.log")
    assert line.startswith("/var/log/services/web.log "), line
    _arrives(site, ignored, "/var/log/services/web.log")      # logged, only not an error
    assert not _remote_grep(site, ignored, "/var/log/service-error.log")
    assert caught in site.run("logs", "web", "--errors").stdout
    assert caught in site.run("logs", "--errors", "-n", "1000").stdout
    assert caught not in site.run("logs", "kvs", "--errors").stdout


def test_rules_and_backup_scripts_follow_the_service(site):
    """deploy-services writes a service's monitor rule and backup fragment; -D removes both."""
    inventory = site.root_dir / "inventory" / "zz-opsprobe.yml"
    inventory.write_text(PROBE_SERVICE.format(registry=f"{site.repository}:5000"))
    files = "/etc/rsyslog-services.d/opsprobe.conf /var/lib/hive-backup.d/opsprobe"
    try:
        site.run("deploy-services", "-l", "opsprobe")
        site.ssh(site.repository, "test -f /etc/rsyslog-services.d/opsprobe.conf && bash -n /var/lib/hive-backup.d/opsprobe")
        site.run("deploy-services", "-D", "-l", "opsprobe")
        assert site.ssh(site.repository, f"ls {files}", check=False).returncode != 0
        assert site.ssh(site.repository, "test -f /etc/rsyslog-services.d/web.conf "
                                         "&& test -f /var/lib/hive-backup.d/kvs").returncode == 0
    finally:
        inventory.unlink(missing_ok=True)
        site.run("deploy-services", "-D", "-l", "opsprobe", check=False)


# --------------------------------------------------------------------------- backups


def _kvs_rows(site) -> str:
    return site.ssh(site.repository, "dexec -n kvs python3 -c \"import sqlite3; print(sqlite3.connect("
                                     "'/var/lib/kvs/data.sqlite').execute('select count(*) from kv')"
                                     ".fetchone()[0])\"").stdout.strip()


def test_backup_then_restore_brings_deleted_rows_back(site):
    site.ssh(site.repository, "dexec -n kvs sh -c 'echo kept > /var/lib/kvs/.e2e-marker'")
    rows = _kvs_rows(site)
    assert int(rows) >= 2, rows
    backup = site.run("backup", "-l", "kvs")
    for name, ext in (("kvs-sql", "sql"), ("kvs-sqlfile", "sql"), ("kvs-files", "tar.gz")):
        assert re.search(rf"backup-{name}-\d{{14}}\.{re.escape(ext)}", backup.stdout + backup.stderr), backup.stdout
        assert f"backup-{name}-latest.{ext}" in backup.stdout
    listing = site.ssh(site.repository, "cd ~/backup && readlink backup-kvs-sql-latest.sql && "
                                        "grep -c 'INSERT INTO' backup-kvs-sql-latest.sql").stdout.split()
    assert re.fullmatch(r"backup-kvs-sql-\d{14}\.sql", listing[0]) and int(listing[1]) == int(rows)
    # batch_scripts ran in the container before the backup
    site.ssh(site.repository, "dexec -n kvs test -s /tmp/e2e-batch-ran")

    site.ssh(site.repository, "dexec -n kvs sh -c \"rm /var/lib/kvs/.e2e-marker; python3 -c "
                              "\\\"import sqlite3; c = sqlite3.connect('/var/lib/kvs/data.sqlite'); "
                              "c.execute('delete from kv'); c.commit()\\\"\"")
    assert _kvs_rows(site) == "0"
    restore = site.run("restore", "-l", "kvs")
    assert "END restore kvs-sql" in restore.stdout + restore.stderr
    assert _kvs_rows(site) == rows
    assert site.ssh(site.repository, "dexec -n kvs cat /var/lib/kvs/.e2e-marker").stdout.strip() == "kept"


def test_retention_deletes_only_old_backups(site):
    old = "backup-kvs-files-20200101000000.tar.gz"
    young = "backup-kvs-files-20200102000000.tar.gz"
    site.ssh(site.repository, f"cd ~/backup && touch -d '5 days ago' {old} && touch -d '1 day ago' {young}")
    site.run("backup", "-l", "kvs")
    left = site.ssh(site.repository, "ls ~/backup").stdout.split()
    assert old not in left and young in left
    assert "backup-kvs-files-latest.tar.gz" in left
    site.ssh(site.repository, f"rm -f ~/backup/{young}")


def test_registry_data_is_backed_up_too(site):
    out = site.run("backup", "-l", "hive-registry")
    assert "backup-hive-registry-latest.tar.gz" in out.stdout
    names = site.ssh(site.repository, "tar tzf ~/backup/backup-hive-registry-latest.tar.gz").stdout
    assert "image_web" in names


def test_one_failing_service_does_not_stop_the_others(site):
    site.ssh(site.hives[0], "sudo docker service scale -d kvs=0")
    try:
        wait_for("kvs stopped", lambda: "not running" in site.ssh(site.repository, "dexec -n kvs true", check=False).stderr, 60)
        failed = site.run("backup", check=False)
        assert failed.returncode != 0
        out = failed.stdout + failed.stderr
        assert re.search(r"backup failed for: .*kvs", out), out[-3000:]
        assert "END backup hive-registry" in out      # the others ran
    finally:
        site.ssh(site.hives[0], "sudo docker service scale -d kvs=1")
        wait_for("kvs running", lambda: site.ssh(site.repository, "dexec -n kvs true", check=False).returncode == 0, 90)


def test_nightly_timer_is_active_at_one_oclock(site):
    out = site.ssh(site.repository, "systemctl is-enabled backup.timer; systemctl is-active backup.timer; "
                                    "systemctl show -p NextElapseUSecRealtime --value backup.timer; "
                                    "systemctl cat backup.timer backup.service").stdout
    enabled, active, next_run = out.splitlines()[:3]
    assert (enabled, active) == ("enabled", "active")
    assert " 01:00:00" in next_run, next_run
    assert "Persistent=true" in out and "OnCalendar=*-*-* 01:00:00" in out
    assert "Type=oneshot" in out and "ExecStart=/usr/bin/hive-backup.sh" in out


# --------------------------------------------------------------------------- the commands


@pytest.mark.parametrize("argv, message", [
    (["logs", "nosuch"], "nosuch is not a service of stage private"),
    (["backup", "-l", "web"], "service web has no backup_scripts"),
    (["restore"], "name what to restore with -l"),
    (["restore", "-l", "nosuch"], "nosuch is not a service of stage private"),
])
def test_commands_refuse_what_they_cannot_do(site, argv, message):
    proc = site.run(*argv, check=False)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- outage


def test_services_keep_serving_while_the_repository_is_down(site, web):
    repo = site.repository
    subprocess.run(["docker", "stop", repo], check=True, capture_output=True, timeout=120)
    try:
        lost = _token("during-outage")
        for i in range(20):
            started = time.monotonic()
            status, _ = http_get(f"{web}/{lost}-{i}", timeout=5)
            assert status == 200 and time.monotonic() - started < 3, (status, i)
    finally:
        subprocess.run(["docker", "start", repo], check=True, capture_output=True, timeout=120)
    wait_for("rsyslog on the restarted repository server",
             lambda: site.ssh(repo, "systemctl is-active rsyslog", check=False).stdout.strip() == "active", 120)
    back = _token("after-outage")
    line = wait_for("a line logged after the outage arrives",
                    lambda: (http_get(f"{web}/{back}"), _remote_grep(site, back, "/var/log/services/web.log"))[1],
                    ARRIVAL)
    assert back in line

