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
        sp = sub.add_parser(name, help=description, description=description)
        exclusive = EXCLUSIVE.get(name, ())
        group = sp.add_mutually_exclusive_group() if exclusive else None
        for var in options_of(name):
            target = group if var.name in exclusive else sp
            _add_option(target, var, PHASE_SUBJECTS.get(name))
        if name == "set":
            sp.add_argument("variable_name", help="variable name")
            sp.add_argument("value", help="variable value")
    return parser


def cli_values(args: argparse.Namespace) -> dict[str, object]:
    """Variable values given on the command line (None = not given)."""
    skip = {"command", "variable_name", "value"}
    values = {k: v for k, v in vars(args).items() if k not in skip}
    if args.command in PHASE_NAMES:
        values["phase"] = args.command
    return values
