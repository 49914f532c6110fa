"""Stage-wide check of backup_scripts: every definition's name owns files in one directory.

All services of a stage back up into the repository server's ~/backup, so two services with a
definition of the same name would replace each other's `backup-<name>-latest.<ext>` and clean up
each other's files. Per-definition checks are in service_attrs.py.
"""

from __future__ import annotations

from hive_builder.model.checks import STAGES
from hive_builder.model.problems import Problems, Where
from hive_builder.model.services import Service


def check_backup_names(services: dict[str, Service], problems: Problems) -> None:
    owners: dict[tuple[str, str], Service] = {}            # (stage, name) -> first service
    clashes: dict[tuple[str, str, str], list[str]] = {}    # (service, name, other) -> stages
    for service in services.values():
        for name in _names(service):
            for stage in (s for s in STAGES if s in service.stages):
                other = owners.setdefault((stage, name), service)
                if other is not service:
                    clashes.setdefault((service.name, name, other.name), []).append(stage)
    for (svc, name, other), stages in clashes.items():
        service = services[svc]
        on = f"stage{'s' if len(stages) > 1 else ''} {', '.join(stages)}"
        Where(problems, service.file, f"service {svc}").error(
            f"backup script name {name!r} is also used by service {other} "
            f"({services[other].file}) on {on}: both would write backup-{name}-* files in the "
            "same backup directory; choose another name", "backup_scripts")


def _names(service: Service) -> list[str]:
    """Names of the service's definitions (malformed ones are reported by service_attrs)."""
    scripts = service.copied.get("backup_scripts")
    if not isinstance(scripts, list):
        return []
    names = [s.get("name") for s in scripts if isinstance(s, dict)]
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))
