"""deploy-services rollout and convergence: when to force an update, and whether (and why not)
the services converged.

Pure functions over what the playbook collects on the hives: image ids of running tasks and of
the images just pulled (`hive_pull_images.py`), and `docker service ps --no-trunc --format
'{{json .}}'` results as Ansible registers them. deploy.yml calls them through the filters in
`plugins/filter/hive_deploy_filters.py`: the until-loop of "wait until each service has
converged" (`ps_report`) and the final "every service converged" check (`stability_failures`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# --------------------------------------------------------------------------- force update


def _image_id(value: Any) -> str:
    text = str(value or "")
    return text[len("sha256:"):] if text.startswith("sha256:") else text


def _short(node: str) -> str:
    return node.split(".", 1)[0]


def needs_force_update(running_task_image_ids: Mapping[str, Any], pulled_image_ids: Mapping[str, Any]) -> bool:
    """True iff a node runs a task whose container image differs from what was just pulled there
    (§14.6 item 57), so a re-pushed `:latest` rolls out although the service spec is unchanged.

    Both mappings are keyed by node (`p-hive0` or `p-hive0.pdns`; compared by short name when the
    exact name is not found); running values are one image id or a list of them; ids compare with
    or without the `sha256:` prefix. A node with no pull result is not evidence of staleness.
    """
    pulled = {str(k): _image_id(v) for k, v in pulled_image_ids.items() if v}
    pulled_short = {_short(k): v for k, v in pulled.items()}
    for node, ids in running_task_image_ids.items():
        new = pulled.get(str(node), pulled_short.get(_short(str(node))))
        if new is None:
            continue
        for running in ids if isinstance(ids, list) else [ids]:
            if running and _image_id(running) != new:
                return True
    return False


# --------------------------------------------------------------------------- convergence


def _field(task: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if task.get(n) not in (None, ""):
            return task[n]
    return None


def _state_word(value: Any) -> str:
    # `docker service ps` prints "Running 2 minutes ago"; the API gives "running".
    return str(value or "").split(" ", 1)[0].lower()


def _health(task: Mapping[str, Any]) -> str | None:
    value = _field(task, "healthy", "health", "Health")
    if value is None:
        return None
    if isinstance(value, bool):
        return "healthy" if value else "unhealthy"
    return str(value).lower()


_EXIT_CODE = re.compile(r"non-zero exit \((\d+)\)")


def explain_task_error(error: str) -> str:
    """A task error as the operator should read it, with what to check next."""
    lowered = error.lower()
    if "no suitable node" in lowered:
        if "host-mode port" in lowered:
            return f"{error} — a published port is taken on every node the task may run on"
        if "scheduling constraints" in lowered:
            return f"{error} — check placement constraints against the node labels"
        return f"{error} — no node can take the task (constraints, resources or ports)"
    if any(s in lowered for s in ("no such image", "pull access denied", "manifest unknown",
                                  "not found: manifest", "could not be accessed on a registry",
                                  "error pulling image", "unauthorized")):
        return f"image cannot be pulled ({error}) — was build-images run, and can the hives log in to the registry?"
    if "unhealthy" in lowered:
        return f"health check failed ({error}) — see the service log"
    match = _EXIT_CODE.search(lowered)
    if match:
        return f"task exited with code {match.group(1)} ({error}) — see the service log"
    if "address already in use" in lowered or "port is already allocated" in lowered:
        return f"published port already in use on the node ({error})"
    if "invalid mount config" in lowered or "bind source path does not exist" in lowered:
        return f"mount failed ({error}) — does the volume or host path exist on that node?"
    return error


# A task whose desired state is one of these is meant to run (a restarted slot's new task waits
# in "Ready" during the restart delay); shutdown/complete/remove mean history.
_DESIRED_ALIVE = {"new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running"}


def _error(task: Mapping[str, Any]) -> str:
    # `docker service ps --no-trunc` prints the error in double quotes
    return str(_field(task, "Error", "error") or "").strip().strip('"')


def _where(t: Mapping[str, Any]) -> str:
    name = _field(t, "Name", "name") or "task"
    node = _field(t, "Node", "node")
    return f"{name} on {node}" if node else str(name)


def _last_failure(tasks: Iterable[Mapping[str, Any]]) -> str:
    """`<task> on <node>: <why>` for the newest failed or rejected task with an error (docker
    lists each slot's tasks newest first), else ''."""
    for t in tasks:
        error = _error(t)
        if error and _state_word(_field(t, "CurrentState", "current_state")) in ("failed", "rejected"):
            return f"{_where(t)}: {explain_task_error(error)}"
    return ""


def convergence_report(service_tasks: Iterable[Mapping[str, Any]], *, service: str = "",
                       has_healthcheck: bool = False, expected: int | None = None) -> tuple[bool, str]:
    """Has the service converged, and if not, why (deploy-services polls this until timeout).

    Tasks are `docker service ps --no-trunc --format '{{json .}}'` objects (DesiredState,
    CurrentState, Error, Node, Name) or the same in snake case; `healthy`/`health` is added by the
    caller from `docker inspect` when the service has a health check. A task "should run" when
    its desired state is running or a state before it (e.g. Ready while a restart is delayed).
    Converged means: every task that should run is running (and healthy when `has_healthcheck`),
    and at least `expected` (replicas) of them when given. Otherwise the message carries the most relevant task error:
    first one of a task that should run, then the newest failed task (tasks are listed newest
    first per slot, as `docker service ps` prints them).
    """
    tasks = list(service_tasks)
    wanted = [t for t in tasks if _state_word(_field(t, "DesiredState", "desired_state")) in _DESIRED_ALIVE]
    history = [t for t in tasks if t not in wanted]
    label = f"service {service}" if service else "service"

    def ready(t: Mapping[str, Any]) -> bool:
        if _state_word(_field(t, "CurrentState", "current_state")) != "running":
            return False
        return not has_healthcheck or _health(t) == "healthy"

    ready_count = sum(1 for t in wanted if ready(t))
    needed = len(wanted) if expected is None else max(expected, len(wanted))
    summary = f"{ready_count}/{needed} tasks {'running and healthy' if has_healthcheck else 'running'}"
    if ready_count == needed and all(ready(t) for t in wanted):
        return True, f"{label}: {summary}"

    for t in wanted:
        error = _error(t)
        if error:
            return False, f"{label}: {summary}; {_where(t)}: {explain_task_error(error)}"
    failure = _last_failure(history)
    if failure:
        return False, f"{label}: {summary}; {failure}"
    for t in wanted:
        if _state_word(_field(t, "CurrentState", "current_state")) == "running" and has_healthcheck:
            health = _health(t) or "unknown"
            if health != "healthy":
                return False, f"{label}: {summary}; {_where(t)}: health {health}"
    for t in wanted:
        if not ready(t):
            state = _field(t, "CurrentState", "current_state") or "unknown"
            return False, f"{label}: {summary}; {_where(t)}: {state}"
    return False, f"{label}: {summary}; waiting for the scheduler to create tasks"


# --------------------------------------------------------------------------- registered results


def ps_tasks(result: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The tasks of one registered `docker service ps --format '{{json .}}'` result, or why there
    are none to read (the command failed, or printed something that is not JSON lines)."""
    if result.get("rc") not in (None, 0):
        error = str(result.get("stderr") or result.get("msg") or "").strip()
        return [], f"docker service ps failed (exit {result.get('rc')}): {error or 'no message'}"
    tasks = []
    for line in result.get("stdout_lines") or []:
        if not str(line).strip():
            continue
        try:
            task = json.loads(line)
        except ValueError:
            return [], f"cannot read docker service ps output: {str(line)[:200]!r}"
        if not isinstance(task, dict):
            return [], f"cannot read docker service ps output: {str(line)[:200]!r}"
        tasks.append(task)
    return tasks, None


# `sh -c PS_SCRIPT hive-ps SERVICE...`: `docker service ps` of every service in one command (one
# round trip to the first hive per poll instead of one per service), each section headed by
# `#hive-service <name> <exit status>`; split_ps cuts it back into one result per service.
PS_MARK = "#hive-service "
PS_SCRIPT = ("for s in \"$@\"; do out=$(docker service ps \"$s\" --no-trunc --format '{{json .}}' 2>&1); "
             "printf '%s%s %s\\n%s\\n' '" + PS_MARK + "' \"$s\" \"$?\" \"$out\"; done")


def split_ps(result: Mapping[str, Any], services: Iterable[str]) -> list[dict[str, Any]]:
    """One registered-result-like dict per service (`item`, `rc`, `stdout_lines`, `stderr`) from
    a registered run of PS_SCRIPT; none when that run was skipped (check mode, -D)."""
    if result.get("skipped"):
        return []
    sections: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in result.get("stdout_lines") or []:
        line = str(line)
        if line.startswith(PS_MARK):
            name, _, rc = line[len(PS_MARK):].rpartition(" ")
            current = sections[name] = {"item": name, "rc": int(rc) if rc.isdigit() else 1,
                                        "stdout_lines": []}
        elif current is not None and line.strip():
            current["stdout_lines"].append(line)
    for section in sections.values():
        # the section holds stderr too: on success only the JSON lines are docker's answer
        if section["rc"] == 0:
            section["stdout_lines"] = [ln for ln in section["stdout_lines"] if ln.lstrip().startswith("{")]
    out = []
    for service in services:
        section = sections.get(str(service))
        if section is None:   # the command itself failed (ssh, shell): its error for every service
            error = str(result.get("stderr") or result.get("msg") or "no output").strip()
            out.append({"item": str(service), "rc": result.get("rc") or 1, "stdout_lines": [],
                        "stderr": error})
        elif section["rc"] != 0:
            out.append({**section, "stdout_lines": [], "stderr": "\n".join(section["stdout_lines"])})
        else:
            out.append(section)
    return out


def ps_command(services: Iterable[str]) -> list[str]:
    """argv of PS_SCRIPT for `services` (the command module's argv: no shell quoting needed)."""
    return ["sh", "-c", PS_SCRIPT, "hive-ps", *map(str, services)]


def all_converged(result: Mapping[str, Any], services: Iterable[str]) -> bool:
    """The until-condition of the wait: every service's tasks converged (ps_report)."""
    return all(ps_report(r, r["item"])[0] for r in split_ps(result, services))


def ps_report(result: Mapping[str, Any], service: str) -> tuple[bool, str]:
    """convergence_report over one registered `docker service ps` result (the until-loop)."""
    tasks, problem = ps_tasks(result)
    if problem:
        return False, f"service {service}: {problem}"
    return convergence_report(tasks, service=service)


def _running_ids(tasks: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted(str(_field(t, "ID", "id") or "") for t in tasks
                  if _state_word(_field(t, "DesiredState", "desired_state")) == "running")


def stability_failures(ps_results: Iterable[Mapping[str, Any]],
                       ps_after_results: Iterable[Mapping[str, Any]] = (),
                       monitor_seconds: Any = 0) -> list[str]:
    """Messages for the services that did not converge, or did not stay converged.

    `ps_results`: the registered results (one per service, `item` = service) of the wait loop;
    `ps_after_results`: the same command `monitor_seconds` later, for the services this run
    changed. A task that crashes right after starting is "Running" for a moment, so a changed
    service only counts as converged when the same tasks still run after the monitor period (as
    `docker service create` monitors for 5 s). Skipped results (check mode) say nothing.
    """
    failures: list[str] = []
    converged: dict[str, list[str]] = {}
    for result in ps_results:
        if result.get("skipped"):
            continue
        service = str(result.get("item"))
        ok, message = ps_report(result, service)
        if not ok:
            failures.append(message)
        else:
            converged[service] = _running_ids(ps_tasks(result)[0])
    for result in ps_after_results:
        service = str(result.get("item"))
        if result.get("skipped") or service not in converged:
            continue
        ok, message = ps_report(result, service)
        if not ok:
            failures.append(message)
        elif _running_ids(ps_tasks(result)[0]) != converged[service]:
            # a replaced task has usually failed: say why, as for a service that never converged
            why = _last_failure(ps_tasks(result)[0])
            failures.append(f"{message} (not stable: its tasks were replaced within "
                            f"{_seconds(monitor_seconds)} s{'; ' + why if why else ''})")
    return failures


def _seconds(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)
