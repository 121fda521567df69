"""A campaign's files: ``summary.json``, ``customers.parquet``, ``items.parquet`` and, when asked, ``orders.jsonl``.

Everything is sorted by customer (then by position in the input), so the files are byte-identical whatever the
engine, the number of workers and the partitioning. Amounts are exact decimals (Parquet ``decimal128(18, 2)``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from odedelta.campaigns._core import dumps
from odedelta.campaigns.spec import Campaign, CampaignError
from odedelta.campaigns.worker import Row

MONEY = ("recurring_before", "recurring_after", "recurring_difference", "penalties", "fees", "one_time",
         "proration", "due_now")
TOTALS = {"penalties": "penalties", "fees": "fees", "oneTime": "one_time", "proration": "proration",
          "dueNow": "due_now"}


def summary(campaign: Campaign, customers: list[Row], items: list[Row]) -> dict[str, Any]:
    """The campaign in numbers (the rows are the detail): counts by status, refusals by reason, money by
    currency, promotions lost and gained, order items by action."""
    status = Counter(row["status"] for row in customers)
    refused = Counter(reason for row in customers if row["status"] == "refused" for reason in row["reasons"])
    errors = Counter(reason for row in customers if row["status"] == "error" for reason in row["reasons"])
    changed = [row for row in customers if row["status"] == "changed"]
    recurring: dict[str, dict[str, Decimal]] = {}
    totals: dict[str, dict[str, Decimal]] = {name: {} for name in TOTALS}
    for row in changed:
        side = recurring.setdefault(row["currency"], {"before": Decimal("0.00"), "after": Decimal("0.00")})
        side["before"] += row["recurring_before"]
        side["after"] += row["recurring_after"]
        for name, column in TOTALS.items():
            totals[name][row["currency"]] = totals[name].get(row["currency"], Decimal("0.00")) + row[column]
    for side in recurring.values():
        side["difference"] = side["after"] - side["before"]
    template = campaign.template
    return {
        "template": {"kind": type(template).__name__, **{k: v for k, v in vars(template).items() if v is not None}},
        "asOf": campaign.as_of,
        "customers": len(customers),
        "changed": status["changed"],
        "unchanged": status["unchanged"],
        "refused": {"total": status["refused"], "byReason": _sorted(refused)},
        "errors": {"total": status["error"], "byKind": _sorted(errors)},
        "requests": sum(row["requests"] for row in changed),
        "recurring": {c: recurring[c] for c in sorted(recurring)},
        **{name: {c: v[c] for c in sorted(v)} for name, v in totals.items()},
        "promotions": {
            "lost": _sorted(Counter(p for row in changed for p in row["promotions_lost"])),
            "gained": _sorted(Counter(p for row in changed for p in row["promotions_gained"])),
        },
        "actions": _sorted(Counter(item["action"] for item in items)),
        "rules": _sorted(Counter(r for row in customers for r in row["rules"])),
    }


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return {key: counter[key] for key in sorted(counter)}


def order(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (row["customer"], row["index"], row.get("request", 0), row.get("item", "")))


def _schemas() -> tuple[Any, Any]:
    import pyarrow as pa

    money = pa.decimal128(18, 2)
    text = pa.list_(pa.string())
    customers = pa.schema([("customer", pa.string()), ("index", pa.int64()), ("source", pa.string()),
                           ("status", pa.string()), ("reasons", text), ("message", pa.string()),
                           ("requests", pa.int32()), ("currency", pa.string()),
                           *[(name, money) for name in MONEY],
                           ("promotions_lost", text), ("promotions_gained", text), ("rules", text),
                           ("items", pa.int32())])
    items = pa.schema([("customer", pa.string()), ("index", pa.int64()), ("request", pa.int32()),
                       ("requested", pa.string()), ("item", pa.string()), ("action", pa.string()),
                       ("product", pa.string()), ("offering", pa.string()), ("previous_offering", pa.string()),
                       ("parent", pa.string()), ("new", pa.bool_()), ("reasons", text)])
    return customers, items


def write(out: Path, campaign: Campaign, customers: list[Row], items: list[Row],
          orders: list[tuple[str, int, str]]) -> dict[str, Any]:
    """Write the campaign's files into ``out`` (created if needed); return the summary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CampaignError(f"{out}: cannot create the output directory ({exc.strerror})") from None
    customers, items = order(customers), order(items)
    result = summary(campaign, customers, items)
    (out / "summary.json").write_text(dumps(result), encoding="utf-8")
    customer_schema, item_schema = _schemas()
    pq.write_table(pa.Table.from_pylist(customers, customer_schema), out / "customers.parquet")
    pq.write_table(pa.Table.from_pylist(items, item_schema), out / "items.parquet")
    if campaign.orders:
        with (out / "orders.jsonl").open("w", encoding="utf-8") as stream:
            for _customer, _index, line in sorted(orders, key=lambda o: (o[0], o[1])):
                stream.write(line + "\n")
    return result
