"""argparse parser generated from the variable catalogue (reference §2.1)."""

from __future__ import annotations

import argparse

from hive_builder.config import casting
from hive_builder.config.catalogue import (PHASE_NAMES, PHASE_SUBJECTS, Type, Variable,
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
    "set": "set hive variable persistently",
    "ssh": "ssh to hive server",
    "volume-status": "show every DRBD volume's role, disk and peer states on every hive, with repairs",
    "logs": "show a service's log (or the monitored errors) collected on the repository server",
    "backup": "back up services (backup_scripts) and the registry now, on the repository server",
    "restore": "restore services from their latest backup on the repository server",
}

EPILOGS = {
    "logs": "examples:\n  hive logs web            last 50 lines of web's log\n"
            "  hive logs web -f -n 0    follow new lines\n"
            "  hive logs --errors       every monitored error (monitor_error)\n"
            "  hive logs db --errors    the monitored errors of db",
    "backup": "examples:\n  hive backup              every service with backup_scripts, the registry and Zabbix\n"
              "  hive backup -l db,web    only these (hive-registry names the registry, hive-zabbix\n"
              "                           the Zabbix database)",
    "restore": "examples:\n  hive restore -l db       db from ~/backup/backup-<name>-latest.* on the "
               "repository server",
}

# Options that may not be combined on one subcommand.
EXCLUSIVE = {"build-infra": ("halt", "destroy")}


def _directory(text: str) -> str:
    try:
        return casting.existing_directory(text)
    except HiveError as e:
        raise argparse.ArgumentTypeError(e.message) from None


def _add_option(parser, var: Variable, subject: str | None = None) -> None:
    cli = var.cli
    flags = [cli.short, cli.long]
    if "_" in cli.long:
        flags.append(cli.long.replace("_", "-"))
    help_text = (cli.help or var.description).format(subject=subject or "")
    kwargs: dict = {"dest": var.name, "default": None, "help": help_text}
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
    parser.add_argument(*flags, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hive", description="support tool to build docker site")
    for var in global_options():
        _add_option(parser, var)
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(DESCRIPTIONS) + "}")
    for name, description in DESCRIPTIONS.items():
        sp = sub.add_parser(name, help=description, description=description,
                            epilog=EPILOGS.get(name),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        exclusive = EXCLUSIVE.get(name, ())
        group = sp.add_mutually_exclusive_group() if exclusive else None
        for var in options_of(name):
            target = group if var.name in exclusive else sp
            _add_option(target, var, PHASE_SUBJECTS.get(name))
        if name == "logs":
            sp.add_argument("service", nargs="?", help="service name (optional with --errors)")
            sp.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
            sp.add_argument("-n", "--lines", type=int, default=50, metavar="N",
                            help="how many of the last lines to print (default 50)")
            sp.add_argument("--errors", action="store_true",
                            help="the lines monitor_error caught (/var/log/service-error.log)")
        if name == "set":
            sp.add_argument("variable_name", help="variable name")
            sp.add_argument("value", help="variable value")
    return parser


def cli_values(args: argparse.Namespace) -> dict[str, object]:
    """Variable values given on the command line (None = not given)."""
    skip = {"command", "variable_name", "value", "service", "follow", "lines", "errors"}
    values = {k: v for k, v in vars(args).items() if k not in skip}
    if args.command in PHASE_NAMES:
        values["phase"] = args.command
    return values
