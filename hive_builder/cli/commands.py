"""What each subcommand does, on top of config/ and execution/ (the CLI stays thin)."""

from __future__ import annotations

import contextlib
import json
import os
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
    """Create .hive/, and a commented starter inventory when the inventory has no YAML file yet
    (render/starter.py; never overwrites: existing files are named and left alone)."""
    from hive_builder.model import schema
    from hive_builder.render import starter
    hive_dir = ctx.root_dir / persistence.HIVE_DIR
    if hive_dir.is_dir():
        say(f"hive context on {hive_dir} is already initialized")
    else:
        hive_dir.mkdir(parents=True)
        say(f"Success to initialize hive context on {hive_dir}")
    inventory = Path(str(ctx.values.get("inventory_path") or ctx.root_dir / "inventory"))
    existing = sorted(p.name for p in inventory.iterdir()
                      if p.suffix in (".yml", ".yaml")) if inventory.is_dir() else []
    if existing:
        say(f"inventory {inventory} already has {', '.join(existing)}: starter inventory "
            "not written")
        return
    files = starter.starter_files(starter.site_name(ctx.root_dir.resolve().name),
                                  schema.schema_path(schema.HIVE_SCHEMA),
                                  schema.schema_path(schema.SERVICES_SCHEMA))
    inventory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        try:
            with (inventory / name).open("x", encoding="utf-8") as out:
                out.write(text)
        except FileExistsError:
            say(f"{inventory / name} exists: not overwritten")
            continue
        say(f"wrote starter {inventory / name}")


def cmd_set(ctx: Context, name: str | None = None, text: str | None = None, *,
            unset: bool = False) -> None:
    """`hive set`: list the settable variables (no name), print one (name alone), persist one
    (name and value) or remove its persisted value (`--unset NAME`), in the variable's scope:
    `global`, or the current stage."""
    if name is None:
        if unset or text is not None:
            raise HiveError("hive set --unset needs a variable name", hint="hive set --unset NAME")
        print(settable_listing(ctx), end="", flush=True)
        return
    var = _settable(name)
    scope_key = "global" if var.scope is Scope.GLOBAL else ctx.stage
    if unset:
        if text is not None:
            raise HiveError(f"hive set --unset takes no value (got {text})",
                            hint=f"hive set --unset {name}")
        if persistence.unset_value(ctx.root_dir, name, scope_key):
            say(f"removed the persisted value of {name} on {scope_key}")
        else:
            say(f"{name} has no persisted value on {scope_key}: nothing to remove")
        return
    if text is None:
        # the value alone on stdout, so that `$(hive set temp_dir)` works in scripts
        value = ctx.values.get(name)
        print("" if value is None else casting.format_value(value), flush=True)
        say(f"{name}: {_source(ctx, name)} (scope {scope_key})")
        return
    value = casting.cast(var, text)
    persistence.set_value(ctx.root_dir, name, scope_key, value)
    say(f"set persistently {casting.format_value(value)} to {name} on {scope_key}")


def _settable(name: str):
    from hive_builder.errors import did_you_mean
    var = BY_NAME.get(name)
    if var is None:
        settable = [v.name for v in BY_NAME.values() if v.persistable]
        raise HiveError(f"unknown variable {name}" + did_you_mean(name, settable))
    if not var.persistable:
        raise HiveError(f"variable {name} can not be saved persistently")
    return var


# Values not shown by the listing of `hive set` (a terminal may be shared): `hive set NAME` shows.
SECRET_VARIABLES = ("aws_secret_access_key", "azure_secret")


def _source(ctx: Context, name: str) -> str:
    return ctx.sources.get(name) or ("default" if ctx.values.get(name) is not None else "unset")


def settable_listing(ctx: Context) -> str:
    """`hive set` without arguments: every variable `hive set` accepts, its current value and
    where that comes from, one per line (`name = value  # source`)."""
    rows = []
    for var in BY_NAME.values():
        if not var.persistable:
            continue
        value = ctx.values.get(var.name)
        shown = "" if value is None else casting.format_value(value)
        if var.name in SECRET_VARIABLES and value not in (None, ""):
            shown = "********"
        rows.append((var.name, shown, _source(ctx, var.name)))
    width = max(len(r[0]) for r in rows)
    return "".join(f"{n:<{width}} = {v}  # {s}\n" for n, v, s in rows)


def confirm(question: str, *, assume_yes: bool) -> None:
    """Ask `question [y/N]` when stdin is a terminal; raise HiveError unless answered yes.
    `assume_yes` (-y) and a stdin that is not a terminal (scripts, CI) never ask."""
    if assume_yes or not _stdin_is_tty():
        return
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    try:
        answer = input()
    except EOFError:
        sys.stderr.write("\n")
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise HiveError("not confirmed: nothing was done", hint="-y (--yes) does not ask")


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def destroy_question(ctx: Context, site, phase_name: str) -> str | None:
    """The confirmation question for `hive <phase_name> -D`, or None when nothing is destroyed."""
    if not ctx.values.get("destroy"):
        return None
    where = f"of stage {ctx.stage} of {site.name}"
    limit = phases.split_limit(str(ctx.values.get("limit_target") or ""))
    if phase_name == "build-infra":
        n = len(site.stages[ctx.stage].servers)
        return (f"destroy stage {ctx.stage} of {site.name} "
                f"({_count(n, 'server')}, their volumes and data)?")
    if phase_name == "build-volumes":
        names = limit or sorted(n for n, c in site.volumes.items() if ctx.stage in c.stages)
        return (f"destroy the volumes {', '.join(names) or '(none)'} {where} "
                f"({_count(len(names), 'volume')} and their data)?")
    if phase_name == "deploy-services":
        names = limit or sorted(s.name for s in site.services_on(ctx.stage))
        return f"remove the services {', '.join(names) or '(none)'} {where} ({_count(len(names), 'service')})?"
    return None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def confirm_destroy(ctx: Context, phase_name: str, *, assume_yes: bool) -> None:
    """Ask before `-D` on a terminal (reads the inventory, without writing anything, only then)."""
    if not ctx.values.get("destroy") or assume_yes or not _stdin_is_tty():
        return
    question = destroy_question(ctx, load_inventory(ctx, keep_allocations=False), phase_name)
    if question:
        confirm(question, assume_yes=assume_yes)


def confirm_restore(ctx: Context, *, assume_yes: bool) -> None:
    """`hive restore` replaces live data: ask on a terminal."""
    names = phases.split_limit(str(ctx.values.get("limit_target") or ""))
    if not names:
        return  # refused with the list of candidates by cmd_backup
    confirm(f"restore {', '.join(names)} of stage {ctx.stage} from their latest backup, "
            "replacing their current data?", assume_yes=assume_yes)


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
    """What `ansible-inventory --list` prints with the generated ansible.cfg. Printed from the
    model and the group_vars/host_vars files when that is sure to be the same (no other
    inventory source, plugin or ANSIBLE_* setting...): ansible's own run takes seconds per
    thousand hosts, all in resolving each host's variables."""
    from hive_builder.execution.ansible import run_inventory_list, write_generated_files
    from hive_builder.inventory_json import NeedsAnsible, direct_listing, dumps_listing
    with session(ctx, command) as site:
        try:
            text = dumps_listing(direct_listing(site, ctx.values, os.environ))
        except NeedsAnsible as why:
            if ctx.values.get("verbose"):
                say(f"hive inventory: through ansible-inventory ({why})")
            run_inventory_list(ctx.values)
            return
        write_generated_files(ctx.values)  # left for a later plain ansible run (manual §6.10)
        sys.stdout.write(text)
        sys.stdout.flush()


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


def cmd_phase(ctx: Context, phase_name: str, command: str, *, assume_yes: bool = False) -> None:
    confirm_destroy(ctx, phase_name, assume_yes=assume_yes)  # before the lock: a prompt may wait
    with session(ctx, command) as site:
        if phase_name == phases.PHASES[0].name:
            preflight_provider(ctx, site)
        _run_and_record(ctx, phase_name, site)


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
    from hive_builder.execution import collection_deps
    from hive_builder.providers import get_provider, provider_env
    from hive_builder.providers.plan import plan_from_stage
    provider = get_provider(site.stages[ctx.stage].provider, provider_env(ctx.values))
    collection_deps.check(providers=(provider.name,))   # a cloud's modules, before its SDK
    if offline_only and not provider.checked_by_hive_check:
        return
    provider.sanity_check(plan_from_stage(site, ctx.stage, context_dir=ctx.context_dir,
                                          root_dir=ctx.root_dir))


def cmd_all(ctx: Context, command: str) -> None:
    from hive_builder.execution.progress_format import phase_table, use_color
    start = str(ctx.values.get("start_phase") or phases.PHASES[0].name)
    todo = phases.phases_from(start)
    with session(ctx, command) as site:
        say(f"running phases {', '.join(todo)} on stage {ctx.stage}")
        started = time.monotonic()
        done: dict[str, tuple[bool, float]] = {}   # phase -> (succeeded, seconds), for the table
        skipped: set[str] = set()
        try:
            for phase_name in todo:
                phase_started = time.monotonic()
                try:
                    if phase_name == phases.PHASES[0].name:
                        preflight_provider(ctx, site)
                    if _unchanged_since_converge(ctx.with_values(phase=phase_name), phase_name):
                        skipped.add(phase_name)
                        _record_following(ctx, phase_name)
                    else:
                        _run_and_record(ctx.with_values(phase=phase_name), phase_name, site)
                except HiveError as e:
                    done[phase_name] = (False, time.monotonic() - phase_started)
                    resume = f"`hive all` resumes at {phase_name}"
                    raise HiveError(e.message, hint=f"{e.hint}; {resume}" if e.hint else resume) from None
                done[phase_name] = (True, time.monotonic() - phase_started)
        finally:   # after a failure or an interruption too: what ran, and how long it took
            rows = [(name, *done.get(name, (None, None))) for name in todo]
            say(phase_table(rows, time.monotonic() - started, skipped=skipped,
                            color=use_color(sys.stderr.isatty(), os.environ)))
        say(f"all {len(todo)} phases succeeded on stage {ctx.stage}")


def _unchanged_since_converge(ctx: Context, phase_name: str) -> bool:
    """`hive all` only: setup-hosts is skipped while its converge stamps hold (they say why not)."""
    from hive_builder.execution import converge_stamp as cs
    from hive_builder.execution.ssh import batch_runner, parse_hosts
    if phase_name != cs.PHASE or not cs.eligible(ctx.values):
        return False
    record = cs.load_record(ctx.context_dir)
    if record is None:
        return False   # never converged fully from here (or the last run did not end well)
    inputs = cs.current_inputs(ctx.values)
    answers = {}
    if record.get("inputs") == inputs and ctx.ssh_config.is_file():
        run = batch_runner(ctx.ssh_config, connect_timeout=cs.CONNECT_TIMEOUT, timeout=cs.SSH_TIMEOUT)
        answers = cs.read_stamps(run, parse_hosts(ctx.ssh_config.read_text()))
    found = cs.verdict(record, inputs, answers)
    if found.skip:
        say(f"{phase_name} skipped: {found.reason} (`hive {phase_name}` converges anyway)")
    else:
        say(f"{phase_name} runs: {found.reason}")
    return found.skip


def _run_and_record(ctx: Context, phase_name: str, site) -> None:
    from hive_builder.execution.ansible import run_phase
    run_phase(ctx.values, phase_name, warn=warn, providers=(site.stages[ctx.stage].provider,))
    _record_following(ctx, phase_name)


def _record_following(ctx: Context, phase_name: str) -> None:
    v = ctx.values
    following = phases.start_phase_after(phase_name, check_mode=bool(v.get("check_mode")),
                                         destroy=bool(v.get("destroy")), halt=bool(v.get("halt")))
    if following is not None:
        persistence.set_value(ctx.root_dir, "start_phase", ctx.stage, following)


def describe_argv(argv: list[str]) -> str:
    return "hive " + " ".join(json.dumps(a) if (not a or " " in a) else a for a in argv)
