"""Pure decision: from what swarm says (services, tasks) and what the node has (addresses, labels,
owned state), the actions that make this node right. Correct things produce no action, so a
daemon restart or a re-check after an event-stream drop does not flap VIPs or labels."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .hooks import Hook, LocalTask
from .mark import plan_labels
from .state import State
from .vip import IfAddr, Placement, VipLabelError, choose_placement, find_present, parse_vip


@dataclass(frozen=True)
class AddVip:
    hook: Hook
    placement: Placement
    task_id: str


@dataclass(frozen=True)
class DelVip:
    placement: Placement
    reason: str


@dataclass(frozen=True)
class Problem:
    ident: str
    message: str


@dataclass
class Plan:
    del_vips: list[DelVip] = field(default_factory=list)
    label_add: list[str] = field(default_factory=list)
    label_remove: list[str] = field(default_factory=list)
    add_vips: list[AddVip] = field(default_factory=list)
    kept_vips: dict[str, Placement] = field(default_factory=dict)   # ident -> VIP already right
    problems: list[Problem] = field(default_factory=list)
    desired_marks: set[str] = field(default_factory=set)
    active_failed: dict[str, str] = field(default_factory=dict)   # failures still relevant

    @property
    def is_empty(self) -> bool:
        return not (self.del_vips or self.label_add or self.label_remove or self.add_vips)


@dataclass(frozen=True)
class Observation:
    hooks: list[Hook]
    local: dict[str, LocalTask]          # service id -> task on this node
    addrs: list[IfAddr]
    labels: dict[str, str]               # this node's labels
    state: State


def plan(obs: Observation) -> Plan:
    p = Plan()
    _plan_marks(obs, p)
    _plan_vips(obs, p)
    return p


def _plan_marks(obs: Observation, p: Plan) -> None:
    marks = [h for h in obs.hooks if h.is_mark]
    p.desired_marks = {h.value for h in marks if h.service_id in obs.local}
    managed = {h.value for h in marks} | obs.state.marks
    p.label_add, p.label_remove = plan_labels(obs.labels, p.desired_marks, managed)


def _plan_vips(obs: Observation, p: Plan) -> None:
    labelled: set = set()          # every address named by a VIP label of any service
    desired: set = set()
    for h in (h for h in obs.hooks if not h.is_mark):
        try:
            spec = parse_vip(h.value, h.v6)
        except VipLabelError as e:
            p.problems.append(Problem(h.ident, f"service {h.service}: bad HIVE_VIP label {e}"))
            continue
        labelled.add(spec.address)
        task = obs.local.get(h.service_id)
        if task is None:
            continue
        if spec.address in desired:
            continue                # two hooks ask for the same VIP here: one is enough
        present = find_present(obs.addrs, spec.address)
        if present is not None:
            desired.add(spec.address)
            p.kept_vips[h.ident] = present
            continue
        if obs.state.failed.get(h.ident) == task.task_id:
            p.active_failed[h.ident] = task.task_id   # router unreachable for this task: not again
            continue
        placement = choose_placement(spec, obs.addrs)
        if placement is None:
            p.problems.append(Problem(h.ident, (
                f"No network interface to which a virtual IP {spec.address} (service {h.service}) "
                "can be added was found.")))
            continue
        desired.add(spec.address)
        p.add_vips.append(AddVip(h, placement, task.task_id))

    owned = {ipaddress.ip_interface(v["cidr"]).ip for v in obs.state.vips.values()}
    for a in obs.addrs:
        ip = a.interface.ip
        if ip in desired:
            continue
        if ip in owned:
            p.del_vips.append(DelVip(Placement(a.ifname, a.interface), "no task of its service runs here"))
        elif ip in labelled and (a.secondary or a.interface.network.prefixlen == ip.max_prefixlen):
            # Not in our state (e.g. state lost) but it is a VIP and looks added, not configured:
            # it must not stay on a node without the task. A primary address is never removed.
            p.del_vips.append(DelVip(Placement(a.ifname, a.interface), "stale VIP without a task here"))
