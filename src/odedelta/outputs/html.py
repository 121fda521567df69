"""The consequence view as one self-contained HTML page: what a CPQ screen shows before the customer accepts.

:func:`to_html` is a pure function of a result (or a refusal): no I/O, no clock, no network on the page (inline CSS,
an inline SVG chart drawn here, no script), and the same bytes for the same input. It shows what the text report and
the JSON carry — it reads the money the flows computed and never computes money of its own. The page is printable
(print CSS), readable at phone width and accessible (landmarks, table headers with scope, a lang attribute, text
alternatives for the chart). The building blocks (:func:`page`, :func:`bar_chart`, :func:`money`) are shared with the
campaign report that ``odedelta bulk`` writes (an edge, which imports this module, never the reverse).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from html import escape

from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.result import ChangeResult, Refusal
from odedelta.model.catalog import value_key
from odedelta.model.jsonio import iso
from odedelta.model.money import Money, minor_units
from odedelta.outputs.describe import summary
from odedelta.outputs.report import _SHOWN_ELSEWHERE  # the reasons another line already says, as in the report
from odedelta.rules import Rulebook, RuleOutcome

GROUP_OPEN_UP_TO = 40
"""A group of products with at most this many lines is shown open; a larger one starts collapsed."""
SUBGROUP_FROM = 60
"""A group with more lines than this is split by offering (each a collapsible subgroup), so 5,000 lines stay usable."""
CHUNK = 500
"""A subgroup with more lines than this is shown as collapsible tables of this many lines each."""

CSS = """
:root{--ink:#1a1a1a;--muted:#4a4a4a;--line:#c8c8c8;--bg:#fff;--soft:#f3f5f7;--up:#8a1c1c;--down:#1d5e2a;
--accent:#0b4f8a;--bar-a:#5b6b7a;--bar-b:#0b4f8a;--warn:#7a4a00}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--bg)}
header,main,footer{max-width:64rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;border-bottom:2px solid var(--accent)}
h1{font-size:1.5rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
p.meta{color:var(--muted);margin:.2rem 0 .8rem}
nav ul{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
a{color:var(--accent)}
a:focus,summary:focus{outline:3px solid #f0b400;outline-offset:2px}
.figures{display:flex;flex-wrap:wrap;gap:.8rem;margin:.5rem 0}
.figure{flex:1 1 12rem;border:1px solid var(--line);border-radius:.4rem;padding:.6rem .8rem;background:var(--soft)}
.figure .label{display:block;color:var(--muted);font-size:.85rem}
.figure .value{display:block;font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.up{color:var(--up)}.down{color:var(--down)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.3rem 0 .8rem;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border-bottom:1px solid var(--line);padding:.3rem .4rem;text-align:left;vertical-align:top}
thead th{background:var(--soft)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-size:.88em;overflow-wrap:break-word}
.why{color:var(--muted);font-size:.9rem}
details{border:1px solid var(--line);border-radius:.4rem;margin:.4rem 0;padding:.2rem .6rem}
summary{cursor:pointer;font-weight:600;padding:.2rem 0}
.refused{border:2px solid var(--up);border-radius:.4rem;padding:.6rem .9rem;background:#fdf2f2}
.note{color:var(--warn)}
ul.lines{margin:.2rem 0;padding-left:1.2rem}
svg text{font:13px system-ui,sans-serif;fill:var(--ink)}
footer{color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);margin-top:2rem;padding-bottom:1rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.25rem}
table.stack thead{position:absolute;left:-9999px}
table.stack tr{display:block;border-bottom:1px solid var(--line);padding:.3rem 0}
table.stack td,table.stack th{display:block;border:0;padding:.1rem .2rem;text-align:left}
table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}}
@media print{nav{display:none}body{font-size:11pt}header,main,footer{max-width:none}
details{border:0;padding:0}details>summary{list-style:none}
a{color:inherit;text-decoration:none}.figure{background:none}section{break-inside:avoid-page}
thead{display:table-header-group}tr{break-inside:avoid}}
"""


# ----------------------------------------------------------------------------------------- building blocks


def text(value: object) -> str:
    """Any value as escaped HTML text (quotes too, so it is safe in attributes)."""
    return escape(str(value), quote=True)


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount in its currency's formatting: rounded to the ISO 4217 minor unit (JPY 0, EUR 2, KWD 3), thousands
    grouped, the code after it (``1,234.50 EUR``, ``12,000 JPY``)."""
    places = minor_units(currency)
    rounded = amount.quantize(Decimal(1).scaleb(-places)) if places else amount.quantize(Decimal(1))
    body = f"{abs(rounded):,}"
    return f"{'-' if rounded < 0 else ''}{body} {currency}"


def money(m: Money | None, *, signed: bool = False) -> str:
    """A Money as it is shown (rounded once, as every output does); ``signed``: a plus sign before a rise."""
    if m is None:
        return "—"
    shown = m.rounded()
    sign = "+" if signed and shown.amount > 0 else ""
    return text(sign + amount_text(shown.amount, shown.currency))


def slug(value: str) -> str:
    """An id for an anchor: letters, digits, ``-`` and ``_`` kept, everything else ``-``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in value)


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Iterable[int] = (),
          stack: bool = True) -> str:
    """A table with column headers (``scope="col"``); cells are HTML already (escape them first). ``numeric``: the
    columns aligned right. ``stack``: at phone width each row becomes a block with its labels."""
    right = set(numeric)
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if i in right else ""}>{text(h)}</th>' for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(f'<td data-label="{text(headers[i])}"{num if i in right else ""}>{cell}</td>'
                        for i, cell in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    cls = ' class="stack"' if stack else ""
    return (f'<div class="scroll"><table{cls}><caption>{text(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _num(value: Decimal | int | float) -> str:
    """A coordinate for SVG: at most one decimal, no exponent, so the bytes never depend on float noise."""
    return f"{Decimal(str(value)).quantize(Decimal('0.1')):f}".removesuffix(".0")


def bar_chart(title: str, bars: Sequence[tuple[str, Decimal | int, str]], *, unit: str = "",
              colors: Sequence[str] = ("var(--bar-b)",), width: int = 700) -> str:
    """A horizontal bar chart as inline SVG: ``bars`` are ``(label, value, shown value)``; negative values extend
    left of the axis. The chart has a title and a description listing every bar, for screen readers."""
    if not bars:
        return ""
    label_w, value_w, row_h, pad = 270, 140, 28, 6
    plot_w = width - label_w - value_w
    values = [Decimal(str(v)) for _, v, _ in bars]
    low, high = min(Decimal(0), *values), max(Decimal(0), *values)
    span = (high - low) or Decimal(1)
    zero = label_w + plot_w * (-low) / span
    height = row_h * len(bars) + 2 * pad
    ident = "chart-" + slug(title).lower()
    desc = "; ".join(f"{label}: {shown}" for label, _, shown in bars)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'style="max-width:{width}px" aria-labelledby="{ident}-t {ident}-d">',
             f'<title id="{ident}-t">{text(title)}</title><desc id="{ident}-d">{text(desc)}</desc>']
    for index, ((label, _, shown), value) in enumerate(zip(bars, values, strict=True)):
        y = pad + index * row_h
        w = plot_w * abs(value) / span
        x = zero if value >= 0 else zero - w
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{_num(y + row_h / 2 + 4)}" text-anchor="end">{text(short)}</text>'
                     f'<rect x="{_num(x)}" y="{_num(y + 4)}" width="{_num(max(w, Decimal("0.5")))}" '
                     f'height="{row_h - 8}" fill="{colors[index % len(colors)]}"/>'
                     f'<text x="{_num(label_w + plot_w + 6)}" y="{_num(y + row_h / 2 + 4)}">{text(shown)}</text>')
    parts.append(f'<line x1="{_num(zero)}" y1="{pad}" x2="{_num(zero)}" y2="{height - pad}" stroke="#4a4a4a"/>')
    parts.append("</svg>")
    return "".join(parts)


def _parts(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """The heading block (title, subtitle, the sections' navigation) and the sections of a view."""
    shown = [(ident, heading, body) for ident, heading, body in sections if body]
    nav = "".join(f'<li><a href="#{ident}">{text(heading)}</a></li>' for ident, heading, _ in shown)
    body = "".join(f'<section id="{ident}" aria-labelledby="{ident}-h"><h2 id="{ident}-h">{text(heading)}</h2>'
                   f"{content}</section>\n" for ident, heading, content in shown)
    return (f'<h1>{text(title)}</h1><p class="meta">{subtitle}</p>'
            f'<nav aria-label="Sections"><ul>{nav}</ul></nav>'), body


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]], *, footer: str = "") -> str:
    """A whole page: ``sections`` are ``(id, heading, HTML body)``; empty bodies are left out. Landmarks: banner,
    navigation, main (one section per heading), contentinfo."""
    heading, body = _parts(title, subtitle, sections)
    return ("<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">\n"
            f"<title>{text(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<header>{heading}</header>\n"
            f"<main>\n{body}</main>\n"
            f"<footer>{footer}</footer>\n</body>\n</html>\n")


def article(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]], *, footer: str = "") -> str:
    """The same view as :func:`page` as one ``<article>`` to put inside another page (which brings :data:`CSS`
    and its own landmarks): the heading, the navigation, the sections and the footer note."""
    heading, body = _parts(title, subtitle, sections)
    return (f'<article class="odedelta-view">\n<header>{heading}</header>\n{body}'
            f'<footer>{footer}</footer>\n</article>\n')


# ----------------------------------------------------------------------------------------- the change page


class _Rules:
    """Where each rule is written (``file:line``), when the rule book is given; links go to its row on the page."""

    def __init__(self, rules: Rulebook | None, locate: Callable[[str], str] | None = None) -> None:
        self.where: dict[str, str] = {}
        for rule in rules.rules if rules is not None else []:
            where = locate(rule.where) if locate is not None else rule.where
            self.where.setdefault(rule.id, where)
            self.where.setdefault(rule.key, where)

    def link(self, rule_id: str) -> str:
        where = self.where.get(rule_id)
        title = f' title="{text(where)}"' if where else ""
        return f'<a href="#rule-{slug(rule_id)}"{title}><code>{text(rule_id)}</code></a>'

    def source(self, source: str) -> str:
        """A reason's or a charge's source: ``rule:<id>`` links to the rule; anything else as it is."""
        kind, _, ident = source.partition(":")
        if kind == "rule" and ident:
            return "rule " + self.link(ident)
        return f"<code>{text(source)}</code>"

    def table(self, outcomes: Sequence[RuleOutcome], caption: str) -> str:
        rows = [(f'<code id="rule-{slug(o.rule_id)}">{text(o.rule_id)}</code>', text(o.kind), text(o.message),
                 f"<code>{text(self.where.get(o.rule_id, '—'))}</code>") for o in _first_per_rule(outcomes)]
        return table(caption, ["Rule", "Kind", "What it said", "Written at"], rows) if rows else ""


def _first_per_rule(outcomes: Sequence[RuleOutcome]) -> list[RuleOutcome]:
    """Each rule once (the anchors on the page are unique), in the order the rules took part."""
    seen: set[str] = set()
    out = []
    for outcome in outcomes:
        if outcome.rule_id not in seen:
            seen.add(outcome.rule_id)
            out.append(outcome)
    return out


View = tuple[str, str, list[tuple[str, str, str]], str]
"""A view before it is laid out: title, subtitle (HTML), sections ``(id, heading, HTML body)``, footer (HTML)."""


def to_html(result: ChangeResult | Refusal, rules: Rulebook | None = None, *, title: str | None = None) -> str:
    """The consequence view of ``result`` as one self-contained HTML page (a ``str``; write it as UTF-8).

    ``rules``: the rule book the result was computed with, to show where each rule is written (``file:line``);
    without it the rule ids are shown alone. A :class:`~odedelta.flows.result.Refusal` renders the refusal and every
    rule that refused. ``title`` replaces the page heading (e.g. with the customer's name)."""
    heading, subtitle, sections, footer = _view(result, _Rules(rules), title)
    return page(heading, subtitle, sections, footer=footer)


def fragment(result: ChangeResult | Refusal, rules: Rulebook | None = None, *, title: str | None = None,
             locate: Callable[[str], str] | None = None) -> str:
    """The same view as :func:`to_html` as one ``<article>`` for a page that already has :data:`CSS` (the service's
    ``/ui/`` pages). ``locate`` rewrites where a rule is written (``file:line``) before it is shown — the service
    shows paths relative to its rules directory, never the server's own folders."""
    heading, subtitle, sections, footer = _view(result, _Rules(rules, locate), title)
    return article(heading, subtitle, sections, footer=footer)


def _view(result: ChangeResult | Refusal, refs: _Rules, title: str | None) -> View:
    if isinstance(result, Refusal):
        return _refusal_view(result, refs, title)
    return _change_view(result, refs, title)


def _refusal_view(refusal: Refusal, refs: _Rules, title: str | None) -> View:
    body = f'<div class="refused" role="alert"><p><strong>Refused.</strong> {text(refusal.message)}</p></div>'
    if refusal.verdict is not None:
        reasons = [(refs.link(o.rule_id), text(o.kind), text(o.message)) for o in refusal.verdict.reasons]
        body += table("Every rule that refused the change", ["Rule", "Kind", "Why"], reasons)
        written = refs.table(refusal.verdict.reasons, "Where the rules are written")
    else:
        body += "<p>The catalog's structure does not allow the change as asked (no rule took part).</p>"
        written = ""
    return (title or "The change is refused", "Nothing is ordered: the change cannot be made as asked.",
            [("refusal", "Why", body), ("rules", "Rules that decided", written)],
            "odedelta — a refusal is an answer, not an error.")


def _change_view(result: ChangeResult, refs: _Rules, title: str | None) -> View:
    c = result.consequences
    subtitle = f"{text(summary(result))} — as of <time>{text(iso(result.as_of))}</time>"
    sections = [
        ("monthly", "Monthly price", _monthly(result)),
        ("due-now", "Due now", _due_now(result, refs)),
        ("promotions", "Promotions", _promotions(result)),
        ("removed", "Services removed", _removed(result, refs)),
        ("products", "Products", _products(result, refs)),
        ("recommendations", "Recommendations", _recommendations(result, refs)),
        ("terms", "Terms and timing", _terms(result, refs)),
        ("rules", "Rules that decided", refs.table(result.decisions, "Every rule that took part, in order")),
    ]
    footer = ("Money in " + text(c.currency) + ", rounded to its minor unit once per line. " if c is not None
              else "") + "Each line names the rule or catalog element behind it."
    return title or "What this change means", subtitle, sections, footer


def _monthly(result: ChangeResult) -> str:
    c = result.consequences
    if c is None:
        return "<p>No prices: the result carries no money.</p>"
    diff = c.recurring_difference.rounded()
    trend = "up" if diff.amount > 0 else "down" if diff.amount < 0 else ""
    word = "more" if diff.amount > 0 else "less" if diff.amount < 0 else "no change"
    figures = (f'<div class="figures">'
               f'<p class="figure"><span class="label">Before</span><span class="value" id="monthly-before">'
               f"{money(c.recurring_before)}</span></p>"
               f'<p class="figure"><span class="label">After</span><span class="value" id="monthly-after">'
               f"{money(c.recurring_after)}</span></p>"
               f'<p class="figure"><span class="label">Difference per month ({word})</span>'
               f'<span class="value {trend}" id="monthly-difference">{money(c.recurring_difference, signed=True)}'
               f"</span></p>"
               f'<p class="figure"><span class="label">Due now</span><span class="value" id="due-now-total">'
               f"{money(c.due_now)}</span></p></div>")
    before, after = c.recurring_before.rounded(), c.recurring_after.rounded()
    chart = bar_chart("Monthly price before and after", [("Before", before.amount, money(before)),
                                                          ("After", after.amount, money(after))],
                      colors=("var(--bar-a)", "var(--bar-b)"))
    note = f'<p class="note">Note: {text(c.unpriced)}</p>' if c.unpriced else ""

    def rows(side: str) -> list[tuple[str, ...]]:
        bill, ids = (c.before, c.before_ids) if side == "before" else (c.after, c.after_ids)
        out: list[tuple[str, ...]] = []
        for pid in ids:
            entry = bill.products.get(pid)
            if entry is None:
                continue
            discounts = "<br>".join(f"{text(d.name)}: {money(d.amount)}" for d in entry.discounts) or "—"
            out.append((text(result.catalog.name_of(entry.offering_id)), f"<code>{text(pid)}</code>",
                        money(entry.base), discounts, money(entry.net),
                        f'<span class="why">{text(entry.basis)}</span>'))
        return out

    headers = ["Product", "Id", "Price", "Discounts", "Net per month", "Priced from"]
    detail = (table("Monthly price before the change, per product", headers, rows("before"), numeric=(2, 4))
              + table("Monthly price after the change, per product", headers, rows("after"), numeric=(2, 4)))
    return figures + chart + note + f"<details><summary>Per product</summary>{detail}</details>"


def _due_now(result: ChangeResult, refs: _Rules) -> str:
    c = result.consequences
    if c is None:
        return ""
    rows = [(text(ch.name), text(ch.kind), money(ch.amount),
             f'<span class="why">{text(ch.explanation)}</span>' if ch.explanation else "—",
             f"<code>{text(ch.product_id)}</code>" if ch.product_id else "—", refs.source(ch.source))
            for ch in c.charges]
    lines = table("Every charge due now, with how it is computed", ["Charge", "Kind", "Amount", "How computed",
                                                                   "Product", "Decided by"], rows, numeric=(2,))
    totals = [("Penalties", money(c.penalty_total)), ("One-time charges and fees", money(c.one_time_total)),
              ("Due now", f"<strong>{money(c.due_now)}</strong>")]
    total = table("Totals", ["Total", "Amount"], totals, numeric=(1,), stack=False)
    return (lines if rows else "<p>Nothing is charged now.</p>") + total


def _promotions(result: ChangeResult) -> str:
    c = result.consequences
    if c is None or not c.promotions:
        return "<p>No promotion is lost, kept or gained.</p>" if c is not None else ""
    out = []
    for status, caption in (("lost", "Promotions lost"), ("kept", "Promotions kept"), ("gained", "Promotions gained")):
        chosen = [p for p in c.promotions if p.status == status]
        if chosen:
            rows = [(text(p.name), f"<code>{text(p.promotion_id)}</code>", money(p.before), money(p.after))
                    for p in chosen]
            out.append(table(caption, ["Promotion", "Id", "Value per month before", "Value per month after"],
                             rows, numeric=(2, 3)))
    ambiguous = [a for a in c.attributions if a.ambiguous]
    if ambiguous:
        out.append("<p>Price alterations whose promotion is ambiguous (each counted once):</p><ul class=\"lines\">"
                   + "".join(f"<li>{text(a.describe())}</li>" for a in ambiguous) + "</ul>")
    return "".join(out)


def _removed(result: ChangeResult, refs: _Rules) -> str:
    removed = [i for i in result.items if i.action is Action.DELETE and i.reasons
               and i.reasons[0].code != "parent_deleted"]
    if not removed:
        return ""
    rows = [(f"<strong>{text(result.catalog.name_of(i.offering_id))}</strong>", f"<code>{text(i.product_id)}</code>",
             text(i.reasons[0].message), f"<code>{text(i.reasons[0].code)}</code>", refs.source(i.reasons[0].source))
            for i in removed]
    return table("Services removed by this change, and why", ["Service", "Product", "Why", "Reason", "Decided by"],
                 rows)


_TITLES = {Action.MODIFY: "Changed", Action.NO_CHANGE: "Kept as they are", Action.ADD: "Added",
           Action.DELETE: "Removed"}
_ORDER = (Action.MODIFY, Action.ADD, Action.DELETE, Action.NO_CHANGE)


def _products(result: ChangeResult, refs: _Rules) -> str:
    out = [f"<p>{len(result.items)} line{'s' if len(result.items) != 1 else ''}: "
           + ", ".join(f"{sum(1 for i in result.items if i.action is a)} {_TITLES[a].lower()}" for a in _ORDER)
           + ".</p>"]
    for action in _ORDER:
        items = [i for i in result.items if i.action is action]
        if not items:
            continue
        opened = " open" if len(items) <= GROUP_OPEN_UP_TO else ""
        if len(items) > SUBGROUP_FROM:
            groups: dict[str, list[DeltaItem]] = {}
            for item in items:
                groups.setdefault(item.offering_id, []).append(item)
            inner = "".join(
                f"<details><summary>{text(result.catalog.name_of(o))} <code>{text(o)}</code> ({len(g)})</summary>"
                f"{_chunks(result, refs, g, f'{_TITLES[action]}: {result.catalog.name_of(o)}')}</details>"
                for o, g in sorted(groups.items()))
        else:
            inner = _item_table(result, refs, items, _TITLES[action])
        out.append(f'<details{opened} id="group-{action.value}"><summary>{_TITLES[action]} ({len(items)})</summary>'
                   f"{inner}</details>")
    return "".join(out)


def _chunks(result: ChangeResult, refs: _Rules, items: Sequence[DeltaItem], caption: str) -> str:
    """One table, or past :data:`CHUNK` lines one collapsible table per :data:`CHUNK` lines (in delta order)."""
    if len(items) <= CHUNK:
        return _item_table(result, refs, items, caption)
    return "".join(f"<details><summary>Lines {start + 1:,}–{min(start + CHUNK, len(items)):,}</summary>"
                   f"{_item_table(result, refs, items[start:start + CHUNK], caption)}</details>"
                   for start in range(0, len(items), CHUNK))


def _item_table(result: ChangeResult, refs: _Rules, items: Sequence[DeltaItem], caption: str) -> str:
    after = result.consequences.after.products if result.consequences is not None else {}
    rows = []
    for item in items:
        name = text(result.catalog.name_of(item.offering_id))
        if item.previous_offering_id:
            name = f"{text(result.catalog.name_of(item.previous_offering_id))} → {name}"
        entry = after.get(item.product_id)
        price = money(entry.net) if entry is not None and entry.net is not None and \
            item.action is not Action.DELETE else "—"
        codes = set(item.codes)
        why = [f"{text(r.message)} <span class=\"why\">({text(r.code)}; {refs.source(r.source)})</span>"
               for r in item.reasons if r.code not in _SHOWN_ELSEWHERE.get(item.action, set())
               and not (r.code == "offering_changed" and "requested" in codes)]
        why += [f"{text(ch.name)}: {text('—' if ch.before is None else value_key(ch.before))} → "
                f"{text('removed' if ch.after is None else value_key(ch.after))} <span class=\"why\">({text(ch.why)})"
                "</span>" for ch in item.changes]
        rows.append((name, f"<code>{text(item.product_id if item.installed else 'new')}</code>", price,
                     '<ul class="lines">' + "".join(f"<li>{w}</li>" for w in why) + "</ul>" if why else "—"))
    return table(caption, ["Product", "Id", "Per month after", "Why"], rows, numeric=(2,))


def _recommendations(result: ChangeResult, refs: _Rules) -> str:
    c = result.consequences
    if c is None or not c.recommendations:
        return ""
    rows = [(text(result.catalog.name_of(r.offering_id)), money(r.price), text(r.message), refs.link(r.rule_id))
            for r in c.recommendations]
    return ("<p>Not added unless the customer chooses it.</p>"
            + table("Recommended offerings", ["Offering", "Per month", "Why", "Rule"], rows, numeric=(1,)))


def _terms(result: ChangeResult, refs: _Rules) -> str:
    c = result.consequences
    rows: list[tuple[str, str]] = []
    if c is not None and c.timing is not None:
        t = c.timing
        rows.append(("Takes effect", f"<time>{text(iso(t.effective))}</time> ({text(t.policy)}; "
                                     f"{refs.source(t.source)})"))
        rows.append(("Commitment", "restarts (a new term)" if t.reengage else "continues as it is"))
        if t.period is not None:
            rows.append(("Prorated period", f"<time>{text(iso(t.period[0]))}</time> → "
                                            f"<time>{text(iso(t.period[1]))}</time>"))
    if result.renewal is not None:
        r = result.renewal
        term = r.new_term
        duration = f"{term.duration.amount} {term.duration.units}" if term.duration is not None else "—"
        period = term.valid_for
        span = (f"<time>{text(iso(period.start) if period and period.start else '—')}</time> → "
                f"<time>{text(iso(period.end) if period and period.end else '—')}</time>")
        rows.append(("Renewed product", f"<code>{text(r.product_id)}</code>"))
        rows.append(("New term", f"{text(term.name or '')} {text(duration)}, {span}"))
        if r.previous_end is not None:
            rows.append(("Previous term ended", f"<time>{text(iso(r.previous_end))}</time>"))
        if r.successor:
            rows.append(("Moves to (end of sale)", text(result.catalog.name_of(r.successor))))
        if r.rule_id:
            rows.append(("Decided by", "rule " + refs.link(r.rule_id)))
    for item in result.items:
        for ch in item.changes:
            if "term" in ch.name.lower() or "commitment" in ch.name.lower():
                rows.append((f"{text(ch.name)} of <code>{text(item.product_id)}</code>",
                             f"{text('—' if ch.before is None else value_key(ch.before))} → "
                             f"{text('removed' if ch.after is None else value_key(ch.after))} ({text(ch.why)})"))
    if not rows:
        return ""
    return table("Terms and timing", ["What", "Value"], rows, stack=False)
