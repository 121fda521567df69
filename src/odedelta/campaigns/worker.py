"""What a worker does with a partition of customers: parse each, make the template's requests, return plain rows.

The catalog and the rules are read once per worker process (once per thread that runs tasks at the same time):
engines are kept in a per-process pool keyed by the campaign's paths, and a pool initializer (local) or a worker
plugin (Dask) fills it before the first task. Every customer gives exactly one customer row, whatever happens: a
refusal is a ``refused`` row with the rules' reasons, a broken input an ``error`` row with its location.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from odedelta import (
    ChangeResult,
    Context,
    Engine,
    Inventory,
    InventoryError,
    LoadError,
    OdeDeltaError,
    Refusal,
    RequestError,
    apply,
    load_catalog,
    load_rules,
)
from odedelta.campaigns._core import dumps, parse_text, tmf622, with_lines
from odedelta.campaigns.sources import Record
from odedelta.campaigns.spec import Campaign, targets

Row = dict[str, Any]
_NEWLINE = re.compile(r"\n *")

_POOL: dict[tuple[str, str | None], list[Engine]] = {}
_LOCK = threading.Lock()
LOADS: Counter[tuple[str, str | None]] = Counter()
"""How many times this process read each catalog and rule set (tests check it is once per worker)."""


def _key(campaign: Campaign) -> tuple[str, str | None]:
    return campaign.catalog, campaign.rules


def _load(campaign: Campaign) -> Engine:
    catalog = load_catalog(campaign.catalog)
    rules = load_rules(campaign.rules, catalog) if campaign.rules else None
    with _LOCK:
        LOADS[_key(campaign)] += 1
    return Engine(catalog, rules)


def warm(campaign: Campaign) -> None:
    """Read the catalog and rules into this process's pool (a pool initializer, a worker plugin's setup)."""
    with _LOCK:
        if _POOL.get(_key(campaign)):
            return
    engine = _load(campaign)
    with _LOCK:
        _POOL.setdefault(_key(campaign), []).append(engine)


@contextmanager
def _engine(campaign: Campaign) -> Iterator[Engine]:
    """An engine of this process's pool, for the calling thread alone while it runs."""
    with _LOCK:
        free = _POOL.setdefault(_key(campaign), [])
        engine = free.pop() if free else None
    if engine is None:
        engine = _load(campaign)
    try:
        yield engine
    finally:
        with _LOCK:
            _POOL[_key(campaign)].append(engine)


@dataclass
class Partition:
    """The rows of a partition of customers (in input order; the driver sorts them all at the end)."""

    customers: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    orders: list[tuple[str, int, str]] = field(default_factory=list)
    """(customer, index, the ProductOrder as one JSON line)."""


def run_partition(campaign: Campaign, records: list[Record]) -> Partition:
    out = Partition()
    with _engine(campaign) as engine:
        for record in records:
            customer, items, orders = run_customer(engine, campaign, record)
            out.customers.append(customer)
            out.items.extend(items)
            out.orders.extend((customer["customer"], record.index, order) for order in orders)
    return out


def _parse(engine: Engine, record: Record, row: Row) -> tuple[Inventory, Context]:
    """The inventory and context of a record (its customer id into ``row`` as soon as it is known); a
    :class:`LoadError` located in its origin."""
    if record.text.startswith("\0"):
        raise LoadError(f"{record.origin}: {record.text[1:]}")
    syntax = record.syntax
    data = parse_text(record.text, record.origin, yaml_syntax=syntax == "yaml")
    context = Context()
    if syntax == "jsonl" and isinstance(data, dict) and "products" in data:
        row["customer"] = str(data.get("customer") or record.name)
        try:
            context = Context(segment=data.get("segment"), attributes=data.get("attributes") or {},
                              billing_cycle_day=data.get("billingCycleDay"))
            engine.check(context)  # a billing day out of range, attributes no executor should see
        except (ValueError, RequestError) as exc:
            raise LoadError(f"{record.origin}: the customer's segment, attributes or billingCycleDay: "
                            f"{str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else exc}") from None
        data = data["products"]
    try:
        return Inventory.from_document(engine.catalog, data, record.origin), context
    except LoadError as exc:
        texts = {} if syntax == "jsonl" else {record.origin: record.text}
        located = with_lines(exc.problems, texts)
        raise type(exc)(f"{record.origin}: {str(exc).splitlines()[0]}", located) from None


def _money(value: Any) -> Decimal:
    amount: Decimal = value.rounded().amount
    return amount


def _refused(row: Row, refusal: Refusal) -> Row:
    """The row of a refused change: by the rules (their reasons and ids), else by the catalog's structure."""
    if refusal.verdict is None:
        row.update(status="refused", reasons=["request_refused"], message=refusal.message)
    else:
        row.update(status="refused", reasons=sorted({r.reason for r in refusal.verdict.reasons}),
                   message=refusal.message, rules=sorted({r.rule_id for r in refusal.verdict.reasons}))
    return row


def run_customer(engine: Engine, campaign: Campaign, record: Record) -> tuple[Row, list[Row], list[str]]:
    """One customer's row, its order items' rows and its orders (JSON lines)."""
    row: Row = {"customer": record.name, "index": record.index, "source": record.origin, "status": "unchanged",
                "reasons": [], "message": None, "requests": 0, "currency": None, "recurring_before": None,
                "recurring_after": None, "recurring_difference": None, "penalties": None, "fees": None,
                "one_time": None, "proration": None, "due_now": None, "promotions_lost": [],
                "promotions_gained": [], "rules": [], "items": 0}
    try:
        inventory, context = _parse(engine, record, row)
        products = targets(campaign.template, inventory)
        results: list[tuple[str, ChangeResult]] = []
        for product_id in products:
            if product_id not in inventory.products:  # gone with an earlier request of this customer
                continue
            result = engine.evaluate(inventory, campaign.template.request(product_id), as_of=campaign.as_of,
                                     context=context)
            if isinstance(result, Refusal):
                return _refused(row, result), [], []
            results.append((product_id, result))
            if product_id != products[-1]:
                inventory = Inventory.from_products(engine.catalog, apply(inventory, result))
    except RequestError as exc:
        row.update(status="refused", reasons=["request_refused"], message=str(exc))
        return row, [], []
    except InventoryError as exc:
        row.update(status="error", reasons=["inventory"], message=str(exc))
        return row, [], []
    except OdeDeltaError as exc:
        row.update(status="error", reasons=["input"], message=str(exc))
        return row, [], []
    except Exception as exc:
        row.update(status="error", reasons=["internal"], message=f"{record.origin}: internal error: "
                   f"{type(exc).__name__}: {exc}")
        return row, [], []
    if not results:
        return row, [], []
    return _changed(row, campaign, results)


def _changed(row: Row, campaign: Campaign, requested: list[tuple[str, ChangeResult]]) -> tuple[Row, list[Row],
                                                                                         list[str]]:
    results = [result for _product, result in requested]
    first, last = results[0].consequences, results[-1].consequences
    assert first is not None and last is not None
    charges = [c for r in results for c in (r.consequences.charges if r.consequences else [])]

    def charged(*kinds: str) -> Decimal:
        return sum((_money(c.amount) for c in charges if c.kind in kinds), Decimal("0.00"))

    before = {p.promotion_id for p in first.promotions if p.status in ("kept", "lost")}
    after = {p.promotion_id for p in last.promotions if p.status in ("kept", "gained")}
    recurring_before, recurring_after = _money(first.recurring_before), _money(last.recurring_after)
    items = [{"customer": row["customer"], "index": row["index"], "request": n, "requested": product,
              "item": item.id, "action": item.action.value, "product": item.product_id, "offering": item.offering_id,
              "previous_offering": item.previous_offering_id, "parent": item.parent_id, "new": not item.installed,
              "reasons": [reason.code for reason in item.reasons]}
             for n, (product, r) in enumerate(requested) for item in r.items]
    row.update(status="changed", requests=len(results), currency=first.currency,
               recurring_before=recurring_before, recurring_after=recurring_after,
               recurring_difference=recurring_after - recurring_before, penalties=charged("penalty"),
               fees=charged("fee"), one_time=charged("oneTime"), proration=charged("proration"),
               due_now=charged("penalty", "fee", "oneTime", "proration"), promotions_lost=sorted(before - after),
               promotions_gained=sorted(after - before), rules=sorted({i for r in results for i in r.rule_ids}),
               items=len(items))
    # a JSON string never holds a raw newline: dropping each newline and its indentation gives one line
    orders = [_NEWLINE.sub("", dumps(tmf622(r, campaign.tmf_version))) for r in results] if campaign.orders else []
    return row, items, orders
