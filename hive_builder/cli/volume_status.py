"""`hive volume-status`: every DRBD resource of the stage as each hive sees it, in one table,
with the repair the manual (12.4) documents for each broken pattern."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from hive_builder import drbd_status
from hive_builder.errors import HiveError

# (host, command) -> (exit code, stdout)
Runner = Callable[[str, str], tuple[int, str]]


def ssh_runner(ssh_config: Path) -> Runner:
    def run(host: str, command: str) -> tuple[int, str]:
        proc = subprocess.run(["ssh", "-F", str(ssh_config), host, command],
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout
    return run


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


def collect(hives: list[str], volumes: list[str], run: Runner) -> dict[str, dict[str, object]]:
    """volume -> hive -> ResourceStatus (None when the resource is not up or the hive is down)."""
    seen: dict[str, dict[str, object]] = {v: {} for v in volumes}
    for hive in hives:
        code, out = run(hive, "sudo drbdadm status all 2>/dev/null")
        parsed = {}
        if code == 0 or out.strip():
            parsed = {r.name: r for r in drbd_status.parse_status(out)}
        for volume in volumes:
            seen[volume][hive] = parsed.get(volume)
    return seen


def report(seen: dict[str, dict[str, object]]) -> tuple[str, bool]:
    parts, healthy = [], True
    for volume, statuses in seen.items():
        diagnosis = drbd_status.diagnose(volume, statuses)
        healthy = healthy and diagnosis.ok
        parts.append(f"volume {volume}")
        parts.append(drbd_status.format_status_table(drbd_status.status_rows(diagnosis, statuses)))
        findings = drbd_status.format_findings(diagnosis)
        if findings:
            parts.append(findings)
    return "\n".join(parts).rstrip() + "\n", healthy
