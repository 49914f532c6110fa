"""`hive ssh` (reference §2.10) and the Host list of `<context_dir>/ssh_config`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hive_builder.errors import HiveError

ZABBIX_WEB_PORT = 10052


def parse_hosts(text: str) -> list[str]:
    """Names of the `Host` entries, in file order (patterns such as `Host *` are not hosts)."""
    hosts = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "Host":
            hosts += [w for w in words[1:] if not any(c in w for c in "*?!")]
    return hosts


def ssh_config_hosts(path: str | os.PathLike) -> list[str]:
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise HiveError(f"fail to read ssh_config {path} error, you may never done build-infra: "
                        f"{e.strerror or e}") from None
    hosts = parse_hosts(text)
    if not hosts:
        raise HiveError(f"no Host entry in {path}")
    return hosts


def ssh_argv(config: str | os.PathLike, hosts: list[str], *, ssh_host: str | None = None,
             foward_zabbix: bool = False, foward_zabbix_port: int | None = None,
             port_forwarding: str | None = None, ssh: str = "/usr/bin/ssh") -> list[str]:
    """Command line of `hive ssh`; the default target is the last host (the repository server).

    `-z` forwards a local port to the Zabbix web console, which listens on the repository
    server's loopback only (role zabbix): the session must therefore be on that server."""
    target = ssh_host or hosts[-1]
    if target not in hosts:
        raise HiveError(f"host {target} is not found in {config}",
                        hint=f"known hosts: {', '.join(hosts)}")
    argv = [ssh, "-F", str(config)]
    if foward_zabbix:
        if target != hosts[-1]:
            raise HiveError(f"-z (foward_zabbix): the Zabbix web console listens on the loopback of "
                            f"the repository server {hosts[-1]} only, not on {target}",
                            hint=f"leave out -t (the default target is {hosts[-1]}), or use "
                                 f"-L to forward a port of {target}")
        port = foward_zabbix_port or ZABBIX_WEB_PORT
        argv += ["-L", f"localhost:{port}:127.0.0.1:{ZABBIX_WEB_PORT}"]
    if port_forwarding:
        argv += ["-L", port_forwarding]
    argv.append(target)
    return argv


def ssh_executable() -> str:
    return shutil.which("ssh") or "/usr/bin/ssh"


def exec_ssh(argv: list[str]) -> None:
    """Replace this process with ssh: the terminal, signals and exit code are ssh's own."""
    try:
        os.execv(argv[0], argv)
    except OSError as e:
        raise HiveError(f"cannot run {argv[0]}: {e.strerror or e}",
                        hint="install the OpenSSH client") from None


def require_built(config: str | os.PathLike, stage: str) -> list[str]:
    """The stage's hosts, or the error of a stage that was never built (no ssh_config yet)."""
    if not Path(config).exists():
        raise HiveError(f"stage {stage} is not built: {config} does not exist",
                        hint="`hive all` (or `hive build-infra` and `hive setup-hosts`) builds it")
    return ssh_config_hosts(config)


def run_remote(config: str | os.PathLike, host: str, command: str, *, ssh: str | None = None) -> int:
    """Run one shell command on `host` as the admin, its output on our own stdout/stderr."""
    import subprocess
    argv = [ssh or ssh_executable(), "-F", str(config), "-o", "BatchMode=yes", host, command]
    try:
        return subprocess.run(argv, check=False).returncode
    except OSError as e:
        raise HiveError(f"cannot run {argv[0]}: {e.strerror or e}",
                        hint="install the OpenSSH client") from None
