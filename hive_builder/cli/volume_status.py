"""`hive volume-status`: every DRBD resource of the stage as each hive sees it, in one table,
with the repair the manual (12.4) documents for each broken pattern.

Only a resource that is built on a hive and not up there is DOWN (with its repair). What keeps
the state from being known is said as such, without a repair: a hive that does not answer over
ssh is UNREACHABLE; a hive without DRBD (setup-hosts not run), or without the resource file
(build-volumes not run for that volume), is NOT BUILT. A stage never built (no ssh_config) is an
error before anything is asked (cmd_volume_status).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hive_builder import drbd_status
from hive_builder.errors import HiveError
from hive_builder.execution.ssh import SSH_FAILED, Runner, batch_runner, failure_reason

SSH_TIMEOUT = 60
RESOURCE_DIR = "/etc/drbd.d"   # roles/drbd tasks/volume.yml writes <volume>.res there
MARK = "#hive-volume-status"


@dataclass
class HiveView:
    """What one hive told: resources up (name -> status), resource files missing, or why it could
    not tell (`unreachable`, `no_drbd`)."""
    statuses: dict[str, object] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    unreachable: str | None = None
    no_drbd: bool = False


def ssh_runner(ssh_config: Path, ssh: str = "ssh") -> Runner:
    return batch_runner(ssh_config, ssh, connect_timeout=10, timeout=SSH_TIMEOUT)


def status_command(volumes: list[str]) -> str:
    """One remote command per hive: whether DRBD is installed, which resource files are missing,
    then `drbdadm status all`, each part marked so that an incomplete answer is recognised."""
    script = (f"echo '{MARK}'; "
              f"command -v drbdadm >/dev/null 2>&1 || {{ echo '{MARK} no-drbd'; exit 0; }}; "
              f"for r in {' '.join(shlex.quote(v) for v in volumes)}; do "
              f"[ -e {RESOURCE_DIR}/\"$r\".res ] || echo \"{MARK} missing $r\"; done; "
              "drbdadm status all 2>/dev/null; exit 0")
    return f"sudo -n sh -c {shlex.quote(script)}"


def parse_answer(code: int, out: str, err: str = "") -> HiveView:
    lines = out.splitlines()
    if code == SSH_FAILED or not lines or lines[0].strip() != MARK:
        return HiveView(unreachable=failure_reason(code, err))
    view = HiveView()
    status_lines = []
    for line in lines[1:]:
        if line.startswith(MARK):
            kind, _, name = line[len(MARK):].strip().partition(" ")
            if kind == "no-drbd":
                view.no_drbd = True
            elif kind == "missing" and name:
                view.missing.add(name)
        else:
            status_lines.append(line)
    try:
        view.statuses = {r.name: r for r in drbd_status.parse_status("\n".join(status_lines))}
    except drbd_status.StatusParseError as e:
        return HiveView(unreachable=f"unreadable `drbdadm status` output ({e})")
    return view


def drbd_volumes(site, stage: str, limit: list[str] | None) -> list[str]:
    names = sorted(name for name, created in site.volumes.items()
                   if created.volume.drbd is not None and stage in created.stages)
    unknown = sorted(set(limit or ()) - set(names))
    if unknown:
        raise HiveError(f"no DRBD volume named {', '.join(unknown)} in stage {stage}",
                        hint=f"DRBD volumes of the stage: {', '.join(names) or 'none'}")
    return [n for n in names if not limit or n in limit]


def emulated(context_dir: Path) -> bool:
    try:
        facts = yaml.safe_load((context_dir / "provider_facts.yml").read_text()) or {}
    except OSError:
        return False
    return facts.get("drbd") == "emulated"


def collect(hives: list[str], volumes: list[str], run: Runner,
            built_hosts: list[str] | None = None) -> dict[str, HiveView]:
    """hive -> what it told (one ssh per hive). Hives missing from `built_hosts` (the ssh_config
    of the last build-infra) are not asked: the inventory has them, the site does not."""
    views = {}
    command = status_command(volumes)
    for hive in hives:
        if built_hosts is not None and hive not in built_hosts:
            views[hive] = HiveView(unreachable="not in ssh_config: added to the inventory after "
                                               "the last `hive build-infra`")
            continue
        answer = run(hive, command)
        views[hive] = parse_answer(*answer[:3])
    return views


@dataclass
class Report:
    text: str
    healthy: bool                      # no diagnosed problem among the hives that answered
    incomplete: list[str]              # why the state is not fully known (no repair for these)
    states: dict[str, dict[str, str]] = field(default_factory=dict)   # volume -> hive -> STATE


def report(views: dict[str, HiveView], volumes: list[str]) -> Report:
    parts, healthy, incomplete, states = [], True, [], {}
    unreachable = {h: v.unreachable for h, v in views.items() if v.unreachable}
    no_drbd = [h for h, v in views.items() if not v.unreachable and v.no_drbd]
    for h, why in unreachable.items():
        parts.append(f"UNREACHABLE: {h}: {why}; its DRBD state is unknown")
        incomplete.append(f"{h} did not answer")
    if no_drbd:
        parts.append(f"NOT BUILT: DRBD is not installed on {', '.join(no_drbd)}: "
                     "`hive setup-hosts` (role drbd) installs it")
        incomplete.append(f"no DRBD on {', '.join(no_drbd)}")
    for volume in volumes:
        not_built = [h for h, v in views.items()
                     if not v.unreachable and (v.no_drbd or volume in v.missing)]
        asked = {h: v.statuses.get(volume) for h, v in views.items()
                 if not v.unreachable and h not in not_built}
        rows = {}
        findings = ""
        if asked:
            diagnosis = drbd_status.diagnose(volume, asked)
            healthy = healthy and diagnosis.ok
            rows = {r.host: r for r in drbd_status.status_rows(diagnosis, asked)}
            findings = drbd_status.format_findings(diagnosis)
        for h in views:
            if h not in rows:
                state = "UNREACHABLE" if views[h].unreachable else "NOT BUILT"
                rows[h] = drbd_status.StatusRow(h, volume, "-", "-", "-", state)
        states[volume] = {h: rows[h].state for h in views}
        parts.extend([""] * bool(parts) + [f"volume {volume}"])
        parts.append(drbd_status.format_status_table([rows[h] for h in views]))
        if findings:
            parts.append(findings)
        missing = [h for h in not_built if not views[h].no_drbd]
        if missing:
            parts.append(f"NOT BUILT: {volume} has no resource file on {', '.join(missing)} "
                         f"({RESOURCE_DIR}/{volume}.res): `hive build-volumes -l {volume}` builds it")
            incomplete.append(f"{volume} not built on {', '.join(missing)}")
    return Report("\n".join(p.rstrip("\n") for p in parts).rstrip() + "\n", healthy, incomplete,
                  states)
