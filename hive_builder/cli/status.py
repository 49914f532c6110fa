"""`hive status [--json]`: an overview of a running site, read-only.

Shows the stage, its provider and start_phase (the persisted value `hive all` starts from), every
server reachable over ssh or not, the swarm nodes and their state, each service's running vs
desired tasks and where they run, which hive holds each VIP (HIVE_VIP*: the address on one of its
interfaces) and which node each mark (HIVE_MARK: node label `<mark>=true`), whether the
repository's registry answers (HTTP 200 or 401 on /v2/), and the DRBD volumes (as
`hive volume-status` sees them; "emulated" on the docker provider).

Read-only: it takes no run lock (it runs beside a phase), loads the inventory without keeping
allocations and writes no file (neither the persistent values nor ansible.cfg). Every server is
asked once, in parallel, with one shell script (render/site_status.host_script); the first hive
also answers for the swarm. Only when that hive cannot (down, or its engine is not a swarm
manager, or has no leader) is the next reachable hive asked for the swarm part, a second
round-trip for it alone; the report names the hive that told and why those before it did not.
There is no retry: during a leader election every manager says so and the swarm state is unknown.

Exit codes:
  0  every server answered and nothing is wrong; also a stage never built (the output says
     "stage <s> is not built (run `hive build-infra`)", or `{"stage": "<s>", "built": false}`
     with --json): nothing is broken, there is nothing yet.
  3  the report was printed but the site is degraded: a server unreachable, the swarm state
     unknown, a node not Ready, a service with fewer running tasks than desired or not deployed,
     a VIP or mark held by no node or by several, the registry not answering, DRBD volumes in
     need of repair or of unknown state (the PROBLEMS section / "problems" list says which;
     stderr ends with `HIVE ERROR: stage <s> is degraded: ...`).
  1  nothing could be reported (invalid inventory, unreadable ssh_config, no ssh client).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hive_builder.cli import volume_status as vs
from hive_builder.errors import HiveError
from hive_builder.execution.ssh import Runner, batch_runner
from hive_builder.model.derived import derived_host_vars
from hive_builder.render import site_status as st

EXIT_DEGRADED = 3
CONNECT_TIMEOUT = 5        # seconds: a server that does not accept the connection by then is down
SSH_TIMEOUT = 60           # the whole answer (docker service ps of many services takes a while)
MAX_PARALLEL = 16


class SiteDegraded(HiveError):
    """The report is printed; what is wrong makes the exit code non-zero."""

    exit_code = EXIT_DEGRADED


def ssh_runner(ssh_config: Path, ssh: str = "ssh") -> Runner:
    return batch_runner(ssh_config, ssh, connect_timeout=CONNECT_TIMEOUT, timeout=SSH_TIMEOUT)


def run_parallel(run: Runner, commands: dict[str, str]) -> dict[str, st.Answer]:
    """host -> parsed answer, every host asked at the same time (a thread pool)."""
    if not commands:
        return {}
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(commands))) as pool:
        futures = {h: pool.submit(run, h, c) for h, c in commands.items()}
        return {h: st.parse_answer(*f.result()[:3]) for h, f in futures.items()}


def registry_url(site, stage: str) -> str:
    """/v2/ of `hive_registry` (<repository>:<hive_registry_port or 5000>), as the playbooks see it."""
    overrides = site.stages[stage].repository.vars
    return f"https://{derived_host_vars(site, stage, overrides)['hive_registry']}/v2/"


def collect(site, stage: str, built_hosts: list[str], run: Runner, *, context_dir: Path,
            start_phase: str) -> st.SiteStatus:
    """Ask every server of the stage (those in the ssh_config of the last build-infra) and
    assemble what they told. Servers of the inventory missing from `built_hosts` are not asked."""
    stage_def = site.stages[stage]
    servers = list(stage_def.servers)
    hives = [s.name for s in stage_def.hives]
    repository = stage_def.repository.name
    volumes = vs.drbd_volumes(site, stage, None)
    emulated = bool(volumes) and vs.emulated(context_dir)
    drbd_command = vs.status_command(volumes) if volumes and not emulated else None
    url = registry_url(site, stage)
    swarm_first = next((h for h in hives if h in built_hosts), None)

    commands = {}
    for s in servers:
        if s.name not in built_hosts:
            continue
        commands[s.name] = st.remote_command(st.host_script(
            addresses=s.is_hive, swarm=s.name == swarm_first,
            registry_url=url if s.is_repository else None,
            drbd_command=drbd_command if s.is_hive else None))
    answers = run_parallel(run, commands)
    for s in servers:
        if s.name not in answers:
            answers[s.name] = st.Answer(unreachable="not in ssh_config: added to the inventory "
                                                    "after the last `hive build-infra`")

    swarm_host, skipped = _find_swarm(run, answers, hives, swarm_first)
    swarm_error = None if swarm_host else "; ".join(skipped) or "no hive in this stage"
    server_states = [st.ServerStatus(s.name, [r for r in ("hive", "repository") if getattr(s, f"is_{r}")],
                                     not answers[s.name].unreachable, answers[s.name].unreachable)
                     for s in servers]
    return st.assemble(stage=stage, provider=stage_def.provider, start_phase=start_phase,
                       servers=server_states, answers=answers, hives=hives, swarm_host=swarm_host,
                       swarm_error=swarm_error, swarm_skipped=skipped if swarm_host else [],
                       expected_services=[s.name for s in site.services_on(stage)],
                       registry=st.parse_registry(repository, url, answers[repository]),
                       volumes=_volumes(volumes, emulated, answers, hives))


def _find_swarm(run: Runner, answers: dict[str, st.Answer], hives: list[str],
                first: str | None) -> tuple[str | None, list[str]]:
    """(the hive whose answer holds the swarm sections or None, why each hive before it could
    not tell: unreachable, or its `docker node ls` error — not a swarm manager, no leader, ...)."""
    reasons = []
    for hive in hives:
        answer = answers[hive]
        if answer.unreachable:
            reasons.append(f"{hive} unreachable")
            continue
        if hive != first:      # asked for the swarm only now that the hives before could not tell
            extra = run_parallel(run, {hive: st.remote_command(st.host_script(swarm=True))})[hive]
            if extra.unreachable:
                reasons.append(f"{hive}: {extra.unreachable}")
                continue
            answer.sections.update(extra.sections)
        nodes = answer.sections.get("nodes")
        if nodes is not None and nodes.ok:
            return hive, reasons
        reasons.append(f"{hive}: docker node ls: {nodes.error() if nodes else 'no answer'}")
    return None, reasons


def _volumes(volumes: list[str], emulated: bool, answers: dict[str, st.Answer],
             hives: list[str]) -> st.VolumesStatus:
    if not volumes:
        return st.VolumesStatus("none")
    if emulated:
        return st.VolumesStatus("emulated", volumes)
    views = {}
    for hive in hives:
        answer = answers[hive]
        section = answer.sections.get("drbd")
        if answer.unreachable:
            views[hive] = vs.HiveView(unreachable=answer.unreachable)
        elif section is None:
            views[hive] = vs.HiveView(unreachable="answer cut short")
        else:
            text = "\n".join(section.lines)
            views[hive] = vs.parse_answer(section.rc or 0, text, text)
    result = vs.report(views, volumes)
    return st.VolumesStatus("drbd", volumes, result.states, result.healthy,
                            result.incomplete, result.text)


def cmd_status(ctx, as_json: bool, *, runner: Runner | None = None) -> None:
    """`hive status [--json]`; see the module docstring for what it shows and its exit codes."""
    from hive_builder.cli.commands import load_inventory
    from hive_builder.execution import ssh

    site = load_inventory(ctx, keep_allocations=False)    # read-only: writes nothing
    if not Path(ctx.ssh_config).exists():
        if as_json:
            print(json.dumps(st.not_built_json(ctx.stage), indent=2), flush=True)
        else:
            print(st.not_built_text(ctx.stage), end="", flush=True)
        return
    built = ssh.ssh_config_hosts(ctx.ssh_config)
    run = runner or ssh_runner(ctx.ssh_config, ssh.ssh_executable())
    status = collect(site, ctx.stage, built, run, context_dir=ctx.context_dir,
                     start_phase=str(ctx.values.get("start_phase") or "build-infra"))
    if as_json:
        print(json.dumps(st.to_json(status), indent=2, ensure_ascii=False), flush=True)
    else:
        print(st.render_text(status), end="", flush=True)
    problems = status.problems()
    if problems:
        raise SiteDegraded(f"stage {ctx.stage} is degraded: " + "; ".join(problems[:3])
                           + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))
