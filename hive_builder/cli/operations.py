"""`hive logs`, `hive backup`, `hive restore`: thin wrappers over what the repository server keeps.

The repository server collects every service's log (rsyslogd role) and runs hive-backup.sh
(backup-tools role); these commands only decide what to ask it, from the validated inventory, and
run that one command over SSH. The command builders are pure (unit-tested without a site).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from hive_builder.errors import HiveError
from hive_builder.execution.ssh import SSH_FAILED
from hive_builder.render.backup import REGISTRY_TARGET, ZABBIX_TARGET

LOG_DIR = "/var/log/services"
ERROR_LOG = "/var/log/service-error.log"
BACKUP_SCRIPT = "/usr/bin/hive-backup.sh"
BACKUP_DIR = "~/backup"
OWN_TARGETS = (REGISTRY_TARGET, ZABBIX_TARGET)   # hive-backup.sh's own: registry data, Zabbix database
DEFAULT_LINES = 50
# ssh's own exit status for "could not connect"; a remote shell's for "command not found"
NOT_FOUND = 127
# log_command's exit status when the service's log file does not exist (yet)
NO_LOG = 3


@dataclass(frozen=True)
class ServiceInfo:
    """What these commands need to know of one service of the stage."""

    name: str
    standalone: bool = False
    logging: dict | None = None        # the service's own `logging`, when it sets one
    has_backup_scripts: bool = False


def service_infos(site, stage: str) -> dict[str, ServiceInfo]:
    return {s.name: ServiceInfo(s.name, s.standalone, s.copied.get("logging"),
                                bool(s.copied.get("backup_scripts")))
            for s in site.services_on(stage)}


def log_file(service: str) -> str:
    """Micro-service lines are filed by tag (= service name), a standalone service's own syslog by
    hostname (= service name): one file per service either way."""
    return f"{LOG_DIR}/{service}.log"


def _known(services: dict[str, ServiceInfo], name: str, stage: str) -> ServiceInfo:
    if name not in services:
        known = ", ".join(sorted(services)) or "none"
        raise HiveError(f"{name} is not a service of stage {stage}", hint=f"services: {known}")
    return services[name]


def log_command(services: dict[str, ServiceInfo], stage: str, service: str | None, *,
                follow: bool = False, lines: int = DEFAULT_LINES, errors: bool = False) -> str:
    """The shell command run on the repository server by `hive logs`."""
    if lines < 0:
        raise HiveError(f"-n {lines}: expected a number of lines >= 0")
    if service is None and not errors:
        raise HiveError("name the service whose log to show (hive logs SERVICE), or use --errors")
    if service is not None:
        info = _known(services, service, stage)
        if info.logging is not None and not info.standalone:
            driver = info.logging.get("driver", "?") if isinstance(info.logging, dict) else "?"
            raise HiveError(f"service {service} sets its own logging (driver {driver}): its log is "
                            "not collected on the repository server",
                            hint="remove `logging` from the service to have it collected")
    n = int(lines)
    if errors:
        if service is None:
            return _tail(ERROR_LOG, n, follow)
        # error lines name their source file first (monitor-service-log role)
        pattern = shlex.quote(log_file(service) + " ")
        head = f"{{ grep -F -- {pattern} {ERROR_LOG} | tail -n {n}; }}"
        if follow:
            return (f"test -e {ERROR_LOG} || touch {ERROR_LOG} 2>/dev/null; {head}; "
                    f"tail -F -n 0 {ERROR_LOG} | grep --line-buffered -F -- {pattern}")
        return f"test -e {ERROR_LOG} || exit 0; {head} || true"
    return _tail(log_file(service), n, follow)


def _tail(path: str, lines: int, follow: bool) -> str:
    if follow:
        return f"exec tail -F -n {lines} {path}"
    return (f"test -e {path} || {{ echo 'no line collected in {path} yet' >&2; exit {NO_LOG}; }}; "
            f"exec tail -n {lines} {path}")


def backup_targets(services: dict[str, ServiceInfo], stage: str, names: list[str], *,
                   restore: bool) -> list[str]:
    """The `-l` list, checked: services of the stage that have backup_scripts (or hive-registry,
    hive-zabbix)."""
    if restore and not names:
        raise HiveError("hive restore replaces live data: name what to restore with "
                        "-l SERVICE[,SERVICE...]",
                        hint=f"services with backup_scripts: {_with_backups(services)}")
    targets = []
    for name in names:
        if name in OWN_TARGETS:
            targets.append(name)
            continue
        info = _known(services, name, stage)
        if not info.has_backup_scripts:
            raise HiveError(f"service {name} has no backup_scripts, so there is nothing to "
                            f"{'restore' if restore else 'back up'}",
                            hint=f"services with backup_scripts: {_with_backups(services)}")
        targets.append(name)
    return list(dict.fromkeys(targets))


def _with_backups(services: dict[str, ServiceInfo]) -> str:
    return ", ".join(sorted(n for n, i in services.items() if i.has_backup_scripts)) or "none"


def backup_command(targets: list[str], *, restore: bool) -> str:
    """hive-backup.sh as the admin (it works in ~/backup), then what that directory holds."""
    argv = [BACKUP_SCRIPT] + (["-r"] if restore else []) + (["-l", ",".join(targets)] if targets else [])
    run = " ".join(shlex.quote(a) for a in argv)
    if restore:
        return run
    return (f"{run}; rc=$?; echo; echo \"latest backups in {BACKUP_DIR}:\"; "
            f"cd {BACKUP_DIR} 2>/dev/null && ls -l --time-style=long-iso *-latest.* 2>/dev/null; "
            "exit $rc")


def explain_exit(command: str, host: str, returncode: int) -> HiveError | None:
    """The error a remote exit status stands for (None: success)."""
    if returncode == 0:
        return None
    if returncode == SSH_FAILED:
        return HiveError(f"cannot reach {host} over SSH (exit {returncode})",
                         hint="is the stage running? `hive build-infra` starts a halted stage")
    if command in ("backup", "restore") and returncode == NOT_FOUND:
        return HiveError(f"{BACKUP_SCRIPT} is not installed on {host}",
                         hint="run `hive setup-hosts` (and `hive deploy-services` for the "
                              "services' backup scripts)")
    if command == "logs" and returncode == NO_LOG:
        return HiveError("no log collected for this service yet",
                         hint="is it deployed (`hive deploy-services`) and has it written a line? "
                              "the log collector is set up by `hive setup-hosts`")
    if command == "logs":
        return HiveError(f"reading the log on {host} failed (exit {returncode})")
    return HiveError(f"{command} failed on {host} (exit {returncode}): see the lines above",
                     hint="`hive deploy-services` installs a service's backup script; "
                          "a service must be running to be backed up or restored")
