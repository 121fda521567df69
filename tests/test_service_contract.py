"""The served OpenAPI is the contract the code keeps (issue 25): the schema-valid requests schemathesis found refused
now either are refused by the schema too or accepted; an answer with ``fields=`` fits the declared response; every
served answer (v4 and v5) validates against its declared response schema and the official one; and no operation
carries a hand-written schema (``openapi_extra``) or parses a raw body by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from odedelta.outputs.schemas import validation_errors
from odedelta.service import create_app

from .conftest import DEMO, ROOT

CART = "/tmf-api/shoppingCart/v{v}/shoppingCart"
ORDER = "/tmf-api/productOrderingManagement/v{v}/productOrder"
POQ = {4: "/tmf-api/productOfferingQualification/v4/productOfferingQualification",
       5: "/tmf-api/productOfferingQualification/v5/checkProductOfferingQualification"}
DOWNGRADE = [{"id": "1", "action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(DEMO, ROOT / "rules", DEMO / "inventories",
                                 clock=lambda: datetime(2026, 3, 1, tzinfo=UTC)))


def _declared(client: TestClient, path: str, method: str, status: int) -> jsonschema.Draft202012Validator:
    spec = client.get("/openapi.json").json()
    schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator({**schema, "components": spec["components"]})


def _request_schema(client: TestClient, path: str, method: str = "post") -> dict[str, Any]:
    spec = client.get("/openapi.json").json()
    content = spec["paths"][path][method]["requestBody"]["content"]
    schema = next(iter(content.values()))["schema"]
    return {**schema, "components": spec["components"]}


def test_an_empty_item_list_is_refused_by_the_schema_and_the_service(client: TestClient) -> None:
    schema = _request_schema(client, CART.format(v=4))
    assert not jsonschema.Draft202012Validator(schema).is_valid({"cartItem": []})
    assert jsonschema.Draft202012Validator(schema).is_valid({"cartItem": DOWNGRADE})
    answer = client.post(CART.format(v=4), json={"cartItem": []})
    assert answer.status_code == 400 and answer.json()["message"].endswith("@ $.cartItem")


def test_an_empty_as_of_is_refused_by_the_schema_and_the_service(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    [parameter] = [p for p in spec["paths"][CART.format(v=4)]["post"]["parameters"] if p["name"] == "asOf"]
    assert {"type": "string", "format": "date-time"} in parameter["schema"]["anyOf"]
    answer = client.post(CART.format(v=4), params={"asOf": ""}, json={"cartItem": DOWNGRADE})
    assert answer.status_code == 400 and answer.json()["message"].endswith("@ asOf")
    leap = client.post(CART.format(v=4), params={"asOf": "2026-03-01t23:59:60z"}, json={"cartItem": DOWNGRADE})
    assert leap.status_code == 201, leap.text  # RFC 3339: lower-case t and z, a leap second


@pytest.mark.parametrize("version", [4, 5])
def test_answers_fit_the_declared_and_the_official_schemas_with_and_without_fields(client: TestClient,
                                                                                    version: int) -> None:
    made = client.post(ORDER.format(v=version), json={"productOrderItem": DOWNGRADE})
    assert made.status_code == 201
    assert list(_declared(client, ORDER.format(v=version), "post", 201).iter_errors(made.json())) == []
    assert validation_errors(made.json(), "TMF622", version, "ProductOrder") == []
    one = f"{ORDER.format(v=version)}/{made.json()['id']}"
    for fields in (None, "state", "productOrderItem.state", "nothing"):
        answer = client.get(one, params={"fields": fields} if fields else None)
        assert answer.status_code == 200
        assert list(_declared(client, ORDER.format(v=version) + "/{id}", "get", 200).iter_errors(answer.json())) == []
    qualified = client.post(POQ[version], json={
        ("productOfferingQualificationItem" if version == 4 else "checkProductOfferingQualificationItem"): [
            {"productOffering": {"id": "po-fiber-300"}}]})
    assert qualified.status_code == 201
    assert list(_declared(client, POQ[version], "post", 201).iter_errors(qualified.json())) == []
    name = "ProductOfferingQualification" if version == 4 else "CheckProductOfferingQualification"
    assert validation_errors(qualified.json(), "TMF679", version, name) == []


def test_every_error_the_service_declares_is_the_tmf_error(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path == "/health":
                continue
            errors = {int(s) for s in operation["responses"] if s.startswith(("4", "5"))}
            assert {401, 403} <= errors, (method, path)
            for status in errors:
                schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_no_operation_has_a_hand_written_schema_or_reads_a_raw_body() -> None:
    sources = sorted((ROOT / "src" / "odedelta" / "service" / "api").glob("*.py"))
    assert len(sources) >= 10
    for source in sources:
        text = source.read_text()
        assert "openapi_extra" not in text, source.name
        assert "read_body(" not in text and "request.json()" not in text, source.name


@pytest.mark.parametrize("version", [4, 5])
def test_merge_patches_the_schema_accepts_are_accepted(client: TestClient, version: int) -> None:
    # found by schemathesis' stateful phase: a patch naming the order's own @type, and a cart patch with null items
    order = client.post(ORDER.format(v=version), json={"productOrderItem": DOWNGRADE}).json()
    path = f"{ORDER.format(v=version)}/{order['id']}"
    schema = jsonschema.Draft202012Validator(_request_schema(client, ORDER.format(v=version) + "/{id}", "patch"))
    assert schema.is_valid({"@type": "ProductOrder", "description": "x"})
    assert not schema.is_valid({"@type": "CancelProductOrder"}) and not schema.is_valid({"@type": None})
    same = client.patch(path, json={"@type": "ProductOrder", "description": "x"})
    assert same.status_code == 200 and same.json()["description"] == "x"
    assert client.patch(path, json={"@type": "CancelProductOrder"}).status_code == 400
    cart = client.post(CART.format(v=version), json={"cartItem": DOWNGRADE}).json()
    kept = client.patch(f"{CART.format(v=version)}/{cart['id']}", json={"cartItem": None})
    assert kept.status_code == 200 and kept.json()["cartItem"] == cart["cartItem"]
