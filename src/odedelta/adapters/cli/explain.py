"""``odedelta explain``: every rule of a rule set on one change — fired (with the facts it read), matched without
deciding, not fired (the first false part of its condition and the facts it read), or never asked."""

from __future__ import annotations

import argparse
from typing import Any

from odedelta.adapters.cli.change import _known, _request, request_options
from odedelta.adapters.cli.common import _as_of, _context, _engine, _write, installed
from odedelta.adapters.cli.errors import UsageError


def _explain(args: argparse.Namespace) -> int:
    from odedelta.flows.explain import explain_change
    from odedelta.outputs.rule_explanation import explanation_dict, explanation_text

    if args.rules is None:
        raise UsageError("explain needs --rules DIR (the rule set to explain)")
    engine, inventory = _engine(args)
    request, as_of, context = _request(args), _as_of(args.as_of), _context(args)
    installed(inventory, (getattr(request, "product", None), getattr(request, "parent", None)))
    _known(engine, inventory, request)
    explanation = explain_change(engine, inventory, request, as_of=as_of, context=context)
    return _write(args.format, lambda: explanation_text(explanation, facts=args.facts),
                  lambda: explanation_dict(explanation, facts=args.facts), lambda: None)


def add_parser(sub: Any) -> None:
    explain = sub.add_parser(
        "explain",
        help="every rule on one change: fired or not, and why (the false condition and the facts it read)",
        description="Evaluate one change (the arguments of 'change', with --rules) and show every rule of the rule "
        "set: fired (with the facts it read), matched without deciding (and what came first), did not fire (the "
        "first false part of its condition and the facts it read), or never asked. Exit 0, also for a change the "
        "rules refuse (the explanation says why).",
    )
    request_options(explain)
    explain.add_argument("--facts", action="store_true",
                         help="also print every fact the change produced, for each question asked of rules")
    explain.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or JSON")
    explain.set_defaults(run=_explain)
