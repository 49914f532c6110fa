"""`hive status`: the pure part — the one shell script each server runs, the parsers of its
output, the status dataclasses and their text and JSON renderings.

Nothing here runs anything: cli/status.py sends `host_script(...)` over ssh (one round-trip per
server), hands each answer to `parse_answer`, fills a `SiteStatus` with `assemble` and prints
`render_text` or `to_json`.

The answer of a server is a sequence of sections, each opened by a line `#hive-status <name>` and,
for a command, closed by `#hive-status rc <exit code>`; the first line is `#hive-status begin`
and the last `#hive-status end`, so a truncated answer (connection lost, script killed) is
recognised. Docker output is read with `--format '{{json .}}'`, one JSON object a line; a line
that is not JSON inside a Docker section is an error message of the command (stderr is merged).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from hive_builder.execution.ssh import SSH_FAILED, failure_reason
from hive_builder.swarm_extension.hooks import hooks_of_service
from hive_builder.swarm_extension.vip import VipLabelError, find_present, parse_ip_json, parse_vip

MARK = "#hive-status"
REGISTRY_TIMEOUT = 5            # seconds curl waits for the registry
REGISTRY_ANSWERING = {200, 401}  # 401: the registry asks for the password, it is up
OK, KO = "✓", "✗"

# Go templates (docker --format): only the fields we read, as one JSON object a line
NODE_LABELS_FORMAT = '{"Hostname":{{json .Description.Hostname}},"Labels":{{json .Spec.Labels}}}'
SERVICE_LABELS_FORMAT = ('{"ID":{{json .ID}},"Spec":{"Name":{{json .Spec.Name}},'
                         '"Labels":{{json .Spec.Labels}}}}')


# ---- the script ----------------------------------------------------------------------------------

def _section(name: str, command: str) -> list[str]:
    # the empty echo ends an output without a final newline, so the rc line is always a line
    return [f"echo '{MARK} {name}'", f"{command} 2>&1; rc=$?; echo", f'echo "{MARK} rc $rc"']


def host_script(*, addresses: bool = False, swarm: bool = False, registry_url: str | None = None,
                drbd_command: str | None = None) -> str:
    """The shell script one server runs (POSIX sh; it only reads).

    `addresses`: `ip -j addr show` (a hive: which VIPs it holds). `swarm`: nodes, node labels
    (HIVE_MARK), services, service labels (HIVE_VIP) and running tasks, asked of this hive's Docker
    engine. `registry_url`: the HTTP status of the registry's /v2/ (the repository server).
    `drbd_command`: volume_status.status_command(volumes), whose own marked output is kept as is.
    Docker runs through `sudo -n` when the admin may, else as the admin (member of group docker).
    """
    lines = [f"echo '{MARK} begin'"]
    if swarm:
        lines.append("if sudo -n true 2>/dev/null; then D='sudo -n docker'; else D=docker; fi")
    if addresses:
        lines += _section("addresses", "ip -j addr show")
    if registry_url:
        lines += _section("registry", f"curl -sk -o /dev/null -w '%{{http_code}}\\n' "
                                      f"--max-time {REGISTRY_TIMEOUT} {shlex.quote(registry_url)}")
    if drbd_command:
        lines += _section("drbd", drbd_command)
    if swarm:
        lines += _section("nodes", "$D node ls --format '{{json .}}'")
        lines += _section("node-labels", "$D node inspect --format "
                          f"{shlex.quote(NODE_LABELS_FORMAT)} $($D node ls -q 2>/dev/null)")
        lines += _section("services", "$D service ls --format '{{json .}}'")
        lines.append("S=$($D service ls -q 2>/dev/null)")
        lines += _section("service-labels", '[ -z "$S" ] || $D service inspect --format '
                          f'{shlex.quote(SERVICE_LABELS_FORMAT)} $S')
        lines += _section("tasks", '[ -z "$S" ] || $D service ps --no-trunc '
                          "--filter desired-state=running --format '{{json .}}' $S")
    lines.append(f"echo '{MARK} end'")
    return "\n".join(lines) + "\n"


def remote_command(script: str) -> str:
    """What ssh sends: the script run by sh whatever the admin's login shell is."""
    return f"sh -c {shlex.quote(script)}"


# ---- parsing an answer ---------------------------------------------------------------------------

@dataclass
class Section:
    lines: list[str] = field(default_factory=list)
    rc: int | None = None           # None: the section was cut short

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def error(self) -> str:
        text = [line for line in self.lines if line.strip() and not line.lstrip().startswith(("{", "["))]
        last = text[-1].strip() if text else "no message"
        return f"exit {self.rc}: {last}" if self.rc is not None else "output cut short"


@dataclass
class Answer:
    """One server's answer: its sections, or why there is none (`unreachable`)."""
    sections: dict[str, Section] = field(default_factory=dict)
    unreachable: str | None = None
    complete: bool = False


def parse_answer(code: int, out: str, err: str = "") -> Answer:
    lines = out.splitlines()
    if code == SSH_FAILED or not lines or lines[0].strip() != f"{MARK} begin":
        return Answer(unreachable=failure_reason(code, err))
    answer = Answer()
    current: Section | None = None
    for line in lines[1:]:
        if line.startswith(f"{MARK} "):
            word = line[len(MARK) + 1:].strip()
            if word == "end":
                answer.complete = True
                current = None
            elif word.startswith("rc "):
                if current is not None:
                    rc = word[3:].strip()
                    current.rc = int(rc) if rc.lstrip("-").isdigit() else None
                current = None
            else:
                current = answer.sections.setdefault(word, Section())
        elif current is not None:
            current.lines.append(line)
    return answer


def json_lines(section: Section | None) -> list[dict]:
    """The JSON objects of a Docker section (other lines are the command's messages)."""
    out = []
    for line in (section.lines if section else []):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append(value)
    return out


# ---- status dataclasses --------------------------------------------------------------------------

@dataclass
class ServerStatus:
    name: str
    roles: list[str]                # hive, repository (both when the repository is a hive)
    reachable: bool
    error: str | None = None


@dataclass
class NodeStatus:
    hostname: str
    server: str | None              # the inventory server it is, when known
    status: str                     # Ready, Down, Unknown
    availability: str               # Active, Pause, Drain
    manager_status: str             # Leader, Reachable, Unreachable, "" (worker)
    engine_version: str = ""

    @property
    def ok(self) -> bool:
        return self.status.lower() == "ready" and self.manager_status.lower() != "unreachable"


@dataclass
class TaskStatus:
    name: str
    node: str
    state: str                      # CurrentState as printed: "Running 2 hours ago"
    desired_state: str
    error: str = ""

    @property
    def running(self) -> bool:
        return self.state.split(" ", 1)[0].lower() == "running"


@dataclass
class ServiceStatus:
    name: str
    deployed: bool
    mode: str = ""
    replicas: str = ""              # as `docker service ls` prints it: "2/3", "1/1 (max 1 per node)"
    running: int | None = None
    desired: int | None = None
    image: str = ""
    tasks: list[TaskStatus] = field(default_factory=list)

    @property
    def nodes(self) -> list[str]:
        return sorted({t.node for t in self.tasks if t.running and t.node})

    @property
    def ok(self) -> bool:
        if not self.deployed:
            return False
        if "completed" in self.replicas:           # a job: done is fine
            return True
        return self.running is not None and self.desired is not None and self.running >= self.desired


@dataclass
class VipStatus:
    service: str
    label: str                      # HIVE_VIP, HIVE_VIP0 .. HIVE_VIP5, HIVE_VIP_V6, ...
    value: str                      # the label's value: A.B.C.D[/len][@ifname]
    holders: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)   # hives that could not tell
    error: str | None = None        # invalid label value

    @property
    def ok(self) -> bool:
        return self.error is None and len(self.holders) == 1


@dataclass
class MarkStatus:
    service: str
    mark: str                       # the node label key set to "true" where the task runs
    holders: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return len(self.holders) == 1


@dataclass
class RegistryStatus:
    server: str
    url: str
    http_code: int | None = None
    error: str | None = None        # why it was not asked or did not answer

    @property
    def answering(self) -> bool:
        return self.http_code in REGISTRY_ANSWERING


@dataclass
class VolumesStatus:
    mode: str                       # none | emulated | drbd
    names: list[str] = field(default_factory=list)
    hosts: dict[str, dict[str, str]] = field(default_factory=dict)   # volume -> hive -> state (drbd)
    healthy: bool | None = None     # drbd only: no diagnosed problem where hives answered
    incomplete: list[str] = field(default_factory=list)
    text: str = ""                  # volume-status's report (drbd only)


@dataclass
class SiteStatus:
    stage: str
    provider: str
    start_phase: str
    servers: list[ServerStatus]
    swarm_host: str | None = None   # the hive whose engine told the swarm part
    swarm_error: str | None = None  # why no hive could tell
    swarm_skipped: list[str] = field(default_factory=list)   # why the hives before swarm_host did not
    nodes: list[NodeStatus] = field(default_factory=list)
    services: list[ServiceStatus] = field(default_factory=list)
    vips: list[VipStatus] = field(default_factory=list)
    marks: list[MarkStatus] = field(default_factory=list)
    registry: RegistryStatus | None = None
    volumes: VolumesStatus = field(default_factory=lambda: VolumesStatus("none"))
    missing_nodes: list[str] = field(default_factory=list)   # hives that are no swarm node

    def problems(self) -> list[str]:
        """What is wrong, one line each; empty when the site is healthy."""
        out = [f"{s.name} is unreachable: {s.error}" for s in self.servers if not s.reachable]
        if self.swarm_error:
            out.append(f"swarm state unknown: {self.swarm_error}")
        out += [f"swarm node {n.hostname} is {n.status}"
                + (f" (manager {n.manager_status})" if n.manager_status else "")
                for n in self.nodes if not n.ok]
        out += [f"{h} is not a node of the swarm" for h in self.missing_nodes]
        for s in self.services:
            if not s.deployed:
                out.append(f"service {s.name} is not deployed")
            elif not s.ok:
                out.append(f"service {s.name}: {s.replicas or '?'} tasks running"
                           + "".join(f"; {t.name}: {t.error}" for t in s.tasks if t.error)[:300])
        for v in self.vips:
            if v.error:
                out.append(f"service {v.service}: {v.label}={v.value}: {v.error}")
            elif not v.ok:
                out.append(f"service {v.service}: VIP {v.value} held by "
                           f"{', '.join(v.holders) or 'no hive'}"
                           + (f" ({', '.join(v.unknown)} could not tell)" if v.unknown else ""))
        out += [f"service {m.service}: mark {m.mark} held by {', '.join(m.holders) or 'no node'}"
                for m in self.marks if not m.ok]
        if self.registry is not None and not self.registry.answering:
            out.append(f"registry {self.registry.url} is not answering: "
                       f"{self.registry.error or f'HTTP {self.registry.http_code}'}")
        if self.volumes.healthy is False:
            out.append("some DRBD volumes need repair (`hive volume-status` shows the repairs)")
        out += [f"DRBD state incomplete: {x}" for x in self.volumes.incomplete]
        return out

    @property
    def healthy(self) -> bool:
        return not self.problems()


# ---- from answers to a SiteStatus ----------------------------------------------------------------

_REPLICAS = re.compile(r"^\s*(\d+)/(\d+)")


def parse_replicas(text: str) -> tuple[int | None, int | None]:
    """`docker service ls` REPLICAS: "2/3", "1/1 (max 1 per node)", "0/1 (1/1 completed)"."""
    m = _REPLICAS.match(text or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def parse_nodes(section: Section | None, servers: list[str]) -> list[NodeStatus]:
    return [NodeStatus(hostname=str(n.get("Hostname", "")),
                       server=server_of(str(n.get("Hostname", "")), servers),
                       status=str(n.get("Status", "")), availability=str(n.get("Availability", "")),
                       manager_status=str(n.get("ManagerStatus", "")),
                       engine_version=str(n.get("EngineVersion", "")))
            for n in json_lines(section)]


def server_of(hostname: str, servers: list[str]) -> str | None:
    """The inventory server a swarm node or task node is (nodes may be named short or FQDN)."""
    for s in servers:
        if hostname == s or hostname == s.split(".", 1)[0] or hostname.split(".", 1)[0] == s:
            return s
    return None


def parse_services(services: Section | None, tasks: Section | None,
                   expected: list[str]) -> list[ServiceStatus]:
    """Every service in the swarm and every expected (inventory) service, by name; tasks are
    `docker service ps --filter desired-state=running` lines, filed by the service whose name
    prefixes the task name (`web.1`, `web.<node id>` for a global service)."""
    out: dict[str, ServiceStatus] = {}
    for s in json_lines(services):
        name = str(s.get("Name", ""))
        running, desired = parse_replicas(str(s.get("Replicas", "")))
        out[name] = ServiceStatus(name, True, str(s.get("Mode", "")), str(s.get("Replicas", "")),
                                  running, desired, str(s.get("Image", "")))
    by_length = sorted(out, key=len, reverse=True)
    for t in json_lines(tasks):
        task_name = str(t.get("Name", ""))
        owner = next((n for n in by_length if task_name.startswith(n + ".")), None)
        if owner is None:
            continue
        error = str(t.get("Error", "")).strip().strip('"')
        out[owner].tasks.append(TaskStatus(task_name, str(t.get("Node", "")),
                                           str(t.get("CurrentState", "")),
                                           str(t.get("DesiredState", "")), error))
    for name in expected:
        out.setdefault(name, ServiceStatus(name, False))
    return [out[n] for n in sorted(out)]


def parse_vips(service_labels: Section | None, addresses: dict[str, Answer]) -> list[VipStatus]:
    """Each HIVE_VIP* label of a swarm service, with the hives having its address on an interface.
    `addresses`: hive -> its answer (sections `addresses`, `ip -j addr show`)."""
    held: dict[str, list] = {}      # hive -> its interface addresses
    unknown = []
    for hive, answer in addresses.items():
        section = answer.sections.get("addresses")
        if answer.unreachable or section is None or not section.ok:
            unknown.append(hive)
            continue
        try:
            held[hive] = parse_ip_json("\n".join(section.lines))
        except (ValueError, KeyError, TypeError):
            unknown.append(hive)
    out = []
    for service in json_lines(service_labels):
        for hook in hooks_of_service(service):
            if hook.is_mark:
                continue
            label = "HIVE_VIP" + hook.cls[len("SetVIP"):].replace("v6", "_V6")
            try:
                spec = parse_vip(hook.value, v6=hook.v6)
            except VipLabelError as e:
                out.append(VipStatus(hook.service, label, hook.value, error=str(e)))
                continue
            holders = sorted(h for h, addrs in held.items() if find_present(addrs, spec.address))
            out.append(VipStatus(hook.service, label, hook.value, holders, unknown=sorted(unknown)))
    return out


def parse_marks(service_labels: Section | None, node_labels: Section | None,
                servers: list[str]) -> list[MarkStatus]:
    """Each HIVE_MARK of a swarm service, with the nodes whose label `<mark>=true` is set."""
    nodes = [(str(n.get("Hostname", "")), n.get("Labels") or {}) for n in json_lines(node_labels)]
    out = []
    for service in json_lines(service_labels):
        for hook in hooks_of_service(service):
            if hook.is_mark:
                holders = sorted(server_of(h, servers) or h for h, labels in nodes
                                 if isinstance(labels, dict) and labels.get(hook.value) == "true")
                out.append(MarkStatus(hook.service, hook.value, holders))
    return out


def parse_registry(server: str, url: str, answer: Answer) -> RegistryStatus:
    if answer.unreachable:
        return RegistryStatus(server, url, error=f"{server} is unreachable")
    section = answer.sections.get("registry")
    if section is None:
        return RegistryStatus(server, url, error="not asked")
    code = next((line.strip() for line in section.lines if line.strip().isdigit()), "")
    if code and code != "000":
        return RegistryStatus(server, url, int(code))
    if section.rc == 127:
        return RegistryStatus(server, url, error=f"curl is not installed on {server}")
    return RegistryStatus(server, url, error=f"no answer (curl exit {section.rc})")


def assemble(*, stage: str, provider: str, start_phase: str, servers: list[ServerStatus],
             answers: dict[str, Answer], hives: list[str], swarm_host: str | None,
             swarm_error: str | None, swarm_skipped: Sequence[str] = (),
             expected_services: list[str], registry: RegistryStatus | None,
             volumes: VolumesStatus) -> SiteStatus:
    """A SiteStatus from the parsed answers; `answers[swarm_host]` holds the swarm sections."""
    names = [s.name for s in servers]
    status = SiteStatus(stage, provider, start_phase, servers, swarm_host, swarm_error,
                        list(swarm_skipped), registry=registry, volumes=volumes)
    if swarm_host is None:
        return status
    sw = answers[swarm_host].sections
    status.nodes = parse_nodes(sw.get("nodes"), names)
    known = {n.server for n in status.nodes}
    status.missing_nodes = [h for h in hives if h not in known]
    status.services = parse_services(sw.get("services"), sw.get("tasks"), expected_services)
    status.vips = parse_vips(sw.get("service-labels"), {h: answers[h] for h in hives if h in answers})
    status.marks = parse_marks(sw.get("service-labels"), sw.get("node-labels"), names)
    return status


# ---- renderings ----------------------------------------------------------------------------------

def _table(header: tuple[str, ...], rows: list[tuple[bool | None, tuple[str, ...]]]) -> list[str]:
    """Aligned columns, each row led by ✓ / ✗ (or a blank for the header)."""
    cells = [header] + [r for _, r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = []
    for mark, cols in [(None, header)] + rows:
        lead = " " if mark is None else OK if mark else KO
        lines.append(("  " + lead + " " + "  ".join(c.ljust(w) for c, w in zip(cols, widths))).rstrip())
    return lines


def _vip_holders(v: VipStatus) -> str:
    if v.error:
        return f"invalid: {v.error}"
    text = ", ".join(v.holders) or "nobody"
    if v.unknown and not v.ok:
        text += f" ({', '.join(v.unknown)} could not tell)"
    return text


def render_text(s: SiteStatus) -> str:
    out = [f"stage {s.stage}  provider {s.provider}  start_phase {s.start_phase}", "", "SERVERS"]
    out += _table(("SERVER", "ROLE", "SSH"),
                  [(x.reachable, (x.name, "+".join(x.roles),
                                  "reachable" if x.reachable else f"unreachable: {x.error}"))
                   for x in s.servers])
    out += ["", "SWARM NODES" + (f" (as {s.swarm_host} sees them)" if s.swarm_host else "")]
    out += [f"    skipped: {why}" for why in s.swarm_skipped]
    if s.swarm_error:
        out.append(f"  {KO} unknown: {s.swarm_error}")
    else:
        out += _table(("NODE", "STATUS", "AVAILABILITY", "MANAGER", "ENGINE"),
                      [(n.ok, (n.hostname, n.status, n.availability, n.manager_status or "-",
                               n.engine_version or "-")) for n in s.nodes])
        out += [f"  {KO} {h}: not a node of the swarm" for h in s.missing_nodes]
    if s.swarm_host:
        out += ["", "SERVICES"]
        if s.services:
            out += _table(("SERVICE", "MODE", "TASKS", "RUNNING ON"),
                          [(x.ok, (x.name, x.mode or "-", x.replicas if x.deployed else "not deployed",
                                   ", ".join(x.nodes) or "-")) for x in s.services])
            for x in s.services:
                for t in x.tasks:
                    if not t.running or t.error:
                        out.append(f"      {t.name} on {t.node or '(no node)'}: {t.state}"
                                   + (f": {t.error}" if t.error else ""))
        else:
            out.append("    none")
        out += ["", "VIPS AND MARKS"]
        rows = [(v.ok, (v.service, v.label, v.value, _vip_holders(v))) for v in s.vips]
        rows += [(m.ok, (m.service, "HIVE_MARK", m.mark, ", ".join(m.holders) or "nobody"))
                 for m in s.marks]
        out += _table(("SERVICE", "LABEL", "VALUE", "HELD BY"), rows) if rows else ["    none"]
    out += ["", "REGISTRY"]
    if s.registry is None:
        out.append("    not asked")
    else:
        r = s.registry
        out.append(f"  {OK if r.answering else KO} {r.url} "
                   + (f"answering (HTTP {r.http_code})" if r.answering
                      else f"not answering: {r.error or f'HTTP {r.http_code}'}"))
    out += ["", "VOLUMES"]
    v = s.volumes
    if v.mode == "none":
        out.append("    no DRBD volume in this stage")
    elif v.mode == "emulated":
        out.append(f"    DRBD emulated on this provider (shared storage, no replication): "
                   f"{', '.join(v.names)}")
    else:
        out += ["    " + line if line else "" for line in v.text.rstrip("\n").splitlines()]
    problems = s.problems()
    out += ["", f"{OK} healthy" if not problems else "PROBLEMS"]
    out += [f"  {KO} {p}" for p in problems]
    return "\n".join(out) + "\n"


def to_json(s: SiteStatus) -> dict[str, Any]:
    """The `hive status --json` document. Keys (always present, in this order):

    stage, built (true here; a stage never built is only `{"stage": ..., "built": false}`),
    provider, start_phase, healthy (bool), problems ([str], the lines of PROBLEMS),
    servers: [{name, roles: [hive|repository], reachable, error}],
    swarm: {queried_on (hive or null), error (str or null), skipped ([str]: why each hive before
            queried_on could not tell),
            nodes: [{hostname, server, status, availability, manager_status, engine_version, ok}],
            missing_nodes: [hive]},
    services: [{name, deployed, mode, replicas, running, desired, image,
                tasks: [{name, node, state, desired_state, error}], nodes: [node], ok}]
              (tasks are those whose desired state is running),
    vips: [{service, label, value, holders: [hive], unknown: [hive], error, ok}],
    marks: [{service, mark, holders: [server], ok}],
    registry: {server, url, http_code, error, answering} or null,
    volumes: {mode: none|emulated|drbd, names: [volume],
              hosts: {volume: {hive: OK|SYNCING|ERROR|DOWN|UNREACHABLE|NOT BUILT}} (drbd only),
              healthy (bool, or null when not drbd), incomplete: [str]}.
    """
    problems = s.problems()
    v = s.volumes
    return {
        "stage": s.stage,
        "built": True,
        "provider": s.provider,
        "start_phase": s.start_phase,
        "healthy": not problems,
        "problems": problems,
        "servers": [asdict(x) for x in s.servers],
        "swarm": {"queried_on": s.swarm_host, "error": s.swarm_error,
                  "skipped": list(s.swarm_skipped),
                  "nodes": [{**asdict(n), "ok": n.ok} for n in s.nodes],
                  "missing_nodes": list(s.missing_nodes)},
        "services": [{**asdict(x), "nodes": x.nodes, "ok": x.ok} for x in s.services],
        "vips": [{**asdict(x), "ok": x.ok} for x in s.vips],
        "marks": [{**asdict(m), "ok": m.ok} for m in s.marks],
        "registry": None if s.registry is None else {**asdict(s.registry),
                                                     "answering": s.registry.answering},
        "volumes": {"mode": v.mode, "names": list(v.names), "hosts": v.hosts,
                    "healthy": v.healthy, "incomplete": list(v.incomplete)},
    }


def not_built_text(stage: str) -> str:
    return f"stage {stage} is not built (run `hive build-infra`)\n"


def not_built_json(stage: str) -> dict[str, Any]:
    return {"stage": stage, "built": False}
