"""TMF679 complete (issue 25): qualification for a prospect (offerings, or a category), the provide… flags, an
unknown offering as an unqualified item, the list with filters and fields, the v5 query resource; every answer
validates against the official schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

import odedelta
from odedelta.outputs.schemas import validation_errors
from odedelta.service import create_app

from .conftest import DEMO, ROOT

RULES = ROOT / "rules"
INVENTORIES = DEMO / "inventories"
NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)
AS_OF = "2026-03-01T00:00:00Z"
POQ = {4: "/tmf-api/productOfferingQualification/v4/productOfferingQualification",
       5: "/tmf-api/productOfferingQualification/v5/checkProductOfferingQualification"}
QUERY = "/tmf-api/productOfferingQualification/v5/queryProductOfferingQualification"
ITEMS = {4: "productOfferingQualificationItem", 5: "checkProductOfferingQualificationItem"}
SCHEMA = {4: "ProductOfferingQualification", 5: "CheckProductOfferingQualification"}
REASONS = {4: "eligibilityUnavailabilityReason", 5: "eligibilityResultReason"}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(DEMO, RULES, INVENTORIES, clock=lambda: NOW))


def _post(client: TestClient, version: int, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(POQ[version], params={"asOf": AS_OF}, json=body)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    assert validation_errors(document, "TMF679", version, SCHEMA[version]) == []
    return document


def _results(document: dict[str, Any], version: int) -> dict[str, str]:
    return {i["productOffering"]["id"]: i["qualificationItemResult"] for i in document[ITEMS[version]]}


def _engine() -> odedelta.Engine:
    catalog = odedelta.load_catalog(DEMO)
    return odedelta.Engine(catalog, odedelta.load_rules(RULES, catalog))


@pytest.mark.parametrize("version", [4, 5])
def test_a_prospect_qualifies_for_offerings_with_the_acquisition_price(client: TestClient, version: int) -> None:
    items = [{"id": "a", "productOffering": {"id": "po-fiber-300"}},
             {"id": "b", "productOffering": {"id": "po-no-such-offering"}}]
    response = client.post(POQ[version], params={"asOf": AS_OF}, json={ITEMS[version]: items})
    assert response.status_code == 201, response.text
    document = response.json()
    assert validation_errors(document, "TMF679", version, SCHEMA[version]) == []
    assert response.headers["Location"] == document["href"]
    assert document["href"] == f"http://testserver{POQ[version]}/{document['id']}"
    fiber, unknown = document[ITEMS[version]]
    assert (fiber["id"], fiber["action"], fiber["qualificationItemResult"]) == ("a", "add", "qualified")
    assert "product" not in fiber
    expected = _engine().change(odedelta.Inventory(), odedelta.Acquire(offering="po-fiber-300"),
                                as_of=datetime(2026, 3, 1, tzinfo=UTC))
    assert expected.consequences is not None
    monthly = expected.consequences.recurring_after.rounded()
    assert f"monthly price {monthly}" in [n["text"] for n in fiber["note"]]
    assert str(monthly) == "40.00 EUR"
    assert (unknown["id"], unknown["qualificationItemResult"]) == ("b", "unqualified")
    assert unknown[REASONS[version]][0]["code"] == "unknownOffering"
    assert "po-no-such-offering" in unknown[REASONS[version]][0]["label"]
    assert document["qualificationResult"] == "qualified"
    assert client.get(f"{POQ[version]}/{document['id']}").json() == document


@pytest.mark.parametrize("version", [4, 5])
def test_the_flags_decide_alternatives_reasons_and_unavailable_items(client: TestClient, version: int) -> None:
    retired = [{"productOffering": {"id": "po-fiber-200-legacy"}}]
    default = _post(client, version, {ITEMS[version]: retired})[ITEMS[version]][0]
    assert default["qualificationItemResult"] == "alternate"
    assert default["alternateProductOfferingProposal"][0]["alternateProductOffering"]["id"] == "po-fiber-300"
    assert default[REASONS[version]][0]["code"] == "not_sellable"
    reason_flag = "provideResultReason" if version == 5 else "provideUnavailabilityReason"
    bare = _post(client, version, {ITEMS[version]: retired, "provideAlternative": False, reason_flag: False})
    item = bare[ITEMS[version]][0]
    assert item["qualificationItemResult"] == "unqualified"
    assert "alternateProductOfferingProposal" not in item and REASONS[version] not in item
    assert (bare["provideAlternative"], bare[reason_flag]) == (False, False)
    only = _post(client, version, {ITEMS[version]: [*retired, {"productOffering": {"id": "po-fiber-500"}}],
                                   "provideOnlyAvailable": True})
    assert _results(only, version) == {"po-fiber-500": "qualified"}


def test_a_category_is_every_offering_sold_on_its_own_judged_by_the_rules(client: TestClient) -> None:
    document = _post(client, 4, {"category": {"id": "cat-fiber"}})
    assert _results(document, 4) == {"po-business-fiber-1000": "unqualified", "po-fiber-100": "qualified",
                                     "po-fiber-300": "qualified", "po-fiber-500": "qualified",
                                     "po-fiber-1000": "qualified"}  # no access, router: parts of bundles
    business = next(i for i in document[ITEMS[4]] if i["productOffering"]["id"] == "po-business-fiber-1000")
    assert business[REASONS[4]] == [{"code": "business_only",
                                     "label": "This offer is reserved for business customers."}]
    only = _post(client, 4, {"category": {"id": "cat-fiber"}, "provideOnlyAvailable": True})
    assert "po-business-fiber-1000" not in _results(only, 4)


def test_v5_category_items_for_a_prospect_and_for_a_customer(client: TestClient) -> None:
    asked = {ITEMS[5]: [{"category": {"id": "cat-tv"}}]}
    prospect = _post(client, 5, asked)
    assert _results(prospect, 5) == {"po-tv-basic": "unqualified", "po-tv-premium": "unqualified"}
    assert {i["productOffering"]["id"]: [r["code"] for r in i[REASONS[5]]] for i in prospect[ITEMS[5]]} == {
        "po-tv-basic": ["tv_needs_fiber"], "po-tv-premium": ["tv_needs_fast_fiber"]}
    assert prospect["qualificationResult"] == "unqualified"
    alice = _post(client, 5, {**asked, "relatedParty": [{"id": "alice", "role": "customer",
                                                         "@type": "RelatedPartyRefOrPartyRoleRef"}]})
    assert _results(alice, 5)["po-tv-basic"] == "qualified"  # alice has fiber
    assert alice["relatedParty"][0]["partyOrPartyRole"]["id"] == "alice"


def test_an_unknown_category_is_a_terminated_item_and_an_empty_request_is_refused(client: TestClient) -> None:
    # not a refusal of the whole request (the TMF679 kit asks for category "21" of its own catalog): the item is
    # terminatedWithError with the reason, and stays even when only available offerings are asked for
    for version, body in ((4, {"category": {"id": "cat-nope"}, "provideOnlyAvailable": True}),
                          (5, {ITEMS[5]: [{"id": "7", "category": {"id": "cat-nope"}}]})):
        document = _post(client, version, body)
        [item] = document[ITEMS[version]]
        assert (item["id"], item["state"], item["qualificationItemResult"]) == (
            "7" if version == 5 else "1", "terminatedWithError", "unqualified")
        assert item["category"]["id"] == "cat-nope" and "productOffering" not in item
        assert item["terminationError"][0]["value"].startswith("the catalog has no category 'cat-nope'")
        assert [r["code"] for r in item[REASONS[version]]] == ["unknownCategory"]
        assert (document["state"], document["qualificationResult"]) == ("terminatedWithError", "unqualified")
    for body in ({"description": "nothing asked"}, {ITEMS[4]: []}, {ITEMS[4]: [{"id": "1"}]}):
        missing = client.post(POQ[4], json=body)
        assert missing.status_code == 400, body
        assert missing.json()["@type"] == "Error" and missing.json()["code"] == "400"


def test_the_list_filters_and_selects_fields(client: TestClient) -> None:
    first = _post(client, 4, {ITEMS[4]: [{"productOffering": {"id": "po-fiber-300"}}]})
    second = _post(client, 4, {ITEMS[4]: [{"productOffering": {"id": "po-no-such-offering"}}],
                               "relatedParty": [{"id": "alice", "role": "customer"}]})
    everything = client.get(POQ[4])
    assert [d["id"] for d in everything.json()] == [first["id"], second["id"]]
    assert everything.headers["X-Total-Count"] == "2"
    qualified = client.get(POQ[4], params={"qualificationResult": "qualified"}).json()
    assert [d["id"] for d in qualified] == [first["id"]]
    by_party = client.get(POQ[4], params={"relatedParty.id": '"alice"'}).json()
    assert [d["id"] for d in by_party] == [second["id"]]
    by_item = client.get(POQ[4], params={f"{ITEMS[4]}.qualificationItemResult": "unqualified,alternate"}).json()
    assert [d["id"] for d in by_item] == [second["id"]]
    later = client.get(POQ[4], params={"productOfferingQualificationDate.gte": "2026-02-21T00:00:00Z"}).json()
    assert later == []
    selected = client.get(POQ[4], params={"fields": f"state,{ITEMS[4]}.qualificationItemResult",
                                          "state": "done", "limit": 1}).json()
    assert selected == [{"id": first["id"], "state": "done",  # what fields names, and the id: nothing else
                         ITEMS[4]: [{"qualificationItemResult": "qualified"}]}]
    one = client.get(f"{POQ[4]}/{first['id']}", params={"fields": "qualificationResult"}).json()
    assert one == {"id": first["id"], "qualificationResult": "qualified"}


def test_v5_query_lists_the_offerings_that_qualify(client: TestClient) -> None:
    response = client.post(QUERY, params={"asOf": AS_OF}, json={"searchCriteria": {"category": {"id": "cat-fiber"}}})
    assert response.status_code == 201, response.text
    document = response.json()
    assert validation_errors(document, "TMF679", 5, "QueryProductOfferingQualification") == []
    assert [i["productOffering"]["id"] for i in document["qualifiedProductOfferingItem"]] == [
        "po-fiber-100", "po-fiber-1000", "po-fiber-300", "po-fiber-500"]  # business fibre: refused by the rules
    assert document["searchCriteria"]["category"]["id"] == "cat-fiber"
    assert client.get(f"{QUERY}/{document['id']}").json() == document
    assert [d["id"] for d in client.get(QUERY).json()] == [document["id"]]
    assert client.post(QUERY, json={"relatedParty": []}).status_code == 400


def test_v5_query_for_a_customer_validates(client: TestClient) -> None:
    response = client.post(QUERY, params={"asOf": AS_OF}, json={
        "searchCriteria": {"productOffering": {"id": "po-tv-basic"}},
        "relatedParty": [{"id": "alice", "role": "customer"}]})
    document = response.json()
    assert validation_errors(document, "TMF679", 5, "QueryProductOfferingQualification") == []
    assert [i["productOffering"]["id"] for i in document["qualifiedProductOfferingItem"]] == ["po-tv-basic"]


def test_the_answer_carries_the_request_and_r18_names_and_fields_select_exactly(client: TestClient) -> None:
    # the TMF679 R18 kit's first request: unknown offerings for a customer the inventory does not know
    asked = {"description": "qualification for productOffering", "expectedQualificationDate": "2017-09-21T12:00:00Z",
             ITEMS[4]: [{"id": "1", "expectedActivationDate": "2017-10-04T12:00:00Z",
                         "productOffering": {"id": "7431", "name": "Virtual Storage Medium"}}],
             "relatedParty": [{"id": "14", "role": "customer", "name": "Jean Pontus"}],
             "channel": {"id": "1", "name": "Online Channel"}}
    document = _post(client, 4, asked)
    assert document["productOfferingQualificationDateTime"] == document["productOfferingQualificationDate"]
    assert (document["channel"], document["expectedQualificationDate"]) == (asked["channel"], "2017-09-21T12:00:00Z")
    assert document[ITEMS[4]][0]["expectedActivationDate"] == "2017-10-04T12:00:00Z"
    assert document["relatedParty"][0]["id"] == "14"
    other = _post(client, 4, {ITEMS[4]: [{"productOffering": {"id": "po-fiber-300"}}],
                              "expectedQualificationDate": "2017-10-05T12:00:00Z"})
    listed = client.get(POQ[4], params={"expectedQualificationDate": '"2017-09-21T12:00:00Z"'}).json()
    assert [d["id"] for d in listed] == [document["id"]]
    assert [d["id"] for d in client.get(POQ[4], params={"channel.id": '"1"', "fields": "id,state"}).json()] == [
        document["id"]]
    assert client.get(POQ[4], params={"channel.id": '"1"', "fields": "id,state"}).json() == [
        {"id": document["id"], "state": "done"}]
    selected = client.get(f"{POQ[4]}/{document['id']}", params={
        "fields": f"id, state,{ITEMS[4]}.state,{ITEMS[4]}.qualificationItemResult"}).json()
    assert selected == {"id": document["id"], "state": "done",
                        ITEMS[4]: [{"qualificationItemResult": "unqualified", "state": "done"}]}
    assert other["id"] != document["id"]
