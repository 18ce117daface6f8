"""The ``fupin`` command.

Every command is declared in :mod:`fupin.cli.commands` — its options and the ``module:function``
that handles it — so that the parser is built without importing Django or the engine. ``main``
parses, configures the policy (``FUPIN_POLICY`` plus the command's ``--policy`` files), starts
Django only for a command that works on the database, then loads and calls the one handler.
Handlers parse nothing more and render what one use case of :mod:`fupin.application` returns.

Errors a user can act on are raised as :class:`UserError` and printed without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from fupin.application import policy as policy_provider
from fupin.cli.commands import COMMANDS, UserError

__all__ = ["UserError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fupin", description="扶贫 registry, assessment and monitoring")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details (English)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in sorted(COMMANDS.items()):
        command.add_to(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def _handler(module_and_function: str):
    """The handler of a command, loaded when the command runs: a file command never imports the
    database side, and Django is set up before a database command's module is imported."""
    module, function = module_and_function.split(":")
    return getattr(importlib.import_module(module), function)


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
    command = COMMANDS[args.command]
    try:
        command.prepare(args)
        return int(_handler(command.handler_for(args))(args) or 0)
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
    finally:
        policy_provider.reset()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
