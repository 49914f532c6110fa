"""Backup fragments: the bash files in /var/lib/hive-backup.d that hive-backup.sh sources.

One fragment per target (a service with backup_scripts, or the pseudo-target hive-registry)
defines `backup_<target>` and `restore_<target>`; hive-backup.sh (role backup-tools) calls one of
them in the backup directory (~/backup). Behaviour follows reference §8.1; in addition:

- a function returns non-zero when anything it attempted failed (a failed batch, backup, copy,
  cleanup or restore) but always goes on with the next definition, so one broken definition
  neither hides the others' results nor stops them;
- a backup is written as `<file>.part` and renamed when complete; a failed one is deleted, so
  `-latest`, the cleanup and an earlier backup of the same second only ever see whole backups;
- the cleanup matches only `backup-<name>-<14 digits>.<ext>`: `backup-db-*.sql` would also match
  the files of a definition named `db-old`;
- every user string reaches bash through shlex.quote, once; commands run in the container get
  `sh -c` there, exactly as the user wrote them.

Fragments are self-contained (their helpers are repeated in each; every target is sourced in its
own subshell) so an operator can also `. /var/lib/hive-backup.d/web; backup_web` by hand.
dexec/dcp (role docker-client) find the swarm themselves; nothing is exported here.
"""

from __future__ import annotations

import re
from shlex import quote

from hive_builder.render.registry_config import DATA_DIR

DEFAULT_EXT = "tar.gz"
REGISTRY_TARGET = "hive-registry"
REGISTRY_CLEANUP_DAYS = 3
ZABBIX_TARGET = "hive-zabbix"
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")   # also a bash function name part

# Helpers shared by every fragment. Log lines go to stdout (INFO) or stderr (WARNING, ERROR);
# the container commands' own output goes to stderr, so stdout stays a readable run log.
_HELPERS = r"""_hb_info() { echo "INFO: hive-backup: $*"; }
_hb_warn() { echo "WARNING: hive-backup: $*" >&2; }
_hb_error() { echo "ERROR: hive-backup: $*" >&2; }

# _hb_batch SERVICE COMMAND: one batch command in the service's container
_hb_batch() {
  _hb_info "START batch: $2"
  if dexec -n "$1" sh -c "$2" </dev/null >&2; then
    _hb_info "END batch: $2"
  else
    _hb_error "FAIL batch: $2"
    return 1
  fi
}

# _hb_start NAME EXT: sets the caller's `file` to a new backup file (current directory); it is
# written as "$file.part" first, so a failure never replaces a good backup of the same second
_hb_start() {
  file="backup-$1-$(date +%Y%m%d%H%M%S).$2"
  _hb_info "START backup $1 into $file"
}

# _hb_keep NAME EXT FILE STATUS: keep a good backup and link it as -latest, or drop a partial one
_hb_keep() {
  local latest="backup-$1-latest.$2"
  if [ "$4" -eq 0 ] && [ -f "$3.part" ] && mv -f -- "$3.part" "$3"; then
    _hb_info "END backup $1 into $3"
    _hb_info "LINK $latest to $3"
    ln -sfn -- "$3" "$latest"
  else
    _hb_error "FAIL backup $1 into $3"
    rm -rf -- "$3.part"
    return 1
  fi
}

_HB_STAMP='""" + "[0-9]" * 14 + r"""'
# _hb_cleanup NAME EXT DAYS: delete NAME's backups older than DAYS days, except the latest
_hb_cleanup() {
  local latest="backup-$1-latest.$2" keep
  keep=$(readlink -- "$latest") || keep=
  _hb_info "Clean up old files than $3 like backup-$1-*.$2"
  find . -maxdepth 1 -type f -name "backup-$1-$_HB_STAMP.$2" ! -name "${keep##*/}" \
    -daystart -mtime "+$3" -delete
}

# _hb_restoring NAME LATEST: true (and START logged) when there is a backup to restore
_hb_restoring() {
  if [ -r "$2" ]; then
    _hb_info "START restore $1 from $2"
  else
    _hb_warn "SKIP restore for $1 which does not have $2"
    return 1
  fi
}

# _hb_restored NAME STATUS
_hb_restored() {
  if [ "$2" -eq 0 ]; then
    _hb_info "END restore $1"
  else
    _hb_error "FAIL restore $1"
    return 1
  fi
}
"""


def fragment(service: str, scripts: list[dict], *, standalone: bool = False) -> str:
    """The text of /var/lib/hive-backup.d/<service> for the service's `backup_scripts`.

    `scripts` are the validated definitions (model/service_attrs.py); `standalone` moves the
    directory restore's archive from /tmp (a tmpfs there, which `docker cp` cannot write into)
    to /root.
    """
    if not SERVICE_NAME.match(service or ""):
        raise ValueError(f"{service!r} is not a service name")
    svc = quote(service)
    backup: list[str] = []
    restore: list[str] = []
    for item in scripts:
        backup += _backup_steps(svc, item)
        restore += _restore_steps(svc, item, standalone)
    return _document(f"service {service}", service, backup, restore, "latest")


def registry_fragment(data_dir: str = DATA_DIR, cleanup_days: int = REGISTRY_CLEANUP_DAYS) -> str:
    """The text of /var/lib/hive-backup.d/hive-registry: the private registry's data directory.

    The backup reads the directory while the registry runs (a push during the backup may be
    missing from it, never corrupt what is there); the restore stops the registry, replaces the
    directory and starts it again even when unpacking failed, so a failed restore does not leave
    the site without its registry. The admin runs these with passwordless sudo.
    """
    d = quote(data_dir)
    # only tar runs as root: the admin writes and reads the archives in its own backup directory
    return _own_fragment(
        "the private registry", REGISTRY_TARGET, "tar.gz", f"sudo -n tar czf - -C {d} .", cleanup_days,
        "docker-registry", [f"sudo -n find {d} -mindepth 1 -maxdepth 1 -exec rm -rf {{}} + &&",
                            f'  sudo -n tar xzf - -C {d} <"$latest" &&',
                            f"  sudo -n chown -R docker-registry:docker-registry {d}"])


def zabbix_fragment(database: str = "zabbix", cleanup_days: int = REGISTRY_CLEANUP_DAYS) -> str:
    """The text of /var/lib/hive-backup.d/hive-zabbix: the Zabbix database (role zabbix).

    pg_dump takes a consistent snapshot while the server runs; the restore stops the server,
    replaces the database's objects (--clean) and starts it again even when pg_restore failed."""
    db = quote(database)
    return _own_fragment(
        "the Zabbix database", ZABBIX_TARGET, "dump", f"sudo -n -u postgres pg_dump -Fc {db}", cleanup_days,
        "zabbix-server", [f'sudo -n -u postgres pg_restore --clean --if-exists -d {db} <"$latest"'])


def _own_fragment(what: str, target: str, ext: str, produce: str, cleanup_days: int, unit: str,
                  replace: list[str]) -> str:
    """A target of hive-builder's own: `produce` writes the backup on stdout; the restore runs
    `replace` (reading "$latest") with `unit` stopped, and starts `unit` again whatever happened."""
    days = _days(cleanup_days)
    name = quote(target)
    backup = [f"_hb_start {name} {ext}",
              f'{produce} >"$file.part"',
              f'_hb_keep {name} {ext} "$file" $? || rc=1',
              f"_hb_cleanup {name} {ext} {days} || rc=1"]
    restore = [f"latest=backup-{target}-latest.{ext}",
               f'if _hb_restoring {name} "$latest"; then',
               "  status=1",
               f"  if sudo -n systemctl stop {unit}; then",
               *(f"    {line}" for line in replace),
               "    status=$?",
               "  fi",
               f"  sudo -n systemctl start {unit} || status=1",
               f"  _hb_restored {name} $status || rc=1",
               "fi"]
    return _document(what, target, backup, restore, "latest status")


def _backup_steps(svc: str, item: dict) -> list[str]:
    name, ext = quote(item["name"]), quote(item.get("ext") or DEFAULT_EXT)
    steps = [f"# definition {_comment(item['name'])}"]
    steps += [f"_hb_batch {svc} {quote(cmd)} || rc=1" for cmd in item.get("batch_scripts") or []]
    produce = _producer(svc, item)
    if produce:
        steps += [f"_hb_start {name} {ext}",
                  produce,
                  f'_hb_keep {name} {ext} "$file" $? || rc=1']
    if item.get("cleanup_days_before") is not None:
        steps.append(f"_hb_cleanup {name} {ext} {_days(item['cleanup_days_before'])} || rc=1")
    return steps


def _producer(svc: str, item: dict) -> str | None:
    """The command that writes the backup into "$file.part" (None: nothing to back up)."""
    command = item.get("backup_command")
    if command and item.get("backup_file"):
        return (f"dexec -n {svc} sh -c {quote(command)} </dev/null >&2 && "
                f'dcp {svc}:{quote(item["backup_file"])} "$file.part"')
    if command:
        return f'dexec -n {svc} sh -c {quote(command)} </dev/null >"$file.part"'
    if item.get("directory"):
        inner = f"cd {quote(item['directory'])} && tar czf - ."
        return f'dexec -n {svc} sh -c {quote(inner)} </dev/null >"$file.part"'
    return None


def _restore_steps(svc: str, item: dict, standalone: bool) -> list[str]:
    directory, command = item.get("directory"), item.get("restore_command")
    if not directory and not item.get("backup_command"):
        return []
    name, raw = quote(item["name"]), item["name"]
    latest = quote(f"backup-{raw}-latest.{item.get('ext') or DEFAULT_EXT}")
    if directory:
        archive = ("/root" if standalone else "/tmp") + "/restore.tar.gz"
        inner = (f"cd {quote(directory)} && find . -mindepth 1 -maxdepth 1 -exec rm -rf {{}} + "
                 f"&& tar xzf {archive} && rm -f {archive}")
        run = (f'dcp -L "$latest" {svc}:{archive} && '
               f"dexec -n {svc} sh -c {quote(inner)} </dev/null >&2")
    elif not command:
        return [f"# definition {_comment(raw)}",
                f"_hb_warn {quote(f'SKIP restore for {raw}: it has no restore_command')}"]
    elif item.get("restore_file"):
        run = (f'dcp -L "$latest" {svc}:{quote(item["restore_file"])} && '
               f"dexec -n {svc} sh -c {quote(command)} </dev/null >&2")
    else:
        run = f'dexec -n {svc} sh -c {quote(command)} <"$latest" >&2'
    return [f"# definition {_comment(raw)}",
            f"latest={latest}",
            f'if _hb_restoring {name} "$latest"; then',
            f"  {run}",
            f"  _hb_restored {name} $? || rc=1",
            "fi"]


def _document(what: str, target: str, backup: list[str], restore: list[str],
              restore_locals: str) -> str:
    def function(kind: str, local: str, body: list[str]) -> str:
        lines = [f"{kind.lower()}_{target}() {{",
                 f"  local rc=0 {local}",
                 f'  _hb_info "ENTER SERVICE {target} for {kind}"',
                 *(f"  {line}" for line in body),
                 f'  _hb_info "LEAVE SERVICE {target} for {kind}"',
                 "  return $rc",
                 "}"]
        return "\n".join(lines)

    return "\n".join([
        "#!/bin/bash",
        f"# Managed by hive-builder: backup and restore of {what}.",
        "# Sourced by /usr/bin/hive-backup.sh, which calls these functions in ~/backup.",
        "",
        _HELPERS,
        function("BACKUP", "file", backup),
        "",
        function("RESTORE", restore_locals, restore),
        ""])


def _days(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"cleanup days must be an integer >= 0, found {value!r}")
    return value


def _comment(text: str) -> str:
    return " ".join(str(text).split())
