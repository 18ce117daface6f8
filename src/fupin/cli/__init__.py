"""The ``fupin`` command.

Each command group lives in its own module and registers its subcommands with
:func:`command`; ``main`` only parses and dispatches. Errors a user can act on are raised as
:class:`UserError` and printed without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

COMMAND_MODULES = (
    "fupin.cli.registry_commands",
    "fupin.cli.engine_commands",
    "fupin.cli.account_commands",
    "fupin.cli.web_commands",
    "fupin.cli.monitoring_commands",
)

_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable, str]] = {}


class UserError(Exception):
    """A problem with the user's input: printed as a message, exit code 2."""


def command(name: str, help: str):
    """Register ``fn(args) -> int | None`` as subcommand ``name``; its ``.arguments`` adds options."""

    def decorate(fn):
        def add_arguments(parser: argparse.ArgumentParser) -> None:
            for configure in getattr(fn, "_arguments", []):
                configure(parser)

        _COMMANDS[name] = (add_arguments, fn, help)
        return fn

    return decorate


def argument(*names, **kwargs):
    """Declare one option of a subcommand (stacked under ``@command``)."""

    def decorate(fn):
        fn._arguments = [lambda p: p.add_argument(*names, **kwargs), *getattr(fn, "_arguments", [])]
        return fn

    return decorate


def build_parser() -> argparse.ArgumentParser:
    for module in COMMAND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    parser = argparse.ArgumentParser(prog="fupin", description="扶贫 registry, assessment and monitoring")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details (English)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (add_arguments, _fn, help_text) in sorted(_COMMANDS.items()):
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.command:
        parser.print_help()
        return 2
    _add, fn, _help = _COMMANDS[args.command]
    try:
        return int(fn(args) or 0)
    except UserError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已中断，数据库未改变。 (interrupted; the database is unchanged)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
