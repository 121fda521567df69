"""The scenario file format: the public contract product managers write (reference/scenario-files.md), as strict
pydantic models — every key is checked and an unknown one refused — and its JSON schema for editors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from odedelta.model.limits import DEFAULT
from odedelta.model.requests import REQUEST_TYPES, Context, Request


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class ExpectedItem(_Strict):
    product: str | None = None
    """The installed product the item is about (its id in the inventory)."""
    offering: str | None = None
    """The offering of the item: for an added product (which has no id yet), or checked beside product."""
    action: Literal["add", "modify", "delete", "noChange"] | None = None
    """The item's action: add, modify, delete or noChange."""
    reasons: list[str] = Field(default_factory=list)
    """Reason codes the item must carry (kept, offering_changed, promotion_lost…); others may be there too."""

    @model_validator(mode="after")
    def _names_something(self) -> ExpectedItem:
        if self.product is None and self.offering is None:
            raise ValueError("an expected item names a product (installed id) or an offering (for added items)")
        return self


def _amount_text(value: str | None) -> str | None:
    """An expected amount is written as a decimal number ('12.50'); anything else is a located problem."""
    if value is None:
        return value
    text = str(value).strip()
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"{value!r} is not an amount (a decimal number such as '12.50')") from None
    problem = DEFAULT.value_problem(number)
    if problem is not None:
        raise ValueError(problem)
    return text


class ExpectedRecurring(_Strict):
    before: str
    """The monthly total before the change, a plain number ('54.00')."""
    after: str
    """The monthly total after the change."""
    currency: str
    """The ISO 4217 currency of both totals."""

    _amounts = field_validator("before", "after", mode="before")(_amount_text)


class ExpectedPromotions(_Strict):
    lost: list[str] = Field(default_factory=list)
    """Promotion ids the change makes the customer lose (exactly these)."""
    gained: list[str] = Field(default_factory=list)
    """Promotion ids the change brings (exactly these)."""
    kept: list[str] = Field(default_factory=list)
    """Promotion ids that hold before and after the change (exactly these)."""


class ExpectedReason(_Strict):
    """A rule's reason for refusing (eligibility, compatibility, renewal): its code and/or the rule's id."""

    code: str | None = None
    """The reason code (downgrade_too_early, business_only…)."""
    rule: str | None = None
    """The id of the rule that gave it."""


class ExpectedLine(_Strict):
    """One penalty, fee or discount line: its name, amount (a plain number) and the rule (or promotion) behind it;
    ``product`` the installed product (or added offering) it is on. Only what is written is compared."""

    name: str | None = None
    """The line's name as the rule or promotion states it."""
    amount: Decimal | None = None
    """The line's amount, a plain number in the change's currency."""
    rule: str | None = None
    """The id of the rule behind the line."""
    promotion: str | None = None
    """The id of the TMF671 promotion behind a discount line (instead of rule)."""
    product: str | None = None
    """The installed product (or added offering) the line is on."""


class ExpectedRecommendation(_Strict):
    offering: str
    """The offering recommended."""
    rule: str | None = None
    """The id of the recommendation rule."""
    parent: str | None = None
    """The installed bundle it would be added under."""
    price: Decimal | None = None
    """Its monthly price, a plain number."""


class ExpectedTerm(_Strict):
    """The commitment term a product has after the change (its newest term's validFor, as dates)."""

    product: str
    """The installed product."""
    start: date | None = None
    """The new term's start date (YYYY-MM-DD)."""
    end: date | None = None
    """The new term's end date (YYYY-MM-DD)."""


class ExpectedNotice(_Strict):
    """A product whose term ends within its notice window: when it ends, by when the customer must be told
    (``notify_by`` = the end − the notice days), what happens at the end, and the successor."""

    product: str
    """The installed product whose term ends."""
    ends: date | None = None
    """The date the term ends."""
    notify_by: date | None = None
    """The date by which the customer must be told."""
    at_end: Literal["renew", "terminate", "migrate"] | None = None
    """What happens at the end: renew, terminate or migrate."""
    successor: str | None = None
    """The offering a migrate moves the product to."""
    rule: str | None = None
    """The id of the renewal rule that sets the notice."""


class ExpectedCandidate(_Strict):
    """One offering a qualification lists for the product: qualified or not, its reason codes, the monthly price
    difference, the penalties and fees a move to it costs."""

    offering: str
    """The candidate offering."""
    qualified: bool | None = None
    """Whether the product may move to it."""
    reasons: list[str] = Field(default_factory=list)
    """The reason codes of a refusal (exactly these)."""
    price_difference: Decimal | None = None
    """The monthly price after a move to it minus the price now, a plain number."""
    penalties: Decimal | None = None
    """The penalties a move to it costs."""
    fees: Decimal | None = None
    """The fees a move to it costs."""


class ExpectedPartnerItem(_Strict):
    """An item of a partner order: the installed product it changes, or the offering it adds."""

    product: str | None = None
    """The installed product the partner item changes."""
    offering: str | None = None
    """The offering a partner item adds."""
    action: Literal["add", "modify", "delete"] | None = None
    """The item's action at the supplier: add, modify or delete."""


class ExpectedPartnerOrder(_Strict):
    """The partner order to one supplier (its party id) and, when listed, exactly its items."""

    supplier: str
    """The supplier's party id."""
    items: list[ExpectedPartnerItem] | None = None
    """When listed: exactly the order's items."""


class ExpectedSettlement(_Strict):
    """One settlement line between the reseller and a supplier; only what is written is compared."""

    supplier: str | None = None
    """The supplier's party id."""
    kind: Literal["wholesale_before", "wholesale_after", "reseller_margin", "one_time", "charge",
                  "credit"] | None = None
    """wholesale_before, wholesale_after, reseller_margin, one_time, charge or credit."""
    amount: Decimal | None = None
    """The line's amount, a plain number."""
    product: str | None = None
    """The installed product, or the offering of an added one."""
    rule: str | None = None
    """The id of the rule behind the line (revenue_share, partner_charge)."""


class ExpectedRollUp(_Strict):
    """The customer order after the partner events: its state, item states by product (or added offering) and
    text each explanation must contain."""

    state: Literal["acknowledged", "inProgress", "held", "completed", "partial", "failed", "cancelled"] | None = None
    """The customer order's state after the events."""
    items: dict[str, str] = Field(default_factory=dict)
    """Item states by installed product (or added offering)."""
    explanations: list[str] = Field(default_factory=list)
    """Texts the roll-up's explanations must contain, one each."""
    not_applied: int | None = None
    """How many events were reported and not applied (duplicates, late, unknown order)."""


class ExpectedSla(_Strict):
    """The month's SLA adjustment: ``credited: false`` when no rule gives a credit."""

    credited: bool = True
    """false: no rule gives a credit for this measure."""
    credit: Decimal | None = None
    """The customer's credit, a plain number."""
    recharge: Decimal | None = None
    """The part of the credit recharged to the supplier."""
    rule: str | None = None
    """The id of the sla_credit rule that gives it."""


class Expect(_Strict):
    error: bool = False
    """true: the request must be refused (by the catalog or the rules)."""
    only_listed_items: bool = False
    """true: no items beyond those listed in items."""
    items: list[ExpectedItem] = Field(default_factory=list)
    """Delta items that must be there (added ones matched by offering)."""
    characteristics: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Characteristic values after the change, by product id (or added offering): {name: value}."""
    promotions: ExpectedPromotions | None = None
    """The promotions lost, gained and kept."""
    recurring: ExpectedRecurring | None = None
    """The monthly totals before and after the change."""
    one_time_total: str | None = None
    """The total of one-time prices of added products and fees, a plain number."""
    penalty_total: str | None = None
    """The total of penalties, a plain number."""
    eligible: bool | None = None
    """false: the rules must refuse the change; true: they must allow it."""
    refusal: list[ExpectedReason] = Field(default_factory=list)
    """The reasons of a refusal by the rules (each must be there)."""
    penalties: list[ExpectedLine] = Field(default_factory=list)
    """Penalty lines that must be there."""
    fees: list[ExpectedLine] = Field(default_factory=list)
    """Fee lines that must be there."""
    discounts: list[ExpectedLine] = Field(default_factory=list)
    """Discount lines that must be there (rules and promotions)."""
    recommendations: list[ExpectedRecommendation] = Field(default_factory=list)
    """Recommendations that must be there."""
    terms: list[ExpectedTerm] = Field(default_factory=list)
    """The new commitment terms after the change (a renewal, a re-engagement)."""
    notices: list[ExpectedNotice] | None = None
    """With term_notices: exactly the notices due at as_of ([]: none)."""
    qualification: list[ExpectedCandidate] = Field(default_factory=list)
    """With qualify: candidates that must be listed, with their verdicts."""
    only_listed_candidates: bool = False
    """true: no candidate beyond those listed in qualification."""
    partner_orders: list[ExpectedPartnerOrder] | None = None
    """Listed exhaustively: one per supplier whose items the change touches ([]: none)."""
    settlement: list[ExpectedSettlement] | None = None
    """Settlement lines between the reseller and its suppliers that must be there."""
    only_listed_settlement: bool = False
    """true: no settlement lines beyond those listed (``settlement: []`` with it: none at all)."""
    rollup: ExpectedRollUp | None = None
    """The customer order's state after partner_events."""
    sla: ExpectedSla | None = None
    """With sla: the month's SLA adjustment."""

    _amounts = field_validator("one_time_total", "penalty_total", mode="before")(_amount_text)


class Query(_Strict):
    product: str
    """The installed product to qualify."""


OrderState = Literal["acknowledged", "pending", "held", "inProgress", "assessingCancellation", "pendingCancellation",
                     "completed", "failed", "cancelled", "rejected", "partial"]
"""The states a supplier's TMF622 notification may report (``partial``: the order only, its items say more)."""


class PartnerEvent(_Strict):
    """A supplier's notification about its partner order of the scenario's change (the runner writes the TMF622
    ProductOrderStateChangeEvent): the order's state, item states by product (or added offering), a message."""

    supplier: str
    """The supplier's party id (its partner order of this change)."""
    state: OrderState | None = None
    """The partner order's state the event reports."""
    items: dict[str, OrderState] = Field(default_factory=dict)
    """Item states by installed product (or added offering)."""
    message: str | None = None
    """The event's note (why an item failed, for example)."""
    time: datetime | None = None
    """When the event was sent (ISO-8601); events older than the last applied are not applied."""
    event_id: str | None = None
    """The event's id; a repeated id is reported and not applied."""


class SlaMeasure(_Strict):
    """One month's measure of an installed product under its SLA."""

    product: str
    """The installed product measured."""
    metric: str
    """The metric (availability…), as sla_credit rules read it in sla.metric."""
    measured: Decimal
    """The month's value (availability: a percentage)."""


class Scenario(_Strict):
    name: str
    """What the scenario checks, in words: printed with PASS or FAIL."""
    as_of: datetime
    """The moment of the change (ISO-8601)."""
    inventory: str | list[dict[str, Any]] = Field(default_factory=list)
    """A TMF637 inventory file (relative to this file), or the products inline ([] for none)."""
    context: Context = Field(default_factory=Context)
    """Facts about the customer and the sale: segment, attributes, channel, billing_cycle_day."""
    request: dict[str, dict[str, Any]] | None = None
    """Exactly one of change_offer, add, remove, modify, terminate, renew, acquire, with its fields."""
    qualify: Query | None = None
    """Instead of a request: what the product can change to (expect.qualification)."""
    term_notices: bool = False
    """Instead of a request: the renewal notices due at as_of (expect.notices)."""
    sla: SlaMeasure | None = None
    """Instead of a request: one month's SLA measure of a product (expect.sla)."""
    partner_events: list[PartnerEvent] = Field(default_factory=list)
    """With a request: the suppliers' notifications, in arrival order (``expect.rollup``)."""
    own_state: Literal["acknowledged", "inProgress", "held", "completed", "failed", "cancelled"] = "completed"
    """With partner_events: the state of the items the reseller fulfils itself."""
    expect: Expect = Field(default_factory=Expect)
    """What must hold; only what is written is compared."""

    @model_validator(mode="after")
    def _one_request(self) -> Scenario:
        asked = [k for k, v in (("request", self.request), ("qualify", self.qualify),
                                ("term_notices", self.term_notices or None), ("sla", self.sla)) if v is not None]
        if len(asked) != 1:
            raise ValueError(f"a scenario asks one thing: request, qualify, term_notices or sla (found "
                             f"{', '.join(asked) or 'none'})")
        if (self.partner_events or "own_state" in self.model_fields_set) and self.request is None:
            raise ValueError("partner_events and own_state are about a change's orders: they need a request")
        if "own_state" in self.model_fields_set and not self.partner_events and self.expect.rollup is None:
            raise ValueError("own_state is the reseller's items' state in a roll-up: it needs partner_events or "
                             "expect.rollup")
        asked_about = {key for key in self.expect.model_fields_set if key not in ("error", "only_listed_items")}
        if self.sla is not None and asked_about - {"sla"}:
            raise ValueError(f"an sla scenario expects sla only (found {', '.join(sorted(asked_about - {'sla'}))})")
        if self.sla is None and self.expect.sla is not None:
            raise ValueError("expect.sla needs the scenario to ask sla: {product, metric, measured}")
        if self.request is None:
            return self
        if len(self.request) != 1:
            raise ValueError(f"request holds exactly one of {', '.join(REQUEST_TYPES)}; found {len(self.request)}")
        (kind,) = self.request
        if kind not in REQUEST_TYPES:
            raise ValueError(f"unknown request {kind!r}; expected one of {', '.join(REQUEST_TYPES)}")
        return self

    def parsed_request(self) -> Request:
        assert self.request is not None
        ((kind, body),) = self.request.items()
        return cast(Request, REQUEST_TYPES[kind].model_validate(body))


class ScenarioFile(_Strict):
    """A scenario file: the catalog directory, optionally the rules directory (both relative to the file), and the
    scenarios."""

    catalog: str = Field(description="The catalog directory, relative to this file.")
    rules: str | None = Field(None, description="The rules directory, relative to this file (none: no rules).")
    scenarios: list[Scenario]
    """The scenarios, run in order."""


SCHEMA_VERSION = 1
SCHEMA_FILE = f"scenarios-v{SCHEMA_VERSION}.schema.json"
"""The scenario-file schema's name, beside the scenario files their modeline points at."""


def json_schema() -> dict[str, Any]:
    """The JSON schema of scenario files, for editors (``odedelta schema --scenarios``)."""
    schema = ScenarioFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:odedelta:scenarios:v{SCHEMA_VERSION}"
    schema["title"] = f"odedelta scenario file, version {SCHEMA_VERSION}"
    return schema


