"""The impact of a rule or catalog change over a whole base: which rules fire differently, for how many customers,
with how much money; and, for two versions of a catalog, who is affected by what changed in it (the grandfathering
question: "who is affected if we change this price?").

Both compare the customer rows of two campaigns over the same base (``customers.parquet`` of ``out/a`` and
``out/b``, sorted by customer, one row per customer on both sides), read once, never all in memory. Money is by
currency, B minus A, Decimal; a rule's money is that of the customers for whom it fires differently (the whole
difference of those customers: when two rules change for one customer, both name it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from odedelta import load_catalog
from odedelta.campaigns._core import dumps
from odedelta.campaigns.worker import Row
from odedelta.model.catalog import Catalog
from odedelta.rules.facts import monthly_price

MONEY = {"dueNow": "due_now", "penalties": "penalties", "fees": "fees", "recurringBefore": "recurring_before",
         "recurringAfter": "recurring_after"}
"""The money each comparison reports: its name in JSON → the customer row's field."""
EXAMPLES = 20
"""How many customer ids each rule's entry names (the count is always complete)."""
AFFECTED = "affected.jsonl"
"""One line per customer whose outcome differs between two catalogs, with both sides' money."""
_ONE_LINE = re.compile(r"\n *")  # a JSON string never holds a raw newline: dropping them gives one line


class RuleChanges:
    """Accumulates, customer by customer, how each rule's firing differs between two campaigns."""

    def __init__(self) -> None:
        self.rules: dict[str, dict[str, Any]] = {}

    def add(self, row_a: Row, row_b: Row) -> None:
        fired_a, fired_b = set(row_a["rules"] or []), set(row_b["rules"] or [])
        for rule_id in fired_a | fired_b:
            entry = self.rules.setdefault(rule_id, {"firesInA": 0, "firesInB": 0, "onlyInA": 0, "onlyInB": 0,
                                                    "examples": [], "money": {}})
            entry["firesInA"] += rule_id in fired_a
            entry["firesInB"] += rule_id in fired_b
            if (rule_id in fired_a) == (rule_id in fired_b):
                continue
            entry["onlyInA" if rule_id in fired_a else "onlyInB"] += 1
            if len(entry["examples"]) < EXAMPLES:
                entry["examples"].append(row_a["customer"])
            _add_money(entry["money"], row_a, row_b)

    def result(self) -> dict[str, Any]:
        """Rules that fire differently for at least one customer, by id; then how many rules that is."""
        changed = {rule_id: _finish(entry) for rule_id, entry in sorted(self.rules.items())
                   if entry["onlyInA"] or entry["onlyInB"]}
        return {"rulesThatFireDifferently": len(changed), "ruleChanges": changed}


def rule_changes(rows_a: Iterable[Row], rows_b: Iterable[Row]) -> dict[str, Any]:
    """Per rule: for how many customers it fires under A and under B, only under A, only under B (with example
    customers), and the money (B − A by currency) of the customers for whom it fires differently."""
    changes = RuleChanges()
    for row_a, row_b in _paired(rows_a, rows_b):
        changes.add(row_a, row_b)
    return changes.result()


def _paired(rows_a: Iterable[Row], rows_b: Iterable[Row]) -> Iterator[tuple[Row, Row]]:
    for row_a, row_b in zip(rows_a, rows_b, strict=True):
        if row_a["customer"] != row_b["customer"]:
            raise ValueError(f"the two campaigns are not over the same base: {row_a['customer']!r} and "
                             f"{row_b['customer']!r}")
        yield row_a, row_b


def _money_of(row: Row, other: Row) -> dict[str, Decimal] | None:
    """A row's money; a customer not changed on this side (refused, in error, nothing to change) keeps the bill
    the other side started from and pays nothing now. None when neither side changed."""
    if row["status"] == "changed":
        return {name: Decimal(row[field]) if row[field] is not None else Decimal("0.00")
                for name, field in MONEY.items()}
    if other["status"] != "changed":
        return None
    kept = Decimal(other["recurring_before"])
    return {"dueNow": Decimal("0.00"), "penalties": Decimal("0.00"), "fees": Decimal("0.00"),
            "recurringBefore": kept, "recurringAfter": kept}


def _add_money(money: dict[str, dict[str, Decimal]], row_a: Row, row_b: Row) -> None:
    a, b = _money_of(row_a, row_b), _money_of(row_b, row_a)
    currency = row_b["currency"] or row_a["currency"]
    if a is None or b is None or currency is None:
        return
    if row_a["currency"] is not None and row_b["currency"] is not None and row_a["currency"] != row_b["currency"]:
        return  # never a sum across currencies: the customer's counts still say it differs
    for name in MONEY:
        side = money.setdefault(name, {})
        side[currency] = side.get(currency, Decimal("0.00")) + (b[name] - a[name])


def _finish(entry: dict[str, Any]) -> dict[str, Any]:
    money = {name: {c: entry["money"][name][c] for c in sorted(entry["money"][name])}
             for name in MONEY if name in entry["money"]}
    return {**{k: entry[k] for k in ("firesInA", "firesInB", "onlyInA", "onlyInB")},
            "customers": entry["onlyInA"] + entry["onlyInB"], "examples": entry["examples"], "money": money}


# ------------------------------------------------------------------------------------- two catalog versions


def price_changes(catalog_a: Catalog, catalog_b: Catalog, as_of: datetime) -> list[dict[str, Any]]:
    """Offerings whose monthly recurring price at ``as_of`` differs between the two catalogs (or that only one of
    them has), sorted by id."""
    out = []
    for offering_id in sorted(set(catalog_a.offerings) | set(catalog_b.offerings)):
        price_a = monthly_price(catalog_a, offering_id, as_of) if offering_id in catalog_a.offerings else None
        price_b = monthly_price(catalog_b, offering_id, as_of) if offering_id in catalog_b.offerings else None
        if price_a == price_b and (offering_id in catalog_a.offerings) == (offering_id in catalog_b.offerings):
            continue
        out.append({"offering": offering_id, "name": (catalog_b.name_of(offering_id) if offering_id in
                                                      catalog_b.offerings else catalog_a.name_of(offering_id)),
                    "inA": offering_id in catalog_a.offerings, "inB": offering_id in catalog_b.offerings,
                    "monthlyA": price_a, "monthlyB": price_b})
    return out


class Campaign(Protocol):
    """What a comparison reads of a finished campaign (:class:`odedelta.campaigns.CampaignResult`)."""

    @property
    def summary(self) -> dict[str, Any]: ...

    def iter_customers(self) -> Iterator[Row]: ...


def catalog_comparison(a: Campaign, b: Campaign, *, catalog_a: str | Path, catalog_b: str | Path,
                       rules: str | Path | None, as_of: datetime, out: str | Path) -> dict[str, Any]:
    """Two campaigns over the same base and rules under two catalog versions, compared: ``out/affected.jsonl``
    (every customer whose outcome differs, with both sides' money) and ``out/comparison.json``: the offerings whose
    price changed, how many customers are affected — in what they pay today for what they hold
    (``recurringBefore``: not grandfathered, they pay the new price) and after the change — the outcomes that
    move, the money (B − A of the affected customers, by currency) and the rules that fire differently."""
    root = Path(out)
    changes = RuleChanges()
    moves: dict[str, int] = {}
    differ: list[str] = []
    affected = {"recurringBefore": 0, "recurringAfter": 0, "dueNow": 0}
    totals: dict[str, dict[str, Decimal]] = {}
    fields = ("status", "reasons", "recurring_before", "recurring_after", "penalties", "fees", "due_now",
              "promotions_lost")
    with (root / AFFECTED).open("w", encoding="utf-8") as lines:
        for row_a, row_b in _paired(a.iter_customers(), b.iter_customers()):
            changes.add(row_a, row_b)
            if not any(row_a[f] != row_b[f] for f in fields):
                continue
            differ.append(row_a["customer"])
            move = f"{row_a['status']} -> {row_b['status']}"
            moves[move] = moves.get(move, 0) + 1
            for name, field in (("recurringBefore", "recurring_before"), ("recurringAfter", "recurring_after"),
                                ("dueNow", "due_now")):
                affected[name] += row_a[field] != row_b[field]
            _add_money(totals, row_a, row_b)
            line = {"customer": row_a["customer"], "status": [row_a["status"], row_b["status"]],
                    "currency": row_b["currency"] or row_a["currency"],
                    **{name: [row_a[field], row_b[field]] for name, field in MONEY.items()},
                    "rules": [row_a["rules"], row_b["rules"]]}
            lines.write(_ONE_LINE.sub("", dumps(line)) + "\n")
    money = ("recurring", "penalties", "fees", "dueNow")
    comparison = {
        "catalogA": str(catalog_a),
        "catalogB": str(catalog_b),
        "rules": str(rules) if rules is not None else None,
        "prices": price_changes(load_catalog(catalog_a), load_catalog(catalog_b), as_of),
        "customers": a.summary["customers"],
        "differ": len(differ),
        "affected": affected,
        "byOutcome": {k: moves[k] for k in sorted(moves)},
        "a": {k: a.summary[k] for k in ("changed", "refused", *money)},
        "b": {k: b.summary[k] for k in ("changed", "refused", *money)},
        "differences": {name: {c: totals[name][c] for c in sorted(totals[name])} for name in MONEY if name in totals},
        **changes.result(),
        "customersThatDiffer": differ,
    }
    (root / "comparison.json").write_text(dumps(comparison), encoding="utf-8")
    return comparison
