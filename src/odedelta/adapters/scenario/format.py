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
    model_config = ConfigDict(extra="forbid")


class ExpectedItem(_Strict):
    product: str | None = None
    offering: str | None = None
    action: Literal["add", "modify", "delete", "noChange"] | None = None
    reasons: list[str] = Field(default_factory=list)

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
    after: str
    currency: str

    _amounts = field_validator("before", "after", mode="before")(_amount_text)


class ExpectedPromotions(_Strict):
    lost: list[str] = Field(default_factory=list)
    gained: list[str] = Field(default_factory=list)
    kept: list[str] = Field(default_factory=list)


class ExpectedReason(_Strict):
    """A rule's reason for refusing (eligibility, compatibility, renewal): its code and/or the rule's id."""

    code: str | None = None
    rule: str | None = None


class ExpectedLine(_Strict):
    """One penalty, fee or discount line: its name, amount (a plain number) and the rule (or promotion) behind it;
    ``product`` the installed product (or added offering) it is on. Only what is written is compared."""

    name: str | None = None
    amount: Decimal | None = None
    rule: str | None = None
    promotion: str | None = None
    product: str | None = None


class ExpectedRecommendation(_Strict):
    offering: str
    rule: str | None = None
    parent: str | None = None
    price: Decimal | None = None


class ExpectedTerm(_Strict):
    """The commitment term a product has after the change (its newest term's validFor, as dates)."""

    product: str
    start: date | None = None
    end: date | None = None


class ExpectedNotice(_Strict):
    """A product whose term ends within its notice window: when it ends, by when the customer must be told
    (``notify_by`` = the end − the notice days), what happens at the end, and the successor."""

    product: str
    ends: date | None = None
    notify_by: date | None = None
    at_end: Literal["renew", "terminate", "migrate"] | None = None
    successor: str | None = None
    rule: str | None = None


class ExpectedCandidate(_Strict):
    """One offering a qualification lists for the product: qualified or not, its reason codes, the monthly price
    difference, the penalties and fees a move to it costs."""

    offering: str
    qualified: bool | None = None
    reasons: list[str] = Field(default_factory=list)
    price_difference: Decimal | None = None
    penalties: Decimal | None = None
    fees: Decimal | None = None


class ExpectedPartnerItem(_Strict):
    """An item of a partner order: the installed product it changes, or the offering it adds."""

    product: str | None = None
    offering: str | None = None
    action: Literal["add", "modify", "delete"] | None = None


class ExpectedPartnerOrder(_Strict):
    """The partner order to one supplier (its party id) and, when listed, exactly its items."""

    supplier: str
    items: list[ExpectedPartnerItem] | None = None


class ExpectedSettlement(_Strict):
    """One settlement line between the reseller and a supplier; only what is written is compared."""

    supplier: str | None = None
    kind: Literal["wholesale_before", "wholesale_after", "reseller_margin", "one_time", "charge",
                  "credit"] | None = None
    amount: Decimal | None = None
    product: str | None = None
    """The installed product, or the offering of an added one."""
    rule: str | None = None


class ExpectedRollUp(_Strict):
    """The customer order after the partner events: its state, item states by product (or added offering) and
    text each explanation must contain."""

    state: Literal["acknowledged", "inProgress", "held", "completed", "partial", "failed", "cancelled"] | None = None
    items: dict[str, str] = Field(default_factory=dict)
    explanations: list[str] = Field(default_factory=list)
    not_applied: int | None = None
    """How many events were reported and not applied (duplicates, late, unknown order)."""


class ExpectedSla(_Strict):
    """The month's SLA adjustment: ``credited: false`` when no rule gives a credit."""

    credited: bool = True
    credit: Decimal | None = None
    recharge: Decimal | None = None
    rule: str | None = None


class Expect(_Strict):
    error: bool = False
    only_listed_items: bool = False
    items: list[ExpectedItem] = Field(default_factory=list)
    characteristics: dict[str, dict[str, Any]] = Field(default_factory=dict)
    promotions: ExpectedPromotions | None = None
    recurring: ExpectedRecurring | None = None
    one_time_total: str | None = None
    penalty_total: str | None = None
    eligible: bool | None = None
    refusal: list[ExpectedReason] = Field(default_factory=list)
    penalties: list[ExpectedLine] = Field(default_factory=list)
    fees: list[ExpectedLine] = Field(default_factory=list)
    discounts: list[ExpectedLine] = Field(default_factory=list)
    recommendations: list[ExpectedRecommendation] = Field(default_factory=list)
    terms: list[ExpectedTerm] = Field(default_factory=list)
    notices: list[ExpectedNotice] | None = None
    qualification: list[ExpectedCandidate] = Field(default_factory=list)
    only_listed_candidates: bool = False
    partner_orders: list[ExpectedPartnerOrder] | None = None
    """Listed exhaustively: one per supplier whose items the change touches ([]: none)."""
    settlement: list[ExpectedSettlement] | None = None
    only_listed_settlement: bool = False
    """true: no settlement lines beyond those listed (``settlement: []`` with it: none at all)."""
    rollup: ExpectedRollUp | None = None
    sla: ExpectedSla | None = None

    _amounts = field_validator("one_time_total", "penalty_total", mode="before")(_amount_text)


class Query(_Strict):
    product: str


OrderState = Literal["acknowledged", "pending", "held", "inProgress", "assessingCancellation", "pendingCancellation",
                     "completed", "failed", "cancelled", "rejected", "partial"]
"""The states a supplier's TMF622 notification may report (``partial``: the order only, its items say more)."""


class PartnerEvent(_Strict):
    """A supplier's notification about its partner order of the scenario's change (the runner writes the TMF622
    ProductOrderStateChangeEvent): the order's state, item states by product (or added offering), a message."""

    supplier: str
    state: OrderState | None = None
    items: dict[str, OrderState] = Field(default_factory=dict)
    message: str | None = None
    time: datetime | None = None
    event_id: str | None = None


class SlaMeasure(_Strict):
    """One month's measure of an installed product under its SLA."""

    product: str
    metric: str
    measured: Decimal


class Scenario(_Strict):
    name: str
    as_of: datetime
    inventory: str | list[dict[str, Any]] = Field(default_factory=list)
    context: Context = Field(default_factory=Context)
    request: dict[str, dict[str, Any]] | None = None
    qualify: Query | None = None
    term_notices: bool = False
    sla: SlaMeasure | None = None
    partner_events: list[PartnerEvent] = Field(default_factory=list)
    """With a request: the suppliers' notifications, in arrival order (``expect.rollup``)."""
    own_state: Literal["acknowledged", "inProgress", "held", "completed", "failed", "cancelled"] = "completed"
    """With partner_events: the state of the items the reseller fulfils itself."""
    expect: Expect = Field(default_factory=Expect)

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


