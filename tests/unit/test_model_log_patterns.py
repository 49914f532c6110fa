"""monitor_error / ignore_error (manual 7.2, reference §8.3): patterns as rsyslog compiles them,
and the combinations whose monitor would never see a line."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hive_builder.model import log_patterns
from hive_builder.render import rsyslog
from tests.fixtures.inventories.builders import errors, load, private, services, write

RSYSLOGD = shutil.which("rsyslogd") or shutil.which("rsyslogd", path="/usr/sbin")
BUILD = {"from": "debian:12", "roles": ["hive-syslog", "app"]}


def load_errors(tmp_path, svcs):
    return errors(write(tmp_path, private(), services(svcs)))


def site_with(tmp_path, svcs):
    return load(write(tmp_path, private(), services(svcs)))


def test_valid_patterns_are_copied(tmp_path):
    site = site_with(tmp_path, {"web": {"image": "nginx", "monitor_error": ["Error:", r"\.php$"],
                                        "ignore_error": ["(favicon.ico|echo.php)", '^ [^"]']}})
    assert site.hostvars()["web"]["hive_monitor_error"] == ["Error:", r"\.php$"]
    assert site.hostvars()["web"]["hive_ignore_error"] == ["(favicon.ico|echo.php)", '^ [^"]']


@pytest.mark.parametrize("attr", ["monitor_error", "ignore_error"])
def test_invalid_pattern_is_named(tmp_path, attr):
    body = {"image": "nginx", "monitor_error": ["ok"], attr: ["fine", "Error: (unclosed"]}
    (err,) = load_errors(tmp_path, {"web": body})
    assert (err.file, err.obj, err.attr) == ("services.yml", "service web", attr)
    assert "'Error: (unclosed'" in err.message
    assert "POSIX extended regular expression" in err.message


def test_not_a_list_of_strings(tmp_path):
    (err,) = load_errors(tmp_path, {"web": {"image": "x", "monitor_error": "Error:"}})
    assert err.attr == "monitor_error" and "expected a list of strings" in err.message
    (err,) = load_errors(tmp_path / "b", {"web": {"image": "x", "monitor_error": ["a", 3]}})
    assert "expected a list of strings" in err.message


@pytest.mark.parametrize("pattern, says", [
    (r"code \d+", "write [0-9]"), (r"\D", "write [^0-9]"), ("a\tb", "#011"), ("", "every line"),
    ("*x", "regular expression"), ("a{2,1}", "regular expression"), ("[z-a]", "regular expression"),
])
def test_pattern_problems(pattern, says):
    assert says in log_patterns.pattern_problem(pattern)


@pytest.mark.parametrize("pattern", [r"Error:\s", r"\\d", r"[[:digit:]]+", "a'b", r"\.php$",
                                     r"^ [^\"]", "(a|b){1,3}", r"\bword\b", "caf\u00e9"])
def test_patterns_rsyslog_accepts(pattern):
    assert log_patterns.pattern_problem(pattern) is None


@pytest.mark.skipif(not RSYSLOGD, reason="rsyslogd not installed")
@pytest.mark.parametrize("pattern", ["Error: (unclosed", "*x", "a{2,1}", "[z-a]", "x\\", "(?i)x",
                                     r"Error:\s", "(a|b){1,3}", r"[[:alpha:]]", "a'b"])
def test_the_check_agrees_with_rsyslogd(tmp_path, pattern):
    """regcomp through ctypes says what rsyslogd -N1 says of the same rule."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "web.conf").write_text(rsyslog.monitor_rule(
        "web", standalone=False, monitor=[pattern], ignore=[], error_log=str(tmp_path / "e.log")))
    conf = tmp_path / "services.conf"
    conf.write_text(rsyslog.services_conf(port=10514, local_hostnames=[], log_dir=str(tmp_path),
                                          include_dir=str(tmp_path / "rules"),
                                          other_log=str(tmp_path / "o.log")))
    result = subprocess.run([RSYSLOGD, "-N1", "-f", str(conf)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=30)
    compiles = log_patterns._compile_error(pattern) is None
    assert (result.returncode == 0) is compiles, result.stdout


def test_falls_back_to_python_re_without_libc(monkeypatch):
    monkeypatch.setattr(log_patterns, "_libc", lambda: None)
    assert log_patterns.pattern_problem("Error:") is None
    assert "regular expression" in log_patterns.pattern_problem("(unclosed")


def test_ignore_error_needs_monitor_error(tmp_path):
    (err,) = load_errors(tmp_path, {"web": {"image": "x", "ignore_error": ["favicon"]}})
    assert (err.obj, err.attr) == ("service web", "ignore_error")
    assert "add monitor_error" in err.message


def test_monitor_error_with_own_logging(tmp_path):
    logging = {"driver": "journald", "options": {}}
    (err,) = load_errors(tmp_path, {"web": {"image": "x", "monitor_error": ["E"],
                                            "logging": logging}})
    assert err.attr == "monitor_error"
    assert "never reach the repository server" in err.message and "remove logging" in err.message
    # a standalone service's own syslog goes through hive-syslog whatever its Docker logging
    site_with(tmp_path / "sa", {"sa": {"image": BUILD, "standalone": True, "monitor_error": ["E"],
                                       "logging": logging}})


def test_standalone_build_without_hive_syslog(tmp_path):
    image = {"from": "debian:12", "roles": ["app"]}
    (err,) = load_errors(tmp_path, {"sa": {"image": image, "standalone": True,
                                           "monitor_error": ["E"]}})
    assert err.attr == "monitor_error" and "add hive-syslog to image.roles" in err.message
    # the same image without monitor_error, or a prebuilt image (its rsyslog is unknown), is fine
    site_with(tmp_path / "a", {"sa": {"image": image, "standalone": True}})
    site_with(tmp_path / "b", {"sa": {"image": "myorg/sa:1", "standalone": True,
                                      "monitor_error": ["E"]}})
    site_with(tmp_path / "c", {"sa": {"image": BUILD, "standalone": True, "monitor_error": ["E"]}})
