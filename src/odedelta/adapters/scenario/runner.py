"""Running scenario files: each scenario's inventory and question through the engine, the answer compared with what
the scenario expects (:mod:`~odedelta.adapters.scenario.comparisons`), and every order it produces validated against
the official TMF622 v4 and v5 schemas. Catalogs and rule books are loaded once per path."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from odedelta.adapters.files import load_catalog, load_inventory, load_rules
from odedelta.adapters.scenario.comparisons import (
    compare,
    compare_notices,
    compare_partner_orders,
    compare_qualification,
    compare_refusal,
    compare_rollup,
    compare_settlement,
    compare_sla,
    names,
)
from odedelta.adapters.scenario.format import Expect, PartnerEvent, Scenario, ScenarioFile
from odedelta.adapters.scenario.reader import read_scenario_file, scenario_files
from odedelta.adapters.scenario.results import Outcome, Run
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult, Refusal
from odedelta.flows.settlement import settlement_lines, settlement_rule_ids, sla_adjustment
from odedelta.model.catalog import Catalog
from odedelta.model.errors import OdeDeltaError
from odedelta.model.inventory import Inventory
from odedelta.model.limits import DEFAULT, Limits
from odedelta.outputs.partner_orders import customer_order, order_reference, partner_orders
from odedelta.outputs.rollup import roll_up
from odedelta.outputs.schemas import validation_errors
from odedelta.outputs.tmf622 import product_order
from odedelta.rules import Executor, Rulebook

ORDER_SCHEMAS = {4: "ProductOrder_Create", 5: "ProductOrder_FVO"}
"""The TMF622 schema every order a scenario produces is validated against, by API version."""


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
                catalog, rules = self._catalog_and_rules(path, spec, run)
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

    def _catalog_and_rules(self, path: Path, spec: ScenarioFile, run: Run) -> tuple[Catalog, Rulebook | None]:
        """The file's catalog and rule book (none without ``rules``), the rule book noted in ``run``."""
        catalog = self._catalog((path.parent / spec.catalog).resolve())
        if spec.rules is None:
            return catalog, None
        rules_path = Path(os.path.normpath(path.parent / spec.rules))
        rules = self._rulebook(catalog, (path.parent / spec.catalog).resolve(), rules_path)
        run.rulebooks.setdefault(str(rules_path), rules)
        return catalog, rules

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

    def _inventory(self, path: Path, catalog: Catalog, scenario: Scenario) -> Inventory:
        if isinstance(scenario.inventory, str):
            return load_inventory(path.parent / scenario.inventory, catalog, self.limits)
        return Inventory.from_document(catalog, scenario.inventory, f"{path}#{scenario.name}")

    def _run_one(self, path: Path, engine: Engine, catalog: Catalog, scenario: Scenario) -> Outcome:
        outcome = Outcome(str(path), scenario.name)
        expect = scenario.expect
        try:
            inventory = self._inventory(path, catalog, scenario)
            if scenario.request is None:
                _ask(engine, catalog, inventory, scenario, outcome)
                return outcome
            answer = engine.evaluate(inventory, scenario.parsed_request(), as_of=scenario.as_of,
                                     context=scenario.context)
        except (OdeDeltaError, ValidationError) as exc:
            outcome.failures.extend(_errored(expect, str(exc)))
            return outcome
        if isinstance(answer, Refusal):
            outcome.failures.extend(_refused(answer, expect, outcome))
            return outcome
        outcome.rules.update(answer.rule_ids)
        if expect.error or expect.eligible is False or expect.refusal:
            outcome.failures.append("expected the request to be refused, but it was answered")
            return outcome
        outcome.failures.extend(_answered(answer, engine, scenario, outcome))
        return outcome


def _ask(engine: Engine, catalog: Catalog, inventory: Inventory, scenario: Scenario, outcome: Outcome) -> None:
    """A scenario that asks something other than a change: qualification, term notices or an SLA credit."""
    expect = scenario.expect
    if scenario.qualify is not None:
        qualification = engine.qualify(inventory, scenario.qualify.product, as_of=scenario.as_of,
                                       context=scenario.context)
        outcome.rules.update(r.source.removeprefix("rule:") for c in qualification.candidates
                             for r in c.reasons if r.source.startswith("rule:"))
        outcome.failures.extend(compare_qualification(qualification, expect))
    elif scenario.term_notices:
        notices = engine.term_notices(inventory, as_of=scenario.as_of, context=scenario.context)
        outcome.rules.update(n.rule_id for n in notices if n.rule_id)
        outcome.failures.extend(compare_notices(notices, expect.notices or []))
    elif scenario.sla is not None:
        measure = scenario.sla
        adjustment = sla_adjustment(engine.rules, catalog, inventory, measure.product, measure.metric,
                                    measure.measured, scenario.as_of, scenario.context) \
            if engine.rules is not None else None
        outcome.rules.update([adjustment.rule_id] if adjustment is not None else [])
        outcome.failures.extend(compare_sla(adjustment, expect.sla))


def _errored(expect: Expect, message: str) -> list[str]:
    """Bad input, or a change the catalog's structure does not allow: what is wrong with that for ``expect``."""
    if not expect.error:
        return [f"refused: {message.splitlines()[0]}"]
    if expect.eligible is False or expect.refusal:
        return [f"expected a refusal by the rules, got: {message.splitlines()[0]}"]
    return []


def _refused(refusal: Refusal, expect: Expect, outcome: Outcome) -> list[str]:
    """A refusal: by the catalog's structure (no verdict, an error as for bad input), or by the rules."""
    if refusal.verdict is None:
        return _errored(expect, refusal.message)
    outcome.rules.update(refusal.verdict.rule_ids)
    failures = []
    if expect.eligible is not False and not expect.error and not expect.refusal:
        failures.append(f"refused: {refusal.message.splitlines()[0]}")
    return failures + compare_refusal(refusal, expect.refusal)


def _answered(result: ChangeResult, engine: Engine, scenario: Scenario, outcome: Outcome) -> list[str]:
    """Every difference of an answered change from ``scenario.expect``, its orders checked against the schemas."""
    expect = scenario.expect
    failures = compare(result, expect)
    partners: dict[int, list[dict[str, Any]]] = {}
    for version, schema in ORDER_SCHEMAS.items():
        errors = validation_errors(product_order(result, version), "TMF622", version, schema)
        failures.extend(f"TMF622 v{version} order invalid: {e}" for e in errors[:5])
        partners[version] = partner_orders(result, version)
        for order in partners[version]:
            errors = validation_errors(order, "TMF622", version, schema)
            failures.extend(f"TMF622 v{version} partner order invalid: {e}" for e in errors[:5])
    lines = settlement_lines(result, engine.rules)
    outcome.rules.update(settlement_rule_ids(lines))
    failures.extend(compare_partner_orders(result, expect.partner_orders))
    failures.extend(compare_settlement(result, lines, expect.settlement, expect.only_listed_settlement))
    if scenario.partner_events or expect.rollup is not None:
        events = partner_events(result, scenario.partner_events, failures)
        rolled = roll_up(customer_order(result, 4), partners[4], events, own_state=scenario.own_state)
        failures.extend(compare_rollup(result, rolled, expect.rollup))
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
            item = next((i for i in result.items if names(i, key)), None)
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
