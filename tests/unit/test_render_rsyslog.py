"""The repository server's rsyslog configuration (reference §8.2, §8.3), checked by a real rsyslogd
in the foreground on a loopback UDP port, fed as Docker's syslog driver and a standalone
container's rsyslog (builtin role hive-syslog) send, and logrotate's dry run."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from hive_builder.render import rsyslog

ROLE = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles" / "rsyslogd"

RSYSLOGD = shutil.which("rsyslogd") or shutil.which("rsyslogd", path="/usr/sbin")
LOGROTATE = shutil.which("logrotate") or shutil.which("logrotate", path="/usr/sbin")
needs_rsyslogd = pytest.mark.skipif(not RSYSLOGD, reason="rsyslogd not installed "
                                    "(scripts/lib.sh ensure_host_packages installs it)")


def docker_line(service, msg, pri=134):
    """As Docker's syslog driver sends it (default format: no hostname, tag[dockerd pid])."""
    return f"<{pri}>Jan  2 15:04:05 {service}[4242]: {msg}"


def forwarded_line(hostname, tag, msg, pri=30):
    """As a standalone container's rsyslog forwards it (RSYSLOG_TraditionalForwardFormat)."""
    return f"<{pri}>Jan  2 15:04:05 {hostname} {tag}: {msg}"


class Site:
    """services.conf + monitor rules under tmp, and the paths they write."""

    def __init__(self, root: Path, port: int, monitors: dict):
        self.root = root
        self.log_dir, self.include_dir = root / "services", root / "rsyslog-services.d"
        self.error_log, self.other_log = root / "service-error.log", root / "other.log"
        for d in (self.log_dir, self.include_dir, root / "work"):
            d.mkdir(parents=True, exist_ok=True)
        for svc, kw in monitors.items():
            (self.include_dir / f"{svc}.conf").write_text(
                rsyslog.monitor_rule(svc, error_log=str(self.error_log), **kw))
        self.conf = root / "rsyslog.conf"
        self.conf.write_text(f'global(workDirectory="{root}/work")\n' + rsyslog.services_conf(
            port=port, local_hostnames=local_names(), log_dir=str(self.log_dir),
            include_dir=str(self.include_dir), other_log=str(self.other_log)))


def local_names():
    # the name rsyslog gives 127.0.0.1 (/etc/hosts): stands for a hive here
    try:
        resolved = socket.gethostbyaddr("127.0.0.1")[0]
    except OSError:
        resolved = "localhost"
    return rsyslog.server_hostnames(["p-hive0.pdns", resolved], ["127.0.0.1"])


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_config(conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run([RSYSLOGD, "-N1", "-f", str(conf)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=30)


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def running():
    """`start(site, port)` runs rsyslogd on `site` and returns a send function; every rsyslogd
    started is stopped at the end, pass or fail."""
    procs, socks = [], []

    def start(site: Site, port: int):
        site.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", str(site.conf), "-i", str(site.root / "pid")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(site.proc)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks.append(sock)

        def send(*lines):
            for line in lines:
                sock.sendto(line.encode(), ("127.0.0.1", port))

        # UDP gives no sign of the bind: probe until a line lands
        probe = site.log_dir / "probe.log"
        if not wait_for(lambda: send(docker_line("probe", "up")) or probe.exists()):
            pytest.fail("rsyslogd did not write the probe line")
        return send

    yield start
    for sock in socks:
        sock.close()
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop(site: Site, send):
    """Drain: a last line, seen written, then SIGTERM (rsyslogd flushes and closes its files)."""
    send(docker_line("zz-last", "bye"))
    assert wait_for((site.log_dir / "zz-last.log").exists)
    site.proc.terminate()
    site.proc.wait(timeout=10)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def stamp_removed(line: str) -> str:
    date, clock, rest = line.split(" ", 2)
    assert len(date) == 10 and date[4] == date[7] == "/" and len(clock) == 8, line
    return rest


@needs_rsyslogd
def test_routing_monitoring_and_paths(tmp_path, running):
    port = free_udp_port()
    site = Site(tmp_path, port, {
        "web": dict(standalone=False, monitor=[r"Error:\s", "a'b", r"\.php$"], ignore=["favicon"]),
        "sa": dict(standalone=True, monitor=["failed"], ignore=[]),
    })
    assert check_config(site.conf).returncode == 0, check_config(site.conf).stdout
    send = running(site, port)
    send(docker_line("web", "GET / Error: boom"),
         docker_line("web", "Error:x is no match for Error:\\s"),
         docker_line("web", "it's a'b"),
         docker_line("web", "GET /x.php"),
         docker_line("web", "GET /xphp"),
         docker_line("web", "favicon Error: ignored"),
         docker_line("web", "from a local1 logger", pri=8 * 17 + 6),
         docker_line("web", "from facility user", pri=8 * 1 + 3),
         forwarded_line("sa", "systemd[1]", "Started thing."),
         forwarded_line("sa", "myd[7]", "unit failed", pri=8 * 3 + 3),
         docker_line("../../etc/x", "crafted tag"),
         "<134>1 2024-01-02T15:04:05Z localhost ../../../escape - - - rfc5424 app-name",
         "<30>1 2024-01-02T15:04:05Z ../../../evil app - - - rfc5424 hostname")
    stop(site, send)

    web = [stamp_removed(x) for x in lines(site.log_dir / "web.log")]
    assert web[:3] == ["web[4242]: GET / Error: boom",
                       "web[4242]: Error:x is no match for Error:\\s", "web[4242]: it's a'b"]
    assert len(web) == 6
    sa = [stamp_removed(x) for x in lines(site.log_dir / "sa.log")]
    assert sa == ["daemon.info: systemd[1]: Started thing.", "daemon.err: myd[7]: unit failed"]
    (local1,) = [p for p in site.log_dir.iterdir() if p.name.endswith(".web.log")]
    assert [stamp_removed(x) for x in lines(local1)] == ["web[4242]: from a local1 logger"]
    (other,) = lines(site.other_log)
    assert stamp_removed(other).split(" ", 1)[1] == "user.err: web[4242]: from facility user"

    errors = lines(site.error_log)
    web_log, sa_log = f"{site.log_dir}/web.log ", f"{site.log_dir}/sa.log "
    # one omfile action per monitor rule: lines of different rules are not in arrival order
    assert sorted(e.split(" ", 3)[::3] for e in errors) == [
        [sa_log.strip(), "daemon.err: myd[7]: unit failed"],
        [web_log.strip(), "web[4242]: GET / Error: boom"],
        [web_log.strip(), "web[4242]: GET /x.php"],
        [web_log.strip(), "web[4242]: it's a'b"]]
    # an error line is the source line as written there, prefixed with its file
    for error in errors:
        path, line = error.split(" ", 1)
        assert line in lines(Path(path)), error

    # nothing escapes log_dir, whatever the tag or RFC5424 app-name/hostname say
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - {site.conf, site.root / "pid"}
    written -= set(site.include_dir.iterdir()) | set((tmp_path / "work").iterdir())
    assert written - set(site.log_dir.iterdir()) == {site.error_log, site.other_log}
    assert not (tmp_path.parent / "etc").exists()
    names = sorted(p.name for p in site.log_dir.iterdir())
    assert "_..log" in names                       # tag ../../etc/x: program name ".." (slash ends it)
    assert [n for n in names if "escape" in n or "evil" in n] == [
        ".._.._.._escape.log", ".._.._.._evil.log"]


@needs_rsyslogd
def test_services_conf_beside_stock_debian_config(tmp_path):
    """With Debian's own rsyslog.conf (imudp not loaded) and with a user file loading imudp too."""
    port = free_udp_port()
    site = Site(tmp_path, port, {"web": dict(standalone=False, monitor=["x"], ignore=[])})
    stock = (f"$WorkDirectory {tmp_path}/work\n$FileCreateMode 0640\n$Umask 0022\n"
             f"*.*;auth,authpriv.none -{tmp_path}/syslog\n"
             f"$IncludeConfig {tmp_path}/rsyslog.d/*.conf\n")
    (tmp_path / "rsyslog.d").mkdir()
    services = tmp_path / "rsyslog.d" / "services.conf"
    services.write_text(rsyslog.services_conf(port=port, local_hostnames=[],
                                              log_dir=str(site.log_dir),
                                              include_dir=str(site.include_dir)))
    master = tmp_path / "master.conf"
    master.write_text(stock)
    assert check_config(master).returncode == 0, check_config(master).stdout

    user = tmp_path / "rsyslog.d" / "50-user.conf"
    user.write_text('module(load="imudp")\ninput(type="imudp" port="514")\n')
    doubled = check_config(master)
    assert doubled.returncode != 0 and "already in this config" in doubled.stdout
    services.write_text(rsyslog.services_conf(port=port, local_hostnames=[], load_imudp=False,
                                              log_dir=str(site.log_dir),
                                              include_dir=str(site.include_dir)))
    assert check_config(master).returncode == 0, check_config(master).stdout


def test_imudp_detection_expression(tmp_path):
    """What the role rsyslogd greps for to decide whether services.conf loads imudp itself."""
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    for text, loaded in [('module(load="imudp")', True), ('  module( load = "imudp" threads="2")', True),
                         ("$ModLoad imudp", True), ('#module(load="imudp")', False),
                         ('module(load="imtcp")', False), ('#$ModLoad imudp', False)]:
        f = tmp_path / "c.conf"
        f.write_text(f"# x\n{text}\n")
        found = subprocess.run(["grep", "-qE", role_vars["hive_rsyslog_imudp_ere"], str(f)]).returncode == 0
        assert found is loaded, text


@needs_rsyslogd
@pytest.mark.parametrize("pattern", ["a'b", r"\.php$", r"Error:\s", r"C:\\", r"q\$", 'say "hi"',
                                     "tab\there", "caf\u00e9"])
def test_any_pattern_yields_a_parsable_rule(tmp_path, pattern):
    site = Site(tmp_path, free_udp_port(), {"web": dict(standalone=False, monitor=[pattern],
                                                        ignore=[pattern])})
    result = check_config(site.conf)
    assert result.returncode == 0, result.stdout


def test_quote_doubles_backslashes_and_escapes_quotes():
    assert rsyslog.quote(r"Error:\s") == r"'Error:\\s'"
    assert rsyslog.quote("a'b") == r"'a\'b'"
    assert rsyslog.quote("a\tb\n") == r"'a\x09b\x0a'"


def test_monitor_rule_conditions():
    micro = rsyslog.monitor_rule("web", standalone=False, monitor=["A", "B"], ignore=["C"])
    assert "if $syslogfacility-text == 'local0' and $app-name == 'web' then {" in micro
    assert "if (re_match($msg, 'A') or re_match($msg, 'B')) and not (re_match($msg, 'C')) then {" in micro
    assert 'file="/var/log/service-error.log" template="hive_error_service"' in micro
    alone = rsyslog.monitor_rule("sa", standalone=True, monitor=["A"], ignore=[])
    assert "if $hostname == 'sa' then {" in alone and "if re_match($msg, 'A') then {" in alone
    assert 'template="hive_error_standalone"' in alone
    with pytest.raises(ValueError, match="no monitor_error"):
        rsyslog.monitor_rule("web", standalone=False, monitor=[], ignore=["x"])


def test_services_conf_refuses_bad_port_and_paths():
    with pytest.raises(ValueError, match="hive_syslog_port"):
        rsyslog.services_conf(port=0, local_hostnames=[])
    with pytest.raises(ValueError, match="log_dir"):
        rsyslog.services_conf(port=514, local_hostnames=[], log_dir="/var/log/a b")


def test_server_hostnames_short_fqdn_and_address():
    assert rsyslog.server_hostnames(["p-hive0.pdns", "P-Hive1.pdns"], ["10.0.0.1", ""]) == [
        "p-hive0.pdns", "p-hive0", "p-hive1.pdns", "p-hive1", "10.0.0.1"]


@pytest.mark.skipif(not LOGROTATE, reason="logrotate not installed")
def test_logrotate_conf_dry_run(tmp_path):
    log_dir = tmp_path / "services"
    log_dir.mkdir()
    (log_dir / "web.log").write_text("x\n")
    conf = tmp_path / "hive-services"
    conf.write_text(rsyslog.logrotate_conf(str(log_dir), str(tmp_path / "error.log"),
                                           str(tmp_path / "other.log")))
    conf.chmod(0o644)
    result = subprocess.run([LOGROTATE, "-d", "-s", str(tmp_path / "state"), str(conf)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert "error:" not in out.lower(), out
    assert f"considering log {log_dir}/web.log" in out
    assert "rotating pattern" in out and "after 1 days" in out and "7 rotations" in out


def test_filters_take_hostvars_and_report_errors_as_filter_errors():
    from ansible.errors import AnsibleFilterError

    from hive_builder.plugins.filter.hive_log_filters import FilterModule
    filters = FilterModule().filters()
    rule = filters["hive_rsyslog_monitor_rule"](
        {"hive_monitor_error": ["E"], "hive_ignore_error": ["I"], "hive_standalone": True}, "sa")
    assert rule == rsyslog.monitor_rule("sa", standalone=True, monitor=["E"], ignore=["I"])
    assert "$app-name == 'web'" in filters["hive_rsyslog_monitor_rule"]({"hive_monitor_error": ["E"]}, "web")
    with pytest.raises(AnsibleFilterError, match="no monitor_error"):
        filters["hive_rsyslog_monitor_rule"]({}, "web")
    conf = filters["hive_rsyslog_services_conf"]("10514", ["p-hive0.x"], ["10.0.0.1"], "false")
    assert "['localhost', 'p-hive0.x', 'p-hive0', '10.0.0.1']" in conf
    assert 'module(load="imudp")' not in conf and 'port="10514"' in conf
    with pytest.raises(AnsibleFilterError, match="hive_syslog_port"):
        filters["hive_rsyslog_services_conf"]("99999", [])
    assert filters["hive_logrotate_conf"]("/var/log/services") == rsyslog.logrotate_conf()
