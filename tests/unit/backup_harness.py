"""A repository server's backup setup in a temporary directory, for running the real bash.

Stub `dexec`/`dcp` (first on PATH) emulate each service's container as a local directory
`containers/<svc>/`: `dexec -n SVC sh -c CMD` runs CMD there with the container paths /srv/,
/root/ and /tmp/ moved under that directory (the only ones the tests and the fragments use);
`dcp [-L] SRC DEST` copies with `SVC:PATH` mapped the same way (without -L a symlink is copied as
a symlink, as `docker cp` does). A service without a directory "is not found", like dexec says.
A stub `sudo -n` runs commands as they are, except `systemctl` and `chown`, which it only logs.
Every call is logged to `calls.log`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hive_builder.render import backup

SCRIPT = (Path(__file__).parents[2]
          / "hive_builder/playbooks/roles/backup-tools/files/hive-backup.sh")

_DEXEC = r"""#!/bin/bash
[ "$1" = -n ] || { echo "stub dexec: -n expected" >&2; exit 2; }
svc=$2; shift 2
root=$HB_CONTAINERS/$svc
[ -d "$root" ] || { echo "service $svc is not found." >&2; exit 1; }
if [ $# -ne 3 ] || [ "$1" != sh ] || [ "$2" != -c ]; then
  echo "stub dexec: sh -c CMD expected" >&2; exit 2
fi
echo "dexec $svc $3" >>"$HB_LOG"
cmd=$(printf '%s' "$3" | sed -E "s#(^|[^A-Za-z0-9_.-])/(srv|root|tmp)/#\1$root/\2/#g")
cd "$root" && exec sh -c "$cmd"
"""

_DCP = r"""#!/bin/bash
follow=-P
[ "$1" = -L ] && { follow=-L; shift; }
[ $# -eq 2 ] || { echo "stub dcp: SRC DEST expected" >&2; exit 2; }
echo "dcp $follow $*" >>"$HB_LOG"
args=()
for side in "$1" "$2"; do
  case $side in
    *:*) svc=${side%%:*}
         [ -d "$HB_CONTAINERS/$svc" ] || { echo "service $svc is not found." >&2; exit 1; }
         args+=("$HB_CONTAINERS/$svc${side#*:}") ;;
    *) args+=("$side") ;;
  esac
done
exec cp $follow -- "${args[@]}"
"""

_SUDO = r"""#!/bin/bash
[ "$1" = -n ] || { echo "stub sudo: -n expected" >&2; exit 2; }
shift
echo "sudo $*" >>"$HB_LOG"
case $1 in
  systemctl|chown) exit 0 ;;
esac
exec "$@"
"""


class BackupSite:
    def __init__(self, root: Path):
        self.root = root
        self.bin = root / "bin"
        self.containers = root / "containers"
        self.scripts = root / "hive-backup.d"
        self.backups = root / "backup"
        self.log = root / "calls.log"
        for d in (self.bin, self.containers, self.scripts):
            d.mkdir(parents=True)
        for name, text in (("dexec", _DEXEC), ("dcp", _DCP), ("sudo", _SUDO)):
            (self.bin / name).write_text(text)
            (self.bin / name).chmod(0o755)
        self.log.touch()

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.bin}:{os.environ['PATH']}", "HOME": str(self.root),
                "LANG": "C.UTF-8", "HB_CONTAINERS": str(self.containers), "HB_LOG": str(self.log),
                "HIVE_BACKUP_SCRIPTS_DIR": str(self.scripts),
                "HIVE_BACKUP_DIR": str(self.backups), **extra}

    def container(self, service: str) -> Path:
        """The service's fake root (made on first use: the service "runs")."""
        root = self.containers / service
        for d in ("srv", "root", "tmp"):
            (root / d).mkdir(parents=True, exist_ok=True)
        return root

    def install(self, service: str, scripts: list[dict], *, standalone: bool = False) -> str:
        text = backup.fragment(service, scripts, standalone=standalone)
        (self.scripts / service).write_text(text)
        return text

    def install_registry(self, data_dir: Path, cleanup_days: int = 3) -> None:
        (self.scripts / backup.REGISTRY_TARGET).write_text(
            backup.registry_fragment(str(data_dir), cleanup_days))

    def call(self, target: str, mode: str = "backup") -> subprocess.CompletedProcess:
        """`<mode>_<target>` of the installed fragment, run in the backup directory."""
        self.backups.mkdir(exist_ok=True)
        return subprocess.run(["bash", "-c", f'. "$1" && {mode}_{target}', "fragment",
                               str(self.scripts / target)], cwd=self.backups, env=self.env(),
                              capture_output=True, text=True, timeout=30)

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """hive-backup.sh ARGS (env values of None are removed)."""
        environment = {k: v for k, v in self.env(**env).items() if v is not None}
        return subprocess.run(["bash", str(SCRIPT), *args], cwd=self.root, env=environment,
                              capture_output=True, text=True, timeout=30)

    def files(self) -> list[str]:
        return sorted(p.name for p in self.backups.iterdir() if not p.name.startswith("."))

    def latest(self, name: str, ext: str = "tar.gz") -> Path:
        return self.backups / f"backup-{name}-latest.{ext}"

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()
