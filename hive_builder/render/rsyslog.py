"""Pure: the repository server's log collection and error monitors (reference §8.2, §8.3,
decisions item 12) for Debian 12's rsyslog 8.2302, in RainerScript.

Services log with Docker's syslog driver (facility local0, tag = service name). Docker's default
format carries no hostname (`<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG`), so rsyslog takes the sender's
resolved name (or its IP when unresolvable): a hive, short or FQDN, or `localhost`. A standalone
service's own syslog (builtin role hive-syslog) carries the container's hostname, the service
name, which is how the two are told apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LOG_DIR = "/var/log/services"
INCLUDE_DIR = "/etc/rsyslog-services.d"
OTHER_LOG = "/var/log/service-other-facility.log"
ERROR_LOG = "/var/log/service-error.log"
RULESET = "docker"
# templates defined by services_conf() and used by monitor_rule()
ERROR_TEMPLATE_SERVICE = "hive_error_service"
ERROR_TEMPLATE_STANDALONE = "hive_error_standalone"

# Reception time, not the sender's: a standalone container's clock zone often differs from the
# hives' (UTC image vs hive_timezone), and Docker's RFC3164 stamp has no zone or year.
_STAMP = "/".join(f"%timegenerated:::date-{p}%" for p in ("year", "month", "day")) + " " + \
    ":".join(f"%timegenerated:::date-{p}%" for p in ("hour", "minute", "second"))
# secpath-replace turns '/' into '_' and '..' into '_.': an RFC5424 APP-NAME or HOSTNAME may hold
# any printable character, and these name files.
_APP = "%APP-NAME:::secpath-replace%"
_HOST = "%HOSTNAME:::secpath-replace%"
_SERVICE_LINE = f"{_STAMP} %syslogtag%%msg%"
_STANDALONE_LINE = f"{_STAMP} %syslogfacility-text%.%syslogseverity-text%: %syslogtag%%msg%"
_OTHER_LINE = f"{_STAMP} %HOSTNAME% %syslogfacility-text%.%syslogseverity-text%: %syslogtag%%msg%"
_UNSAFE_PATH = re.compile(r"""[%"'\\\s]""")


def quote(text: str) -> str:
    """`text` as a RainerScript single-quoted string constant.

    The lexer rejects any escape other than \\' \\" \\\\ \\$ \\b \\n \\t \\r \\xhh \\ooo and then
    drops the whole file, so every backslash of a regular expression must be doubled; `\\$` would
    otherwise silently become `$`.
    """
    out = []
    for ch in text:
        if ch in "\\'":
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def server_hostnames(server_names: Iterable[str], addresses: Iterable[str] = ()) -> list[str]:
    """The names rsyslog may give a server's Docker messages: the inventory name (FQDN), its first
    label (rsyslog strips its own domain unless PreserveFQDN), the address (unresolvable)."""
    names: list[str] = []
    for name in server_names:
        names += [str(name), str(name).split(".")[0]]
    names += [str(a) for a in addresses if a]
    return list(dict.fromkeys(n.lower() for n in names if n))


def _path(value: str, what: str) -> str:
    if not value.startswith("/") or _UNSAFE_PATH.search(value):
        raise ValueError(f"{what}: expected an absolute path without %, quotes, backslashes or "
                         f"spaces, found {value!r}")
    return value.rstrip("/") or "/"


def _template(name: str, string: str) -> str:
    return f'template(name="{name}" type="string" string="{string}")'


def _file_action(target: str, template: str, *, dynamic: bool = False) -> str:
    where = f'dynaFile="{target}"' if dynamic else f'file="{target}"'
    # Debian's rsyslog.conf makes new files 0640 root:adm; these are 0644 (reference §8.2) so the
    # admin reads them without sudo. The cache keeps one open file per service (default: 10).
    cache = ' dynaFileCacheSize="200"' if dynamic else ""
    return (f'action(type="omfile" {where} template="{template}" fileCreateMode="0644" '
            f'dirCreateMode="0755"{cache})')


def services_conf(*, port: int, local_hostnames: list[str], log_dir: str = LOG_DIR,
                  include_dir: str = INCLUDE_DIR, other_log: str = OTHER_LOG,
                  load_imudp: bool = True) -> str:
    """/etc/rsyslog.d/services.conf: UDP input on `port` bound to ruleset `docker` and the
    routing of reference §8.2, then the per-service monitor rules of `include_dir`.

    `local_hostnames` (see server_hostnames()) tells a hive's Docker message from a standalone
    container's own syslog; localhost is always among them. `load_imudp` is False when another
    file already loads imudp: a second load is a config error that fails `rsyslogd -N1`.
    """
    port = int(port)
    if not 1 <= port <= 65535:
        raise ValueError(f"hive_syslog_port: {port} is not a port number (1-65535)")
    log_dir, include_dir = _path(log_dir, "log_dir"), _path(include_dir, "include_dir")
    other_log = _path(other_log, "other_log")
    local = dict.fromkeys(["localhost", *(str(n).lower() for n in local_hostnames if n)])
    names = ", ".join(quote(n) for n in local)
    lines = [
        "# Managed by hive-builder (setup-hosts, role rsyslogd): services' logs (reference §8.2)",
        'module(load="imudp")' if load_imudp else "# imudp is loaded by another rsyslog file",
        f'input(type="imudp" port="{port}" ruleset="{RULESET}")',
        _template("hive_service_file", f"{log_dir}/{_APP}.log"),
        _template("hive_standalone_file", f"{log_dir}/{_HOST}.log"),
        _template("hive_host_service_file", f"{log_dir}/{_HOST}.{_APP}.log"),
        _template("hive_service_line", _SERVICE_LINE + "\\n"),
        _template("hive_standalone_line", _STANDALONE_LINE + "\\n"),
        _template("hive_other_line", _OTHER_LINE + "\\n"),
        # error_log lines: the source file, then the line as written there (reference §8.3)
        _template(ERROR_TEMPLATE_SERVICE, f"{log_dir}/{_APP}.log {_SERVICE_LINE}\\n"),
        _template(ERROR_TEMPLATE_STANDALONE, f"{log_dir}/{_HOST}.log {_STANDALONE_LINE}\\n"),
        f'ruleset(name="{RULESET}") {{',
        f"  if not (tolower($hostname) == [{names}]) then {{",
        f"    {_file_action('hive_standalone_file', 'hive_standalone_line', dynamic=True)}",
        "  } else if $syslogfacility-text == 'local0' then {",
        f"    {_file_action('hive_service_file', 'hive_service_line', dynamic=True)}",
        "  } else if $syslogfacility-text == 'local1' then {",
        f"    {_file_action('hive_host_service_file', 'hive_service_line', dynamic=True)}",
        "  } else {",
        f"    {_file_action(other_log, 'hive_other_line')}",
        "  }",
        f'  include(file="{include_dir}/*.conf" mode="optional")',
        "}",
    ]
    return "\n".join(lines) + "\n"


def monitor_rule(service: str, *, standalone: bool, monitor: list[str], ignore: list[str],
                 error_log: str = ERROR_LOG) -> str:
    """/etc/rsyslog-services.d/<service>.conf (reference §8.3): a line of the service that matches
    a `monitor` pattern and no `ignore` pattern is appended to `error_log`.

    Patterns are POSIX EREs matched (re_match) against the message text, which for an RFC3164
    message starts with the space after the tag (hence the manual's `^ [^"]`).
    """
    if not monitor:
        raise ValueError(f"service {service}: no monitor_error pattern, nothing to monitor")
    error_log = _path(error_log, "error_log")
    if standalone:
        condition, template = f"$hostname == {quote(service)}", ERROR_TEMPLATE_STANDALONE
    else:
        condition = f"$syslogfacility-text == 'local0' and $app-name == {quote(service)}"
        template = ERROR_TEMPLATE_SERVICE
    match = " or ".join(f"re_match($msg, {quote(p)})" for p in monitor)
    if ignore:
        match = f"({match}) and not ({' or '.join(f're_match($msg, {quote(p)})' for p in ignore)})"
    return "\n".join([
        f"# Managed by hive-builder (deploy-services): error monitor of service {service}",
        f"if {condition} then {{",
        f"  if {match} then {{",
        f"    {_file_action(error_log, template)}",
        "  }",
        "}",
    ]) + "\n"


def logrotate_conf(log_dir: str = LOG_DIR, error_log: str = ERROR_LOG,
                   other_log: str = OTHER_LOG) -> str:
    """/etc/logrotate.d/hive-services; rsyslog-rotate (HUP) makes rsyslog reopen the files."""
    paths = [f"{_path(log_dir, 'log_dir')}/*.log", _path(error_log, "error_log"),
             _path(other_log, "other_log")]
    body = ["daily", "rotate 7", "compress", "delaycompress", "missingok", "notifempty",
            "sharedscripts", "postrotate", "\t/usr/lib/rsyslog/rsyslog-rotate", "endscript"]
    return ("# Managed by hive-builder (setup-hosts, role rsyslogd)\n" + "\n".join(paths)
            + "\n{\n" + "".join(f"\t{line}\n" for line in body) + "}\n")
