"""Scenario files: how product managers test catalogs (and rules) without writing Python.

The file format is a public contract (README, "Scenario files"). This module reads the files (an adapter), runs
each scenario through the engine and compares the result with what the scenario expects, reporting every
difference. Every order a scenario produces is also validated against the official TMF622 v4 and v5 schemas.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from odedelta.adapters.files import load_catalog, load_inventory, load_rules
from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.engine import Engine
from odedelta.flows.qualify import Qualification
from odedelta.flows.result import ChangeResult, Refusal, TermNotice
from odedelta.flows.settlement import (
    SettlementLine,
    SlaAdjustment,
    partner_items,
    settlement_lines,
    settlement_rule_ids,
    sla_adjustment,
)
from odedelta.model.catalog import Catalog, value_key
from odedelta.model.errors import LoadError, OdeDeltaError, Problem
from odedelta.model.inventory import Inventory
from odedelta.model.limits import DEFAULT, Limits
from odedelta.model.plain import plain_words
from odedelta.model.requests import REQUEST_TYPES, Context, Request
from odedelta.model.source import parse_text, read_text, with_lines
from odedelta.outputs.partner_orders import customer_order, order_reference, partner_orders
from odedelta.outputs.rollup import RollUp, roll_up
from odedelta.outputs.schemas import validation_errors
from odedelta.outputs.tmf622 import product_order
from odedelta.rules import Executor, Rulebook

ORDER_SCHEMAS = {4: "ProductOrder_Create", 5: "ProductOrder_FVO"}


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
        return REQUEST_TYPES[kind].model_validate(body)  # type: ignore[return-value]


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


@dataclass
class Outcome:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    """The rules that took part in this scenario's answer."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    def lines(self) -> Iterator[str]:
        yield f"{'PASS' if self.passed else 'FAIL'}  {self.file} :: {self.name}"
        for failure in self.failures:
            yield f"      {failure}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "passed": self.passed, "failures": list(self.failures),
                "rules": sorted(self.rules)}


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    rulebooks: dict[str, Rulebook] = field(default_factory=dict)

    def unexercised(self) -> list[str]:
        """``file:line id`` of every rule no scenario exercised, rulebook by rulebook."""
        used = set().union(*(o.rules for o in self.outcomes)) if self.outcomes else set()
        return [f"{rule.where} {rule.id}" for book in self.rulebooks.values() for rule in book.rules
                if rule.id not in used]

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.passed

    def lines(self) -> Iterator[str]:
        for outcome in self.outcomes:
            yield from outcome.lines()
        yield from self.summary_lines()

    def coverage(self) -> list[dict[str, Any]]:
        """Per rulebook: how many rules some scenario exercised, and where each of the others is."""
        out = []
        for book_path, book in self.rulebooks.items():
            missing = [line for line in self.unexercised() if line.startswith(tuple(r.file for r in book.rules))]
            ids = {r.id for r in book.rules}  # the versions of an effective-dated rule are one rule
            unused = {line.rsplit(" ", 1)[1] for line in missing}
            out.append({"rules": book_path, "executor": book.executor_name, "total": len(ids),
                        "exercised": len(ids) - len(unused), "not_exercised": missing})
        return out

    def summary_lines(self) -> Iterator[str]:
        """Rule coverage, then ``N passed, N failed``."""
        for book in self.coverage():
            yield (f"rule coverage ({book['rules']}, {book['executor']}): {book['exercised']} of {book['total']} "
                   "rules exercised")
            for line in book["not_exercised"]:
                yield f"      not exercised: {line}"
        yield f"{self.passed} passed, {self.failed} failed"

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failed": self.failed, "scenarios": [o.to_dict() for o in self.outcomes],
                "coverage": self.coverage()}

    def junit_xml(self) -> str:
        """The run as JUnit XML (the format pytest writes and CI servers read): one testsuite per scenario file,
        one testcase per scenario, a failure element with every difference; rule coverage in system-out."""
        root = ElementTree.Element("testsuites", name="odedelta scenarios", tests=str(len(self.outcomes)),
                                   failures=str(self.failed), errors="0",
                                   time=f"{sum(o.seconds for o in self.outcomes):.3f}")
        files: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            files.setdefault(outcome.file, []).append(outcome)
        for file, outcomes in files.items():
            suite = ElementTree.SubElement(root, "testsuite", name=file, tests=str(len(outcomes)),
                                           failures=str(sum(not o.passed for o in outcomes)), errors="0",
                                           skipped="0", time=f"{sum(o.seconds for o in outcomes):.3f}")
            for outcome in outcomes:
                case = ElementTree.SubElement(suite, "testcase", classname=file, name=outcome.name,
                                              time=f"{outcome.seconds:.3f}")
                if not outcome.passed:
                    failure = ElementTree.SubElement(case, "failure", message=outcome.failures[0], type="scenario")
                    failure.text = "\n".join(outcome.failures)
        out = ElementTree.SubElement(root, "system-out")
        out.text = "\n".join(self.summary_lines())
        ElementTree.indent(root)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """``*.yaml`` files: the paths given, and every one below a directory given, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise LoadError(f"{path}: no such scenario file or directory", [Problem(str(path), "$", "not found")])
    return files


def read_scenario_file(path: Path, limits: Limits = DEFAULT) -> ScenarioFile:
    name = str(path)
    text = read_text(path, name, limits)
    data = parse_text(text, name, yaml_syntax=True, limits=limits)
    try:
        return ScenarioFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [p for p in error["loc"] if isinstance(p, (str, int))]
            message, suggestion = plain_words(error, loc)
            problems.append(replace(Problem.at(name, loc, message), suggestion=suggestion))
        raise LoadError(f"{name}: not a valid scenario file", with_lines(problems, {name: text})) from None


def _errored(outcome: Outcome, expect: Expect, message: str) -> Outcome:
    """A scenario the engine answered with an error (bad input, or a refusal by the catalog's structure)."""
    if not expect.error:
        outcome.failures.append(f"refused: {message.splitlines()[0]}")
    elif expect.eligible is False or expect.refusal:
        outcome.failures.append(f"expected a refusal by the rules, got: {message.splitlines()[0]}")
    return outcome


class Runner:
    """Runs scenario files; catalogs and inventories are loaded once per path."""

    def __init__(self, executor: Callable[[], Executor] | None = None, limits: Limits = DEFAULT) -> None:
        self._executor = executor
        self.limits = limits
        self._catalogs: dict[Path, Catalog] = {}
        self._rulebooks: dict[tuple[Path, Path], Rulebook] = {}

    def run(self, paths: Iterable[str | Path], on_outcome: Callable[[Outcome], None] | None = None) -> Run:
        """Run every scenario of the files; ``on_outcome`` is called with each result as soon as it is known."""
        run = Run()

        def done(outcome: Outcome) -> None:
            run.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)

        for path in scenario_files(paths):
            try:
                spec = read_scenario_file(path, self.limits)
                catalog = self._catalog((path.parent / spec.catalog).resolve())
                rules = None
                if spec.rules is not None:
                    rules_path = Path(os.path.normpath(path.parent / spec.rules))
                    rules = self._rulebook(catalog, (path.parent / spec.catalog).resolve(), rules_path)
                    run.rulebooks.setdefault(str(rules_path), rules)
            except OdeDeltaError as exc:
                done(Outcome(str(path), "(file)", str(exc).splitlines()))
                continue
            engine = Engine(catalog, rules)
            for scenario in spec.scenarios:
                started = time.perf_counter()  # an edge: the duration goes into the JUnit report
                outcome = self._run_one(path, engine, catalog, scenario)
                outcome.seconds = time.perf_counter() - started
                done(outcome)
        return run

    def _catalog(self, path: Path) -> Catalog:
        if path not in self._catalogs:
            self._catalogs[path] = load_catalog(path, self.limits)
        return self._catalogs[path]

    def _rulebook(self, catalog: Catalog, catalog_path: Path, rules_path: Path) -> Rulebook:
        key = (catalog_path, rules_path.resolve())
        if key not in self._rulebooks:
            self._rulebooks[key] = load_rules(rules_path, catalog, self._executor() if self._executor else None,
                                              self.limits)
        return self._rulebooks[key]

    def _run_one(self, path: Path, engine: Engine, catalog: Catalog, scenario: Scenario) -> Outcome:
        outcome = Outcome(str(path), scenario.name)
        expect = scenario.expect
        try:
            if isinstance(scenario.inventory, str):
                inventory = load_inventory(path.parent / scenario.inventory, catalog, self.limits)
            else:
                inventory = Inventory.from_document(catalog, scenario.inventory, f"{path}#{scenario.name}")
            if scenario.qualify is not None:
                qualification = engine.qualify(inventory, scenario.qualify.product, as_of=scenario.as_of,
                                               context=scenario.context)
                outcome.rules.update(r.source.removeprefix("rule:") for c in qualification.candidates
                                     for r in c.reasons if r.source.startswith("rule:"))
                outcome.failures.extend(compare_qualification(qualification, expect))
                return outcome
            if scenario.term_notices:
                notices = engine.term_notices(inventory, as_of=scenario.as_of, context=scenario.context)
                outcome.rules.update(n.rule_id for n in notices if n.rule_id)
                outcome.failures.extend(compare_notices(notices, expect.notices or []))
                return outcome
            if scenario.sla is not None:
                measure = scenario.sla
                adjustment = sla_adjustment(engine.rules, catalog, inventory, measure.product, measure.metric,
                                            measure.measured, scenario.as_of, scenario.context) \
                    if engine.rules is not None else None
                outcome.rules.update([adjustment.rule_id] if adjustment is not None else [])
                outcome.failures.extend(compare_sla(adjustment, expect.sla))
                return outcome
            request = scenario.parsed_request()
            answer = engine.evaluate(inventory, request, as_of=scenario.as_of, context=scenario.context)
        except (OdeDeltaError, ValidationError) as exc:
            return _errored(outcome, expect, str(exc))
        if isinstance(answer, Refusal) and answer.verdict is None:
            return _errored(outcome, expect, answer.message)  # refused by the catalog's structure: as an error
        if isinstance(answer, Refusal):
            assert answer.verdict is not None
            outcome.rules.update(answer.verdict.rule_ids)
            if expect.eligible is not False and not expect.error and not expect.refusal:
                outcome.failures.append(f"refused: {answer.message.splitlines()[0]}")
            outcome.failures.extend(compare_refusal(answer, expect.refusal))
            return outcome
        result = answer
        outcome.rules.update(result.rule_ids)
        if expect.error or expect.eligible is False or expect.refusal:
            outcome.failures.append("expected the request to be refused, but it was answered")
            return outcome
        outcome.failures.extend(compare(result, expect))
        partners: dict[int, list[dict[str, Any]]] = {}
        for version, schema in ORDER_SCHEMAS.items():
            errors = validation_errors(product_order(result, version), "TMF622", version, schema)
            outcome.failures.extend(f"TMF622 v{version} order invalid: {e}" for e in errors[:5])
            partners[version] = partner_orders(result, version)
            for order in partners[version]:
                errors = validation_errors(order, "TMF622", version, schema)
                outcome.failures.extend(f"TMF622 v{version} partner order invalid: {e}" for e in errors[:5])
        lines = settlement_lines(result, engine.rules)
        outcome.rules.update(settlement_rule_ids(lines))
        outcome.failures.extend(compare_partner_orders(result, expect.partner_orders))
        outcome.failures.extend(compare_settlement(result, lines, expect.settlement, expect.only_listed_settlement))
        if scenario.partner_events or expect.rollup is not None:
            events = partner_events(result, scenario.partner_events, outcome.failures)
            rolled = roll_up(customer_order(result, 4), partners[4], events, own_state=scenario.own_state)
            outcome.failures.extend(compare_rollup(result, rolled, expect.rollup))
        return outcome


def _names(item: DeltaItem, key: str) -> bool:
    """``key`` names the item: its installed product's id, or the offering of a product it adds."""
    return key == item.product_id if item.installed else key == item.offering_id


def _label(item: DeltaItem) -> str:
    return item.product_id if item.installed else f"added {item.offering_id}"


def compare_partner_orders(result: ChangeResult, expected: list[ExpectedPartnerOrder] | None) -> list[str]:
    if expected is None:
        return []
    failures = []
    got = partner_items(result)
    for want in expected:
        items = got.pop(want.supplier, None)
        if items is None:
            failures.append(f"partner orders: none to {want.supplier} (orders to: {', '.join(sorted(got)) or 'none'})")
            continue
        if want.items is None:
            continue
        unclaimed = list(items)
        for wanted in want.items:
            key = wanted.product or wanted.offering or ""
            match = next((pair for pair in unclaimed if _names(pair[0], key) or (
                wanted.offering is not None and pair[0].offering_id == wanted.offering)), None)
            if match is None:
                failures.append(f"partner order to {want.supplier}: no item for {key}")
                continue
            unclaimed.remove(match)
            if wanted.action is not None and match[1] != wanted.action:
                failures.append(f"partner order to {want.supplier}: item {key} expected action {wanted.action}, "
                                f"got {match[1]}")
        if unclaimed:
            failures.append(f"partner order to {want.supplier}: unexpected items " + ", ".join(
                f"{action} {_label(item)}" for item, action in unclaimed))
    if got:
        failures.append(f"unexpected partner orders to {', '.join(sorted(got))}")
    return failures


def compare_settlement(result: ChangeResult, lines: Sequence[SettlementLine],
                       expected: list[ExpectedSettlement] | None, only_listed: bool = False) -> list[str]:
    failures: list[str] = []
    if expected is None:
        return failures
    items = {item.id: item for item in result.items}
    unclaimed = list(lines)
    for want in expected:
        match = next((line for line in unclaimed if want.supplier in (None, line.supplier.id)
                      and want.kind in (None, line.kind) and want.amount in (None, line.amount.amount)
                      and (want.product is None or _names(items[line.item_id], want.product))
                      and (want.rule is None or line.source == f"rule:{want.rule}")), None)
        if match is None:
            wanted = " ".join(str(x) for x in (want.kind, want.amount, want.supplier, want.product, want.rule) if x)
            shown = "; ".join(f"{x.kind} {x.amount.amount} {x.supplier.id} {_label(items[x.item_id])} ({x.source})"
                              for x in lines) or "none"
            failures.append(f"settlement: expected a line {wanted}; got {shown}")
        else:
            unclaimed.remove(match)
    if only_listed and unclaimed:
        failures.append("settlement: unexpected lines " + "; ".join(
            f"{x.kind} {x.amount.amount} {x.supplier.id} {_label(items[x.item_id])} ({x.source})" for x in unclaimed))
    return failures


def partner_events(result: ChangeResult, events: list[PartnerEvent], failures: list[str]) -> list[dict[str, Any]]:
    """The TMF622 v4 ProductOrderStateChangeEvents the scenario's partner events stand for."""
    reference = order_reference(result)
    out = []
    for n, event in enumerate(events, 1):
        # the partner order's externalId (an event for a supplier with no order names the one it would have)
        order: dict[str, Any] = {"externalId": f"{reference}:{event.supplier}"}
        if event.state is not None:
            order["state"] = event.state
        listed = []
        for key, state in event.items.items():
            item = next((i for i in result.items if _names(i, key)), None)
            if item is None:
                failures.append(f"partner event {n}: no item for {key}")
                continue
            listed.append({"id": item.id, "state": state})
        if listed:
            order["productOrderItem"] = listed
        if event.message is not None:
            order["note"] = [{"text": event.message}]
        body: dict[str, Any] = {"eventId": event.event_id or f"scenario-event-{n}",
                                "eventType": "ProductOrderStateChangeEvent", "event": {"productOrder": order}}
        if event.time is not None:
            body["eventTime"] = event.time.isoformat().replace("+00:00", "Z")
        out.append(body)
    return out


def compare_rollup(result: ChangeResult, rolled: RollUp, expected: ExpectedRollUp | None) -> list[str]:
    if expected is None:
        return []
    failures = []
    if expected.state is not None and rolled.state != expected.state:
        failures.append(f"roll-up: expected the customer order {expected.state}, got {rolled.state} "
                        f"({' → '.join(rolled.history)})")
    states = {s.id: s.state for s in rolled.items}
    for key, wanted in expected.items.items():
        item = next((i for i in result.items if _names(i, key)), None)
        if item is None or item.id not in states:
            failures.append(f"roll-up: no item for {key}")
        elif states[item.id] != wanted:
            failures.append(f"roll-up: item {key} expected {wanted}, got {states[item.id]}")
    for text in expected.explanations:
        if not any(text in line for line in rolled.explanations):
            failures.append(f"roll-up: no explanation contains {text!r} (got {list(rolled.explanations)})")
    if expected.not_applied is not None and len(rolled.problems) != expected.not_applied:
        failures.append(f"roll-up: expected {expected.not_applied} events not applied, got {len(rolled.problems)}: "
                        f"{list(rolled.problems)}")
    return failures


def compare_sla(adjustment: SlaAdjustment | None, expected: ExpectedSla | None) -> list[str]:
    if expected is None:
        return []
    if adjustment is None:
        return ["sla: expected a credit, no sla_credit rule matched"] if expected.credited else []
    if not expected.credited:
        return [f"sla: expected no credit, got {adjustment.explanation}"]
    failures = []
    recharge = adjustment.supplier_penalty.amount if adjustment.supplier_penalty is not None else None
    for key, wanted, got in (("credit", expected.credit, adjustment.customer_credit.amount),
                             ("recharge", expected.recharge, recharge), ("rule", expected.rule, adjustment.rule_id)):
        if wanted is not None and wanted != got:
            failures.append(f"sla: expected {key} {wanted}, got {got}")
    return failures


def compare_refusal(refusal: Refusal, expected: list[ExpectedReason]) -> list[str]:
    got = [(r.reason, r.rule_id) for r in (refusal.verdict.reasons if refusal.verdict else [])]
    failures = []
    for want in expected:
        if not any(want.code in (None, code) and want.rule in (None, rule) for code, rule in got):
            failures.append(f"refusal: expected reason {want.code or '*'} by rule {want.rule or '*'}, got "
                            + (", ".join(f"{code} by rule {rule}" for code, rule in got) or "none"))
    return failures


def _lines_failures(label: str, expected: list[ExpectedLine],
                    got: Sequence[tuple[str, Decimal, str, str | None]]) -> list[str]:
    """``got``: (name, amount, source, product) of each line."""
    failures = []
    unclaimed = list(got)
    for want in expected:
        source = f"rule:{want.rule}" if want.rule else f"promotion:{want.promotion}" if want.promotion else None
        match = next((line for line in unclaimed if want.name in (None, line[0]) and (
            want.amount is None or line[1] == want.amount) and source in (None, line[2]) and want.product in (
            None, line[3])), None)
        if match is None:
            shown = ", ".join(f"{n!r} {a} ({s}{', ' + p if p else ''})" for n, a, s, p in got) or "none"
            wanted = " ".join(x for x in (repr(want.name) if want.name else None, str(want.amount) if want.amount
                              is not None else None, source, want.product) if x)
            failures.append(f"{label}: expected a line {wanted}; got {shown}")
        else:
            unclaimed.remove(match)
    return failures


def compare_lines(result: ChangeResult, expect: Expect) -> list[str]:
    c = result.consequences
    if c is None:
        return [f"{label}: the result has no money" for label in ("penalties", "fees", "discounts")
                if getattr(expect, label)]
    failures = []
    for label, kind in (("penalties", "penalty"), ("fees", "fee")):
        got = [(ch.name, ch.amount.rounded().amount, ch.source, ch.product_id) for ch in c.charges_of(kind)]
        failures += _lines_failures(label, getattr(expect, label), got)
    discounts = [(d.name, d.amount.rounded().amount, d.source, pid) for pid in c.after_ids
                 for d in c.after.products[pid].discounts]
    failures += _lines_failures("discounts", expect.discounts, discounts)
    for want in expect.recommendations:
        found = next((r for r in c.recommendations if r.offering_id == want.offering), None)
        if found is None:
            failures.append(f"recommendations: expected {want.offering}, got "
                            f"{[r.offering_id for r in c.recommendations] or 'none'}")
            continue
        for key, wanted, actual in (("rule", want.rule, found.rule_id), ("parent", want.parent, found.parent_id),
                                    ("price", want.price, found.price.amount if found.price else None)):
            if wanted is not None and wanted != actual:
                failures.append(f"recommendation {want.offering}: expected {key} {wanted}, got {actual}")
    return failures


def compare_terms(result: ChangeResult, expected: list[ExpectedTerm]) -> list[str]:
    failures = []
    for want in expected:
        item = next((i for i in result.items if i.product_id == want.product), None)
        terms = item.terms if item is not None else None
        period = terms[-1].valid_for if terms else None
        if period is None:
            failures.append(f"term of {want.product}: the change records no new term for it")
            continue
        got = (period.start.date() if period.start else None, period.end.date() if period.end else None)
        for key, wanted, value in (("start", want.start, got[0]), ("end", want.end, got[1])):
            if wanted is not None and wanted != value:
                failures.append(f"term of {want.product}: expected {key} {wanted}, got {value}")
    return failures


def compare_notices(notices: list[TermNotice], expected: list[ExpectedNotice]) -> list[str]:
    failures = []
    by_product = {n.product_id: n for n in notices}
    for want in expected:
        notice = by_product.pop(want.product, None)
        if notice is None:
            failures.append(f"notice for {want.product}: none")
            continue
        notify_by = (notice.ends - timedelta(days=notice.notice_days)).date()
        for key, wanted, got in (("ends", want.ends, notice.ends.date()), ("notify_by", want.notify_by, notify_by),
                                 ("at_end", want.at_end, notice.at_end), ("successor", want.successor,
                                                                          notice.successor),
                                 ("rule", want.rule, notice.rule_id)):
            if wanted is not None and wanted != got:
                failures.append(f"notice for {want.product}: expected {key} {wanted}, got {got}")
    if by_product:  # the notices are listed exhaustively: an empty list means none is due
        failures.append(f"unexpected notices: {', '.join(sorted(by_product))}")
    return failures


def compare_qualification(qualification: Qualification, expect: Expect) -> list[str]:
    failures = []
    candidates = {c.offering_id: c for c in qualification.candidates}
    for want in expect.qualification:
        found = candidates.pop(want.offering, None)
        if found is None:
            failures.append(f"qualification: {want.offering} is not a candidate")
            continue
        codes = [r.code for r in found.reasons]
        difference = found.difference.amount if found.difference is not None else None
        checks = (("qualified", want.qualified, found.qualified),
                  ("price_difference", want.price_difference, difference),
                  ("penalties", want.penalties, found.penalties.rounded().amount if found.penalties is not None
                   else None),
                  ("fees", want.fees, found.fees.rounded().amount if found.fees is not None else None))
        for key, wanted, got in checks:
            if wanted is not None and wanted != got:
                failures.append(f"qualification of {want.offering}: expected {key} {wanted}, got {got}")
        missing = [code for code in want.reasons if code not in codes]
        if missing:
            failures.append(f"qualification of {want.offering}: expected reasons {missing} among {codes}")
    if expect.only_listed_candidates and candidates:
        failures.append(f"unexpected candidates: {', '.join(sorted(candidates))}")
    return failures


def compare(result: ChangeResult, expect: Expect) -> list[str]:
    """Every way ``result`` differs from ``expect``."""
    failures: list[str] = []
    unclaimed = list(result.items)
    for expected in expect.items:
        item = _find(unclaimed, expected)
        label = expected.product or f"added {expected.offering}"
        if item is None:
            failures.append(f"item {label}: not in the result" + _near(result.items, expected))
            continue
        unclaimed.remove(item)
        if expected.action is not None and item.action.value != expected.action:
            failures.append(f"item {label}: expected action {expected.action}, got {item.action.value}")
        if expected.offering is not None and item.offering_id != expected.offering:
            failures.append(f"item {label}: expected offering {expected.offering}, got {item.offering_id}")
        missing = [code for code in expected.reasons if code not in item.codes]
        if missing:
            failures.append(f"item {label}: expected reasons {missing} among {item.codes}")
    if expect.only_listed_items and unclaimed:
        failures.append("unexpected items: " + ", ".join(f"{i.action.value} {i.product_id} ({i.offering_id})"
                                                          for i in unclaimed))
    for key, values in expect.characteristics.items():
        item = next((i for i in result.items if i.product_id == key or (not i.installed and i.offering_id == key)),
                    None)
        if item is None:
            failures.append(f"characteristics of {key}: no such item")
            continue
        for name, value in values.items():
            got = item.characteristics.get(name)
            if got is None or value_key(got) != value_key(value):
                failures.append(f"characteristics of {key}: expected {name}={value_key(value)}, got "
                                f"{'nothing' if got is None else value_key(got)}")
    failures.extend(_compare_money(result, expect))
    failures.extend(compare_lines(result, expect))
    failures.extend(compare_terms(result, expect.terms))
    return failures


def _compare_money(result: ChangeResult, expect: Expect) -> list[str]:
    c = result.consequences
    failures: list[str] = []
    if c is None:
        return failures
    if expect.promotions is not None:
        for status in ("lost", "gained", "kept"):
            wanted_ids, got_ids = sorted(getattr(expect.promotions, status)), sorted(c.promotion_ids(status))
            if wanted_ids != got_ids:
                failures.append(f"promotions {status}: expected {wanted_ids}, got {got_ids}")
    if expect.recurring is not None:
        if expect.recurring.currency != c.currency:
            failures.append(f"recurring currency: expected {expect.recurring.currency}, got {c.currency}")
        for side, got in (("before", c.recurring_before), ("after", c.recurring_after)):
            wanted = Decimal(getattr(expect.recurring, side))
            if got.amount != wanted:
                failures.append(f"recurring {side}: expected {wanted}, got {got.amount}")
    for key, got in (("one_time_total", c.one_time_total), ("penalty_total", c.penalty_total)):
        wanted_text = getattr(expect, key)
        if wanted_text is not None and got.amount != Decimal(wanted_text):
            failures.append(f"{key}: expected {Decimal(wanted_text)}, got {got.amount}")
    return failures


def _find(items: list[DeltaItem], expected: ExpectedItem) -> DeltaItem | None:
    for item in items:
        if expected.product is not None:
            if item.product_id == expected.product:
                return item
        elif item.action is Action.ADD and item.offering_id == expected.offering and (
            expected.action in (None, "add")
        ):
            return item
    return None


def _near(items: Sequence[DeltaItem], expected: ExpectedItem) -> str:
    if expected.product is None:
        added = sorted({i.offering_id for i in items if i.action is Action.ADD})
        return f" (added: {', '.join(added) or 'nothing'})"
    return ""
