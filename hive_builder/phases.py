"""The seven phases and the pure decisions about running them (reference §2.7, §2.8).

`hive all` state machine: `start_phase` (stage-scoped, persisted) names the phase `hive all`
starts with. After a phase succeeds:
- check mode (-C) leaves it unchanged (decision 8: nothing was changed on the site);
- -D (destroy) or -H (halt) sets it to that phase: what was removed or stopped must be built again;
- otherwise it moves to the next phase; after the last phase it wraps to the first one, so that
  `hive all` after a complete success re-runs every phase (all idempotent), which is what a user
  re-running "all" expects (the original re-ran only initialize-services).
A failing phase leaves it unchanged, so `hive all` resumes at the failed phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hive_builder.config.catalogue import PHASE_NAMES


@dataclass(frozen=True)
class Phase:
    name: str
    # How `-l a,b` becomes ansible's --limit:
    #   "stage"    → the stage alone (the playbook filters with hive_limit, or -l is meaningless)
    #   "names"    → a:b:&<stage>          (server inventory names / service names)
    #   "images"   → image_a:image_b:repository:&<stage>
    limit_rule: str = "stage"
    # True when the playbook drives Docker through sockets forwarded over ssh (reference §2.9);
    # the runner then opens execution.tunnels around the playbook.
    docker_tunnels: bool = False

    @property
    def playbook(self) -> str:
        return f"{self.name}.yml"


PHASES: tuple[Phase, ...] = (
    Phase("build-infra"),
    Phase("setup-hosts", limit_rule="names"),
    Phase("build-images", limit_rule="images", docker_tunnels=True),
    Phase("build-volumes"),
    Phase("build-networks"),
    Phase("deploy-services"),
    Phase("initialize-services", limit_rule="names", docker_tunnels=True),
)
_BY_NAME = {p.name: p for p in PHASES}


def phase(name: str) -> Phase:
    return _BY_NAME[name]


def split_limit(limit_target: str | None) -> list[str]:
    return [item.strip() for item in (limit_target or "").split(",") if item.strip()]


def limit_for(phase_name: str, stage: str, limit_target: str | None = None) -> str:
    items = split_limit(limit_target)
    rule = phase(phase_name).limit_rule
    if not items or rule == "stage":
        return stage
    if rule == "images":
        return ":".join([f"image_{i}" for i in items] + ["repository", f"&{stage}"])
    return ":".join(items + [f"&{stage}"])


def playbook_argv(phase_name: str, *, stage: str, playbook: str | Path, vars_file: str | Path,
                  limit_target: str | None = None, verbose: bool = False,
                  check_mode: bool = False, tags: str | None = None,
                  ansible_playbook: str = "ansible-playbook") -> list[str]:
    argv = [ansible_playbook, "--limit", limit_for(phase_name, stage, limit_target)]
    if verbose:
        argv.append("-vvv")
    if check_mode:
        argv.append("-C")
    if tags:
        argv += ["--tags", tags]
    argv += ["--extra-vars", f"@{vars_file}", str(playbook)]
    return argv


def phases_from(start: str) -> list[str]:
    """Phases `hive all` runs when starting at `start`."""
    return list(PHASE_NAMES[PHASE_NAMES.index(start):])


def start_phase_after(phase_name: str, *, check_mode: bool = False, destroy: bool = False,
                      halt: bool = False) -> str | None:
    """New start_phase after `phase_name` succeeded, or None to leave it unchanged."""
    if check_mode:
        return None
    if destroy or halt:
        return phase_name
    index = PHASE_NAMES.index(phase_name)
    return PHASE_NAMES[(index + 1) % len(PHASE_NAMES)]


LEGACY_INITIALIZE_PLAYBOOK = "initialize-services.yml"


def playbook_path(phase_name: str, *, playbooks_dir: str | Path,
                  root_dir: str | Path) -> tuple[Path, str | None]:
    """Playbook of a phase and, when a deprecated project playbook overrides it, a warning."""
    if phase_name == "initialize-services":
        legacy = Path(root_dir) / LEGACY_INITIALIZE_PLAYBOOK
        if legacy.is_file():
            return legacy, (f"initialize-services.yml at root directory ({legacy}) is deprecated. "
                            "Use initialize_roles property of service definition")
    return Path(playbooks_dir) / phase(phase_name).playbook, None
