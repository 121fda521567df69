"""The facts rule conditions read, as typed models, and how they are computed for one change.

The models are the single source: the checker takes each fact's name and type from them, and
``docs/facts.md`` — the reference page for rule authors — is generated from their descriptions
(:func:`reference_markdown`; a test fails when the committed page is stale).

Dates are compared as dates (``term.end < date('2026-12-31')``); inside the engines they are numbers of days.
Months are calendar months, one definition for adding and counting (:mod:`odedelta.model.months`, python-dateutil's
``relativedelta``): ``term.months_elapsed`` counts the whole months completed since the term started,
``term.months_remaining`` the months started but not finished before it ends (a term ending in 2 months and 3 days
has 3 months remaining).
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from odedelta.model.calendar import current_term
from odedelta.model.callers import as_type
from odedelta.model.catalog import Catalog
from odedelta.model.compiled import compiled
from odedelta.model.errors import RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.months import months_between, months_started
from odedelta.model.pricing import RECURRING, catalog_prices
from odedelta.model.requests import Context
from odedelta.model.tmf import Product
from odedelta.rules.expr import ABSENT, BOOLEAN, DATE, EPOCH, LIST, NUMBER, STRING

T = TypeVar("T")


class _Facts(BaseModel):
    """A group of facts: a value, assembled once (a later stage derives new facts with ``model_copy(update=…)``)."""

    model_config = ConfigDict(frozen=True)


FactSection = _Facts
"""A section of the facts (``item``, ``promotion``…): what a stage judging one product or promotion replaces."""

F = TypeVar("F", bound=_Facts)
_new = object.__new__
_write = object.__setattr__


def made(model: type[F], /, **values: Any) -> F:
    """``model(**values)`` for values odedelta worked out itself, each of its field's type already — what validating
    would give back unchanged — without validating them: the same frozen value (its fields in order, the fields
    given as set, the others at their defaults), at a fraction of the cost. A change makes several sections; a test
    compares both ways on every fact model. A name that is not a field is a :class:`TypeError` (a bug)."""
    defaults, factories = _layout(model)
    fields = {**defaults, **values}  # the defaults' order (the fields'), the values given in their place
    if len(fields) != len(defaults):
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(set(values) - set(defaults)))}")
    for name, factory in factories:
        if name not in values:
            fields[name] = factory()
    return _built(model, fields, set(values))


def _whole(model: type[F], fields: dict[str, Any]) -> F:
    """:func:`made` given every field of ``model``, in its fields' order, in ``fields`` (a new dict, kept as the
    section's own): nothing to merge with the defaults, nothing to check but in a test."""
    return _built(model, fields, set(fields))


def _built(model: type[F], fields: dict[str, Any], given: set[str]) -> F:
    """A ``model`` value holding ``fields`` (its own dict, every field in order), ``given`` its fields set: the
    state pydantic's constructor leaves, written directly."""
    section = _new(model)
    _write(section, "__dict__", fields)
    _write(section, "__pydantic_fields_set__", given)
    _write(section, "__pydantic_extra__", None)
    _write(section, "__pydantic_private__", None)
    return section


def updated(section: F, /, **values: Any) -> F:
    """``section.model_copy(update=values)`` for values odedelta worked out itself (as :func:`made`): the same
    frozen value — its fields with ``values`` in place, the fields set with those named — made directly, at a third
    of the cost (every penalty judged derives one). A name that is not a field is a :class:`TypeError`."""
    fields = section.__dict__
    if not fields.keys() >= values.keys():
        raise TypeError(f"{type(section).__name__} has no field {', '.join(sorted(values.keys() - fields.keys()))}")
    return _built(type(section), {**fields, **values}, section.__pydantic_fields_set__ | values.keys())


@functools.cache
def _layout(model: type[_Facts]) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """Each field of a fact model in order with its default (read once per model), and the fields whose default is
    made by a factory (a new value each time, as validating gives)."""
    defaults = {name: field.default for name, field in model.model_fields.items()}
    factories = tuple((name, field.default_factory) for name, field in model.model_fields.items()
                      if field.default_factory is not None)
    return defaults, factories  # type: ignore[return-value]


class CustomerFacts(_Facts):
    segment: str | None = Field(None, description="Segment from the request context: residential, business…")
    tenure_months: int | None = Field(None, description="Whole months since the customer's oldest installed "
                                                        "product started.")
    products: int = Field(0, description="How many top-level products the customer has installed.")


class InstalledFacts(_Facts):
    offering: str | None = Field(None, description="Offering id of the installed product the change starts from.")
    specification: str | None = Field(None, description="Its product specification id.")
    categories: tuple[str, ...] = Field((), description="Category ids of its offering.")
    lifecycle: str | None = Field(None, description="lifecycleStatus of its offering (Active, Retired…).")
    sellable: bool | None = Field(None, description="Whether its offering can still be ordered at as_of.")
    price: Decimal | None = Field(None, description="Monthly recurring catalog price of its offering.")
    months_active: int | None = Field(None, description="Whole months since the product started.")
    discount: Decimal | None = Field(None, description="Monthly discount the product has now (promotions).")
    discount_received: Decimal | None = Field(None, description="Discount received so far: the monthly discount × "
                                                                "the months of the term elapsed.")


class TermFacts(_Facts):
    recorded: bool = Field(False, description="The installed product has a commitment term (productTerm).")
    active: bool = Field(False, description="as_of is inside the term's validFor.")
    expired: bool = Field(False, description="The term has ended before as_of.")
    duration_months: int | None = Field(None, description="The term's duration in months.")
    months_elapsed: int | None = Field(None, description="Whole months completed since the term started.")
    months_remaining: int | None = Field(None, description="Months started but not completed before the term "
                                                           "ends (0 once it has ended).")
    days_to_end: int | None = Field(None, description="Days from as_of to the term's end (negative after it).")
    start: dt.date | None = Field(None, description="The term's start date.")
    end: dt.date | None = Field(None, description="The term's end date.")


class TargetFacts(_Facts):
    offering: str | None = Field(None, description="Offering id the change goes to.")
    specification: str | None = Field(None, description="Its product specification id.")
    categories: tuple[str, ...] = Field((), description="Category ids of the target offering.")
    lifecycle: str | None = Field(None, description="lifecycleStatus of the target offering.")
    sellable: bool | None = Field(None, description="Whether it can be ordered at as_of (lifecycle, validFor).")
    price: Decimal | None = Field(None, description="Monthly recurring catalog price of the target offering.")
    is_bundle: bool | None = Field(None, description="The target offering bundles other offerings.")
    successor: bool = Field(False, description="The catalog names the target as the successor of the installed "
                                               "offering (replacedBy).")


ItemAction = Literal["add", "modify", "delete", "noChange"]
SettlementSide = Literal["before", "after"]
ChangeKind = Literal["change_offer", "add", "remove", "modify", "terminate", "acquire", "renew"]
Direction = Literal["upgrade", "downgrade", "lateral", "new"]


class ChangeFacts(_Facts):
    kind: ChangeKind | None = Field(
        None, description="What the request asks for.")
    direction: Direction | None = Field(
        None, description="From the catalog's upgrade/downgrade offering relationships, else by monthly price; new "
                          "when nothing is installed.")
    price_difference: Decimal | None = Field(None, description="target.price − installed.price.")


class ItemFacts(_Facts):
    action: ItemAction | None = Field(
        None, description="For rules judging one product of the change (penalty, recommendation, promotion_loss, "
                          "revenue_share, partner_charge).")
    offering: str | None = Field(None, description="That product's offering (after the change, or the deleted one).")
    reasons: tuple[str, ...] = Field((), description="Its reason codes (e.g. promotion_lost).")


class PromotionFacts(_Facts):
    lost: tuple[str, ...] = Field((), description="Promotions the change makes the customer lose.")
    gained: tuple[str, ...] = Field((), description="Promotions the change brings.")
    id: str | None = Field(None, description="For promotion_loss rules: the promotion lost.")


class ProjectedFacts(_Facts):
    offerings: tuple[str, ...] = Field((), description="Every offering the customer would have after the change.")


class SlaFacts(_Facts):
    metric: str | None = Field(None, description="For sla_credit rules: the metric measured over the month "
                                                 "(e.g. availability).")
    measured: Decimal | None = Field(None, description="Its value over the month (availability: a percentage).")
    supplier: str | None = Field(None, description="The party id of the product's supplier; absent for the "
                                                   "reseller's own products.")


class SettlementFacts(_Facts):
    supplier: str | None = Field(None, description="For revenue_share and partner_charge rules: the party id of the "
                                                   "product's supplier.")
    retail: Decimal | None = Field(None, description="What the customer pays for the product per month (net of "
                                                     "promotions).")
    wholesale: Decimal | None = Field(None, description="The catalog's wholesale price of the product per month.")
    side: SettlementSide | None = Field(None, description="For revenue_share rules: the product as "
                                                                      "installed (before) or after the change.")


class Facts(_Facts):
    as_of: dt.date = Field(description="The date the change is evaluated at.")
    customer: CustomerFacts = Field(default_factory=CustomerFacts)
    installed: InstalledFacts = Field(default_factory=InstalledFacts)
    term: TermFacts = Field(default_factory=TermFacts)
    target: TargetFacts = Field(default_factory=TargetFacts)
    change: ChangeFacts = Field(default_factory=ChangeFacts)
    item: ItemFacts = Field(default_factory=ItemFacts)
    promotion: PromotionFacts = Field(default_factory=PromotionFacts)
    projected: ProjectedFacts = Field(default_factory=ProjectedFacts)
    sla: SlaFacts = Field(default_factory=SlaFacts)
    settlement: SettlementFacts = Field(default_factory=SettlementFacts)


OPEN_PREFIXES = ("customer.attributes.",)
"""Names below these are free attributes from the request context (type: any)."""


def _type_name(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return _type_name(args[0])
    if typing.get_origin(annotation) in (list, tuple):
        return LIST
    if typing.get_origin(annotation) is Literal:
        return STRING
    return {str: STRING, bool: BOOLEAN, int: NUMBER, Decimal: NUMBER, dt.date: DATE}[annotation]


def fact_catalogue(model: type[BaseModel] = Facts, prefix: str = "") -> dict[str, tuple[str, str]]:
    """``name → (type, description)`` of every fact, from the models."""
    out: dict[str, tuple[str, str]] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.update(fact_catalogue(annotation, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = (_type_name(annotation), field.description or "")
    return out


FACT_TYPES: dict[str, str] = {name: kind for name, (kind, _) in fact_catalogue().items()}


def _closed(model: type[BaseModel] = Facts, prefix: str = "") -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.update(_closed(annotation, f"{prefix}{name}."))
            continue
        for arg in (annotation, *typing.get_args(annotation)):
            if typing.get_origin(arg) is Literal:
                out[f"{prefix}{name}"] = tuple(typing.get_args(arg))
    return out


FACT_VALUES: dict[str, tuple[str, ...]] = _closed()
"""Facts with a closed set of values (``Literal`` types): a comparison with anything else can never be true."""

_EVERYWHERE = ("as_of", "customer", "installed", "term", "change")
KIND_SECTIONS: dict[str, tuple[str, ...]] = {
    "eligibility": (*_EVERYWHERE, "target"),
    "migration": (*_EVERYWHERE, "target"),
    "compatibility": (*_EVERYWHERE, "target", "projected"),
    "penalty": (*_EVERYWHERE, "target", "item", "promotion"),
    "fee": (*_EVERYWHERE, "target", "promotion", "projected"),
    "discount": (*_EVERYWHERE, "target", "projected"),
    "recommendation": (*_EVERYWHERE, "target", "item", "promotion", "projected"),
    "promotion_loss": (*_EVERYWHERE, "target", "item", "promotion", "projected"),
    "timing": (*_EVERYWHERE, "target", "projected"),
    "renewal": _EVERYWHERE,
    "sla_credit": ("as_of", "customer", "item", "sla"),
    "revenue_share": (*_EVERYWHERE, "item", "settlement"),
    "partner_charge": (*_EVERYWHERE, "item", "settlement"),
}
"""Which fact sections each rule kind sees (the engine fills no other section for that kind): the one table the
checker, the fact reference and the rule schema read. A fact of another section is never there, so a condition
reading it could never be true."""
KIND_ONLY: dict[str, tuple[str, ...]] = {"promotion.id": ("promotion_loss",), "settlement.side": ("revenue_share",)}
"""Facts filled for fewer kinds than their section."""


def visible(kind: str, fact: str) -> bool:
    """Whether rules of ``kind`` ever see ``fact``."""
    if fact in KIND_ONLY:
        return kind in KIND_ONLY[fact]
    return fact.split(".", 1)[0] in KIND_SECTIONS.get(kind, ())


def sections_note(kind: str) -> str:
    """`` (without promotion.id)`` for a kind that sees a section but not all of it."""
    missing = [fact for fact, kinds in KIND_ONLY.items()
               if fact.split(".", 1)[0] in KIND_SECTIONS.get(kind, ()) and kind not in kinds]
    return f" (without {', '.join(missing)})" if missing else ""


def kinds_seeing(fact: str) -> list[str]:
    return [kind for kind in KIND_SECTIONS if visible(kind, fact)]


def reference_markdown() -> str:
    """The reference page of facts for rule authors (``docs/facts.md``)."""
    lines = [
        "# Facts that rule conditions can read",
        "",
        "Generated from `src/odedelta/rules/facts.py` by `odedelta facts`; do not edit by hand.",
        "",
        "| fact | type | meaning |",
        "|---|---|---|",
    ]
    for name, (kind, description) in fact_catalogue().items():
        if name in FACT_VALUES:
            kind = "one of " + ", ".join(f"`'{v}'`" for v in FACT_VALUES[name])
        lines.append(f"| `{name}` | {kind} | {description} |")
    lines.append("| `customer.attributes.<name>` | any | A free attribute from the request context. |")
    lines += [
        "",
        "## Which facts each kind of rule sees",
        "",
        "A rule reading a fact its kind never sees could never fire: `odedelta check` refuses it.",
        "",
        "| kind | sections |",
        "|---|---|",
    ]
    for rule_kind, sections in KIND_SECTIONS.items():
        shown = [f"`{s}`" if s == "as_of" else f"`{s}.*`" for s in sections]
        lines.append(f"| {rule_kind} | {', '.join(shown)}{sections_note(rule_kind)} |")
    lines += [
        "",
        "A fact that does not apply (no term, nothing installed) is *absent*: every comparison with it is false,",
        "whatever the operator; test for it with `exists(fact)` / `not exists(fact)`.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ computing


def term_facts(product: Product, as_of: dt.datetime) -> TermFacts:
    """The term section of ``product`` at ``as_of`` (the empty one, shared, when it has no term). Its period's ends
    are compared with ``as_of`` once each (a comparison of two zones' times asks both for their offsets), and the
    section is made with every field given (:func:`_whole`): it runs for the product of every change."""
    terms = product.product_term
    term = terms[0] if len(terms) == 1 else current_term(product, as_of)  # current_term's own first case, inline
    if term is None:
        return _NO_TERM  # a frozen value: every change without a term shares it
    period = term.valid_for
    day = as_of.date()
    if period is None:
        active = ended = False
        first = last = None
    else:
        start, end = period.start, period.end
        ended = end is not None and end <= as_of
        active = not ended and (start is None or start <= as_of)  # period.contains(as_of), its end read once
        first = start.date() if start is not None else None
        last = end.date() if end is not None else None
    duration = term.duration
    return _whole(TermFacts, {
        "recorded": True,
        "active": active,
        "expired": ended,
        "duration_months": duration.months() if duration is not None else None,
        "months_elapsed": max(months_between(first, day), 0) if first is not None else None,
        "months_remaining": max(months_started(day, last), 0) if last is not None else None,
        "days_to_end": (last - day).days if last is not None else None,
        "start": first,
        "end": last,
    })


def monthly_price(catalog: Catalog, offering_id: str, as_of: dt.datetime) -> Decimal | None:
    lines = [line.amount.amount for line in catalog_prices(catalog, offering_id, as_of) if line.kind == RECURRING]
    return sum(lines, Decimal(0)) if lines else None


def offering_facts(catalog: Catalog, offering_id: str, as_of: dt.datetime) -> dict[str, Any]:
    """The facts of an offering at ``as_of`` (a new dict, the caller's to add to). They depend on the moment only
    through validity, so they are worked out once per offering and :meth:`~Catalog.epoch` (a change asks them for
    the installed offering and the target)."""
    found = catalog.remembered(("offering facts", offering_id, catalog.epoch(as_of)),
                               lambda: _offering_facts(catalog, offering_id, as_of))
    return dict(found)


def _offering_facts(catalog: Catalog, offering_id: str, as_of: dt.datetime) -> dict[str, Any]:
    offering = catalog.offering(offering_id)
    return {
        "offering": offering_id,
        "specification": offering.spec_id,
        "categories": tuple(catalog.graph.categories_of(offering_id)),
        "lifecycle": offering.lifecycle_status,
        "sellable": catalog.sellable(offering_id, as_of)[0],
        "price": monthly_price(catalog, offering_id, as_of),
    }


def direction(catalog: Catalog, installed: str | None, target: str | None,
              difference: Decimal | None) -> Direction | None:
    if target is None:
        return None
    if installed is None:
        return "new"
    for other, kind in catalog.graph.related(installed):
        if other == target and kind.lower() == "upgrade":
            return "upgrade"
        if other == target and kind.lower() == "downgrade":
            return "downgrade"
    if difference is None or difference == 0:
        return "lateral"
    return "upgrade" if difference > 0 else "downgrade"


INVENTORY_MEMO_SIZE = 64
"""The most answers an inventory remembers (a service asking with ``as_of`` = now makes a new key each time)."""
_MEMO = "_answers"


class _InventoryMemo(dict[Hashable, tuple[Any, Any]]):
    """Answers an inventory remembers: ``key → (catalog, answer)``. Pickled or copied empty (a copy of the inventory
    in another process asks again; the answers hold the catalog)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type[_InventoryMemo], tuple[()]]:
        return _InventoryMemo, ()


def remembered(inventory: Inventory, catalog: Catalog, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """The answer of a pure query over ``inventory`` and ``catalog`` (what the customer has: their bill before a
    change, the facts of their installed product), kept once it is asked a second time — a qualification, or a
    campaign's several products, asks one inventory again and again; most inventories are asked once, and then
    nothing is kept but the question. ``key`` is what else the answer depends on: the moment (:func:`moment_key`),
    the context's facts it reads (:func:`context_key`)… An inventory is a value, only read once loaded: it holds
    the answers itself (no global state), for the catalog they were asked against (another catalog asks again), at
    most :data:`INVENTORY_MEMO_SIZE` of them, the least recently used forgotten first. Threads sharing an
    inventory at worst compute an answer twice: each read and write of the memo is one dictionary operation. An
    inventory without a ``__dict__`` remembers nothing."""
    try:
        held = vars(inventory)
    except TypeError:
        return compute()
    memo: _InventoryMemo | None = held.get(_MEMO)
    if memo is None:
        memo = held.setdefault(_MEMO, _InventoryMemo())
    key = (id(catalog), *key)
    found = memo.pop(key, None)
    if found is not None and found[0] is catalog:
        if found[1] is _ASKED:  # the second time: kept from now on
            answer = compute()
            memo[key] = (catalog, answer)
            return answer
        memo[key] = found  # the latest used last: the oldest unused goes first (a qualification asks many targets)
        kept: T = found[1]
        return kept
    while len(memo) >= INVENTORY_MEMO_SIZE:
        try:
            memo.pop(next(iter(memo)), None)  # the least recently used first
        except (RuntimeError, StopIteration):  # another thread changed it meanwhile
            break
    memo[key] = (catalog, _ASKED)
    return compute()


_ASKED = object()
"""What an inventory keeps of a question asked once: that it was asked."""


def moment_key(as_of: dt.datetime) -> tuple[Any, ...]:
    """What an answer depending on ``as_of`` is keyed by: the instant, its ``fold`` and its zone — together the
    wall-clock time (its date is read), the offset and the zone months are counted in. ``as_of`` alone is not enough:
    two times of one zone that differ only by ``fold`` (the hour a clock goes back) compare equal, an hour apart,
    and the same instant in two zones has two dates. ``as_of`` itself is kept, not a copy of its wall-clock time: a
    campaign asks every change at one ``as_of``, whose hash is worked out once."""
    return as_of, as_of.fold, as_of.tzinfo


def context_key(context: Context) -> tuple[Any, ...]:
    """What an answer depending on the context's segment and attributes (as text: what promotion criteria compare)
    is keyed by."""
    if not context.attributes:
        return (context.segment,)
    return (context.segment, *sorted((name, type(value).__name__, None if value is None else str(value))
                                     for name, value in context.attributes.items()))


def customer_facts(inventory: Inventory, context: Context, as_of: dt.datetime) -> CustomerFacts:
    """The customer's facts: segment, tenure (months since the oldest product started), top-level products."""
    starts = [start for product in inventory.products.values() if (start := product.start_date) is not None]
    return _whole(CustomerFacts, {"segment": context.segment,
                                  "tenure_months": months_between(min(starts).date(), as_of.date()) if starts else None,
                                  "products": len(inventory.roots())})


def change_facts(catalog: Catalog, inventory: Inventory, *, product_id: str | None, target_id: str | None,
                 as_of: dt.datetime, context: Context, kind: ChangeKind,
                 projected: list[str] | None = None) -> Facts:
    """The facts of one change: ``product_id`` the installed product it starts from (None for an acquisition),
    ``target_id`` the offering it goes to (None for a removal). What they say of the customer and the installed
    product, whatever the target, the inventory remembers (:func:`remembered`): a qualification asks many targets."""
    offerings = tuple(sorted(set(projected))) if projected else ()
    return made(Facts, **change_sections(catalog, inventory, product_id, target_id, as_of, context, kind, offerings))


def change_sections(catalog: Catalog, inventory: Inventory, product_id: str | None, target_id: str | None,
                    as_of: dt.datetime, context: Context, kind: ChangeKind,
                    projected: tuple[str, ...] = ()) -> dict[str, Any]:
    """:func:`change_facts`, field by field (``made(Facts, **…)`` is the facts): a rule book makes them plain
    section by section (:meth:`~odedelta.rules.Rulebook.plain_change`) and the facts themselves are assembled only
    if something asks for them. What depends on the customer (the customer, installed and term sections) is made
    for the change; what depends only on the catalog (the target and the change sections) is made once per
    installed offering, target, validity epoch and kind (:func:`_offer_side`)."""
    epoch = catalog.epoch(as_of)
    installed_offering, customer, installed, term = remembered(
        inventory, catalog, ("installed facts", product_id, *moment_key(as_of), context.segment),
        lambda: _installed_side(catalog, inventory, product_id, as_of, context, epoch))
    if target_id is None:
        target, change = _NO_TARGET, _no_target_change(kind)
    else:
        target, change = catalog.remembered(("offer side", installed_offering, target_id, epoch, kind),
                                            lambda: _offer_side(catalog, installed_offering, target_id, as_of, kind))
    return {"as_of": as_of.date(), "customer": customer, "installed": installed, "term": term, "target": target,
            "change": change, "item": _NO_ITEM, "promotion": _NO_PROMOTION,
            "projected": ProjectedFacts(offerings=projected) if projected else _NO_PROJECTION, "sla": _NO_SLA,
            "settlement": _NO_SETTLEMENT}


def _offer_side(catalog: Catalog, installed_offering: str | None, target_id: str, as_of: dt.datetime,
                kind: ChangeKind) -> tuple[TargetFacts, ChangeFacts]:
    """The target and change sections of a change from ``installed_offering`` to ``target_id``: they read the
    catalog only (the offerings' facts in one validity epoch, their relationships) and the request's kind, so one
    value serves every customer making that change (kept in the catalog's memo)."""
    target = catalog.remembered(("target facts", target_id, catalog.epoch(as_of), installed_offering),
                                lambda: _target_facts(catalog, target_id, installed_offering, as_of))
    # the installed section's price is its offering's (offering_facts), whatever the product
    price = offering_facts(catalog, installed_offering, as_of)["price"] if installed_offering is not None else None
    difference = target.price - price if target.price is not None and price is not None else None
    return target, made(ChangeFacts, kind=kind, direction=direction(catalog, installed_offering, target_id, difference),
                        price_difference=difference)


def _no_target_change(kind: ChangeKind) -> ChangeFacts:
    """The change section of a change to no offering (a removal): its kind alone."""
    found = _NO_TARGET_CHANGES.get(kind)
    return found if found is not None else made(ChangeFacts, kind=kind, direction=None, price_difference=None)


def _installed_side(catalog: Catalog, inventory: Inventory, product_id: str | None, as_of: dt.datetime,
                    context: Context, epoch: int) -> tuple[str | None, CustomerFacts, InstalledFacts, TermFacts]:
    """What a change's facts say of what the customer has, whatever the target: the installed offering, and the
    customer, installed and term sections (``epoch``: the catalog's :meth:`~Catalog.epoch` of ``as_of``)."""
    installed_offering = None
    installed, term = _NO_INSTALLED, _NO_TERM
    if product_id is not None:
        product = inventory.products[product_id]
        installed_offering = product.offering_id
        started = product.start_date
        months = max(months_between(started.date(), as_of.date()), 0) if started is not None else None
        installed = catalog.remembered(("installed facts", installed_offering, epoch, months),
                                       lambda: _installed_facts(catalog, installed_offering, as_of, months))
        term = term_facts(product, as_of)
    return installed_offering, customer_facts(inventory, context, as_of), installed, term


def _installed_facts(catalog: Catalog, offering_id: str | None, as_of: dt.datetime,
                     months_active: int | None) -> InstalledFacts:
    """The installed section, a value shared by the changes from one offering in one validity epoch (kept in the
    catalog's memo: it depends on nothing else but the months the product has been active)."""
    found: dict[str, Any] = offering_facts(catalog, offering_id, as_of) if offering_id is not None else {}
    if months_active is not None:
        found["months_active"] = months_active
    return InstalledFacts(**found)


def _target_facts(catalog: Catalog, target_id: str, installed_offering: str | None,
                  as_of: dt.datetime) -> TargetFacts:
    """The target section, a value shared by the changes from one offering to another in one validity epoch."""
    return TargetFacts(
        **offering_facts(catalog, target_id, as_of),
        is_bundle=bool(compiled(catalog).slots(target_id)),
        successor=installed_offering is not None and target_id in catalog.successors(installed_offering),
    )


_NO_INSTALLED, _NO_TERM, _NO_TARGET = InstalledFacts(), TermFacts(), TargetFacts()
_NO_PROJECTION, _NO_ITEM, _NO_PROMOTION = ProjectedFacts(), ItemFacts(), PromotionFacts()
_NO_SLA, _NO_SETTLEMENT = SlaFacts(), SettlementFacts()
"""The sections a change's facts leave empty, made once: a section is a frozen value, so every change can share the
empty one (building them for each change was a fifth of the facts' time)."""
_NO_TARGET_CHANGES = {kind: made(ChangeFacts, kind=kind, direction=None, price_difference=None)
                      for kind in typing.get_args(ChangeKind)}
"""The change section of a removal, by kind (frozen values, shared)."""


@functools.lru_cache(maxsize=64)
def _plan(used: frozenset[str]) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, str], ...]]:
    """What ``engine_facts`` reads for a rule book, worked out once: each fact's name and path, and each free
    attribute's name and key, in a stable order."""
    names = sorted(used)
    return (tuple((name, tuple(name.split("."))) for name in names if not name.startswith(OPEN_PREFIXES)),
            tuple((name, name.removeprefix("customer.attributes.")) for name in names
                  if name.startswith("customer.attributes.")))


def engine_facts(facts: Facts, context: Context, used: frozenset[str],
                 attribute_types: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The nested dict both executors read: only the facts some rule reads, dates as day numbers, absent facts
    left out and listed in ``_absent``, no empty lists. Only the free attributes some rule reads are copied,
    each read as the type the rules give it (:func:`odedelta.model.callers.as_type`)."""
    paths, attribute_names = _plan(used)
    data: dict[str, Any] = {}
    absent = []
    for name, path in paths:
        value: Any = facts
        for part in path:
            value = getattr(value, part, None)
            if value is None:
                break
        if not isinstance(value, _SCALARS):  # a scalar is kept as it is (a model class check is slow)
            if isinstance(value, BaseModel):  # a whole section named: what model_dump gives
                value = value.model_dump()
            if isinstance(value, _NESTED):
                value = _clean(value)
        if value is None:
            absent.append(name)
            continue
        section = data
        for part in path[:-1]:
            section = section.setdefault(part, {})
        section[path[-1]] = value
    attributes, missing = _attributes(context, attribute_names, attribute_types)
    if attributes:
        data.setdefault("customer", {})["attributes"] = attributes
    data[ABSENT] = sorted(absent + missing) or ["-"]
    return data


def _attributes(context: Context, attribute_names: tuple[tuple[str, str], ...],
                attribute_types: Mapping[str, str] | None) -> tuple[dict[str, Any], list[str]]:
    """The free attributes some rule reads, each as the type the rules give it, and the names of those the
    context does not have."""
    if not attribute_names:  # no rule reads one (most books): nothing to copy, none missing
        return {}, []
    attributes: dict[str, Any] = {}
    if context.attributes:
        for _name, key in attribute_names:
            if key in context.attributes:
                try:
                    attributes[key] = as_type(context.attributes[key], (attribute_types or {}).get(key))
                except ValueError as exc:
                    raise RequestError(f"customer attribute {key}={context.attributes[key]!r}: {exc}") from None
        attributes = _clean(attributes) or {}
    return attributes, [name for name, key in attribute_names if key not in attributes]


class FactPlan:
    """What a rule book reads of the facts, worked out once when it is made (:func:`fact_plan`): the facts some rule
    reads, section by section, each with its path below its section, and the free attributes; and, per rule kind,
    the view of them its rules read (:meth:`view`). Read only: shared by every :class:`EngineFacts` of the book."""

    __slots__ = ("attributes", "everything", "fields", "sections")

    def __init__(self, used: frozenset[str]) -> None:
        paths, self.attributes = _plan(used)
        self.sections: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
            section: tuple((name, path[1:]) for name, path in named)
            for section, named in _sections_plan(paths).items()}
        """section → ``(fact name, path below the section)`` of each fact read there, in name order."""
        self.fields: dict[str, tuple[tuple[str, str], ...] | None] = {
            section: tuple((name, path[0]) for name, path in named) if all(len(path) == 1 for _, path in named)
            else None for section, named in self.sections.items()}
        """section → ``(fact name, field)`` of each fact read there when each is a field of the section (every
        section but ``as_of``, a date read whole): what :func:`_fields` reads, without walking paths."""
        self.everything = FactView(tuple(self.sections), True)
        """Every section some rule reads, with the free attributes: what :func:`engine_facts` gives."""

    def plain(self, name: str, value: Any) -> tuple[Any, list[str]]:
        """Section ``name`` (``value``) as the plain facts hold it, and the facts it leaves absent: field by field
        (:func:`_fields`) when each fact read there is a field of it, else by each fact's path (:func:`_section`)."""
        fields = self.fields[name]
        return _fields(value, fields) if fields is not None else _section(value, self.sections[name])

    def view(self, facts: frozenset[str]) -> FactView:
        """The sections holding ``facts`` (what the rules of one kind read): the plain facts a kind is asked over
        hold these sections only — the others, no rule of the kind reads them, are never made plain for it."""
        read = {fact.split(".", 1)[0] for fact in facts}
        return FactView(tuple(section for section in self.sections if section in read),
                        any(fact.startswith(OPEN_PREFIXES) for fact in facts))


class FactView(typing.NamedTuple):
    """Which sections of the plain facts a question reads (``attributes``: with the free attributes)."""

    sections: tuple[str, ...]
    attributes: bool


@functools.lru_cache(maxsize=64)
def fact_plan(used: frozenset[str]) -> FactPlan:
    """The :class:`FactPlan` of a rule book reading ``used``."""
    return FactPlan(used)


class EngineFacts:
    """:func:`engine_facts` of one change's facts, kept section by section, so that a stage judging one product or
    one promotion (a fee, a penalty, a lost promotion) replaces the sections it changes (``item``, ``promotion``…)
    and re-reads nothing else: the same dict :func:`engine_facts` gives for ``facts.model_copy(update=sections)``
    (a property test checks it), without the copy and without walking the unchanged sections again. A section is
    made plain the first time a question reads it (a kind whose rules never read it never makes it plain); the
    facts themselves (:attr:`facts`) are assembled only when asked for. The questions asked over the facts as they
    are (no section replaced) share one plain dict of them (:meth:`asked`)."""

    __slots__ = ("_attributes", "_base", "_facts", "_missing", "_plain", "_plan", "_replaced", "_shared", "_values",
                 "_whole", "context")

    def __init__(self, facts: Facts, context: Context, used: frozenset[str] | FactPlan,
                 attribute_types: Mapping[str, str] | None = None) -> None:
        """``used``: the facts some rule reads, or the rule book's :class:`FactPlan` of them."""
        self._set(used if isinstance(used, FactPlan) else fact_plan(used), context, attribute_types, facts,
                  vars(facts))

    @classmethod
    def of_sections(cls, values: Mapping[str, Any], context: Context, plan: FactPlan,
                    attribute_types: Mapping[str, str] | None = None, shared: bool = True) -> EngineFacts:
        """Over the facts ``made(Facts, **values)`` (:func:`change_sections`), without making them until asked.
        ``shared=False``: facts asked one question (one product's penalty), whose plain dict is made for that
        question's sections only (:meth:`asked`)."""
        made = cls.__new__(cls)
        made._set(plan, context, attribute_types, None, values)
        made._shared = shared
        return made

    def _set(self, plan: FactPlan, context: Context, attribute_types: Mapping[str, str] | None, base: Facts | None,
             values: Mapping[str, Any]) -> None:
        self._plan = plan
        self.context = context
        self._base = base
        self._facts = base
        self._values = values
        """Each field of the facts (read only: a Facts' own ``__dict__`` when made from one)."""
        self._replaced: dict[str, FactSection] = {}
        self._plain: dict[str, tuple[Any, list[str]]] = {}
        self._whole: dict[str, Any] | None = None
        self._shared = True
        self._attributes, self._missing = _attributes(context, plan.attributes, attribute_types)

    @property
    def plan(self) -> FactPlan:
        """What the rule book reads of the facts."""
        return self._plan

    @property
    def facts(self) -> Facts:
        """The facts, with the sections :meth:`replaced` put in (assembled or copied the first time they are asked
        for)."""
        found = self._facts
        if found is None:
            base = self._base
            found = self._facts = base.model_copy(update=self._replaced) if base is not None \
                else made(Facts, **self._values)
        return found

    def section(self, name: str) -> Any:
        """One section of :attr:`facts` (``projected``, ``target``…), without making the facts."""
        return self._values[name]

    def replaced(self, **sections: FactSection) -> EngineFacts:
        """A new value: these facts with ``sections`` in place of their own; the sections already made plain and not
        replaced are shared (the facts themselves are copied with them when asked for: :attr:`facts`)."""
        made = EngineFacts.__new__(EngineFacts)
        made._plan = self._plan
        made.context = self.context
        made._base = self._base
        made._facts = None
        made._values = {**self._values, **sections}
        made._replaced = {**self._replaced, **sections}
        made._plain = {name: plain for name, plain in self._plain.items() if name not in sections}
        made._whole = None
        made._shared = self._shared
        made._attributes, made._missing = self._attributes, self._missing
        return made

    def of(self, **sections: FactSection) -> dict[str, Any]:
        """The plain facts with ``sections`` (a section name → its facts) in place of the change's own."""
        return self.viewed(self._plan.everything, sections)

    def asked(self, view: FactView, sections: Mapping[str, FactSection]) -> dict[str, Any]:
        """The plain facts a question of ``view`` is asked over, with ``sections`` in place of the change's own. With
        none replaced: every section of the plan (:meth:`of`), made once and shared by the questions asked over
        these facts — a change asks its eligibility, its fees, its penalty, its timing over the same facts, and
        each kind's rules read only their own sections, so the others change no answer (:func:`engine_facts`, the
        definition, holds them all; a ``not exists`` reads the one name it tests in ``_absent``). The dict is read
        only: the executors never change the facts they are given. Else (or for facts asked one question:
        ``shared=False``) :meth:`viewed`."""
        if sections or not self._shared:
            return self.viewed(view, sections)
        found = self._whole
        if found is None:
            found = self._whole = self.viewed(self._plan.everything, sections)
        return found

    def viewed(self, view: FactView, sections: Mapping[str, FactSection]) -> dict[str, Any]:
        """The plain facts a question of ``view`` reads (its sections, and the free attributes if it reads them),
        with ``sections`` in place of the change's own: :meth:`of` restricted to what its rules can read. The
        absent facts listed are those of the sections given (a kind's ``not exists`` reads only its own)."""
        data: dict[str, Any] = {}
        absent = list(self._missing) if view.attributes else []
        plain = self._plain
        plan = self._plan
        for name in view.sections:
            replaced = sections.get(name)
            if replaced is not None:
                value, missing = plan.plain(name, replaced)
            else:
                found = plain.get(name)
                if found is None:
                    found = plain[name] = plan.plain(name, self._values[name])
                value, missing = found
            if value is not None:
                data[name] = value
            if missing:
                absent += missing
        if view.attributes and self._attributes:
            data["customer"] = {**data.get("customer", {}), "attributes": self._attributes}
        data[ABSENT] = sorted(absent) if absent else ["-"]
        return data


@functools.lru_cache(maxsize=64)
def _sections_plan(paths: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """``_plan``'s paths by section (the first part of the name), in the order engine_facts fills them (by name).
    Read only: shared by every :class:`FactPlan` of a rule book."""
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for name, path in paths:
        out.setdefault(path[0], []).append((name, path))
    return out


def _section(value: Any, named: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[Any, list[str]]:
    """One section of :func:`engine_facts`: its value in the plain facts (None when nothing of it is present) and
    the names it leaves absent. ``value`` is the section (``as_of``: the date), ``named`` each fact read of it with
    its path below the section (empty: the section itself)."""
    section: Any = None
    absent = []
    for name, path in named:
        found = _read(value, path)
        if found is None:
            absent.append(name)
        elif not path:
            section = found
        else:
            if section is None:
                section = {}
            inner = section
            for part in path[:-1]:
                inner = inner.setdefault(part, {})
            inner[path[-1]] = found
    return section, absent


def _fields(value: Any, fields: tuple[tuple[str, str], ...]) -> tuple[dict[str, Any] | None, list[str]]:
    """:func:`_section` of a section whose facts are each one of its fields (``fields``: each fact's name and
    field): the same value, read field by field without walking a path (a change makes four to six sections
    plain)."""
    section: dict[str, Any] | None = None
    absent = []
    for name, field in fields:
        found = getattr(value, field, None)
        if found is not None and not isinstance(found, _SCALARS):
            found = _plain(found)
        if found is None:
            absent.append(name)
        elif section is None:
            section = {field: found}
        else:
            section[field] = found
    return section, absent


def _read(value: Any, path: tuple[str, ...]) -> Any:
    """The plain value of the fact at ``path`` below ``value`` (None when absent), as :func:`engine_facts` keeps it."""
    for part in path:
        value = getattr(value, part, None)
        if value is None:
            return None
    return value if isinstance(value, _SCALARS) else _plain(value)  # a scalar is kept as it is


def _plain(value: Any) -> Any:
    """A fact's value that is not a scalar, as :func:`engine_facts` keeps it: a model dumped, lists, dates and floats
    cleaned (None when nothing is left of it)."""
    if isinstance(value, BaseModel):  # a whole section named: what model_dump gives
        value = value.model_dump()
    if isinstance(value, _NESTED):
        value = _clean(value)
    return value


_SCALARS = (str, int, Decimal)  # bool is an int
_NESTED = (dict, list, tuple, dt.date, float)  # plain types: isinstance against them is fast (model_dump gives dicts)


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():  # scalars are kept as they are without a call (this runs per rule kind)
            cleaned = _clean(item) if isinstance(item, _NESTED) else item
            if cleaned is not None:
                out[key] = cleaned
        return out or None
    if isinstance(value, list | tuple):  # the sections hold tuples (shared between changes, so never edited)
        return [_clean(v) if isinstance(v, _NESTED) else v for v in value] or None
    if isinstance(value, dt.date):
        return (value - EPOCH).days
    if isinstance(value, float):
        return Decimal(str(value))
    return value

