"""Rule files: what a rule is, how files are read and checked, and the JSON schema editors use.

A rule file holds ``rules:``, a list of rules, and optionally ``valid_for`` (the default of its rules). Every rule
has an ``id`` (unique across all files, except for versions of one rule: each with a ``valid_for``, the periods not
overlapping), a ``kind``, a
``description``, an optional ``priority`` (default 0; higher wins), an optional ``valid_for`` (effective dates,
compared with ``as_of``), an optional ``when`` condition (:mod:`odedelta.rules.expr`; no ``when``: always) and a
``then`` whose shape depends on the kind (:data:`KINDS`).

Every problem in every file is reported at once as ``file:line:column: message``, checked before anything runs:
YAML syntax, unknown keys, unknown facts, type mismatches, unknown offering/specification/category ids (with
suggestions from the catalog), duplicate ids, effective dates that end before they start, versions of one rule that
overlap (both places named) or differ in kind, and two rules of equal
priority that can both match with different effects.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from odedelta.model.catalog import Catalog
from odedelta.model.errors import LoadError, OdeDeltaError, Problem, closest, did_you_mean
from odedelta.model.limits import DEFAULT, Limits
from odedelta.model.plain import plain_words
from odedelta.model.source import parse_text
from odedelta.rules.expr import ALWAYS, Compiled, Compiler, ExprError, date_number
from odedelta.rules.facts import (
    FACT_TYPES,
    FACT_VALUES,
    KIND_ONLY,
    KIND_SECTIONS,
    OPEN_PREFIXES,
    fact_catalogue,
    kinds_seeing,
    sections_note,
    visible,
)
from odedelta.rules.solver import Solver, as_condition, conj, formula

SCHEMA_VERSION = 1
"""The version of the rule-file format; a rule file's modeline names the schema of the version it was written for."""
SCHEMA_FILE = f"rules-v{SCHEMA_VERSION}.schema.json"
"""The schema's file name, beside the rule files (``odedelta schema --write DIR``)."""
SCHEMA_LINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


_Moment = Annotated[dt.datetime | None, WithJsonSchema({"anyOf": [
    {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}, {"type": "null"}]})]
"""A day (``2026-07-01``) or a date-time; the schema says both (pydantic reads a day as its midnight, UTC)."""


class Period(_Strict):
    """When a rule is in force: ``from`` (inclusive) and ``to`` (exclusive), dates or date-times (UTC when no zone
    is given), compared with the day of ``as_of``. ``startDateTime`` / ``endDateTime`` (TMF's spelling) are read
    too."""

    start: _Moment = Field(None, validation_alias=AliasChoices("from", "startDateTime"),
                                      serialization_alias="from",
                                      description="The first day the rule is in force (inclusive).")
    end: _Moment = Field(None, validation_alias=AliasChoices("to", "endDateTime"),
                                    serialization_alias="to",
                                    description="The day the rule stops being in force (exclusive).")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        return value

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value

    def overlaps(self, other: Period) -> bool:
        """Whether some day is in both periods (an open end reaches forever)."""
        far_past, far_future = dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC)
        return (max(self.start or far_past, other.start or far_past).date()
                < min(self.end or far_future, other.end or far_future).date())

    @property
    def text(self) -> str:
        """``2026-07-01 to 2027-01-01`` (the end exclusive), ``from 2026-07-01``, ``until 2026-07-01``."""
        start = self.start.date().isoformat() if self.start else None
        end = self.end.date().isoformat() if self.end else None
        if start and end:
            return f"{start} to {end}"
        return f"from {start}" if start else f"until {end}" if end else "always"


# ----------------------------------------------------------------------------------------- effects by kind


class EligibilityEffect(_Strict):
    decision: Literal["allow", "deny"] = Field(description="deny: the target is not qualified; allow: it is, "
                                                           "overriding denies of lower priority.")
    reason: str = Field(description="A machine-readable reason code (lower_snake_case).")
    message: str = Field(description="What the customer is told.")

    @field_validator("reason")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE.match(value):
            raise ValueError(f"reason {value!r} is not a code: use lower_snake_case, e.g. downgrade_too_early")
        return value


class Endpoint(_Strict):
    offering: str | None = Field(None, description="An offering id of the catalog.")
    specification: str | None = Field(None, description="A product specification id of the catalog (every offering "
                                                         "of it).")


class MigrationEffect(_Strict):
    from_: Endpoint = Field(alias="from", description="The installed offering or specification…")
    to: Endpoint = Field(description="…that corresponds to this target offering or specification: the delta "
                                     "modifies the installed product instead of deleting it and adding another.")


class CompatibilityEffect(_Strict):
    offering: str = Field(description="The offering the rule is about.")
    requires: list[str] = Field(default_factory=list, description="It needs at least one of these offerings in "
                                                                  "the customer's products after the change.")
    excludes: list[str] = Field(default_factory=list, description="It cannot be held with any of these.")
    reason: str = Field(description="A machine-readable reason code (lower_snake_case).")
    message: str = Field(description="What the customer is told.")


def _amount(value: Decimal | None) -> Decimal | None:
    """Amounts in rules obey the number limits (a quoted '1e999' reaches here as text, read by pydantic)."""
    problem = DEFAULT.value_problem(value) if value is not None else None
    if problem is not None:
        raise ValueError(problem)
    return value


class PenaltyEffect(_Strict):
    name: str = Field(description="What the customer sees on the line, e.g. 'Early termination fee'.")
    formula: Literal["fixed", "remaining_months", "remaining_value_share", "discount_repayment", "waived"] = Field(
        description="fixed: amount; remaining_months: months remaining × amount (a fixed amount per month) or × "
                    "monthly price × factor (a share of the price); remaining_value_share: share × months remaining "
                    "× monthly price; discount_repayment: share × the discount received so far; waived: no penalty "
                    "(an exception of higher priority).")
    amount: Decimal | None = Field(None, description="For fixed: the amount; for remaining_months: the amount per "
                                                     "remaining month.")
    factor: Decimal = Field(Decimal(1), description="For remaining_months: the share of the monthly price per "
                                                    "remaining month (default 1).")
    share: Decimal = Field(Decimal(1), description="For remaining_value_share and discount_repayment (0.5 = half).")
    minimum: Decimal | None = Field(None, description="The penalty is at least this much (when one is due).")
    maximum: Decimal | None = Field(None, description="The penalty is at most this much.")

    _limits = field_validator("amount", "factor", "share", "minimum", "maximum")(_amount)


class FeeEffect(_Strict):
    name: str = Field(description="What the customer sees on the line, e.g. 'Downgrade fee'.")
    amount: Decimal = Field(description="A one-time amount in the change's currency.")

    _limits = field_validator("amount")(_amount)


class DiscountEffect(_Strict):
    name: str = Field(description="What the customer sees on the line.")
    value: str = Field(description="'5%' of the monthly price, or '3.00' off per month.",
                       pattern=r"^\s*\d+(\.\d+)?\s*%?\s*$")
    applies_to: str = Field(description="The offering whose products the discount applies to; in a renewal rule, "
                                        "'successor' names the offering an end-of-sale product renews into.")


class RecommendationEffect(_Strict):
    offering: str = Field(description="The offering to propose (never added without the customer's consent).")
    message: str = Field(description="What the customer is told.")


class PromotionLossEffect(_Strict):
    keep: bool = Field(description="true: a product that was free only through the lost promotion is kept at its "
                                   "price; false (the default without a rule): it is deleted.")
    message: str = Field(description="What the customer is told.")


class RenewalEffect(_Strict):
    months: int | None = Field(None, ge=1, le=120, description="Duration of the new term (default: the current "
                                                               "term's).")
    start: Literal["term_end", "as_of"] | None = Field(None, description="Where the new term starts: at the end of "
                                                                        "the current one, or on the day of the "
                                                                        "renewal. Default: term_end before expiry, "
                                                                        "as_of after.")
    window_days: int | None = Field(None, ge=0, description="How many days before the term ends renewal opens.")
    discount: DiscountEffect | None = Field(None, description="A benefit the new term brings (e.g. 10% off the "
                                                              "plan while it runs).")
    notice_days: int | None = Field(None, ge=0, description="Days before the end when the customer must be told.")
    at_end: Literal["renew", "terminate", "migrate"] | None = Field(None, description="What happens when the term "
                                                                                     "ends without a renewal.")
    successor: str | None = Field(None, description="The offering an end-of-sale product renews into (and migrates "
                                                    "to at the end, with at_end: migrate) when the catalog names "
                                                    "none (replacedBy).")
    allowed: bool = Field(True, description="false: renewal is refused (with message).")
    message: str | None = Field(None, description="What the customer is told.")


class TimingEffect(_Strict):
    policy: Literal["immediate", "next_bill_cycle", "end_of_term"] = Field(
        description="immediate: now, prorated to the next bill date; next_bill_cycle: at the next bill date; "
                    "end_of_term: when the commitment ends (no penalty).")
    reengage: bool = Field(False, description="The change restarts the commitment (a new term); no penalty is due.")


class SlaCreditEffect(_Strict):
    name: str = Field(description="What the customer sees on the credit line, e.g. 'Streaming availability credit'.")
    credit: str = Field(description="'10%' of the product's monthly price (what the customer pays), or '2.00'.",
                        pattern=r"^\s*\d+(\.\d+)?\s*%?\s*$")
    recharge: str = Field("100%", description="The share of the credit recharged to the product's supplier "
                                              "('100%', '50%', '0%').", pattern=r"^\s*\d+(\.\d+)?\s*%\s*$")
    message: str = Field(description="What the customer is told.")


class RevenueShareEffect(_Strict):
    name: str = Field(description="What the settlement line is called, e.g. 'StreamCo revenue share'.")
    supplier_share: str = Field(description="The supplier's share of what the customer pays for the product per "
                                            "month (its net price), e.g. '70%': it replaces the catalog's "
                                            "wholesale price in the settlement.", pattern=r"^\s*\d+(\.\d+)?\s*%\s*$")


class PartnerChargeEffect(_Strict):
    name: str = Field(description="What the settlement line is called, e.g. 'StreamCo activation'.")
    amount: str = Field(description="'2.00' (in the change's currency), or '100%' of the product's monthly "
                                    "wholesale price (the supplier's monthly payment).",
                        pattern=r"^\s*\d+(\.\d+)?\s*%?\s*$")
    payer: Literal["reseller", "supplier"] = Field("reseller", description="Who pays: the reseller (a partner "
                                                                           "charge) or the supplier (a credit).")


class AnalysisOptions(_Strict):
    """How ``odedelta check --analyze`` treats a rule (reference/analysis.md in the documentation)."""

    allow_overlap: bool = Field(False, description="Its overlaps with other rules of its kind are intended: not "
                                                   "reported, and not refused at equal priority (file order "
                                                   "decides).")
    allow_gap: bool = Field(False, description="The table it belongs to (rules of its kind reading the same "
                                               "facts) is complete as it is: gaps in it are not reported.")


KIND = "The kind of rule: what its then holds and how rules of this kind decide together (reference/rule-language.md)."
THEN = "What the rule decides when its condition holds; its keys depend on the kind."


class _Rule(_Strict):
    id: str = Field(description="Unique across all rule files.", min_length=1, pattern=r"^\S(.*\S)?$")
    description: str = Field(description="What the rule means, in plain words.")
    priority: int = Field(0, description="Higher wins when rules of one kind disagree; how each kind decides: "
                                          "the rule language page of the documentation (reference/rule-language.md).")
    valid_for: Period | None = Field(None, validation_alias=AliasChoices("valid_for", "validFor"),
                                     serialization_alias="valid_for",
                                     description="When the rule is in force ({from, to}, compared with as_of); "
                                                 "several versions of one rule (the same id) have periods that do "
                                                 "not overlap. Default: the file's valid_for.")
    when: str | None = Field(None, description="The condition; leave it out for a rule that always applies.")
    analysis: AnalysisOptions | None = Field(None, description="What the analysis (check --analyze) accepts as "
                                                               "intended for this rule.")

    MODE: ClassVar[str] = "all"


class EligibilityRule(_Rule):
    kind: Literal["eligibility"] = Field(description=KIND)
    then: EligibilityEffect = Field(description=THEN)
    MODE: ClassVar[str] = "deny_wins"


class MigrationRule(_Rule):
    kind: Literal["migration"] = Field(description=KIND)
    then: MigrationEffect = Field(description=THEN)


class CompatibilityRule(_Rule):
    kind: Literal["compatibility"] = Field(description=KIND)
    then: CompatibilityEffect = Field(description=THEN)


class PenaltyRule(_Rule):
    kind: Literal["penalty"] = Field(description=KIND)
    then: PenaltyEffect = Field(description=THEN)
    MODE: ClassVar[str] = "first"


class FeeRule(_Rule):
    kind: Literal["fee"] = Field(description=KIND)
    then: FeeEffect = Field(description=THEN)


class DiscountRule(_Rule):
    kind: Literal["discount"] = Field(description=KIND)
    then: DiscountEffect = Field(description=THEN)


class RecommendationRule(_Rule):
    kind: Literal["recommendation"] = Field(description=KIND)
    then: RecommendationEffect = Field(description=THEN)


class PromotionLossRule(_Rule):
    kind: Literal["promotion_loss"] = Field(description=KIND)
    then: PromotionLossEffect = Field(description=THEN)
    MODE: ClassVar[str] = "first"


class TimingRule(_Rule):
    kind: Literal["timing"] = Field(description=KIND)
    then: TimingEffect = Field(description=THEN)
    MODE: ClassVar[str] = "first"


class RenewalRule(_Rule):
    kind: Literal["renewal"] = Field(description=KIND)
    then: RenewalEffect = Field(description=THEN)
    MODE: ClassVar[str] = "first"


class SlaCreditRule(_Rule):
    """A month under an SLA (facts ``sla.*``, ``item.offering``): a credit to the customer, recharged to the
    supplier (partners, S10)."""

    kind: Literal["sla_credit"] = Field(description=KIND)
    then: SlaCreditEffect = Field(description=THEN)
    MODE: ClassVar[str] = "first"


class RevenueShareRule(_Rule):
    """What a supplier is paid per month for a product of a change (facts ``settlement.*``, ``item.*``): a share
    of what the customer pays, instead of the catalog's wholesale price (partners, S10)."""

    kind: Literal["revenue_share"] = Field(description=KIND)
    then: RevenueShareEffect = Field(description=THEN)
    MODE: ClassVar[str] = "first"


class PartnerChargeRule(_Rule):
    """A one-time amount between the reseller and a supplier for a product of a change (an activation, a
    cancellation): every matching rule adds its line (partners, S10)."""

    kind: Literal["partner_charge"] = Field(description=KIND)
    then: PartnerChargeEffect = Field(description=THEN)


RuleModel = (
    EligibilityRule | MigrationRule | CompatibilityRule | PenaltyRule | FeeRule | DiscountRule | RecommendationRule
    | PromotionLossRule | RenewalRule | TimingRule | SlaCreditRule | RevenueShareRule | PartnerChargeRule
)
"""A rule as written, of one kind: its ``kind`` (a literal) says which, and its ``then`` is that kind's effect."""
AnyRule = Annotated[RuleModel, Field(discriminator="kind")]
"""The discriminated union pydantic reads a rule with: ``kind`` picks the model."""
Effect = (
    EligibilityEffect | MigrationEffect | CompatibilityEffect | PenaltyEffect | FeeEffect | DiscountEffect
    | RecommendationEffect | PromotionLossEffect | RenewalEffect | TimingEffect | SlaCreditEffect | RevenueShareEffect
    | PartnerChargeEffect
)
"""What a rule does (its ``then``), one model per kind."""
E = TypeVar("E", bound=BaseModel)
def _aliases(field: Any) -> tuple[str, ...]:
    """The other names a field is read under (``validFor`` for ``valid_for``)."""
    alias = field.validation_alias
    return tuple(a for a in getattr(alias, "choices", ()) if isinstance(a, str)) if alias is not None else ()


KINDS: dict[str, type[RuleModel]] = {
    "eligibility": EligibilityRule,
    "migration": MigrationRule,
    "compatibility": CompatibilityRule,
    "penalty": PenaltyRule,
    "fee": FeeRule,
    "discount": DiscountRule,
    "recommendation": RecommendationRule,
    "promotion_loss": PromotionLossRule,
    "renewal": RenewalRule,
    "timing": TimingRule,
    "sla_credit": SlaCreditRule,
    "revenue_share": RevenueShareRule,
    "partner_charge": PartnerChargeRule,
}

COMMON_KEYS = frozenset(k for n, f in _Rule.model_fields.items() for k in (n, *_aliases(f)))
"""The keys every kind of rule has (with their aliases)."""
RULE_KEYS = sorted({k for m in KINDS.values() for n, f in m.model_fields.items() for k in (n, *_aliases(f))})
"""The keys some kind of rule has."""


class RuleFile(_Strict):
    """A rule file (YAML): ``rules:`` and the list of rules."""

    valid_for: Period | None = Field(None, validation_alias=AliasChoices("valid_for", "validFor"),
                                     serialization_alias="valid_for",
                                     description="When the file's rules are in force, for each rule that says "
                                                 "nothing itself.")
    rules: list[AnyRule] = Field(default_factory=list, description="The rules, each picked by its kind.")


def json_schema() -> dict[str, Any]:
    schema = RuleFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:odedelta:rules:v{SCHEMA_VERSION}"
    schema["title"] = f"odedelta rule file, version {SCHEMA_VERSION}"
    for kind, model in KINDS.items():  # which facts each kind's condition can read
        when = schema["$defs"][model.__name__]["properties"]["when"]
        sections = ", ".join(s if s == "as_of" else f"{s}.*" for s in KIND_SECTIONS[kind])
        when["description"] = (f"The condition; leave it out for a rule that always applies. {kind} rules see "
                               f"{sections}{sections_note(kind)}.")
    facts: dict[str, Any] = {}
    for name, (_type, description) in fact_catalogue().items():
        entry: dict[str, Any] = {"description": description}
        if name in FACT_VALUES:
            entry["enum"] = list(FACT_VALUES[name])
        facts[name] = entry
    schema["$defs"]["Facts"] = {"description": "The facts conditions read (docs/facts.md); facts with a closed set "
                                               "of values list it (enum).", "type": "object", "properties": facts}
    schema["properties"]["rules"]["items"] = _by_kind()
    _plain_numbers(schema)
    return schema


NUMBER_TEXT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
"""A number written as text (``'29.00'``): what a quoted amount may hold — no currency, no unit."""


def _by_kind() -> dict[str, Any]:
    """Each rule validated against its kind's schema, chosen by ``kind`` (if/then): a misspelt kind is flagged
    by the ``enum`` naming every kind, not by "not valid under any of the given schemas"."""
    return {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": list(KINDS), "description": "What the rule decides; the shape of 'then' "
                                                                   "depends on it."}},
        "allOf": [{"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                   "then": {"$ref": f"#/$defs/{model.__name__}"}} for kind, model in KINDS.items()],
    }


def _plain_numbers(node: Any) -> None:
    """Amounts are numbers; pydantic also reads a quoted number, which the schema says must be one (``'29.00'``),
    so an editor flags ``amount: "29.00 EUR"``."""
    if isinstance(node, dict):
        options = node.get("anyOf")
        if isinstance(options, list) and {"type": "number"} in options:
            for option in options:
                if option == {"type": "string"}:
                    option["pattern"] = NUMBER_TEXT
                    option["description"] = "a plain number in quotes, without a currency (e.g. '29.00')"
        for value in node.values():
            _plain_numbers(value)
    elif isinstance(node, list):
        for value in node:
            _plain_numbers(value)


# ----------------------------------------------------------------------------------------- compiled rules


@dataclass(frozen=True)
class Rule:
    """A checked, compiled rule: the model, where it was written, and its condition in engine form."""

    model: RuleModel
    file: str
    line: int | None
    condition: dict[str, Any]
    facts: frozenset[str]
    attribute_types: Mapping[str, str] = field(default_factory=dict)
    """The type of each free attribute the condition reads (``customer.attributes.x`` → number...)."""

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def key(self) -> str:
        """Unique in a rule book: the id, and for a version of a rule (one of several with the same id, each with
        its own valid_for) ``id@from``."""
        period = self.model.valid_for
        if period is None or not self.versioned:
            return self.model.id
        return f"{self.model.id}@{period.start.date().isoformat() if period.start else 'always'}"

    versioned: bool = False
    """One of several versions of a rule (same id, periods that do not overlap): analysis and coverage count them
    as one rule."""

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def then(self) -> Effect:
        """The rule's effect (narrow it with :meth:`effect` where the kind is known)."""
        return self.model.then

    def effect(self, expected: type[E]) -> E:
        """The rule's effect as the model of the kind the caller works on (``rule.effect(PenaltyEffect)``); a rule
        of another kind here is a bug in the caller, said as such."""
        then = self.model.then
        # the exact type first: isinstance against a pydantic model goes through its metaclass
        if type(then) is not expected and not isinstance(then, expected):
            raise OdeDeltaError(f"internal error: rule {self.id!r} is a {self.kind} rule, its effect is not a "
                                f"{expected.__name__}")
        return then

    @property
    def priority(self) -> int:
        return self.model.priority

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def rule_file_too_large(size: int, limits: Limits) -> str:
    return (f"rule file of {size:,} bytes is larger than the limit of {limits.max_rule_file_bytes:,} "
            f"(max_rule_file_bytes, about {limits.max_rule_file_bytes // 230:,} rules): split it into several files, "
            "or raise the limit (odedelta.Limits)")


def check_rule_documents(documents: Sequence[tuple[str, str]], catalog: Catalog,
                         limits: Limits = DEFAULT) -> tuple[list[Rule], list[Problem]]:
    """Parse, check and compile rule files given as ``(name, text)``; every problem of every file. A file that
    cannot be read is always at least one problem, never an empty file."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[str, bool]] = {}  # rule id → (where it was first written, with a period)
    total = 0
    for name, text in documents:
        size = len(text.encode("utf-8")) if len(text) * 4 > limits.max_rule_file_bytes else len(text)
        if size > limits.max_rule_file_bytes:
            problems.append(Problem(name, "$", rule_file_too_large(size, limits)))
            continue
        try:
            data = parse_text(text, name, yaml_syntax=True, limits=limits)
        except LoadError as exc:  # with the line and column
            problems.extend(exc.problems or [Problem(name, "$", str(exc))])
            continue
        located = _Locator(name, text)
        if data is None:
            continue
        listed = data.get("rules") if isinstance(data, dict) else None
        total += len(listed) if isinstance(listed, list) else 0
        if total > limits.max_rules:
            problems.append(Problem(name, "$", f"more than {limits.max_rules} rules in the rule set ({total} so "
                                    "far, this file included): the limit max_rules bounds the time and memory a "
                                    "check takes; split the rule set, or raise the limit (odedelta.Limits)"))
            break
        try:
            parsed = RuleFile.model_validate(data)
        except ValidationError as exc:
            problems.extend(located.pydantic(exc, data))
            parsed = RuleFile.model_validate({"rules": _valid_rules(data), "valid_for": _file_period(data)})
            problems.extend(_conditions_of_invalid_rules(data, located, catalog, limits))
        default = parsed.valid_for
        if default is not None and default.start and default.end and default.end <= default.start:
            key = "valid_for" if isinstance(data, dict) and "valid_for" in data else "validFor"
            problems.append(located.at((key,), f"{key} ends ({default.end.isoformat()}) before it starts "
                                               f"({default.start.isoformat()})"))
            default = None
        listed = data.get("rules") if isinstance(data, dict) else None
        for index, item in enumerate(listed if isinstance(listed, list) else []):
            rule_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(rule_id, str):
                continue
            dated = default is not None or "valid_for" in item or "validFor" in item
            if rule_id in seen and not (dated and seen[rule_id][1]):
                problems.append(located.at(("rules", index, "id"),
                                           f"duplicate rule id {rule_id!r} (first in {seen[rule_id][0]})",
                                           "versions of one rule each need a valid_for, and the periods must not "
                                           "overlap" if dated or seen[rule_id][1] else None))
            elif rule_id not in seen:
                seen[rule_id] = (f"{name}:{located.line_of(('rules', index, 'id'))}", dated)
        places = _places(data)
        for index, model in enumerate(parsed.rules):
            index = places[model.id].pop(0) if places.get(model.id) else index
            if model.valid_for is None and default is not None:
                model = model.model_copy(update={"valid_for": default})
            rule, found = _compile(model, name, index, located, catalog, limits)
            problems.extend(found)
            if rule is not None:
                rules.append(rule)
    rules, found = _versions(rules)
    problems.extend(found)
    problems.extend(_conflicts(rules))
    problems.extend(_attribute_types(rules))
    return rules, problems


def _versions(rules: list[Rule]) -> tuple[list[Rule], list[Problem]]:
    """Rules sharing an id are versions of one rule: each with a valid_for, of one kind, the periods not
    overlapping. Every clash names both versions; of clashing versions the first is kept."""
    problems: list[Problem] = []
    out: list[Rule] = []
    for rule in rules:
        kept = [r for r in out if r.id == rule.id]
        if kept and (rule.model.valid_for is None or any(r.model.valid_for is None for r in kept)):
            continue  # a duplicate id: reported where the ids were read
        clash = None
        for earlier in kept:
            a, b = earlier.model.valid_for, rule.model.valid_for
            assert a is not None and b is not None
            if earlier.kind != rule.kind:
                clash = (f"rule {rule.id!r} is a {rule.kind} rule here and a {earlier.kind} rule at {earlier.where}: "
                         "versions of one rule have one kind")
            elif a.overlaps(b):
                clash = (f"versions of rule {rule.id!r} overlap: {earlier.where} ({a.text}) and {rule.where} "
                         f"({b.text})")
            if clash:
                break
        if clash:
            problems.append(Problem(rule.file, "$", clash, rule.line,
                                    suggestion="end one version the day the next one starts (to is exclusive)"))
            continue
        out.append(rule)
    counts: dict[str, int] = {}
    for rule in out:
        counts[rule.id] = counts.get(rule.id, 0) + 1
    return [replace(r, versioned=True) if counts[r.id] > 1 else r for r in out], problems


def _attribute_types(rules: list[Rule]) -> list[Problem]:
    """A free attribute has one type across all rules (the type a caller's value is read as)."""
    first: dict[str, tuple[str, Rule]] = {}
    problems = []
    for rule in rules:
        for name, kind in rule.attribute_types.items():
            known = first.setdefault(name, (kind, rule))
            if known[0] != kind:
                problems.append(Problem(rule.file, "$", f"rule {rule.id!r} uses {name} as a {kind}, rule "
                                        f"{known[1].id!r} ({known[1].where}) as a {known[0]}: an attribute has one "
                                        "type", rule.line))
    return problems


def _file_period(data: Any) -> Period | None:
    """A file's valid_for when it is valid on its own (so one bad rule does not change what the others mean)."""
    raw = data.get("valid_for", data.get("validFor")) if isinstance(data, dict) else None
    try:
        return Period.model_validate(raw) if isinstance(raw, dict) else None
    except ValidationError:
        return None


def _valid_rules(data: Any) -> list[Any]:
    """The rules of a file that validate on their own, so one bad rule does not hide the others' problems."""
    out = []
    for item in data.get("rules", []) if isinstance(data, dict) and isinstance(data.get("rules"), list) else []:
        try:
            RuleFile.model_validate({"rules": [item]})
        except ValidationError:
            continue
        out.append(item)
    return out


def _conditions_of_invalid_rules(data: Any, located: _Locator, catalog: Catalog, limits: Limits) -> list[Problem]:
    """The condition of a rule whose other keys are wrong is still checked: every problem at once."""
    problems: list[Problem] = []
    listed = data.get("rules") if isinstance(data, dict) else None
    for index, item in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("when"), str):
            continue
        try:
            RuleFile.model_validate({"rules": [item]})
            continue  # a valid rule: compiled with the others
        except ValidationError:
            pass
        kind = item.get("kind")
        guess = kind if kind in KINDS else closest(str(kind), KINDS)
        # an unknown kind: its condition read as the kind it most likely means, else what every kind finds in it
        found = None
        for each in [guess] if guess is not None else list(KINDS):
            compiled = _compiler(each, catalog, limits).compile(item["when"])
            these = [(p.column, p.message, p.suggestion) for p in (
                compiled.all() if isinstance(compiled, ExprError) else compiled.problems)]
            found = these if found is None else [p for p in found if p in these]
        problems.extend(located.in_expression(("rules", index, "when"), column, message, suggestion)
                        for column, message, suggestion in found or [])
    return problems


def _places(data: Any) -> dict[str, list[int]]:
    """The positions in the file of each rule id, in order (invalid rules are skipped by the parse, so a parsed
    rule's index in the file is found by its id)."""
    places: dict[str, list[int]] = {}
    listed = data.get("rules") if isinstance(data, dict) else None
    for i, item in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            places.setdefault(item["id"], []).append(i)
    return places


def _compile(model: RuleModel, file: str, index: int, located: _Locator, catalog: Catalog,
             limits: Limits = DEFAULT) -> tuple[Rule | None, list[Problem]]:
    problems: list[Problem] = []
    where = ("rules", index)
    compiled: Compiled | None = None
    if model.when is not None:
        outcome = _compiler(model.kind, catalog, limits).compile(model.when)
        if isinstance(outcome, ExprError):
            problems.extend(located.in_expression((*where, "when"), p.column, p.message, p.suggestion)
                            for p in outcome.all())
        else:
            compiled = outcome
            problems.extend(located.in_expression((*where, "when"), p.column, p.message, p.suggestion)
                            for p in compiled.problems)
    period = model.valid_for
    if period and period.start and period.end and period.end <= period.start:
        key = "validFor" if located.line_of((*where, "validFor")) != located.line_of(where) else "valid_for"
        problems.append(located.at((*where, key), f"{key} ends ({period.end.isoformat()}) before it "
                                                  f"starts ({period.start.isoformat()})"))
    problems.extend(_check_effect(model, located, where, catalog))
    if problems:
        return None, problems
    condition = compiled.condition if compiled else ALWAYS
    facts = compiled.facts if compiled else frozenset()
    bounds = []
    if period and period.start:
        bounds.append({"$gte": {"as_of": date_number(period.start.date().isoformat())}})
    if period and period.end:
        bounds.append({"$lt": {"as_of": date_number(period.end.date().isoformat())}})
    if bounds:
        condition = {"$and": [condition, *bounds]}
        facts = facts | {"as_of"}
    line = located.line_of((*where, "id"))
    return Rule(model, file, line, condition, facts, compiled.attribute_types if compiled else {}), []


# which catalog table the constants compared with a fact must come from
_ID_FACTS = {
    "installed.offering": "offerings", "target.offering": "offerings", "projected.offerings": "offerings",
    "item.offering": "offerings",
    "installed.specification": "specifications", "target.specification": "specifications",
    "installed.categories": "categories", "target.categories": "categories",
    "promotion.lost": "promotions", "promotion.gained": "promotions", "promotion.id": "promotions",
}
_ID_WORDS = {"offerings": "offering", "specifications": "specification", "categories": "category",
             "promotions": "promotion"}


def _compiler(kind: str, catalog: Catalog, limits: Limits) -> Compiler:
    """The condition compiler for a rule of ``kind``: closed sets, the catalog's ids, the facts the kind sees."""
    known = {fact: (_ID_WORDS[table], getattr(catalog, table)) for fact, table in _ID_FACTS.items()}

    def unseen(fact: str) -> str | None:
        if visible(kind, fact):
            return None
        section = fact.split(".", 1)[0]
        if fact in KIND_ONLY and section in KIND_SECTIONS.get(kind, ()):
            return (f"{kind} rules never see {fact} (only {', '.join(KIND_ONLY[fact])} rules do): this rule could "
                    "never fire")
        others = ", ".join(kinds_seeing(fact)) or "no kind"
        return (f"{kind} rules never see {section}.* facts ({fact} is there for {others} rules): this rule could "
                "never fire")

    return Compiler(FACT_TYPES, OPEN_PREFIXES, limits, values=FACT_VALUES, known=known, unseen=unseen)


# which parameters each penalty formula reads (minimum and maximum bound every formula but waived)
FORMULA_PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("amount", "minimum", "maximum"),
    "remaining_months": ("amount", "factor", "minimum", "maximum"),  # amount per month, or factor of the price
    "remaining_value_share": ("share", "minimum", "maximum"),
    "discount_repayment": ("share", "minimum", "maximum"),
    "waived": (),
}
"""The parameters each penalty formula reads (besides name and formula); any other is refused when rules load."""


def _check_effect(model: RuleModel, located: _Locator, where: tuple[str | int, ...], catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []

    def known(value: str | None, table: str, *parts: str | int) -> None:
        if value is not None and value not in getattr(catalog, table):
            label = "offering" if table == "offerings" else "specification"
            guess = closest(value, getattr(catalog, table))
            problems.append(located.at((*where, "then", *parts), f"unknown {label} {value!r}: no such id in the "
                                       "catalog", f"did you mean {guess!r}?" if guess else None))

    if isinstance(model, MigrationRule):
        for side in ("from", "to"):
            endpoint: Endpoint = model.then.from_ if side == "from" else model.then.to
            if (endpoint.offering is None) == (endpoint.specification is None):
                problems.append(located.at((*where, "then", side), f"{side}: name an offering or a specification "
                                                                   "(exactly one)"))
            known(endpoint.offering, "offerings", side, "offering")
            known(endpoint.specification, "specifications", side, "specification")
    elif isinstance(model, DiscountRule):
        known(model.then.applies_to, "offerings", "applies_to")
    elif isinstance(model, RenewalRule):
        if model.then.discount is not None and model.then.discount.applies_to != "successor":
            known(model.then.discount.applies_to, "offerings", "discount", "applies_to")
        known(model.then.successor, "offerings", "successor")
    elif isinstance(model, RecommendationRule):
        known(model.then.offering, "offerings", "offering")
    elif isinstance(model, PenaltyRule):
        formula = model.then.formula
        if formula == "fixed" and model.then.amount is None:
            problems.append(located.at((*where, "then"), "a fixed penalty needs an amount",
                                       "add amount: 50.00 (a plain number in the catalog's currency)"))
        used = FORMULA_PARAMETERS[formula]
        for name in sorted(model.then.model_fields_set - {"name", "formula"} - set(used),
                           key=list(PenaltyEffect.model_fields).index):
            readers = [f for f, params in FORMULA_PARAMETERS.items() if name in params]
            problems.append(located.at(
                (*where, "then", name),
                f"formula {formula!r} does not use {name}" + (f" (it reads {', '.join(used)})" if used else
                                                               " (it reads no parameter)"),
                f"remove {name}, or use a formula that reads it: {', '.join(readers)}"))
        if formula == "remaining_months" and {"amount", "factor"} <= model.then.model_fields_set:
            problems.append(located.at((*where, "then", "factor"), "remaining_months takes an amount per month or a "
                                       "factor of the monthly price, not both", "keep one of amount and factor"))
        if (model.then.minimum is not None and model.then.maximum is not None
                and model.then.minimum > model.then.maximum):
            problems.append(located.at((*where, "then", "minimum"), f"minimum {model.then.minimum} is above maximum "
                                       f"{model.then.maximum}", "swap them, or remove one"))
    elif isinstance(model, CompatibilityRule):
        known(model.then.offering, "offerings", "offering")
        for key in ("requires", "excludes"):
            for i, value in enumerate(getattr(model.then, key)):
                known(value, "offerings", key, i)
        if not model.then.requires and not model.then.excludes:
            problems.append(located.at((*where, "then"), "a compatibility rule needs requires or excludes"))
    return problems


def _candidate_pairs(group: list[Rule]) -> list[tuple[int, int]]:
    """The pairs of a group that may both match, in file order: rules requiring different values of one fact
    (``target.offering == 'a'`` / ``== 'b'``, the usual table) are never paired, so a table of thousands of rows
    is not compared row by row."""
    equal = [_equalities(rule.condition) for rule in group]
    counts: dict[str, int] = {}
    for found in equal:
        for fact in found:
            counts[fact] = counts.get(fact, 0) + 1
    if not counts:
        return [(i, j) for i in range(len(group)) for j in range(i + 1, len(group))]
    fact = max(sorted(counts), key=counts.__getitem__)
    buckets: dict[Any, list[int]] = {}
    wild: list[int] = []
    for i, found in enumerate(equal):
        (buckets.setdefault(repr(found[fact]), []) if fact in found else wild).append(i)
    pairs = {(i, j) for bucket in buckets.values() for n, i in enumerate(bucket) for j in bucket[n + 1:]}
    pairs |= {(min(i, j), max(i, j)) for i in wild for j in range(len(group)) if i != j}
    return sorted(pairs)


def _equalities(cond: dict[str, Any]) -> dict[str, Any]:
    """The facts a compiled condition requires to equal a constant (at its top level)."""
    out = {k: v for k, v in cond.items() if not k.startswith("$") and not isinstance(v, dict)}
    for part in cond.get("$and", []):
        out.update(_equalities(part))
    return out


def effect_key(rule: Rule) -> Any:
    """What two rules of one kind disagree on: an eligibility rule's decision, any other rule's whole effect."""
    then = rule.then
    return then.decision if isinstance(then, EligibilityEffect) else then.model_dump_json()


def allows_overlap(rule: Rule) -> bool:
    return rule.model.analysis is not None and rule.model.analysis.allow_overlap


def allows_gap(rule: Rule) -> bool:
    return rule.model.analysis is not None and rule.model.analysis.allow_gap


def _conflicts(rules: list[Rule]) -> list[Problem]:
    """Two rules of one kind with equal priority, different effects, and facts on which both match (a first-match
    kind, or an eligibility allow and deny): the winner would be file order, or the deny. Decided over the facts'
    domains (:mod:`odedelta.rules.solver`): rules that cannot both match (``tenure_months < 12`` and
    ``tenure_months >= 36``) are not reported; a pair with arithmetic between facts the solver cannot decide is
    left to ``check --analyze`` (an ``undecided`` note). ``analysis: {allow_overlap: true}`` on either rule marks
    the overlap intended."""
    attribute_types: dict[str, str] = {}
    for rule in rules:
        attribute_types.update(rule.attribute_types)
    solver = Solver(attribute_types)
    problems = []
    by_key: dict[tuple[str, int], list[Rule]] = {}
    for rule in rules:
        if rule.model.MODE != "all":
            by_key.setdefault((rule.kind, rule.priority), []).append(rule)
    said: set[tuple[str, str]] = set()
    for (_kind, priority), group in by_key.items():
        keys = [effect_key(rule) for rule in group]
        if len(set(keys)) < 2:
            continue
        formulas = [formula(rule.condition) for rule in group]
        for i, j in _candidate_pairs(group):
            a, b = group[i], group[j]
            if a.id == b.id or (a.id, b.id) in said:
                continue  # versions of one rule: _versions checks their periods; a pair is said once
            if keys[i] == keys[j] or allows_overlap(a) or allows_overlap(b):
                continue
            both = solver.satisfy(conj(formulas[i], formulas[j]), [(a.condition, True), (b.condition, True)])
            if both.verdict != "yes" or both.witness is None:
                continue
            said.add((a.id, b.id))
            example = as_condition(both.witness, attribute_types)
            problems.append(Problem(a.file, "$", f"rules {a.id!r} and {b.id!r} ({b.where}) have the same "
                                    f"priority {priority} and can both match with different effects (e.g. "
                                    f"{example}): give one a higher priority, or mark the overlap intended "
                                    "(analysis: {allow_overlap: true})", a.line))
    return problems


# ----------------------------------------------------------------------------------------- positions


class _Locator:
    """Lines and columns of YAML nodes, found when a problem is reported."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self._root: yaml.Node | None = None

    def _node(self, parts: Sequence[str | int]) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(the key node, the value node) at a path; the nearest existing parent when the path is absent."""
        if self._root is None:
            try:
                self._root = yaml.compose(self.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError:
                return None, None
        key: yaml.Node | None = None
        node = self._root
        for part in parts:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part),
                             None)
                if match is None:
                    break
                key, node = match
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                key, node = None, node.value[part]
            else:
                break
        return key, node

    def line_of(self, parts: Sequence[str | int]) -> int | None:
        key, node = self._node(parts)
        target = key or node
        return target.start_mark.line + 1 if target is not None else None

    def at(self, parts: Sequence[str | int], message: str, suggestion: str | None = None) -> Problem:
        key, node = self._node(parts)
        target = key or node
        if target is None:
            return replace(Problem.at(self.file, parts, message), suggestion=suggestion)
        mark = target.start_mark
        return Problem(self.file, Problem.at(self.file, parts, "").path, message, mark.line + 1, mark.column + 1,
                       tuple(parts), suggestion)

    def in_expression(self, parts: Sequence[str | int], column: int, message: str,
                      suggestion: str | None = None) -> Problem:
        """A problem at ``column`` of the condition string at ``parts`` (quotes and indentation counted)."""
        _, node = self._node(parts)
        if not isinstance(node, yaml.ScalarNode):
            return self.at(parts, message, suggestion)
        mark = node.start_mark
        quote = 1 if node.style in ("'", '"') else 0
        lead = len(node.value) - len(node.value.lstrip())
        return Problem(self.file, Problem.at(self.file, parts, "").path, message, mark.line + 1,
                       mark.column + 1 + quote + lead + column, tuple(parts), suggestion)

    def pydantic(self, exc: ValidationError, data: Any, prefix: Sequence[str | int] = ()) -> list[Problem]:
        problems = []
        for error in exc.errors():
            loc = [*prefix, *(p for p in error["loc"] if isinstance(p, (str, int)))]
            loc = _strip_tags(loc, data)
            if error["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}" + did_you_mean(str(loc[-1]), _allowed_keys(loc, data))
            elif error["type"] == "missing":
                message = f"missing key {loc[-1]!r}"
            elif error["type"] == "union_tag_invalid":
                found = error.get("ctx", {}).get("tag")
                message = f"unknown kind {found!r}{did_you_mean(str(found), KINDS)} (kinds: {', '.join(KINDS)})"
                problems.append(self.at([*loc, "kind"], message))
                problems.extend(self._common_keys(loc, data))
                continue
            else:
                message, suggestion = plain_words(error, loc)
                problems.append(self.at(loc, message, suggestion))
                continue
            problems.append(self.at(loc, message))
        return problems


    def _common_keys(self, loc: Sequence[str | int], data: Any) -> list[Problem]:
        """What can be checked of a rule whose kind is unknown: the keys no kind has, and the keys every kind
        has (id, description, priority, valid_for, when's type, analysis); its then depends on the kind."""
        rule = _at_path(data, loc)
        if not isinstance(rule, dict):
            return []
        problems = [self.at([*loc, key], f"unknown key {key!r}" + did_you_mean(str(key), RULE_KEYS))
                    for key in rule if key not in RULE_KEYS]
        try:
            _Rule.model_validate({k: v for k, v in rule.items() if k in COMMON_KEYS})
        except ValidationError as exc:
            problems.extend(self.pydantic(exc, data, loc))
        return problems


def _at_path(data: Any, loc: Sequence[str | int]) -> Any:
    for part in loc:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _strip_tags(loc: list[str | int], data: Any) -> list[str | int]:
    """Pydantic puts the union tag (the kind) into error locations; the file has no such key."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, Mapping) and isinstance(part, str) and part not in node and part in KINDS:
            continue
        out.append(part)
        node = node.get(part) if isinstance(node, Mapping) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
    return out


def _allowed_keys(loc: Sequence[str | int], data: Any) -> list[str]:
    if len(loc) >= 3 and loc[0] == "rules" and isinstance(loc[1], int):
        rule = data["rules"][loc[1]] if isinstance(data, dict) else {}
        model = KINDS.get(rule.get("kind", "")) if isinstance(rule, dict) else None
        if model is not None:
            if len(loc) == 3:
                return [f.alias or n for n, f in model.model_fields.items()]
            if loc[2] == "then":
                effect = model.model_fields["then"].annotation
                if isinstance(effect, type) and issubclass(effect, BaseModel):
                    return [f.alias or n for n, f in effect.model_fields.items()]
    return ["rules"]
