"""What each subcommand does, on top of config/ and execution/ (the CLI stays thin)."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from hive_builder import phases
from hive_builder.cli.context import Context
from hive_builder.config import casting, persistence
from hive_builder.config.catalogue import BY_NAME, Scope
from hive_builder.errors import HiveError


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warn(message: str) -> None:
    say(f"HIVE WARNING: {message}")


# --- commands without ansible -------------------------------------------------------------------

def cmd_init(ctx: Context) -> None:
    hive_dir = ctx.root_dir / persistence.HIVE_DIR
    if hive_dir.is_dir():
        say(f"hive context on {hive_dir} is already initialized")
        return
    hive_dir.mkdir(parents=True)
    say(f"Success to initialize hive context on {hive_dir}")


def cmd_set(ctx: Context, name: str, text: str) -> None:
    from hive_builder.errors import did_you_mean
    var = BY_NAME.get(name)
    if var is None:
        settable = [v.name for v in BY_NAME.values() if v.persistable]
        raise HiveError(f"unknown variable {name}" + did_you_mean(name, settable))
    if not var.persistable:
        raise HiveError(f"variable {name} can not be saved persistently")
    value = casting.cast(var, text)
    scope_key = "global" if var.scope is Scope.GLOBAL else ctx.stage
    persistence.set_value(ctx.root_dir, name, scope_key, value)
    say(f"set persistently {casting.format_value(value)} to {name} on {scope_key}")


def cmd_ssh(ctx: Context) -> None:
    from hive_builder.execution import ssh
    v = ctx.values
    argv = ssh.ssh_argv(ctx.ssh_config, ssh.require_built(ctx.ssh_config, ctx.stage),
                        ssh_host=v.get("ssh_host"), foward_zabbix=bool(v.get("foward_zabbix")),
                        foward_zabbix_port=v.get("foward_zabbix_port"),
                        port_forwarding=v.get("port_forwarding"), ssh=ssh.ssh_executable())
    if v.get("foward_zabbix"):
        port = v.get("foward_zabbix_port") or ssh.ZABBIX_WEB_PORT
        say(f"Zabbix web console: http://localhost:{port}/ (user Admin, password in "
            f"{Path(ctx.ssh_config).parent / 'zabbix_admin_password'}) while this session lasts")
    ssh.exec_ssh(argv)


# --- commands that read the inventory or run ansible --------------------------------------------

def load_inventory(ctx: Context, *, keep_allocations: bool = True):
    """Load and validate the whole inventory of the stage with the model (decision 3).
    Read-only commands pass keep_allocations=False: they never write the persistent values
    file, so they may run beside a phase that holds the lock."""
    inventory = Path(str(ctx.values["inventory_path"]))
    if not inventory.is_dir():
        raise HiveError(f"inventory directory {inventory} does not exist",
                        hint="create inventory/hive.yml in the project directory or pass -i")
    from hive_builder.model import load_site
    from hive_builder.model.filestore import PersistentFileStore
    store = PersistentFileStore(persistence.persistent_file(ctx.root_dir))
    site = load_site(inventory, ctx.stage, store)
    if keep_allocations:
        store.flush()  # keep what was allocated (published ports, DRBD device ids) stable
    return site


@contextlib.contextmanager
def session(ctx: Context, command: str) -> Iterator[object]:
    """Directories, the run lock and a validated inventory: what every ansible-backed command
    needs before anything runs. Yields the loaded site."""
    from hive_builder.execution import ssh, tunnels
    from hive_builder.execution.lock import describe, run_lock

    ctx.context_dir.mkdir(parents=True, exist_ok=True)
    ctx.temp_dir.mkdir(parents=True, exist_ok=True)

    def stale(info: dict) -> None:
        say(f"HIVE NOTICE: a previous run {describe(info)} ended without releasing its lock; "
            "cleaning up what it left")
        with contextlib.suppress(HiveError):
            for sock in tunnels.remove_leftover_sockets(ctx.temp_dir,
                                                        ssh.ssh_config_hosts(ctx.ssh_config)):
                say(f"HIVE NOTICE: removed leftover socket {sock}")

    with run_lock(ctx.context_dir, command, on_stale=stale):
        # The allocation store writes the new file name: carry a legacy file over first.
        if not persistence.persistent_file(ctx.root_dir).exists() and \
                persistence.legacy_file(ctx.root_dir).exists():
            persistence.update(ctx.root_dir, lambda data: None)
            say(f"HIVE NOTICE: persistent values copied from {persistence.legacy_file(ctx.root_dir)}"
                f" to {persistence.persistent_file(ctx.root_dir)}")
        yield load_inventory(ctx)


def cmd_check(ctx: Context, command: str) -> None:
    from hive_builder.cli.summary import summarize
    from hive_builder.inventory_json import to_ansible_inventory

    with session(ctx, command) as site:
        print(summarize(to_ansible_inventory(site), ctx.stage), end="", flush=True)
        offline_provider_check(ctx, site)
    say(f"inventory of stage {ctx.stage} is valid")


def cmd_inventory(ctx: Context, command: str) -> None:
    from hive_builder.execution.ansible import run_inventory_list
    with session(ctx, command):
        run_inventory_list(ctx.values)


def cmd_volume_status(ctx: Context, command: str) -> None:
    from hive_builder.cli import volume_status as vs
    from hive_builder.execution import ssh
    limit = [x for x in str(ctx.values.get("limit_target") or "").split(",") if x]
    with session(ctx, command) as site:
        volumes = vs.drbd_volumes(site, ctx.stage, limit)
        if not volumes:
            say(f"stage {ctx.stage} has no DRBD volumes")
            return
        built = ssh.require_built(ctx.ssh_config, ctx.stage)   # never built: said, nothing asked
        if vs.emulated(ctx.context_dir):
            say(f"DRBD is emulated on this provider (shared storage, no replication): "
                f"{', '.join(volumes)} have no DRBD state to show")
            return
        hives = [s.name for s in site.stages[ctx.stage].hives]
        views = vs.collect(hives, volumes, vs.ssh_runner(ctx.ssh_config, ssh.ssh_executable()),
                           built_hosts=built)
        result = vs.report(views, volumes)
    print(result.text, end="", flush=True)
    problems = [] if result.healthy else ["some DRBD volumes need repair (see the findings above)"]
    if result.incomplete:
        problems.append("the DRBD state is incomplete: " + "; ".join(result.incomplete))
    if problems:
        raise HiveError("; ".join(problems))


def cmd_logs(ctx: Context, service: str | None, *, follow: bool, lines: int, errors: bool) -> None:
    from hive_builder.cli import operations as ops
    site = load_inventory(ctx, keep_allocations=False)
    remote = ops.log_command(ops.service_infos(site, ctx.stage), ctx.stage, service,
                             follow=follow, lines=lines, errors=errors)
    _on_repository(ctx, site, "logs", remote)


def cmd_backup(ctx: Context, *, restore: bool) -> None:
    from hive_builder.cli import operations as ops
    site = load_inventory(ctx, keep_allocations=False)
    names = [x.strip() for x in str(ctx.values.get("limit_target") or "").split(",") if x.strip()]
    targets = ops.backup_targets(ops.service_infos(site, ctx.stage), ctx.stage, names,
                                 restore=restore)
    _on_repository(ctx, site, "restore" if restore else "backup",
                   ops.backup_command(targets, restore=restore))


def _on_repository(ctx: Context, site, command: str, remote: str) -> None:
    from hive_builder.cli import operations as ops
    from hive_builder.execution import ssh
    hosts = ssh.require_built(ctx.ssh_config, ctx.stage)
    repository = site.stages[ctx.stage].repository.name
    if repository not in hosts:
        raise HiveError(f"{repository} is not in {ctx.ssh_config}",
                        hint="the inventory changed since build-infra: run `hive build-infra`")
    error = ops.explain_exit(command, repository, ssh.run_remote(ctx.ssh_config, repository, remote))
    if error is not None:
        raise error


def cmd_phase(ctx: Context, phase_name: str, command: str) -> None:
    with session(ctx, command) as site:
        if phase_name == phases.PHASES[0].name:
            preflight_provider(ctx, site)
        _run_and_record(ctx, phase_name)


def preflight_provider(ctx: Context, site) -> None:
    """Refuse before Ansible runs when the stage's provider cannot work here (no engine, cidr
    collision, provider not implemented): bad input never gets as far as a half-built site."""
    if ctx.values.get("destroy") or ctx.values.get("halt"):
        return  # tearing down must stay possible whatever changed in the inventory
    _provider_check(ctx, site, offline_only=False)


def offline_provider_check(ctx: Context, site) -> None:
    """The part of build-infra's preflight that needs neither a cloud nor an engine, so that
    `hive check` refuses what build-infra would refuse (a provider not implemented yet, a
    prepared stage needing sshpass). The docker provider's checks ask the engine: build-infra's."""
    _provider_check(ctx, site, offline_only=True)


def _provider_check(ctx: Context, site, *, offline_only: bool) -> None:
    from hive_builder.providers import get_provider
    from hive_builder.providers.plan import plan_from_stage
    provider = get_provider(site.stages[ctx.stage].provider)
    if offline_only and not provider.offline_sanity_check:
        return
    provider.sanity_check(plan_from_stage(site, ctx.stage, context_dir=ctx.context_dir,
                                          root_dir=ctx.root_dir))


def cmd_all(ctx: Context, command: str) -> None:
    start = str(ctx.values.get("start_phase") or phases.PHASES[0].name)
    todo = phases.phases_from(start)
    with session(ctx, command) as site:
        say(f"running phases {', '.join(todo)} on stage {ctx.stage}")
        started = time.monotonic()
        for phase_name in todo:
            if phase_name == phases.PHASES[0].name:
                preflight_provider(ctx, site)
            try:
                _run_and_record(ctx.with_values(phase=phase_name), phase_name)
            except HiveError as e:
                resume = f"`hive all` resumes at {phase_name}"
                raise HiveError(e.message, hint=f"{e.hint}; {resume}" if e.hint else resume) from None
        say(f"all {len(todo)} phases succeeded on stage {ctx.stage} "
            f"({time.monotonic() - started:.0f}s)")


def _run_and_record(ctx: Context, phase_name: str) -> None:
    from hive_builder.execution.ansible import run_phase
    run_phase(ctx.values, phase_name, warn=warn)
    v = ctx.values
    following = phases.start_phase_after(phase_name, check_mode=bool(v.get("check_mode")),
                                         destroy=bool(v.get("destroy")), halt=bool(v.get("halt")))
    if following is not None:
        persistence.set_value(ctx.root_dir, "start_phase", ctx.stage, following)


def describe_argv(argv: list[str]) -> str:
    return "hive " + " ".join(json.dumps(a) if (not a or " " in a) else a for a in argv)
