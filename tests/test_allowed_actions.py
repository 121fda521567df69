"""TMF620 v5 ``allowedAction`` and ``policy`` on offerings, honoured when a change is evaluated; v4 catalogs (no
such fields) are unaffected."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import odedelta
from odedelta.adapters.cli import main
from odedelta.model.tmf import ProductOffering

from .conftest import DEMO, EXAMPLES, ROOT

EXAMPLE = EXAMPLES / "TMF620" / "v5" / "ProductOfferingCreateEvent_request.json"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
ASSISTED = {"id": "4407", "name": "Assisted Channel", "@referredType": "SalesChannel", "@type": "ChannelRef"}
ONLINE = {"id": "4406", "name": "Online Channel", "@referredType": "SalesChannel", "@type": "ChannelRef"}


def _catalog(tmp_path: Path, **fields: dict[str, Any]) -> Path:
    """The demo catalog with v5 fields added to some offerings (offering id → fields)."""
    target = tmp_path / "catalog"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("scenarios"))
    offerings = json.loads((target / "productOffering.json").read_text())
    for offering in offerings:
        offering.update(fields.get(offering["id"], {}))
    (target / "productOffering.json").write_text(json.dumps(offerings))
    return target


FIBER_500 = {"allowedAction": [
    {"action": "add", "@type": "AllowedProductAction"},
    {"action": "modify", "channel": [ASSISTED], "@type": "AllowedProductAction"},
    {"action": "remove", "validFor": {"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2026-01-01T00:00:00Z"},
     "@type": "AllowedProductAction"},
]}


def _evaluate(folder: Path, request: odedelta.Request, as_of: datetime = AS_OF,
              **context: Any) -> odedelta.ChangeResult | odedelta.Refusal:
    catalog = odedelta.load_catalog(folder)
    alice = odedelta.load_inventory(DEMO / "inventories" / "alice.json", catalog)
    return odedelta.Engine(catalog).evaluate(alice, request, as_of=as_of, context=odedelta.Context(**context))


def test_an_action_outside_its_channels_is_refused_with_its_reason(tmp_path: Path) -> None:
    folder = _catalog(tmp_path, **{"po-fiber-500": FIBER_500})
    downgrade = odedelta.ChangeOffer(product="F-1", to="po-fiber-300")
    refused = _evaluate(folder, downgrade, channel="Online Channel")
    assert isinstance(refused, odedelta.Refusal) and refused.verdict is not None
    assert [(r.rule_id, r.kind, r.reason, r.message) for r in refused.verdict.reasons] == [
        ("catalog:po-fiber-500", "allowed_action", "action_not_allowed_in_channel",
         "F-1: Fiber 500 (po-fiber-500) allows modify only in Assisted Channel (4407), not in channel "
         "'Online Channel'")]
    assert refused.message == ("not eligible: the change: F-1: Fiber 500 (po-fiber-500) allows modify only in "
                               "Assisted Channel (4407), not in channel 'Online Channel' "
                               "[action_not_allowed_in_channel, catalog:po-fiber-500]")
    # by id or by name, the assisted channel may; a request naming no channel is not judged by channel
    for channel in ("4407", "Assisted Channel", None):
        assert isinstance(_evaluate(folder, downgrade, channel=channel), odedelta.ChangeResult), channel


def test_an_action_outside_its_dates_or_not_listed_is_refused(tmp_path: Path) -> None:
    folder = _catalog(tmp_path, **{"po-fiber-500": FIBER_500,
                                   "po-mobile-m": {"allowedAction": [{"action": "add"}]}})
    terminate = odedelta.TerminateProduct(product="F-1")
    refused = _evaluate(folder, terminate)
    assert isinstance(refused, odedelta.Refusal) and refused.verdict is not None
    assert [(r.reason, r.message) for r in refused.verdict.reasons] == [(
        "action_not_allowed_at_date",
        "F-1: Fiber 500 (po-fiber-500) allows delete only from 2024-01-01 until 2026-01-01, not on 2026-03-01")]
    assert isinstance(_evaluate(folder, terminate, datetime(2025, 12, 31, tzinfo=UTC)), odedelta.ChangeResult)
    refused = _evaluate(folder, odedelta.ChangeOffer(product="A-1", to="po-mobile-s"))
    assert isinstance(refused, odedelta.Refusal) and refused.verdict is not None
    assert [(r.reason, r.message) for r in refused.verdict.reasons] == [
        ("action_not_allowed", "A-1: Mobile M (po-mobile-m) does not allow modify (its allowed actions: add)")]
    with pytest.raises(odedelta.NotEligible):
        catalog = odedelta.load_catalog(folder)
        odedelta.Engine(catalog).change(odedelta.load_inventory(DEMO / "inventories" / "alice.json", catalog),
                                        odedelta.ChangeOffer(product="A-1", to="po-mobile-s"), as_of=AS_OF)


def test_qualification_names_the_catalog_element_that_refuses(tmp_path: Path) -> None:
    folder = _catalog(tmp_path, **{"po-fiber-500": FIBER_500})
    catalog = odedelta.load_catalog(folder)
    alice = odedelta.load_inventory(DEMO / "inventories" / "alice.json", catalog)
    online = odedelta.Engine(catalog).qualify(alice, "F-1", as_of=AS_OF, context=odedelta.Context(channel="4406"))
    fiber_300 = next(c for c in online.candidates if c.offering_id == "po-fiber-300")
    assert not fiber_300.qualified
    assert [(r.code, r.source) for r in fiber_300.reasons] == [("action_not_allowed_in_channel",
                                                                "catalog:po-fiber-500")]
    assisted = odedelta.Engine(catalog).qualify(alice, "F-1", as_of=AS_OF, context=odedelta.Context(channel="4407"))
    assert next(c for c in assisted.candidates if c.offering_id == "po-fiber-300").qualified


def test_the_cli_takes_the_channel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _catalog(tmp_path, **{"po-fiber-500": FIBER_500})
    args = ["change", "--catalog", str(folder), "--inventory", str(DEMO / "inventories" / "alice.json"),
            "--product", "F-1", "--to", "po-fiber-300", "--as-of", "2026-03-01T00:00:00Z"]
    assert main([*args, "--channel", "4406", "--format", "json"]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["rules"] == [{"rule": "catalog:po-fiber-500", "kind": "allowed_action",
                               "reason": "action_not_allowed_in_channel",
                               "message": "F-1: Fiber 500 (po-fiber-500) allows modify only in Assisted Channel "
                                          "(4407), not in channel '4406'"}]
    assert main([*args, "--channel", "4407"]) == 0


def test_the_official_v5_example_reads_as_allowed_actions() -> None:
    document = json.loads(EXAMPLE.read_text())["event"]["productOffering"]
    offering = ProductOffering.model_validate(document)
    assert [(a.action, [c.id for c in a.channel], a.valid_for.end.date().isoformat() if a.valid_for and
             a.valid_for.end else None) for a in offering.allowed_action] == [
        ("add", ["4407", "4406"], "2021-08-25"), ("remove", ["4407"], "2023-08-25")]
    assert offering.to_tmf()["allowedAction"][1]["channel"][0]["name"] == "Assisted Channel"


def test_a_policy_naming_a_rule_binds_it_to_the_offerings_naming_it(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "policies.yaml").write_text("""rules:
  - id: credit-check-required
    kind: eligibility
    description: Offerings under the credit-check policy need a passed credit check.
    when: "not exists(customer.attributes.credit_check) or customer.attributes.credit_check != 'passed'"
    then: {decision: deny, reason: credit_check_required, message: "A credit check is required."}
""")
    folder = _catalog(tmp_path, **{"po-fiber-1000": {"policy": [{"id": "credit-check-required",
                                                                "@type": "PolicyRef"}]}})
    catalog = odedelta.load_catalog(folder)
    book = odedelta.load_rules(rules, catalog)
    engine = odedelta.Engine(catalog, book)
    alice = odedelta.load_inventory(DEMO / "inventories" / "alice.json", catalog)
    up = engine.evaluate(alice, odedelta.ChangeOffer(product="F-1", to="po-fiber-1000"), as_of=AS_OF)
    assert isinstance(up, odedelta.Refusal) and up.verdict is not None
    assert up.verdict.rule_ids == ["credit-check-required"]
    passed = odedelta.Context(attributes={"credit_check": "passed"})
    assert isinstance(engine.evaluate(alice, odedelta.ChangeOffer(product="F-1", to="po-fiber-1000"), as_of=AS_OF,
                                      context=passed), odedelta.ChangeResult)
    # an offering that does not name the policy is not bound by it
    down = engine.evaluate(alice, odedelta.ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    assert isinstance(down, odedelta.ChangeResult)
    explanation = odedelta.explain_change(engine, alice, odedelta.ChangeOffer(product="F-1", to="po-fiber-300"),
                                          as_of=AS_OF)
    assert explanation.rule("credit-check-required").why == (
        "target.offering == 'po-fiber-1000' was false: target.offering was 'po-fiber-300'")


def test_v4_catalogs_are_unaffected(demo: odedelta.Catalog) -> None:
    assert not any(o.allowed_action or o.policy for o in demo.offerings.values())
    assert (ROOT / "catalogs" / "demo" / "productOffering.json").read_text().count("allowedAction") == 0
