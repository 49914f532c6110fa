"""Hooks: which behaviour a swarm service asks of the node that runs its task (reference §7.2).

A hook's identity is `<label value>@<service name>#<class name>`, so changing a label value makes a
different hook: the old one is left (undone) and the new one entered.
"""

from __future__ import annotations

from dataclasses import dataclass

VIP_SUFFIXES = ("",) + tuple(str(n) for n in range(6))   # HIVE_VIP, HIVE_VIP0 .. HIVE_VIP5


@dataclass(frozen=True)
class Hook:
    cls: str                 # MarkNode, SetVIP, SetVIP3, SetVIPv6, SetVIP3v6, ...
    service: str
    service_id: str
    value: str               # the trigger label's value
    router: str | None = None
    dnat_ports: str | None = None
    snat: bool = False
    v6: bool = False

    @property
    def ident(self) -> str:
        return f"{self.value}@{self.service}#{self.cls}"

    @property
    def is_mark(self) -> bool:
        return self.cls == "MarkNode"


def _labels(service: dict) -> dict:
    return (service.get("Spec") or {}).get("Labels") or {}


def hooks_of_service(service: dict) -> list[Hook]:
    spec = service.get("Spec") or {}
    name, sid, labels = spec.get("Name", ""), service.get("ID", ""), _labels(service)
    hooks = []
    if labels.get("HIVE_MARK"):
        hooks.append(Hook("MarkNode", name, sid, labels["HIVE_MARK"].strip()))
    for n in VIP_SUFFIXES:
        for v6 in (False, True):
            tail = f"{n}_V6" if v6 else n
            value = (labels.get(f"HIVE_VIP{tail}") or "").strip()
            if not value:
                continue
            hooks.append(Hook(
                cls=f"SetVIP{n}{'v6' if v6 else ''}", service=name, service_id=sid, value=value,
                router=(labels.get(f"HIVE_ROUTER{tail}") or "").strip() or None,
                dnat_ports=(labels.get(f"HIVE_DNAT_PORTS{tail}") or "").strip() or None,
                snat=(labels.get(f"HIVE_ENABLE_VIP_SNAT{tail}") or "").strip().lower() == "true",
                v6=v6))
    return hooks


def hooks_of_services(services: list[dict]) -> list[Hook]:
    return [h for s in sorted(services, key=lambda s: (s.get("Spec") or {}).get("Name", ""))
            for h in hooks_of_service(s)]


@dataclass(frozen=True)
class LocalTask:
    task_id: str
    container_id: str | None


def local_tasks(tasks: list[dict], node_id: str) -> dict[str, LocalTask]:
    """service id -> the first task meant to run on this node (DesiredState running, our NodeID).

    "Stay" follows the desired state, as the original did: a task being started here already
    holds the VIP, so clients are not sent elsewhere while the container boots.
    """
    out: dict[str, LocalTask] = {}
    for t in tasks:
        if t.get("DesiredState") != "running" or t.get("NodeID") != node_id:
            continue
        sid = t.get("ServiceID")
        if sid and sid not in out:
            cid = ((t.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID")
            out[sid] = LocalTask(t.get("ID", ""), cid or None)
    return out
