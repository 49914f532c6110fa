"""`hive ssh` (reference §2.10) and the Host list of `<context_dir>/ssh_config`."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from hive_builder.errors import HiveError

ZABBIX_WEB_PORT = 10052
SSH_FAILED = 255          # ssh's own exit status: no connection, the remote command never ran

# (host, command) -> (exit code, stdout, stderr)
Runner = Callable[[str, str], tuple]


def batch_runner(ssh_config: Path, ssh: str = "ssh", *, connect_timeout: int,
                 timeout: int) -> Runner:
    """A non-interactive ssh per call (no password prompt, no stdin): a server that does not
    accept the connection within connect_timeout, or answer within timeout, gives SSH_FAILED."""
    def run(host: str, command: str) -> tuple[int, str, str]:
        argv = [ssh, "-F", str(ssh_config), "-o", "BatchMode=yes",
                "-o", f"ConnectTimeout={connect_timeout}", "-o", "ServerAliveInterval=5",
                "-o", "ServerAliveCountMax=2", host, command]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return SSH_FAILED, "", f"no answer within {timeout} s"
        except OSError as e:
            raise HiveError(f"cannot run {ssh}: {e.strerror or e}",
                            hint="install the OpenSSH client") from None
        return proc.returncode, proc.stdout, proc.stderr
    return run


def failure_reason(code: int, err: str) -> str:
    """Why a remote command gave no usable answer: ssh's (or the command's) last error line."""
    return (err.strip().splitlines() or [f"exit code {code}"])[-1]


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
