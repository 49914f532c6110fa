"""`drbdadm status` (DRBD 9) parsing, and diagnosis of one resource seen from every hive.

Diagnosis names the repairs of the manual (chapter 12.4) and of DRBD's own documentation:
- no replica UpToDate (all Outdated/Inconsistent, manual 12.4.1): `drbdadm primary --force` on one
  hive, `disconnect` + `connect` on the others, then `secondary` on the first;
- a connection that looks broken from one side only (manual 12.4.2): `disconnect` + `connect` on
  the side whose view is healthy;
- a host that gave up on a peer (StandAlone) while the peer keeps trying: `disconnect` + `connect`
  on the StandAlone host (only it can resume the connection);
- both sides StandAlone with data on both: suspected split brain (DRBD user's guide, manual
  split-brain recovery): the operator chooses the node whose changes are discarded;
- a diskless client without an UpToDate peer, suspended I/O, a resource not up on a hive;
- a resync in progress is reported, not flagged as an error.

Pure: text in, dataclasses and strings out. Parsing tolerates the manual's samples, whose
indentation was lost and whose names contain placeholders with spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_KV = re.compile(r"^([A-Za-z][\w-]*):(\S*)$")

GOOD_LOCAL_DISKS = {"UpToDate", "Diskless"}
SYNCING = {"SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT", "VerifyS", "VerifyT"}
# replication states that should pass within a moment; seen for long they mean a stuck handshake
STUCK_REPLICATION = {"WFBitMapS", "WFBitMapT", "WFBtMapS", "WFBtMapT", "WFSyncUUID",
                     "StartingSyncS", "StartingSyncT", "Off"}
CONNECTED = "Connected"


class StatusParseError(ValueError):
    pass


@dataclass
class VolumeStatus:
    volume: int | None = None
    disk: str | None = None
    extra: dict[str, str] = field(default_factory=dict)     # open, quorum, blocked, client, ...


@dataclass
class PeerVolumeStatus:
    volume: int | None = None
    replication: str = "Established"
    peer_disk: str | None = None
    done: float | None = None
    peer_client: bool = False
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class PeerStatus:
    name: str
    role: str | None = None
    connection: str = CONNECTED      # drbdadm prints connection: only when not Connected
    volumes: list[PeerVolumeStatus] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def peer_disks(self) -> set[str]:
        return {v.peer_disk for v in self.volumes if v.peer_disk}


@dataclass
class ResourceStatus:
    name: str
    role: str | None = None
    suspended: str | None = None     # None when not suspended ("suspended:no" or absent)
    volumes: list[VolumeStatus] = field(default_factory=list)
    peers: list[PeerStatus] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def disks(self) -> set[str]:
        return {v.disk for v in self.volumes if v.disk}

    @property
    def disk(self) -> str | None:
        """The local disk state; with several volumes the worst one (non-UpToDate first)."""
        states = [v.disk for v in self.volumes if v.disk]
        bad = [s for s in states if s != "UpToDate"]
        return (bad or states or [None])[0]

    def peer(self, name: str) -> PeerStatus | None:
        return next((p for p in self.peers if p.name == name), None)


def _split(line: str) -> tuple[str, dict[str, str]]:
    """'hive1.x role:Secondary' -> ('hive1.x', {'role': 'Secondary'}); the name may have spaces."""
    name_parts, kv = [], {}
    for tok in line.split():
        m = _KV.match(tok)
        if m:
            kv[m.group(1)] = m.group(2)
        elif kv:
            raise StatusParseError(f"unexpected '{tok}' in line '{line.strip()}'")
        else:
            name_parts.append(tok)
    return " ".join(name_parts), kv


def _volume_no(kv: dict[str, str]) -> int | None:
    v = kv.pop("volume", None)
    return int(v) if v is not None and v.isdigit() else None


def _parse_block(lines: list[str]) -> ResourceStatus:
    name, kv = _split(lines[0])
    if not name or "role" not in kv:
        raise StatusParseError(f"not a resource line: '{lines[0].strip()}'")
    suspended = kv.pop("suspended", None)
    res = ResourceStatus(name, kv.pop("role"), None if suspended in (None, "no") else suspended, extra=kv)
    peer: PeerStatus | None = None
    for line in lines[1:]:
        name, kv = _split(line)
        if name:                               # a peer (connection) line
            if not ({"role", "connection"} & kv.keys()):
                raise StatusParseError(f"not a peer line: '{line.strip()}'")
            peer = PeerStatus(name, kv.pop("role", None), kv.pop("connection", CONNECTED), extra=kv)
            res.peers.append(peer)
        elif peer is None:                     # a local volume line
            if "disk" not in kv:
                raise StatusParseError(f"expected disk: in '{line.strip()}'")
            vol = _volume_no(kv)
            res.volumes.append(VolumeStatus(vol, kv.pop("disk"), kv))
        else:                                  # a peer volume line
            vol = _volume_no(kv)
            done = kv.pop("done", None)
            try:
                done_f = float(done) if done is not None else None
            except ValueError:
                raise StatusParseError(f"bad done: value in '{line.strip()}'") from None
            peer.volumes.append(PeerVolumeStatus(
                vol, kv.pop("replication", "Established"), kv.pop("peer-disk", None), done_f,
                kv.pop("peer-client", "no") == "yes", kv))
    return res


def parse_status(text: str) -> list[ResourceStatus]:
    """All resources of a `drbdadm status [res]` output (resources are separated by blank lines)."""
    blocks, cur = [], []
    for raw in text.splitlines():
        if raw.strip():
            cur.append(raw.rstrip())
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return [_parse_block(b) for b in blocks]


def parse_one(text: str, resource: str | None = None) -> ResourceStatus | None:
    """The status of one resource, or None if the output does not show it (resource down)."""
    found = parse_status(text)
    if resource is None:
        return found[0] if found else None
    return next((r for r in found if r.name == resource), None)


# ---- diagnosis ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    code: str          # no_uptodate | one_sided | standalone | split_brain | down | diskless_no_data |
    #                    suspended | local_disk | syncing
    hosts: tuple[str, ...]
    message: str
    repair: tuple[str, ...] = ()     # "<host>: <command>" steps, in order
    error: bool = True


@dataclass
class Diagnosis:
    resource: str
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not any(f.error for f in self.findings)

    @property
    def syncing(self) -> bool:
        return any(f.code == "syncing" for f in self.findings)


def _view_ok(status: ResourceStatus, peer_name: str, peer_status: ResourceStatus | None) -> bool:
    """Does `status`'s host see `peer_name` as connected and sane?"""
    p = status.peer(peer_name)
    if p is None or p.connection != CONNECTED:
        return False
    # a peer being resynchronised from a third node is Inconsistent for everyone, legitimately
    peer_is_target = peer_status is not None and any(
        v.replication in ("SyncTarget", "PausedSyncT") for q in peer_status.peers for v in q.volumes)
    for v in p.volumes:
        if v.replication in STUCK_REPLICATION:
            return False
        if v.replication in SYNCING:
            continue
        if v.peer_disk == "Inconsistent" and peer_is_target:
            continue
        if v.peer_disk not in (None, "UpToDate", "Diskless"):
            return False
    return True


def diagnose(resource: str, statuses: dict[str, ResourceStatus | None]) -> Diagnosis:
    """Findings for one resource given each hive's status (None = resource not up there).
    `statuses` is in hive order; the first hive with a disk is the one forced primary if needed."""
    f: list[Finding] = []
    up = {h: s for h, s in statuses.items() if s is not None}
    for h, s in statuses.items():
        if s is None:
            f.append(Finding("down", (h,), f"{resource} is not up on {h}",
                             (f"{h}: systemctl start drbd-resource@{resource}  (or: drbdadm up {resource})",)))

    with_disk = [h for h, s in up.items() if s.disk != "Diskless"]
    if with_disk and not any(up[h].disk == "UpToDate" for h in with_disk) \
            and not any(v.replication in SYNCING for s in up.values() for p in s.peers for v in p.volumes):
        first, others = with_disk[0], [h for h in up if h != with_disk[0]]
        steps = [f"{first}: drbdadm primary --force {resource}"]
        steps += [f"{h}: drbdadm disconnect {resource}; drbdadm connect {resource}" for h in others]
        steps += [f"{first}: drbdadm secondary {resource}"]
        f.append(Finding("no_uptodate", tuple(with_disk),
                         f"no replica of {resource} is UpToDate ("
                         + ", ".join(f"{h}: {up[h].disk}" for h in with_disk)
                         + "); stop the services using it first (hive deploy-services -l <service> -D)",
                         tuple(steps)))

    seen: set[frozenset] = set()
    hosts = list(up)
    for a in hosts:
        for b in hosts:
            pair = frozenset((a, b))
            if a == b or pair in seen:
                continue
            pa, pb = up[a].peer(b), up[b].peer(a)
            if pa is None or pb is None:
                continue
            seen.add(pair)
            ca, cb = pa.connection, pb.connection
            if ca == "StandAlone" and cb == "StandAlone":
                if up[a].disk != "Diskless" and up[b].disk != "Diskless":
                    keep = next((h for h in (a, b) if up[h].role == "Primary"), a)
                    drop = b if keep == a else a
                    f.append(Finding("split_brain", (a, b), (
                        f"{a} and {b} refuse each other (both StandAlone): suspected split brain of "
                        f"{resource}; choose the node whose changes are discarded (suggested: {drop}, "
                        f"kept: {keep}) and check the kernel log for 'Split-Brain detected'"), (
                        f"{drop}: drbdadm disconnect {resource}; drbdadm secondary {resource}; "
                        f"drbdadm connect --discard-my-data {resource}",
                        f"{keep}: drbdadm connect {resource}")))
                else:
                    f.append(Finding("standalone", (a, b), f"{a} and {b} are both StandAlone for {resource}",
                                     tuple(f"{h}: drbdadm disconnect {resource}; drbdadm connect {resource}"
                                           for h in (a, b))))
                continue
            for x, y, cx, cy in ((a, b, ca, cb), (b, a, cb, ca)):
                if cx == "StandAlone" and cy != "StandAlone":
                    f.append(Finding("standalone", (x,), (
                        f"{x} gave up its connection to {y} for {resource} (StandAlone; {y} sees {cy})"),
                        (f"{x}: drbdadm disconnect {resource}; drbdadm connect {resource}",)))
                    break
            else:
                ok_ab, ok_ba = _view_ok(up[a], b, up[b]), _view_ok(up[b], a, up[a])
                if ok_ab != ok_ba:
                    healthy, other = (a, b) if ok_ab else (b, a)
                    bad_view = up[other].peer(healthy)
                    detail = bad_view.connection if bad_view.connection != CONNECTED else ", ".join(
                        f"replication:{v.replication} peer-disk:{v.peer_disk}" for v in bad_view.volumes)
                    f.append(Finding("one_sided", (healthy, other), (
                        f"{other} sees {healthy} as {detail} for {resource} while {healthy} sees {other} "
                        "as healthy: incomplete connection"),
                        (f"{healthy}: drbdadm disconnect {resource}; drbdadm connect {resource}",)))
                elif not ok_ab and {ca, cb} <= {"Connecting", CONNECTED} and CONNECTED not in {ca, cb}:
                    f.append(Finding("standalone", (a, b), (
                        f"{a} and {b} both try to connect for {resource} and fail: check the network "
                        "(tcp 7000-7999 between hives) and that both use the same resource file"), ()))

    for h, s in up.items():
        if s.disk == "Diskless":
            has_data = any(p.connection == CONNECTED and "UpToDate" in p.peer_disks for p in s.peers)
            if not has_data:
                f.append(Finding("diskless_no_data", (h,), (
                    f"{h} has no disk for {resource} and reaches no UpToDate peer: I/O there fails"),
                    tuple(f"{p.name}: drbdadm connect {resource}" for p in s.peers if p.connection != CONNECTED)))
        elif s.disk not in GOOD_LOCAL_DISKS and not any(
                v.replication in SYNCING for p in s.peers for v in p.volumes) \
                and not any(x.code == "no_uptodate" for x in f):
            f.append(Finding("local_disk", (h,), f"disk of {resource} on {h} is {s.disk}",
                             (f"{h}: drbdadm disconnect {resource}; drbdadm connect {resource}",)))
        if s.suspended:
            f.append(Finding("suspended", (h,), (
                f"I/O of {resource} is suspended on {h} ({s.suspended}); restore the connections, then resume"),
                (f"{h}: drbdadm resume-io {resource}",)))

    for h, s in up.items():
        for p in s.peers:
            for v in p.volumes:
                if v.replication in ("SyncSource", "PausedSyncS") and p.connection == CONNECTED:
                    done = f" {v.done:.1f}% done" if v.done is not None else ""
                    f.append(Finding("syncing", (h, p.name),
                                     f"{resource}: {h} resynchronises {p.name} ({v.replication}){done}",
                                     error=False))
    # a SyncTarget whose source is not in the statuses (e.g. only that host asked) is syncing too
    if not any(x.code == "syncing" for x in f):
        for h, s in up.items():
            for p in s.peers:
                for v in p.volumes:
                    if v.replication in ("SyncTarget", "PausedSyncT"):
                        done = f" {v.done:.1f}% done" if v.done is not None else ""
                        f.append(Finding("syncing", (p.name, h),
                                         f"{resource}: {h} is resynchronised from {p.name}{done}", error=False))
    return Diagnosis(resource, f)


# ---- table for the CLI --------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusRow:
    host: str
    resource: str
    role: str
    disk: str
    peers: str
    state: str          # OK | SYNCING | ERROR | DOWN


def _peer_summary(p: PeerStatus) -> str:
    parts = [p.name]
    if p.connection != CONNECTED:
        parts.append(p.connection)
    else:
        parts.append(p.role or "?")
        for v in p.volumes:
            s = v.peer_disk or "?"
            if v.replication != "Established":
                s = f"{v.replication}/{s}" + (f" {v.done:g}%" if v.done is not None else "")
            parts.append(s)
    return " ".join(parts)


def status_rows(diagnosis: Diagnosis, statuses: dict[str, ResourceStatus | None]) -> list[StatusRow]:
    rows = []
    for h, s in statuses.items():
        involved = [x for x in diagnosis.findings if h in x.hosts]
        if s is None:
            rows.append(StatusRow(h, diagnosis.resource, "-", "-", "-", "DOWN"))
            continue
        state = "ERROR" if any(x.error for x in involved) else "SYNCING" if involved else "OK"
        rows.append(StatusRow(h, diagnosis.resource, s.role or "?", s.disk or "?",
                              ", ".join(_peer_summary(p) for p in s.peers) or "-", state))
    return rows


def format_status_table(rows: list[StatusRow]) -> str:
    header = ("HOST", "RESOURCE", "ROLE", "DISK", "STATE", "PEERS")
    cells = [header] + [(r.host, r.resource, r.role, r.disk, r.state, r.peers) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header) - 1)]
    lines = []
    for c in cells:
        lines.append("  ".join(c[i].ljust(widths[i]) for i in range(len(widths))) + "  " + c[-1])
    return "\n".join(line.rstrip() for line in lines) + "\n"


def format_findings(diagnosis: Diagnosis) -> str:
    out = []
    for x in diagnosis.findings:
        out.append(f"{'ERROR' if x.error else 'INFO'}: {x.message}")
        out += [f"  repair: {step}" for step in x.repair]
    return "\n".join(out) + ("\n" if out else "")
