"""Scenario files: how product managers test catalogs (and rules) without writing Python.

The file format is a public contract (README, "Scenario files"). This module reads the files (an adapter), runs
each scenario through the engine and compares the result with what the scenario expects, reporting every
difference. Every order a scenario produces is also validated against the official TMF622 v4 and v5 schemas.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from odedelta.model.source import parse_text, read_text, with_lines
from odedelta.model.catalog import Catalog, value_key
from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult, NotEligible
from odedelta.model.errors import LoadError, OdeDeltaError, Problem
from odedelta.model.inventory import Inventory
from odedelta.model.limits import DEFAULT, Limits
from odedelta.adapters.files import load_catalog, load_inventory
from odedelta.model.requests import REQUEST_TYPES, Context, Request
from odedelta.rules import Executor, Rulebook
from odedelta.adapters.files import load_rules
from odedelta.outputs.schemas import validation_errors
from odedelta.outputs.tmf622 import product_order

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

    _amounts = field_validator("before", "after", mode="before")(_amount_text)  # type: ignore[arg-type]


class ExpectedPromotions(_Strict):
    lost: list[str] = Field(default_factory=list)
    gained: list[str] = Field(default_factory=list)
    kept: list[str] = Field(default_factory=list)


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

    _amounts = field_validator("one_time_total", "penalty_total", mode="before")(_amount_text)  # type: ignore[arg-type]


class Scenario(_Strict):
    name: str
    as_of: datetime
    inventory: str | list[dict[str, Any]] = Field(default_factory=list)
    context: Context = Field(default_factory=Context)
    request: dict[str, dict[str, Any]]
    expect: Expect = Field(default_factory=Expect)

    @model_validator(mode="after")
    def _one_request(self) -> Scenario:
        if len(self.request) != 1:
            raise ValueError(f"request holds exactly one of {', '.join(REQUEST_TYPES)}; found {len(self.request)}")
        (kind,) = self.request
        if kind not in REQUEST_TYPES:
            raise ValueError(f"unknown request {kind!r}; expected one of {', '.join(REQUEST_TYPES)}")
        return self

    def parsed_request(self) -> Request:
        ((kind, body),) = self.request.items()
        return REQUEST_TYPES[kind].model_validate(body)  # type: ignore[return-value]


class ScenarioFile(_Strict):
    catalog: str
    rules: str | None = None
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

    @property
    def passed(self) -> bool:
        return not self.failures


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
            yield f"{'PASS' if outcome.passed else 'FAIL'}  {outcome.file} :: {outcome.name}"
            for failure in outcome.failures:
                yield f"      {failure}"
        for book_path, book in self.rulebooks.items():
            missing = [line for line in self.unexercised() if line.startswith(tuple(r.file for r in book.rules))]
            covered = len(book.rules) - len(missing)
            yield f"rule coverage ({book_path}, {book.executor_name}): {covered} of {len(book.rules)} rules exercised"
            for line in missing:
                yield f"      not exercised: {line}"
        yield f"{self.passed} passed, {self.failed} failed"


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
        problems = [Problem.at(name, [p for p in e["loc"] if isinstance(p, (str, int))], e["msg"])
                    for e in exc.errors()]
        raise LoadError(f"{name}: not a valid scenario file", with_lines(problems, {name: text})) from None


class Runner:
    """Runs scenario files; catalogs and inventories are loaded once per path."""

    def __init__(self, executor: Callable[[], Executor] | None = None, limits: Limits = DEFAULT) -> None:
        self._executor = executor
        self.limits = limits
        self._catalogs: dict[Path, Catalog] = {}
        self._rulebooks: dict[tuple[Path, Path], Rulebook] = {}

    def run(self, paths: Iterable[str | Path]) -> Run:
        run = Run()
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
                run.outcomes.append(Outcome(str(path), "(file)", str(exc).splitlines()))
                continue
            engine = Engine(catalog, rules)
            for scenario in spec.scenarios:
                run.outcomes.append(self._run_one(path, engine, catalog, scenario))
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
        try:
            if isinstance(scenario.inventory, str):
                inventory = load_inventory(path.parent / scenario.inventory, catalog, self.limits)
            else:
                inventory = Inventory.from_document(catalog, scenario.inventory, f"{path}#{scenario.name}")
            request = scenario.parsed_request()
            result = engine.change(inventory, request, as_of=scenario.as_of, context=scenario.context)
        except NotEligible as refusal:
            outcome.rules.update(refusal.verdict.rule_ids)
            if scenario.expect.eligible is not False and not scenario.expect.error:
                outcome.failures.append(f"refused: {str(refusal).splitlines()[0]}")
            return outcome
        except (OdeDeltaError, ValidationError) as exc:
            if not scenario.expect.error:
                outcome.failures.append(f"refused: {str(exc).splitlines()[0]}")
            elif scenario.expect.eligible is False:
                outcome.failures.append(f"expected a refusal by the eligibility rules, got: {str(exc).splitlines()[0]}")
            return outcome
        outcome.rules.update(result.rule_ids)
        if scenario.expect.error or scenario.expect.eligible is False:
            outcome.failures.append("expected the request to be refused, but it was answered")
            return outcome
        outcome.failures.extend(compare(result, scenario.expect))
        for version, schema in ORDER_SCHEMAS.items():
            errors = validation_errors(product_order(result, version), "TMF622", version, schema)
            outcome.failures.extend(f"TMF622 v{version} order invalid: {e}" for e in errors[:5])
        return outcome


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
    return failures


def _compare_money(result: ChangeResult, expect: Expect) -> list[str]:
    c = result.consequences
    failures: list[str] = []
    if c is None:
        return failures
    if expect.promotions is not None:
        for status in ("lost", "gained", "kept"):
            wanted, got = sorted(getattr(expect.promotions, status)), sorted(c.promotion_ids(status))
            if wanted != got:
                failures.append(f"promotions {status}: expected {wanted}, got {got}")
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


def _near(items: list[DeltaItem], expected: ExpectedItem) -> str:
    if expected.product is None:
        added = sorted({i.offering_id for i in items if i.action is Action.ADD})
        return f" (added: {', '.join(added) or 'nothing'})"
    return ""
