"""TMF630 everywhere and TMF622 after the order (issue 25): one test per finding — bounded paging, Allow on 405,
400 for malformed/too deep/duplicate-key/huge-number/incomplete bodies, absolute hrefs and Location, attribute
filters, PATCH (merge-patch) and cancelProductOrder with their state rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from odedelta.outputs.schemas import validation_errors
from odedelta.service import create_app

from .conftest import DEMO, ROOT

NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)
AS_OF = "2026-03-01T00:00:00Z"
ORDERING = "/tmf-api/productOrderingManagement/v{v}"
POQ = "/tmf-api/productOfferingQualification/v4/productOfferingQualification"
DOWNGRADE = [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]
CREATES = [
    ("/tmf-api/productOfferingQualification/v4/productOfferingQualification",
     {"productOfferingQualificationItem": [{"product": {"id": "F-1"}}]}),
    ("/tmf-api/shoppingCart/v4/shoppingCart", {"cartItem": DOWNGRADE}),
    ("/tmf-api/shoppingCart/v5/shoppingCart", {"cartItem": DOWNGRADE}),
    ("/tmf-api/quoteManagement/v4/quote", {"quoteItem": DOWNGRADE}),
    ("/tmf-api/productOrderingManagement/v4/productOrder", {"productOrderItem": DOWNGRADE}),
    ("/tmf-api/productOrderingManagement/v5/productOrder", {"productOrderItem": DOWNGRADE}),
]


def _app(**kwargs: Any) -> TestClient:
    return TestClient(create_app(DEMO, ROOT / "rules", DEMO / "inventories", clock=lambda: NOW, **kwargs))


@pytest.fixture
def client() -> TestClient:
    return _app()


def _order(client: TestClient, version: int, items: list[dict[str, Any]] | None = None,
           as_of: str = AS_OF) -> dict[str, Any]:
    response = client.post(ORDERING.format(v=version) + "/productOrder", params={"asOf": as_of},
                           json={"productOrderItem": items or DOWNGRADE})
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


@pytest.mark.parametrize("offset", ["9223372036854775808", "1e30", "-1", "1" * 400])
def test_paging_beyond_the_bounds_is_400_never_500(client: TestClient, offset: str) -> None:
    for path in (POQ, ORDERING.format(v=4) + "/productOrder", "/tmf-api/shoppingCart/v5/shoppingCart"):
        response = client.get(path, params={"offset": offset})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["@type"] == "Error" and "offset" in response.json()["message"]
    assert client.get(POQ, params={"limit": "100000"}).status_code == 400


def test_405_names_every_method_of_the_path(client: TestClient) -> None:
    put = client.put(POQ)
    assert put.status_code == 405 and put.headers["Allow"] == "GET, HEAD, POST"
    patch = client.patch(POQ + "/1", json={})
    assert patch.status_code == 405 and patch.headers["Allow"] == "DELETE, GET, HEAD"
    assert patch.json()["code"] == "405" and "PATCH is not allowed" in patch.json()["message"]
    order = client.put(ORDERING.format(v=5) + "/productOrder/1", json={})
    assert order.status_code == 405 and order.headers["Allow"] == "GET, HEAD, PATCH"


def test_head_is_get_without_the_content_on_every_path_whose_allow_lists_it(client: TestClient) -> None:
    created = _order(client, 4)
    one = ORDERING.format(v=4) + f"/productOrder/{created['id']}"
    for path in (POQ, ORDERING.format(v=4) + "/productOrder", one):
        got, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (got.status_code, b""), path
        assert head.headers["content-length"] == str(len(got.content)) and got.content, path
        assert head.headers["content-type"] == got.headers["content-type"]
    missing = client.head(ORDERING.format(v=4) + "/productOrder/no-such-order")
    assert (missing.status_code, missing.content) == (404, b"")
    assert client.head(ORDERING.format(v=4) + "/hub").status_code == 405  # POST only: no GET, no HEAD


@pytest.mark.parametrize(("body", "words"), [
    (b"[" * 10_000 + b"]" * 10_000, "nested 10000 levels deep"),
    (b'{"productOfferingQualificationItem": [{"id": ' + b"9" * 5000 + b"}]}", "more than 100 digits"),
    (b'{"productOfferingQualificationItem": [{"id": 1.' + b"5" * 5000 + b"}]}", "more than 100 digits"),
    (b'{"productOfferingQualificationItem": [], "productOfferingQualificationItem": [{}]}',
     "duplicate key 'productOfferingQualificationItem'"),
    (b'{"productOfferingQualificationItem": [{"id": NaN}]}', "NaN is not a JSON number"),
    (b'{"productOfferingQualificationItem": [', "invalid JSON"),
    (b'{"description": "no items"}', "missing mandatory attribute"),
])
def test_bad_bodies_are_400_with_the_tmf_error(client: TestClient, body: bytes, words: str) -> None:
    response = client.post(POQ, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()
    assert validation_errors(error, "TMF679", 4, "Error") == []
    assert words in error["message"]


@pytest.mark.parametrize("items", [None, []])
def test_an_order_without_items_is_400(client: TestClient, items: Any) -> None:
    body = {} if items is None else {"productOrderItem": items}
    response = client.post(ORDERING.format(v=4) + "/productOrder", json=body)
    assert response.status_code == 400 and "productOrderItem" in response.json()["message"]


@pytest.mark.parametrize(("path", "body"), CREATES)
def test_every_201_has_an_absolute_href_and_its_location(path: str, body: dict[str, Any]) -> None:
    client = _app()
    made = client.post(path, params={"asOf": AS_OF}, json=body)
    assert made.status_code == 201, made.text
    href = made.json()["href"]
    assert href == f"http://testserver{path}/{made.json()['id']}" == made.headers["Location"]
    public = _app(public_url="https://cpq.example.com/")
    made = public.post(path, params={"asOf": AS_OF}, json=body)
    assert made.json()["href"] == f"https://cpq.example.com{path}/{made.json()['id']}" == made.headers["Location"]


@pytest.mark.parametrize("version", [4, 5])
def test_list_filters_by_state_party_and_date(client: TestClient, version: int) -> None:
    accepted = _order(client, version)
    refused = _order(client, version, as_of="2025-10-01T00:00:00Z")  # a downgrade too early
    assert (accepted["state"], refused["state"]) == ("acknowledged", "rejected")
    path = ORDERING.format(v=version) + "/productOrder"
    ids = lambda **q: [d["id"] for d in client.get(path, params=q).json()]  # noqa: E731
    assert ids(state="rejected") == [refused["id"]]
    assert ids(state="acknowledged,rejected") == [accepted["id"], refused["id"]]
    party = accepted["relatedParty"][0]
    party_id = party["id"] if version == 4 else party["partyOrPartyRole"]["id"]
    key = "relatedParty.id" if version == 4 else "relatedParty.partyOrPartyRole.id"
    assert ids(**{key: party_id}) == [accepted["id"]]  # the refused order names no party
    assert ids(**{key: "nobody"}) == []
    date = "orderDate" if version == 4 else "creationDate"
    assert ids(**{f"{date}.gte": "2026-02-20T09:30:00Z"}) == [accepted["id"], refused["id"]]
    assert ids(**{f"{date}.lt": "2026-02-20T09:30:00Z"}) == []
    listed = client.get(path, params={"state": "rejected", "fields": "state"})
    assert listed.json() == [{"id": refused["id"], "state": "rejected"}]  # what fields names, and the id
    assert listed.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("version", [4, 5])
def test_patch_an_order_merges_what_a_client_may_change(client: TestClient, version: int) -> None:
    order = _order(client, version)
    path = ORDERING.format(v=version) + f"/productOrder/{order['id']}"
    external: Any = "crm-42" if version == 4 else [{"id": "crm-42", "owner": "crm"}]
    response = client.patch(path, json={"description": "deliver after 6 pm", "externalId": external,
                                        "requestedStartDate": "2026-03-02T08:00:00+01:00",
                                        "note": [{"text": "call first"}]},
                            headers={"Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert validation_errors(patched, "TMF622", version, "ProductOrder") == []
    assert (patched["description"], patched["requestedStartDate"]) == ("deliver after 6 pm", "2026-03-02T07:00:00Z")
    assert patched["externalId"] == ("crm-42" if version == 4 else [
        {"id": "crm-42", "owner": "crm", "@type": "ExternalIdentifier"}])
    assert [n["text"] for n in patched["note"]] == ["call first"]
    assert patched["productOrderItem"] == order["productOrderItem"]
    removed = client.patch(path, json={"externalId": None}).json()
    assert "externalId" not in removed and removed["description"] == "deliver after 6 pm"
    assert client.get(path).json() == removed
    for refused in ({"productOrderItem": []}, {"state": "completed"}, {"description": 3},
                    {"requestedStartDate": "tomorrow"}, []):
        answer = client.patch(path, json=refused)
        assert answer.status_code == 400, (refused, answer.text)
    assert "not patchable: productOrderItem" in client.patch(path, json={"productOrderItem": []}).json()["message"]
    assert client.patch(ORDERING.format(v=version) + "/productOrder/999", json={}).status_code == 404


@pytest.mark.parametrize("version", [4, 5])
def test_cancel_an_order_and_the_state_rules(client: TestClient, version: int) -> None:
    base = ORDERING.format(v=version)
    order = _order(client, version)
    response = client.post(base + "/cancelProductOrder", json={
        "productOrder": {"id": order["id"]}, "cancellationReason": "customer changed their mind",
        "requestedCancellationDate": "2026-02-21T00:00:00Z"})
    assert response.status_code == 201, response.text
    cancel = response.json()
    assert validation_errors(cancel, "TMF622", version, "CancelProductOrder") == []
    assert response.headers["Location"] == cancel["href"] == f"http://testserver{base}/cancelProductOrder/1"
    assert (cancel["state"], cancel["productOrder"]["id"], cancel["effectiveCancellationDate"]) == (
        "done", order["id"], "2026-02-20T09:30:00Z")
    cancelled = client.get(f"{base}/productOrder/{order['id']}").json()
    assert validation_errors(cancelled, "TMF622", version, "ProductOrder") == []
    assert cancelled["state"] == "cancelled" and cancelled["cancellationReason"] == "customer changed their mind"
    assert {i["state"] for i in cancelled["productOrderItem"]} == {"cancelled"}
    assert client.get(f"{base}/cancelProductOrder/{cancel['id']}").json() == cancel
    assert client.get(f"{base}/cancelProductOrder").json() == [cancel]
    again = client.post(base + "/cancelProductOrder", json={"productOrder": {"id": order["id"]}})
    assert again.status_code == 409 and "is cancelled" in again.json()["message"]
    assert client.patch(f"{base}/productOrder/{order['id']}", json={"description": "x"}).status_code == 409
    rejected = _order(client, version, as_of="2025-10-01T00:00:00Z")
    assert client.post(base + "/cancelProductOrder", json={"productOrder": {"id": rejected["id"]}}).status_code == 409
    assert client.post(base + "/cancelProductOrder", json={"productOrder": {"id": "999"}}).status_code == 404
    assert client.post(base + "/cancelProductOrder", json={"cancellationReason": "?"}).status_code == 400
    assert [c["id"] for c in client.get(f"{base}/cancelProductOrder").json()] == [cancel["id"]]  # none kept
