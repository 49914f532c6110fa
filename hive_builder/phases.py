"""The seven phases and the pure decisions about running them (reference §2.7, §2.8).

`hive all` state machine: `start_phase` (stage-scoped, persisted) names the phase `hive all`
starts with. After a phase succeeds:
- check mode (-C) leaves it unchanged (decision 8: nothing was changed on the site);
- -D (destroy) or -H (halt) sets it to that phase: what was removed or stopped must be built again;
- otherwise it moves to the next phase; after the last phase it wraps to the first one, so that
  `hive all` after a complete success re-runs every phase (all idempotent), which is what a user
  re-running "all" expects (the original re-ran only initialize-services).
A failing phase leaves it unchanged, so `hive all` resumes at the failed phase.

Also the tags `-T` may name: read from the phase's playbook (and the roles it applies), so that an
unknown tag is refused before ansible runs instead of making it run nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from hive_builder.config.catalogue import PHASE_NAMES
from hive_builder.errors import HiveError


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
    # -l is accepted (manual chapter 6) but has nothing to narrow: said, not silently dropped
    limit_ignored: bool = False

    @property
    def playbook(self) -> str:
        return f"{self.name}.yml"


PHASES: tuple[Phase, ...] = (
    Phase("build-infra", limit_ignored=True),
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
                  ansible_playbook: str = "ansible-playbook",
                  extra_vars: Mapping[str, str] | None = None) -> list[str]:
    argv = [ansible_playbook, "--limit", limit_for(phase_name, stage, limit_target)]
    if verbose:
        argv.append("-vvv")
    if check_mode:
        argv.append("-C")
    if tags:
        argv += ["--tags", tags]
    argv += ["--extra-vars", f"@{vars_file}"]
    if extra_vars:
        argv += ["--extra-vars", json.dumps(dict(extra_vars), sort_keys=True)]
    return argv + [str(playbook)]


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


# --- `-T` (setup-hosts) -----------------------------------------------------------------------
# Ansible's own tags: accepted whatever the playbook says.
ANSIBLE_SPECIAL_TAGS = ("all", "always", "never", "tagged", "untagged")
# Roles of the manual's setup-hosts (8.2) that have no counterpart here: `-T` refuses them saying
# why, instead of letting ansible run nothing. A tag found in the playbook wins, so adding the
# role (tagged with its name) makes its tag valid without touching this table.
ROLES_NOT_BUILT = {
    "docker-compose": "no role installs docker-compose here: the registry runs from Debian's "
                      "docker-registry package and nothing else uses compose",
}
_TASK_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")
_BLOCK_LISTS = ("block", "rescue", "always")
_ROLE_INCLUDES = ("include_role", "import_role")
_TASK_INCLUDES = ("include_tasks", "import_tasks")


def _module(task: dict, names: tuple[str, ...]) -> object:
    for name in names:
        for key in (name, f"ansible.builtin.{name}"):
            if key in task:
                return task[key]
    return None


def _tag_list(value: object) -> list[str]:
    """A `tags:` value (list, or a string of comma separated tags); templated tags are skipped."""
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return [str(t).strip() for t in items
            if isinstance(t, str | int) and str(t).strip() and "{" not in str(t)]


def _load(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None   # a broken file is ansible-playbook's to report, not a tag question


def _tasks_tags(tasks: object, roles: list[tuple[str, str]], files: list[str]) -> Iterator[str]:
    """Tags of a task list (blocks included). What it includes is appended to `roles`
    ((role, tasks file)) and `files` (task files of the same role)."""
    for task in tasks if isinstance(tasks, list) else ():
        if not isinstance(task, dict):
            continue
        yield from _tag_list(task.get("tags"))
        for key in _BLOCK_LISTS:
            yield from _tasks_tags(task.get(key), roles, files)
        spec = _module(task, _ROLE_INCLUDES)
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            roles.append((spec["name"], str(spec.get("tasks_from") or "main")))
        spec = _module(task, _TASK_INCLUDES)
        spec = spec.get("file") if isinstance(spec, dict) else spec
        if isinstance(spec, str):
            files.append(spec)


def _role_tags(name: str, tasks_from: str, roles_path: Sequence[Path],
               roles: list[tuple[str, str]]) -> Iterator[str]:
    """Tags of the task files a role runs from `tasks_from` (following include_tasks), the role
    found as ansible finds it: the first directory of the roles path that has it."""
    for base in roles_path:
        tasks_dir = Path(base) / name / "tasks"
        if not tasks_dir.is_dir():
            continue
        pending, done = [tasks_from], set()
        while pending:
            entry = pending.pop()
            path = tasks_dir / (entry if entry.endswith((".yml", ".yaml")) else f"{entry}.yml")
            if entry in done or "{" in entry or not path.is_file():
                continue
            done.add(entry)
            yield from _tasks_tags(_load(path), roles, pending)
        return


def playbook_tags(playbook: str | Path, roles_path: Iterable[str | Path] = ()) -> set[str]:
    """Every tag `--tags` can select in a playbook: those of its plays, of the roles it applies
    and of the tasks they run (roles looked up on `roles_path`, a project's own `addon` included)."""
    search = [Path(p) for p in roles_path if str(p)]
    tags: set[str] = set()
    roles: list[tuple[str, str]] = []
    plays = _load(Path(playbook))
    for play in plays if isinstance(plays, list) else ():
        if not isinstance(play, dict):
            continue
        tags.update(_tag_list(play.get("tags")))
        for entry in play.get("roles") or ():
            if isinstance(entry, str):
                roles.append((entry, "main"))
            elif isinstance(entry, dict):
                tags.update(_tag_list(entry.get("tags")))
                name = entry.get("role", entry.get("name"))
                if isinstance(name, str):
                    roles.append((name, "main"))
        for key in _TASK_LISTS:
            tags.update(_tasks_tags(play.get(key), roles, []))
    seen: set[tuple[str, str]] = set()
    while roles:
        role = roles.pop()
        if role not in seen and "{" not in role[0]:
            seen.add(role)
            tags.update(_role_tags(*role, search, roles))
    return tags


def check_tags(value: str, valid: Iterable[str], phase_name: str = "setup-hosts") -> str:
    """The `-T` value as ansible gets it (items stripped), or the HiveError of an unknown tag or
    of a manual role that is not built here. `valid` are the playbook's tags."""
    known = set(valid) | set(ANSIBLE_SPECIAL_TAGS)
    requested = list(dict.fromkeys(t.strip() for t in str(value).split(",") if t.strip()))
    listing = ", ".join(sorted(known - set(ANSIBLE_SPECIAL_TAGS))) + \
        " (and ansible's " + ", ".join(ANSIBLE_SPECIAL_TAGS) + ")"
    if not requested:
        raise HiveError(f"{phase_name}: -T (tags) is empty", hint=f"valid tags: {listing}")
    not_built = [t for t in requested if t not in known and t in ROLES_NOT_BUILT]
    unknown = [t for t in requested if t not in known and t not in ROLES_NOT_BUILT]
    if not not_built and not unknown:
        return ",".join(requested)
    problems = [f"{t}: {ROLES_NOT_BUILT[t]}" for t in not_built]
    if unknown:
        problems.append(f"unknown tag{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    rest = [t for t in requested if t in known]
    hint = f"valid tags: {listing}"
    if rest and not unknown:
        hint = f"run the others alone (-T {','.join(rest)}); {hint}"
    hint += "; a tag saved with `hive set tags` applies until changed"
    raise HiveError(f"{phase_name} -T {','.join(requested)}: " + "; ".join(problems), hint=hint)
