"""The one error path every command shares. A refusal (an :class:`OdeDeltaError`) is one sentence on stderr,
``error: …`` with its located problems under it; with a ``--format`` other than text (JSON or a TMF document) it is
also a JSON error object on stdout (:func:`error_document`), so automation reads one stream. Exit codes: 0 success,
1 the input is refused or a scenario failed, 2 the command line is wrong (argparse's own code)."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable
from typing import Any

from odedelta.model.errors import OdeDeltaError, Problem, RequestError
from odedelta.model.jsonio import dumps


class UsageError(RequestError):
    """The command line is wrong (a value that cannot be read, a missing option): exit 2, like argparse's own."""

    exit_code = 2


def error_document(exc: OdeDeltaError) -> dict[str, Any]:
    """The JSON error object of a refusal: its type, exit code, one-sentence message, every located problem and,
    for a change the rules refuse, every refusing rule."""
    from odedelta.flows.result import NotEligible  # the engine's, loaded only when there is an error to write

    error: dict[str, Any] = {
        "type": type(exc).__name__,
        "exitCode": exc.exit_code,
        "message": str(exc.args[0]) if exc.args else str(exc),
        "problems": [{k: v for k, v in (("file", p.file), ("line", p.line), ("column", p.column), ("path", p.path),
                                        ("message", p.message)) if v is not None} for p in exc.problems],
    }
    if isinstance(exc, NotEligible):
        error["rules"] = [{"rule": r.rule_id, "kind": r.kind, "reason": r.reason, "message": r.message}
                          for r in exc.verdict.reasons]
    return {"error": error}


def problem_dict(problem: Problem) -> dict[str, object]:
    """A problem for editor integrations; a suggestion written into the message (`` — did you mean 'x'?``) is
    given on its own too."""
    message, suggestion = problem.message, problem.suggestion
    if suggestion is None and " — " in message:
        message, _, suggestion = message.partition(" — ")
    return {"file": problem.file, "line": problem.line, "column": problem.column, "path": problem.path,
            "message": message, "suggestion": suggestion}


def run(args: argparse.Namespace) -> int:
    """Run the command the parsed line names; a refusal goes to stderr (and, for a JSON or TMF ``--format``, to
    stdout as :func:`error_document`) and its exit code is returned."""
    try:
        return int(args.run(args))
    except OdeDeltaError as exc:
        return report(args, exc)


def report(args: argparse.Namespace, error: OdeDeltaError) -> int:
    """Write ``error`` the way every command does (a sentence on stderr; the JSON error object on stdout for a JSON
    or TMF ``--format``) and return its exit code: for an exception caught by :func:`run`, or for a refusal a
    command got as a value (``error`` is then :meth:`Refusal.error`, made, not raised)."""
    print(f"error: {error}", file=sys.stderr)
    if getattr(args, "format", "text") != "text":
        sys.stdout.write(dumps(error_document(error)))
    return error.exit_code


def did_you_mean(word: str, candidates: Iterable[str], most: int = 5) -> str:
    """`` — did you mean 'x'?`` naming the closest candidates, at most ``most`` of them, or an empty string when
    nothing is near: the same id in another case; else the candidates ``word`` begins (``partner`` →
    ``partner-sla``, ``partner-status``); else the closest by spelling, every one as close as the closest
    (difflib's ratio, at least 0.6, as the library's own messages); else the ids of the same stem (``F-99`` →
    ``F-1``, ``F-2``, …: ids that differ in their number)."""
    options = sorted(set(candidates), key=lambda c: (len(c), c))  # F-2 before F-10
    close = [c for c in options if c.casefold() == word.casefold()]
    if not close:
        close = [c for c in options if len(word) >= 3 and c.startswith(word)]
    if not close:
        ratios = {c: difflib.SequenceMatcher(None, word, c).ratio() for c in options}
        best = max(ratios.values(), default=0.0)
        close = [c for c in options if ratios[c] == best] if best >= 0.6 else []
    if not close:
        stem = word.rstrip("0123456789")
        close = [c for c in options if stem and stem != word and c.rstrip("0123456789") == stem]
    if not close:
        return ""
    shown = [repr(c) for c in close[:most]]
    if len(close) > most:
        text = ", ".join(shown) + ", …"
    else:
        text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f" — did you mean {text}?"
