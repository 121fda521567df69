"""``report.html``: a campaign's result as one self-contained page beside its Parquet files.

Counts by outcome, refusals by reason, the distribution of the monthly change per customer (a histogram, per
currency), revenue before and after, what is due now (penalties, fees), promotions, order items and the rules that
fired most; for a comparison of two rule sets, the per-rule differences. The charts are static SVG drawn by
:func:`odedelta.outputs.html.bar_chart` (horizontal bars: nothing here needs more), so opening the page needs no
network and no script, and the bytes are the same for the same campaign.

:func:`render` and :func:`render_comparison` are pure (summary in, HTML out); :func:`write` and
:func:`write_comparison` are the driver's one-line calls, reading the monthly change per customer from
``customers.parquet`` a batch at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from odedelta.campaigns.durable import write_text
from odedelta.campaigns.outputs import REPORT
from odedelta.model.jsonio import iso
from odedelta.model.money import minor_units
from odedelta.outputs.html import amount_text, bar_chart, page, table, text

TOP_RULES = 15
"""How many of the rules that fired most the chart shows (the table below it lists every one)."""
BINS = 12
"""About how many bars a histogram of the monthly change has (the width is rounded to 1, 2 or 5 × 10ⁿ)."""

Histogram = dict[str, Counter[Decimal]]
"""Currency → monthly change per customer (after − before, as in ``customers.parquet``) → how many customers."""


# ----------------------------------------------------------------------------------------- the driver's calls


def write(out: Path, summary: Mapping[str, Any], histogram: Histogram | None = None) -> Path:
    """Write ``out/report.html`` for the campaign whose files are in ``out``; return its path. ``histogram``: the
    monthly changes when the caller has counted them (else they are read from ``customers.parquet``)."""
    path = out / REPORT
    counted = histogram if histogram is not None else monthly_changes(out / "customers.parquet")
    write_text(path, render(summary, counted))
    return path


def write_comparison(out: Path, comparison: Mapping[str, Any]) -> Path:
    """Write ``out/report.html`` for a comparison of two rule sets (each side keeps its own report in ``out/a``
    and ``out/b``); return its path."""
    path = out / REPORT
    write_text(path, render_comparison(comparison))
    return path


def monthly_changes(customers: Path) -> Histogram:
    """The monthly change of every changed customer, counted by exact amount (a base has far fewer distinct amounts
    than customers), read a batch at a time."""
    import pyarrow.parquet as pq

    counts: Histogram = {}
    columns = ["status", "currency", "recurring_difference"]
    for batch in pq.ParquetFile(customers).iter_batches(columns=columns):
        for row in batch.to_pylist():
            if row["status"] == "changed" and row["currency"] and row["recurring_difference"] is not None:
                counts.setdefault(row["currency"], Counter())[row["recurring_difference"]] += 1
    return counts


# ----------------------------------------------------------------------------------------- the pages (pure)


def _nice_width(span: Decimal, currency: str) -> Decimal:
    """A bin width of 1, 2 or 5 × 10ⁿ giving about :data:`BINS` bins over ``span`` (at least one minor unit)."""
    smallest = Decimal(1).scaleb(-minor_units(currency))
    if span <= 0:
        return max(Decimal(1), smallest)
    raw = span / BINS
    exponent = raw.adjusted()
    for step in (1, 2, 5, 10):
        width = Decimal(step).scaleb(exponent)
        if width >= raw:
            return max(width, smallest)
    return max(Decimal(10).scaleb(exponent), smallest)  # pragma: no cover - the loop always returns


def histogram_bins(counts: Mapping[Decimal, int], currency: str) -> list[tuple[Decimal, Decimal, int]]:
    """``(from, to, customers)`` bins of equal width covering every amount (``from`` ≤ amount < ``to``); a single
    amount is one bin of its own."""
    if not counts:
        return []
    low, high = min(counts), max(counts)
    width = _nice_width(high - low, currency)
    start = (low / width).to_integral_value(rounding="ROUND_FLOOR") * width
    bins: dict[int, int] = {}
    for amount, count in counts.items():
        index = int((amount - start) // width)
        bins[index] = bins.get(index, 0) + count
    last = max(bins)
    return [(start + i * width, start + (i + 1) * width, bins.get(i, 0)) for i in range(last + 1)]


def _histogram(histogram: Histogram) -> str:
    if not histogram:
        return "<p>No customer changed: no monthly change to show.</p>"
    out = []
    for currency in sorted(histogram):
        bins = histogram_bins(histogram[currency], currency)
        bars = [(f"{amount_text(lo, currency).removesuffix(' ' + currency)} to "
                 f"{amount_text(hi, currency).removesuffix(' ' + currency)}", n, f"{n:,}") for lo, hi, n in bins]
        counted = sum(histogram[currency].values())
        title = f"Monthly change per customer, {currency} ({counted:,} customers)"
        out.append(f"<h3>{text(title)}</h3>"
                   f'<p class="why">Each bar: the customers whose monthly price changes by at least the first amount '
                   f"and less than the second ({text(currency)}; negative: they pay less).</p>"
                   + bar_chart(title, bars)
                   + "<details><summary>The bins as a table</summary>"
                   + table(title, ["From", "To (excluded)", "Customers"],
                           [(text(amount_text(lo, currency)), text(amount_text(hi, currency)), f"{n:,}")
                            for lo, hi, n in bins], numeric=(0, 1, 2)) + "</details>")
    return "".join(out)


def _counts(title: str, counts: Mapping[str, int], header: str, *, top: int | None = None,
            unit: str = "Customers") -> str:
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ranked[:top] if top else ranked
    chart = bar_chart(title, [(k, v, f"{v:,}") for k, v in shown])
    rows = [(f"<code>{text(k)}</code>", f"{v:,}") for k, v in ranked]
    listing = table(title, [header, unit], rows, numeric=(1,))
    if top and len(ranked) > top:
        listing = f"<details><summary>All {len(ranked)}</summary>{listing}</details>"
    return chart + listing


def _money_table(summary: Mapping[str, Any]) -> str:
    currencies = sorted(set(summary.get("recurring", {})) | {c for n in ("penalties", "fees", "oneTime", "dueNow")
                                                             for c in summary.get(n, {})})
    if not currencies:
        return "<p>No money: no customer changed.</p>"
    out = []
    for currency in currencies:
        recurring = summary.get("recurring", {}).get(currency, {})

        def cell(value: Decimal | None, cur: str = currency) -> str:
            return text(amount_text(value, cur)) if value is not None else "—"

        rows = [("Monthly revenue before", cell(recurring.get("before"))),
                ("Monthly revenue after", cell(recurring.get("after"))),
                ("Monthly difference", cell(recurring.get("difference"))),
                ("Penalties due now", cell(summary.get("penalties", {}).get(currency))),
                ("Fees due now", cell(summary.get("fees", {}).get(currency))),
                ("One-time charges", cell(summary.get("oneTime", {}).get(currency))),
                ("Due now in all", cell(summary.get("dueNow", {}).get(currency)))]
        out.append(table(f"Money in {currency} (customers changed)", ["Figure", "Amount"], rows, numeric=(1,),
                         stack=False))
        if recurring:
            out.append(bar_chart(f"Monthly revenue before and after, {currency}",
                                 [("Before", recurring["before"], text(amount_text(recurring["before"], currency))),
                                  ("After", recurring["after"], text(amount_text(recurring["after"], currency)))],
                                 colors=("var(--bar-a)", "var(--bar-b)")))
    return "".join(out)


def _describe(template: Mapping[str, Any]) -> str:
    kind = template.get("kind", "")
    what = {k: v for k, v in template.items() if k != "kind"}
    return f"{kind}: " + ", ".join(f"{k} {v}" for k, v in sorted(what.items()))


def _outcomes(summary: Mapping[str, Any]) -> str:
    counts = [("Customers", summary["customers"]), ("Changed", summary["changed"]),
              ("Nothing to change", summary["unchanged"]), ("Refused", summary["refused"]["total"]),
              ("In error", summary["errors"]["total"]), ("Requests made", summary.get("requests", 0))]
    figures = "".join(f'<p class="figure"><span class="label">{text(label)}</span>'
                      f'<span class="value" id="count-{label.split()[0].lower()}">{value:,}</span></p>'
                      for label, value in counts)
    chart = bar_chart("Customers by outcome", [(label, value, f"{value:,}") for label, value in counts[1:5]])
    return f'<div class="figures">{figures}</div>{chart}'


def render(summary: Mapping[str, Any], histogram: Histogram) -> str:
    """The report of one campaign from its summary (``summary.json``'s content) and the monthly change per
    customer (:func:`monthly_changes`)."""
    promotions = summary.get("promotions", {})
    promo_rows = [(f"<code>{text(p)}</code>", status, f"{n:,}") for status in ("lost", "gained")
                  for p, n in sorted(promotions.get(status, {}).items())]
    sections = [
        ("outcomes", "Outcomes", _outcomes(summary)),
        ("refusals", "Refusals by reason", _counts("Refusals by reason", summary["refused"]["byReason"], "Reason")
         or ("<p>No customer refused.</p>")),
        ("errors", "Errors by kind", _counts("Errors by kind", summary["errors"]["byKind"], "Kind")),
        ("distribution", "Monthly change per customer", _histogram(histogram)),
        ("money", "Revenue and what is due now", _money_table(summary)),
        ("promotions", "Promotions", table("Promotions lost and gained", ["Promotion", "Status", "Customers"],
                                           promo_rows, numeric=(2,)) if promo_rows else ""),
        ("actions", "Order items by action", _counts("Order items by action", summary.get("actions", {}), "Action",
                                                              unit="Order items")),
        ("rules", "Rules fired most", _counts("The rules that fired for the most customers",
                                              summary.get("rules", {}), "Rule", top=TOP_RULES)),
    ]
    subtitle = (f"{text(_describe(summary.get('template', {})))} — as of "
                f"<time>{text(iso(summary['asOf']) if not isinstance(summary['asOf'], str) else summary['asOf'])}"
                f"</time> — {summary['customers']:,} customers")
    return page("Campaign report", subtitle, sections,
                footer="odedelta bulk — the detail is in customers.parquet and items.parquet beside this page.")


def _side_by_side(comparison: Mapping[str, Any]) -> str:
    a, b = comparison["a"], comparison["b"]
    rows: list[Sequence[str]] = [("Changed", f"{a['changed']:,}", f"{b['changed']:,}"),
                                 ("Refused", f"{a['refused']['total']:,}", f"{b['refused']['total']:,}")]
    for name, label in (("penalties", "Penalties"), ("fees", "Fees"), ("dueNow", "Due now")):
        for currency in sorted(set(a[name]) | set(b[name])):
            rows.append((f"{label} ({currency})", text(amount_text(a[name].get(currency, Decimal(0)), currency)),
                         text(amount_text(b[name].get(currency, Decimal(0)), currency))))
    for currency in sorted(set(a["recurring"]) | set(b["recurring"])):
        after_a = a["recurring"].get(currency, {}).get("after", Decimal(0))
        after_b = b["recurring"].get(currency, {}).get("after", Decimal(0))
        rows.append((f"Monthly revenue after ({currency})", text(amount_text(after_a, currency)),
                     text(amount_text(after_b, currency))))
    return table("Rule set A and rule set B", ["Figure", "A", "B"], rows, numeric=(1, 2), stack=False)


def _rule_changes(comparison: Mapping[str, Any]) -> str:
    changes: Mapping[str, Mapping[str, Any]] = comparison.get("ruleChanges", {})
    if not changes:
        return "<p>Every rule fires for the same customers under A and B.</p>"
    ranked = sorted(changes.items(), key=lambda kv: (-kv[1]["customers"], kv[0]))
    chart = bar_chart("Customers for whom each rule fires differently",
                      [(rule, entry["customers"], f"{entry['customers']:,}") for rule, entry in ranked[:TOP_RULES]])
    rows = []
    for rule, entry in ranked:
        money = "<br>".join(f"{text(name)}: {text(amount_text(v, c))}" for name, per in entry["money"].items()
                            for c, v in per.items()) or "—"
        rows.append((f"<code>{text(rule)}</code>", f"{entry['firesInA']:,}", f"{entry['firesInB']:,}",
                     f"{entry['onlyInA']:,}", f"{entry['onlyInB']:,}", money,
                     text(", ".join(entry["examples"][:5]))))
    return chart + table("Per rule: where it fires under A and under B, and the money (B − A) of those customers",
                         ["Rule", "Fires in A", "Fires in B", "Only in A", "Only in B", "Money B − A",
                          "Example customers"], rows, numeric=(1, 2, 3, 4))


def render_comparison(comparison: Mapping[str, Any]) -> str:
    """The report of a comparison of two rule sets (``comparison.json``'s content)."""
    moves = comparison.get("byOutcome", {})
    outcome = (bar_chart("Customers whose outcome moves", [(k, v, f"{v:,}") for k, v in moves.items()])
               + table("Outcome under A → under B", ["Move", "Customers"],
                       [(text(k), f"{v:,}") for k, v in moves.items()], numeric=(1,))) if moves else \
        "<p>No customer's outcome differs.</p>"
    figures = (f'<div class="figures"><p class="figure"><span class="label">Customers</span><span class="value">'
               f"{comparison['customers']:,}</span></p><p class=\"figure\"><span class=\"label\">Outcome differs"
               f"</span><span class=\"value\" id=\"count-differ\">{comparison['differ']:,}</span></p>"
               f"<p class=\"figure\"><span class=\"label\">Rules firing differently</span><span class=\"value\">"
               f"{comparison.get('rulesThatFireDifferently', 0):,}</span></p></div>")
    subtitle = (f"Rule set A: <code>{text(comparison.get('rulesA'))}</code> — rule set B: "
                f"<code>{text(comparison.get('rulesB'))}</code>")
    sections = [("summary", "What differs", figures + _side_by_side(comparison)),
                ("outcomes", "Outcomes that move", outcome),
                ("rules", "Per-rule differences", _rule_changes(comparison))]
    return page("Campaign comparison: two rule sets", subtitle, sections,
                footer="odedelta bulk --compare-rules — each side's own report is in a/report.html and "
                       "b/report.html; the detail in comparison.json.")
