"""Provider `docker`: each server of the stage is a systemd+sshd container on the local engine."""

from __future__ import annotations

import functools
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from hive_builder.errors import HiveError
from hive_builder.providers.base import Provider
from hive_builder.providers.docker import kernel
from hive_builder.providers.docker.engine import Engine, overlapping
from hive_builder.providers.docker.image import ensure_node_image
from hive_builder.providers.docker.runspec import (SHARED_DIR, STOP_TIMEOUT, admin_bootstrap_script,
                                                   container_specs, hosts_dir, limit_changes,
                                                   network_spec, shared_volume_name, node_kind)
from hive_builder.providers.plan import ProvisionPlan

SSH_WAIT_SECONDS = 120


def _engine_errors(method):
    """Turn Docker API errors into HiveErrors naming the action (no tracebacks for users)."""
    @functools.wraps(method)
    def wrapper(self, plan, *args, **kwargs):
        import docker.errors
        try:
            return method(self, plan, *args, **kwargs)
        except docker.errors.DockerException as exc:
            detail = getattr(exc, "explanation", None) or str(exc)
            raise HiveError(f"docker provider: {method.__name__} of stage {plan.stage} failed: {detail}") from None
    return wrapper


def ssh_banner(ip: str, port: int = 22, timeout: float = 2.0) -> bool:
    """True when an SSH server answers with its version banner (a listening socket is not enough)."""
    try:
        with socket.create_connection((ip, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False



def owner_hint(kind: str, name: str, owner: str | None, stage: str | None) -> str:
    """How to free a name held by another project: destroy it from that project while the project
    exists; once it is gone (an interrupted test run, a deleted checkout) nothing but its labels
    can find what it left, so the hint lists the removal by label."""
    if owner and Path(owner, "inventory").is_dir():
        return (f"destroy that stage from its project (`hive -r {owner} -s {stage} build-infra -D`) "
                "or use another hive name")
    if owner:
        label = f"label=hive-builder.root_dir={owner}"
        return ("its project directory is gone; remove what it left: "
                f"`docker rm -f $(docker ps -aq --filter {label})`, "
                f"`docker network rm $(docker network ls -q --filter {label})`, "
                f"`docker volume rm $(docker volume ls -q --filter {label})` (the volumes hold its data)")
    return f"remove it (`docker {kind} rm -f {name}`) or use another hive name"

class DockerProvider(Provider):
    name = "docker"

    def __init__(self, engine: Engine | None = None,
                 node_image: Callable[..., str] = ensure_node_image,
                 probe: Callable[[], kernel.KernelProbe] = kernel.probe_kernel,
                 wait_seconds: int = SSH_WAIT_SECONDS):
        self.engine = engine or Engine()
        self.node_image = node_image
        self.probe = probe
        self.wait_seconds = wait_seconds
        self._messages: list[str] = []

    # -- checks ---------------------------------------------------------------------------------
    @_engine_errors
    def sanity_check(self, plan: ProvisionPlan) -> None:
        eng = self.engine
        eng.client  # connects, or explains how to start an engine
        hits = overlapping(plan.cidr, eng.network_subnets(), skip=plan.network_name)
        if hits:
            listing = ", ".join(f"{name} ({subnet})" for name, subnet in hits)
            raise HiveError(f"stage {plan.stage}: cidr {plan.cidr} collides with existing docker "
                            f"network(s) {listing}",
                            hint="choose another cidr for the stage in the hive definition, or remove "
                                 "the other network (`docker network rm NAME`) if it is a leftover")
        net = eng.network(plan.network_name)
        if net is not None:
            subnets = [c.get("Subnet") for c in (net.get("IPAM") or {}).get("Config") or []]
            if str(plan.network) not in subnets:
                raise HiveError(f"stage {plan.stage}: docker network {plan.network_name} exists with "
                                f"subnet {', '.join(map(str, subnets))}, but the stage cidr is now {plan.cidr}",
                                hint="destroy the stage first (`hive build-infra -D`), then build it again")
            self._check_owner(plan, plan.network_name, "network", net.get("Labels") or {})
        for server in plan.servers:
            state = eng.container(server.name, plan.network_name)
            if state is None:
                continue
            self._check_owner(plan, server.name, "container", state.labels)
            if state.ip and state.ip != server.ip:
                raise HiveError(f"container {server.name} has IP {state.ip}, but the inventory now says {server.ip}",
                                hint="destroy the stage first (`hive build-infra -D`), then build it again")

    @staticmethod
    def _check_owner(plan: ProvisionPlan, name: str, kind: str, labels: dict[str, str]) -> None:
        mine = plan.labels
        if any(labels.get(k) != v for k, v in mine.items()):
            owner = labels.get("hive-builder.root_dir")
            who = f"project {owner}" if owner else "something other than hive-builder"
            raise HiveError(f"docker {kind} {name} already exists and belongs to {who} "
                            f"(site {labels.get('hive-builder.site')}, stage {labels.get('hive-builder.stage')})",
                            hint=owner_hint(kind, name, owner, labels.get("hive-builder.stage")))

    # -- lifecycle ------------------------------------------------------------------------------
    @_engine_errors
    def provision(self, plan: ProvisionPlan) -> bool:
        self.sanity_check(plan)
        pubkey = self._public_key(plan)
        images = {kind: self.node_image(self.engine.client, kind=kind)
                  for kind in sorted({node_kind(s) for s in plan.servers})}
        eng, changed = self.engine, False
        if eng.network(plan.network_name) is None:
            eng.create_network(network_spec(plan))
            changed = True
        if not eng.volume_exists(shared_volume_name(plan)):
            eng.create_volume(shared_volume_name(plan), plan.labels)
            changed = True
        for spec in container_specs(plan, images):
            state = eng.container(spec.name)
            if state is None:
                if not eng.volume_exists(spec.volume):
                    eng.create_volume(spec.volume, {**plan.labels, "hive-builder.host": spec.name})
                eng.create_container(spec)
                changed = True
            else:   # memory_size / cpus changed since the node was created
                update, notes = limit_changes(spec, state.memory_mb, state.cpus)
                if update:
                    eng.update_limits(spec)
                    changed = True
                self._messages.extend(notes)
            if state is None or state.status != "running":
                eng.start(spec.name)
                changed = True
        # one docker exec per server, concurrently: they wait on the containers, not on us
        with ThreadPoolExecutor(max_workers=max(1, len(plan.servers))) as pool:
            admins = list(pool.map(lambda s: self._ensure_admin(plan, s.name, pubkey), plan.servers))
        changed |= any(admins)
        self._wait_ssh(plan)
        return changed

    @_engine_errors
    def halt(self, plan: ProvisionPlan) -> bool:
        self.engine.client
        running = [c.name for c in self.engine.containers_labelled(plan.labels) if c.status == "running"]
        # stop in parallel: each is a clean systemd shutdown of a few seconds
        with ThreadPoolExecutor(max_workers=max(1, len(running))) as pool:
            list(pool.map(lambda n: self.engine.stop(n, STOP_TIMEOUT), running))
        return bool(running)

    @_engine_errors
    def destroy(self, plan: ProvisionPlan) -> bool:
        eng, changed = self.engine, False
        eng.client
        for c in eng.containers_labelled(plan.labels):
            eng.remove_container(c.name)
            changed = True
        for name in eng.networks_labelled(plan.labels):
            eng.remove_network(name)
            changed = True
        for name in eng.volumes_labelled(plan.labels):
            eng.remove_volume(name)
            changed = True
        directory = hosts_dir(plan)
        if directory.is_dir():
            shutil.rmtree(directory)
            changed = True
        return changed


    def messages(self) -> list[str]:
        return list(self._messages)

    def facts(self, plan: ProvisionPlan) -> dict:
        return {**kernel.facts_from_probe(self.probe()), "dns": kernel.host_nameservers(), "shared_dir": SHARED_DIR}

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _public_key(plan: ProvisionPlan) -> str:
        try:
            key = plan.public_key.read_text().strip()
        except OSError as exc:
            raise HiveError(f"docker provider: cannot read the public key {plan.public_key}: {exc.strerror}",
                            hint="build-infra generates it; run `hive build-infra` (not the provider alone)") from None
        if not key or "\n" in key:
            raise HiveError(f"docker provider: {plan.public_key} must hold exactly one public key line")
        return key

    def _ensure_admin(self, plan: ProvisionPlan, name: str, pubkey: str) -> bool:
        rc, out = self.engine.exec(name, ["sh", "-c", admin_bootstrap_script(plan.admin_user)],
                                   env={"HIVE_PUBKEY": pubkey})
        if rc != 0:
            raise HiveError(f"container {name}: setting up admin user {plan.admin_user} failed: {out.strip()[-500:]}")
        return "changed" in out.split()

    def _wait_ssh(self, plan: ProvisionPlan) -> None:
        # a new node's sshd listens on 22; one that strict-source-ip configured, on its ssh_port
        waiting = {s.name: (s.ip, tuple(dict.fromkeys((s.ssh_port, 22)))) for s in plan.servers}
        deadline = time.monotonic() + self.wait_seconds
        while waiting:
            for name, (ip, ports) in list(waiting.items()):
                if any(ssh_banner(ip, port) for port in ports):
                    del waiting[name]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise HiveError(f"docker provider: sshd did not answer within {self.wait_seconds} s on "
                                + ", ".join(f"{n} ({ip})" for n, (ip, _) in waiting.items()),
                                hint="look at `docker logs NAME` and `docker exec NAME systemctl status ssh`")
            time.sleep(0.5)


__all__ = ["DockerProvider", "ssh_banner"]
