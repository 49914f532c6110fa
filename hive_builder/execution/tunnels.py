"""Docker sockets of the servers forwarded to the mother over ssh (reference §2.9).

`<temp_dir>/docker.sock@<host>` is a unix socket connected to `/var/run/docker.sock` of `<host>`.
The context manager opens one `ssh -N` per host, waits until every socket exists, and always stops
the ssh processes and removes the sockets, whether the block succeeds, fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hive_builder.errors import HiveError

REMOTE_SOCKET = "/var/run/docker.sock"


def socket_path(temp_dir: str | os.PathLike, host: str) -> Path:
    return Path(temp_dir) / f"docker.sock@{host}"


def tunnel_argv(ssh: str, ssh_config: str | os.PathLike, sock: Path, host: str) -> list[str]:
    return [ssh, "-N", "-F", str(ssh_config), "-o", "ExitOnForwardFailure=yes",
            "-L", f"{sock}:{REMOTE_SOCKET}", host]


def remove_leftover_sockets(temp_dir: str | os.PathLike, hosts: list[str]) -> list[Path]:
    """Remove sockets a dead run left for `hosts` (only ours: temp_dir may be shared)."""
    removed = []
    for host in hosts:
        sock = socket_path(temp_dir, host)
        with contextlib.suppress(FileNotFoundError):
            sock.unlink()
            removed.append(sock)
    return removed


class _Tunnel:
    def __init__(self, host: str, sock: Path, argv: list[str]):
        self.host, self.sock = host, sock
        self.stderr = tempfile.TemporaryFile()
        # Own session: a Ctrl-C on the terminal reaches hive, which then stops ssh itself.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr, start_new_session=True)

    def error_output(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace").strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        with contextlib.suppress(FileNotFoundError):
            self.sock.unlink()


@contextlib.contextmanager
def docker_tunnels(ssh_config: str | os.PathLike, hosts: list[str], temp_dir: str | os.PathLike,
                   *, ssh: str = "ssh", timeout: float = 30.0,
                   poll_interval: float = 0.05) -> Iterator[dict[str, Path]]:
    """Yield {host: socket path} while the tunnels are open."""
    sockets = {host: socket_path(temp_dir, host) for host in hosts}
    for sock in sockets.values():
        if os.path.lexists(sock):
            raise HiveError(
                f"fail to create socket {sock}, another hive process may be using it or the file "
                "has been left because a previous hive process aborted suddenly",
                hint=f"if no other hive process runs for this site, remove {sock}")
    tunnels: list[_Tunnel] = []
    try:
        for host, sock in sockets.items():
            tunnels.append(_Tunnel(host, sock, tunnel_argv(ssh, ssh_config, sock, host)))
        _wait_until_open(tunnels, timeout, poll_interval)
        yield sockets
    finally:
        for tunnel in tunnels:
            tunnel.stop()


def _wait_until_open(tunnels: list[_Tunnel], timeout: float, poll_interval: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(tunnels)
    while waiting:
        for tunnel in list(waiting):
            if tunnel.sock.exists():
                waiting.remove(tunnel)
            elif tunnel.proc.poll() is not None:
                raise HiveError(
                    f"ssh tunnel to the docker socket of {tunnel.host} failed (exit code "
                    f"{tunnel.proc.returncode}): {tunnel.error_output() or 'no message'}")
        if waiting and time.monotonic() > deadline:
            names = ", ".join(t.host for t in waiting)
            raise HiveError(f"ssh tunnel to the docker socket of {names} did not open within "
                            f"{timeout:g} seconds")
        if waiting:
            time.sleep(poll_interval)
