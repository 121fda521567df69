"""The ``odedelta`` command: an adapter that reads files, calls the core and prints. One entry point,
:func:`main` (the console script and ``python -m odedelta``); a module per command group (``change``: change,
qualify, demo; ``authoring``: check, test, schema, facts; ``partners``; ``bulk``; ``serve``), all sharing one error
path (``errors``). Exit codes: 0 success, 1 the input is refused or a scenario failed, 2 the command line is wrong.

With ``--format`` json (or a TMF format), a refusal is also written to stdout as a JSON error object
(:func:`error_document`), so automation reads one stream; the sentence for people still goes to stderr. Each command
imports the engine when it runs, so ``odedelta --help`` does not load it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from odedelta.adapters.cli import authoring, bulk, change, explain, partners, serve
from odedelta.adapters.cli.errors import UsageError, did_you_mean, error_document, problem_dict, run

__all__ = ["UsageError", "build_parser", "error_document", "main", "problem_dict"]

# the options the top-level parser takes before a command (none takes a value)
_TOP_OPTIONS = ("-h", "--help", "--version")


class _Version(argparse.Action):
    """``--version``: argparse's own action, but the version (the installed package's metadata) is read only when
    it is asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **_: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from odedelta._version import __version__

        print(f"odedelta {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    return _assemble()[0]


def _assemble() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser and its commands' parsers, by name."""
    parser = argparse.ArgumentParser(
        prog="odedelta",
        description="Compute what changes when a customer moves from their installed products to another offer. "
        "Start with 'odedelta demo'.",
        epilog="Exit codes: 0 success; 1 the input is refused or a scenario failed; 2 the command line is wrong. "
        "With --format json (or a TMF format) a refusal is also a JSON error object on stdout.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    change.add_parsers(sub)
    explain.add_parser(sub)
    authoring.add_parsers(sub)
    partners.add_parsers(sub)
    bulk.add_parser(sub)
    serve.add_parser(sub)
    return parser, dict(sub.choices)


def _known_command(parser: argparse.ArgumentParser, commands: dict[str, argparse.ArgumentParser],
                   argv: Sequence[str]) -> None:
    """An unknown command, or an unknown option of a known one, is a wrong command line (exit 2) that names the
    closest command or option: argparse says so itself only for commands, and only from Python 3.14 on; for an
    option it says "unrecognized arguments", or, when the misspelt option was a required one, only that the
    required one is missing."""
    for at, token in enumerate(argv):
        if token in _TOP_OPTIONS:
            return  # argparse answers --help and --version before it looks at the command
        if token.startswith("-"):
            continue  # an unknown option: argparse's own message
        if token not in commands:
            hint = did_you_mean(token, commands) or " (odedelta --help lists the commands)"
            parser.error(f"unknown command {token!r}{hint}")
        _known_options(commands[token], argv[at + 1:])
        return


def _known_options(command: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    # argparse has no public list of a parser's options; _actions is the one its own help is drawn from
    options = [o for action in command._actions for o in action.option_strings if o.startswith("--")]
    for token in argv:
        if token == "--":
            return  # what follows is not options
        name = token.split("=", 1)[0]
        if not name.startswith("--") or any(o.startswith(name) for o in options):
            continue  # a value, an option, or an abbreviation argparse accepts (or calls ambiguous itself)
        hint = did_you_mean(name, options) or f" ({command.prog} --help lists the options)"
        command.error(f"unknown option {name!r}{hint}")


def main(argv: Sequence[str] | None = None) -> int:
    """The ``odedelta`` command: parse ``argv`` (default: the process's arguments), run the command, return its
    exit code. A wrong command line exits 2 through argparse (``SystemExit``)."""
    parser, commands = _assemble()
    arguments = sys.argv[1:] if argv is None else list(argv)
    _known_command(parser, commands, arguments)
    try:
        return run(parser.parse_args(arguments))
    except BrokenPipeError:  # `odedelta test … | head`: the reader left; what is left to print has nowhere to go
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's own flush at exit does not fail again
        return 1
