#!/bin/bash
# Managed by hive-builder (setup-hosts, role backup-tools).
# hive-backup.sh [-r] [-l service[,service...]]: back up (-r: restore) services on the repository
# server. Run nightly by backup.timer and by `hive backup` / `hive restore`.
# A target is a file in /var/lib/hive-backup.d (deploy-services writes one per service with
# backup_scripts, setup-hosts writes hive-registry) defining backup_<target> and restore_<target>.
set -u
scripts_dir=${HIVE_BACKUP_SCRIPTS_DIR:-/var/lib/hive-backup.d}
backup_dir=${HIVE_BACKUP_DIR:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/backup}
registry=hive-registry
target_name='^[A-Za-z0-9][A-Za-z0-9-]*$'   # service names; skips editor and install leftovers

error() { echo "ERROR: hive-backup: $*" >&2; }
usage() { echo "Usage: hive-backup.sh [-r] [-l service[,service...]]" >&2; exit 1; }

mode=backup listed='' list=''
while getopts ':rl:h' opt; do
  case $opt in
    r) mode=restore ;;
    l) listed=1 list="$list,$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

targets=()
if [ -n "$listed" ]; then
  IFS=, read -ra names <<<"$list"
  for t in "${names[@]}"; do
    [ -z "$t" ] || targets+=("$t")
  done
  [ ${#targets[@]} -gt 0 ] || usage
else
  # the registry first: it holds the images every service needs to come back
  [ ! -f "$scripts_dir/$registry" ] || targets+=("$registry")
  while IFS= read -r t; do
    if [ "$t" != "$registry" ] && [[ $t =~ $target_name ]]; then
      targets+=("$t")
    fi
  done < <(find "$scripts_dir" -mindepth 1 -maxdepth 1 -type f -printf '%f\n' 2>/dev/null |
           LC_ALL=C sort)
fi

missing=0
for t in "${targets[@]}"; do
  if ! [[ $t =~ $target_name ]] || [ ! -f "$scripts_dir/$t" ]; then
    error "backup scripts for $t is not available"
    missing=1
  fi
done
[ $missing -eq 0 ] || exit 1
if [ ${#targets[@]} -eq 0 ]; then
  echo "INFO: hive-backup: no backup scripts in $scripts_dir, nothing to do"
  exit 0
fi

umask 077   # dumps hold the services' data and often their credentials
if ! mkdir -p -- "$backup_dir" || ! cd -- "$backup_dir"; then
  error "cannot enter $backup_dir"
  exit 1
fi
exec 9>>.hive-backup.lock
flock -n 9 || { error "another hive-backup.sh is running in $backup_dir"; exit 1; }

# "name mtime" of every backup file, to report what this run wrote
snapshot() {
  find . -maxdepth 1 -type f -name 'backup-*' ! -name '*.part' -printf '%f %T@\n' | LC_ALL=C sort
}
before=$(snapshot)

failed=()
for t in "${targets[@]}"; do
  cd -- "$backup_dir" || exit 1
  # a subshell per target: one fragment's functions and variables never reach the next
  # shellcheck source=/dev/null
  ( . "$scripts_dir/$t" && "${mode}_$t" ) 9>&- || failed+=("$t")
done
cd -- "$backup_dir" || exit 1

if [ "$mode" = backup ]; then
  LC_ALL=C comm -13 <(printf '%s\n' "$before") <(snapshot) | while read -r f _; do
    echo "INFO: hive-backup: wrote $f ($(stat -c %s -- "$f") bytes)"
  done
fi
if [ ${#failed[@]} -gt 0 ]; then
  error "$mode failed for: ${failed[*]}"
  exit 1
fi
exit 0
