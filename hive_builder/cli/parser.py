"""argparse parser generated from the variable catalogue (reference §2.1)."""

from __future__ import annotations

import argparse

from hive_builder.config import casting
from hive_builder.config.catalogue import (BY_NAME, PHASE_NAMES, PHASE_SUBJECTS, Type, Variable,
                                           global_options, options_of)
from hive_builder.errors import HiveError

DESCRIPTIONS = {
    "build-infra": "build infrastructure, setup networks, global ip, firewall",
    "setup-hosts": "setup hosts, install software, configure services, configure cluster",
    "build-images": "build container images",
    "build-volumes": "build volumes on hives",
    "build-networks": "build networks for swarm",
    "deploy-services": "deploy services",
    "initialize-services": "initialize services",
    "all": "do all phase",
    "inventory": "list ansible inventory",
    "check": "validate the inventory of the stage and print a summary",
    "init": "initialize hive environment",
    "set": "show hive variables and where their values come from, set or unset them persistently",
    "ssh": "ssh to hive server",
    "volume-status": "show every DRBD volume's role, disk and peer states on every hive, with repairs",
    "logs": "show a service's log (or the monitored errors) collected on the repository server",
    "backup": "back up services (backup_scripts) and the registry now, on the repository server",
    "restore": "restore services from their latest backup on the repository server",
    "status": "show the state of a built stage: servers, swarm nodes, services, VIPs, registry, "
              "volumes",
    "collections": "list the Ansible collections hive needs and the copies ansible will load; "
                   "install them",
}

# What `-l NAME[,NAME...]` names in each subcommand that takes it (phases.py limit rules and the
# playbooks' use of hive_limit): said in the help of -l.
LIMIT_NAMES = {
    "build-infra": "accepted but ignored: build-infra acts on every server of the stage",
    "setup-hosts": "server names (inventory names, e.g. p-hive0.mysite)",
    "build-images": "service names: their images are built",
    "build-volumes": "volume names (the source of a volume)",
    "deploy-services": "service names",
    "initialize-services": "service names",
    "volume-status": "DRBD volume names",
    "backup": "service names, hive-registry (the registry), hive-zabbix (the Zabbix database)",
    "restore": "service names, hive-registry, hive-zabbix",
}

EPILOGS = {
    "build-infra": "examples:\n"
                   "  hive build-infra              create or start the servers of the stage\n"
                   "  hive build-infra -s staging   the same for the stage staging\n"
                   "  hive build-infra -H           stop the servers (`hive build-infra` starts them)\n"
                   "  hive build-infra -D           remove the servers, their volumes and data\n"
                   "                                (asks on a terminal; -y does not ask)",
    "setup-hosts": "examples:\n"
                   "  hive setup-hosts                        every role on every server\n"
                   "  hive setup-hosts -T iptables,docker     only these roles\n"
                   "  hive setup-hosts -l p-hive0.mysite      only this server",
    "build-images": "examples:\n"
                    "  hive build-images            every image of the stage\n"
                    "  hive build-images -l web -R  web's image, from scratch",
    "build-volumes": "examples:\n"
                     "  hive build-volumes              every volume of the stage\n"
                     "  hive build-volumes -l pgdata    only this volume\n"
                     "  hive build-volumes -D -l pgdata remove it and its data (asks on a terminal)",
    "build-networks": "examples:\n  hive build-networks            the swarm networks of the stage",
    "deploy-services": "examples:\n"
                       "  hive deploy-services            every service of the stage\n"
                       "  hive deploy-services -l web,db  only these\n"
                       "  hive deploy-services -D -l web  remove web (asks on a terminal)",
    "initialize-services": "examples:\n"
                           "  hive initialize-services -l db  apply db's initialize_roles",
    "all": "examples:\n"
           "  hive all                     every phase, from start_phase (where the last run "
           "stopped)\n"
           "  hive all -S setup-hosts      from setup-hosts\n"
           "  hive -s staging all          the stage staging (same as `hive all -s staging`)",
    "inventory": "examples:\n  hive inventory               the inventory as ansible-inventory --list",
    "check": "examples:\n"
             "  hive check                   validate the inventory of the current stage\n"
             "  hive check -s production     of the stage production",
    "collections": "examples:\n"
                   "  hive collections             what is needed and what ansible will load\n"
                   "  hive collections --install   install the missing ones (Galaxy, else the\n"
                   "                               `ansible` bundle's wheel from PyPI)\n"
                   "  hive collections --install --provider aws\n"
                   "                               and those a stage of provider aws needs",
    "init": "examples:\n  hive init                    create .hive/ in the current directory",
    "set": "examples:\n"
           "  hive set                     every settable variable, its value and where it comes "
           "from\n"
           "  hive set temp_dir            the value alone on stdout (its source on stderr)\n"
           "  hive set stage staging       switch the current stage\n"
           "  hive set verbose true        persist a stage-scoped value (for the current stage)\n"
           "  hive set --unset verbose     remove the persisted value (current stage or global,\n"
           "                               by the variable's scope)",
    "ssh": "examples:\n"
           "  hive ssh                     log into the repository server\n"
           "  hive ssh -t p-hive0.mysite   log into a hive\n"
           "  hive ssh -z                  and forward the Zabbix console to localhost:10052",
    "volume-status": "examples:\n"
                     "  hive volume-status           every DRBD volume on every hive\n"
                     "  hive volume-status -l pgdata this volume",
    "logs": "examples:\n  hive logs web            last 50 lines of web's log\n"
            "  hive logs web -f -n 0    follow new lines\n"
            "  hive logs --errors       every monitored error (monitor_error)\n"
            "  hive logs db --errors    the monitored errors of db",
    "backup": "examples:\n  hive backup              every service with backup_scripts, the registry and Zabbix\n"
              "  hive backup -l db,web    only these (hive-registry names the registry, hive-zabbix\n"
              "                           the Zabbix database)",
    "restore": "examples:\n  hive restore -l db       db from ~/backup/backup-<name>-latest.* on the "
               "repository server\n"
               "  hive restore -l db -y    without asking (it asks on a terminal)",
    "status": "examples:\n"
              "  hive status                  the state of the current stage\n"
              "  hive status --json           the same as JSON",
}

# Options that may not be combined on one subcommand.
EXCLUSIVE = {"build-infra": ("halt", "destroy")}


def _directory(text: str) -> str:
    try:
        return casting.existing_directory(text)
    except HiveError as e:
        raise argparse.ArgumentTypeError(e.message) from None


# Subcommands with an option that removes or replaces data: they take -y/--yes, and ask for
# confirmation on a terminal without it (commands.confirm).
CONFIRMING = ("build-infra", "build-volumes", "deploy-services", "restore")

GLOBAL_NOTE = (f"The global options ({', '.join(v.cli.short for v in global_options())}: see hive -h) "
               "may be given before\nor after the subcommand; given at both places, the one after "
               "the subcommand wins.")


def _add_option(parser, var: Variable, subject: str | None = None, *, limit_names: str = "",
                suppress: bool = False) -> None:
    """Add the option of `var`. `suppress`: the copy of a global option a subcommand accepts,
    absent from the namespace unless given (so it never resets the value given before the
    subcommand) and absent from the subcommand's help (hive -h lists it once)."""
    cli = var.cli
    flags = [cli.short, cli.long]
    if "_" in cli.long:
        flags.append(cli.long.replace("_", "-"))
    help_text = (cli.help or var.description).format(subject=subject or "")
    if var.name == "limit_target" and limit_names:
        help_text = f"{help_text}: {limit_names}"
    kwargs: dict = {"dest": var.name, "default": None, "help": help_text}
    if suppress:
        kwargs["default"] = kwargs["help"] = argparse.SUPPRESS
    if var.type is Type.BOOLEAN:
        # store_const with default None: an absent flag must not override a persisted value.
        parser.add_argument(*flags, action="store_const", const=True, **kwargs)
        return
    if var.type is Type.ENUM:
        kwargs["choices"] = list(var.options)
    elif var.type is Type.INTEGER:
        kwargs["type"] = int
    elif var.type is Type.DIRECTORY:
        kwargs["type"] = _directory
    if cli.metavar:
        kwargs["metavar"] = cli.metavar
    action = parser.add_argument(*flags, **kwargs)
    if var.name == "limit_target":
        action.completer = _limit_completer  # argcomplete (ignored by argparse)


def _limit_completer(prefix, parsed_args, **kwargs):
    """Names `-l` takes in the subcommand being completed, read from the inventory; nothing when
    the inventory cannot be read (completion must never fail loudly)."""
    try:
        return limit_choices(getattr(parsed_args, "command", None), vars(parsed_args))
    except Exception:
        return []


def limit_choices(command: str | None, cli: dict) -> list[str]:
    """The names `hive <command> -l` accepts for the stage the command line resolves to."""
    from pathlib import Path

    from hive_builder.cli.context import build_context
    from hive_builder.model import load_site
    from hive_builder.model.allocation import MemoryStore
    from hive_builder import phases
    if command not in LIMIT_NAMES or (command in PHASE_NAMES and phases.phase(command).limit_ignored):
        return []
    ctx = build_context({k: v for k, v in cli.items() if k in _GLOBAL_NAMES})
    site = load_site(Path(str(ctx.values["inventory_path"])), ctx.stage, MemoryStore())
    if command == "setup-hosts":
        return [s.name for s in site.stages[ctx.stage].servers]
    if command in ("build-volumes", "volume-status"):
        return sorted(n for n, c in site.volumes.items() if ctx.stage in c.stages and
                      (command == "build-volumes" or c.volume.drbd is not None))
    names = sorted(s.name for s in site.services_on(ctx.stage))
    if command in ("backup", "restore"):
        from hive_builder.cli.operations import OWN_TARGETS
        names += list(OWN_TARGETS)
    return names


_GLOBAL_NAMES = frozenset(v.name for v in global_options())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hive", description="support tool to build docker site",
        epilog="The options above may also be given after the subcommand (`hive check -s staging`);\n"
               "given at both places, the one after the subcommand wins.\n"
               "`hive SUBCOMMAND -h` shows its options and examples.\n\n"
               "shell completion (bash, zsh): eval \"$(register-python-argcomplete hive)\"",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_VersionAction,
                        help="print the versions of hive-builder, ansible-core and the Ansible "
                             "collections it uses, and exit")
    for var in global_options():
        _add_option(parser, var)
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(DESCRIPTIONS) + "}")
    for name, description in DESCRIPTIONS.items():
        epilog = "\n\n".join(x for x in (EPILOGS.get(name), GLOBAL_NOTE) if x)
        sp = sub.add_parser(name, help=description, description=description, epilog=epilog,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        exclusive = EXCLUSIVE.get(name, ())
        group = sp.add_mutually_exclusive_group() if exclusive else None
        for var in options_of(name):
            target = group if var.name in exclusive else sp
            _add_option(target, var, PHASE_SUBJECTS.get(name), limit_names=LIMIT_NAMES.get(name, ""))
        for var in global_options():
            _add_option(sp, var, suppress=True)
        if name in CONFIRMING:
            sp.add_argument("-y", "--yes", action="store_true",
                            help="do not ask for confirmation before destroying or replacing data "
                                 "(never asked when stdin is not a terminal)")
        if name == "logs":
            sp.add_argument("service", nargs="?", help="service name (optional with --errors)")
            sp.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
            sp.add_argument("-n", "--lines", type=int, default=50, metavar="N",
                            help="how many of the last lines to print (default 50)")
            sp.add_argument("--errors", action="store_true",
                            help="the lines monitor_error caught (/var/log/service-error.log)")
        if name == "set":
            sp.add_argument("variable_name", nargs="?",
                            help="variable name (none: list every settable variable)")
            sp.add_argument("value", nargs="?",
                            help="value to persist (none: print the current value)")
            sp.add_argument("--unset", action="store_true",
                            help="remove the persisted value of the variable for the current scope "
                                 "(the current stage, or global for a global variable)")
        if name == "status":
            sp.add_argument("--json", action="store_true", help="print the state as JSON")
        if name == "collections":
            sp.add_argument("--install", action="store_true",
                            help="install the missing or incompatible collections into this "
                                 "Python's site-packages (else ~/.ansible/collections)")
            sp.add_argument("--provider", action="append", default=[], metavar="NAME",
                            help="also the collections of this provider's stages (aws, ...; "
                                 "all: every provider's); repeatable")
    return parser


class _VersionAction(argparse.Action):
    """`--version`: computed only when asked (it reads installed packages' metadata)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from hive_builder.cli.version import version_text
        print(version_text(), end="", flush=True)
        parser.exit()


def cli_values(args: argparse.Namespace) -> dict[str, object]:
    """Variable values given on the command line (None = not given)."""
    # options of single subcommands (--json, --unset, -y...) are not variables: main.dispatch reads them
    values = {k: v for k, v in vars(args).items() if k in BY_NAME}
    if args.command in PHASE_NAMES:
        values["phase"] = args.command
    return values
