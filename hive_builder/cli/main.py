# PYTHON_ARGCOMPLETE_OK
"""`hive` entry point: parse, resolve variables, dispatch, and turn errors into one clear line.

Shell completion: argcomplete (`eval "$(register-python-argcomplete hive)"`); the marker above
lets its global activation find this entry point."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import time
import traceback

from hive_builder.cli import commands
from hive_builder.cli.context import build_context
from hive_builder.cli.parser import build_parser, cli_values
from hive_builder.config.catalogue import PHASE_NAMES
from hive_builder.errors import HiveError


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    _autocomplete(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # usage errors and -h: argparse already printed
        return e.code if isinstance(e.code, int) else 2
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("hive: error: a subcommand is required (hive -h lists them)", file=sys.stderr)
        return 2
    with _sigterm_as_interrupt():
        try:
            if args.command == "collections":  # needs no project
                from hive_builder.cli.collections_cmd import cmd_collections
                cmd_collections(install=args.install, providers=args.provider)
                return 0
            ctx = build_context(cli_values(args))
            dispatch(args, ctx, commands.describe_argv(argv))
            return 0
        except HiveError as e:
            print(f"HIVE ERROR: {e}", file=sys.stderr)
            return e.exit_code
        except BrokenPipeError:   # the reader went away (`hive inventory | head`): not hive's error
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no 2nd error at exit
            return 141
        except KeyboardInterrupt:
            print("ABORTED: keyboard interruption", file=sys.stderr)
            return 130
        except Exception as e:  # a bug: one line for the user, the traceback in a file
            path = _save_traceback()
            print(f"HIVE INTERNAL ERROR: {type(e).__name__}: {e} (traceback in {path})",
                  file=sys.stderr)
            return 1


def dispatch(args, ctx, command: str) -> None:
    name = args.command
    if name == "init":
        commands.cmd_init(ctx)
    elif name == "set":
        commands.cmd_set(ctx, args.variable_name, args.value, unset=args.unset)
    elif name == "ssh":
        commands.cmd_ssh(ctx)
    elif name == "check":
        commands.cmd_check(ctx, command)
    elif name == "inventory":
        commands.cmd_inventory(ctx, command)
    elif name == "volume-status":
        commands.cmd_volume_status(ctx, command)
    elif name == "logs":
        commands.cmd_logs(ctx, args.service, follow=args.follow, lines=args.lines,
                          errors=args.errors)
    elif name == "backup":
        commands.cmd_backup(ctx, restore=False)
    elif name == "restore":
        commands.confirm_restore(ctx, assume_yes=args.yes)
        commands.cmd_backup(ctx, restore=True)
    elif name == "status":
        from hive_builder.cli.status import cmd_status
        cmd_status(ctx, as_json=args.json)
    elif name == "all":
        commands.cmd_all(ctx, command)
    elif name in PHASE_NAMES:
        commands.cmd_phase(ctx, name, command, assume_yes=bool(getattr(args, "yes", False)))
    else:  # the parser only accepts the names above
        raise HiveError(f"unknown subcommand {name}")


def _autocomplete(parser) -> None:
    """Answer a shell's completion request (argcomplete sets _ARGCOMPLETE) and exit; otherwise
    nothing. Without argcomplete installed, no completion and no error."""
    if "_ARGCOMPLETE" not in os.environ:   # not a completion request: spare every run the import
        return
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """A SIGTERM (e.g. from a CI runner) cleans up like Ctrl-C: tunnels stopped, lock released."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not in the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _save_traceback() -> str:
    fd, path = tempfile.mkstemp(prefix=time.strftime("hive-traceback-%Y%m%d-%H%M%S-"),
                                suffix=".log")
    with open(fd, "w") as f:
        traceback.print_exc(file=f)
    return path


if __name__ == "__main__":
    sys.exit(main())
