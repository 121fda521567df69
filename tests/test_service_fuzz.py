"""Property-based fuzzing of the service with schemathesis, in process (ASGI), against the OpenAPI it serves, with
every check schemathesis has (``--checks all``): no 5xx; every status, header, content type and body conforms to the
served document; a request the document calls valid is accepted, one it calls invalid is refused; an operation
without the bearer token is refused (401); and every successful TMF answer validates against the official schema of
its API.

Phases: the documented examples, the coverage phase (boundary values of every parameter and body property) and
the fuzzing phase (EXAMPLES generated cases per operation, positive and negative), derandomized. The service runs
with a token (schemathesis sends it; its auth checks send requests without it) on the demo catalog, with one of
each resource created first, so the ``{id}`` examples ("1") reach real carts, quotes, orders and qualifications.

A schema-valid request may still be refused with 422 (TMF: unprocessable): the schema cannot know which offerings,
products and parties the catalog and inventory have, nor which changes the rules allow. That is the one status
added to what schemathesis expects of a valid request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from odedelta.outputs.schemas import validation_errors
from odedelta.service import create_app

from .conftest import DEMO, ROOT

TOKEN = "fuzz-token"
EXAMPLES = 25
"""Generated cases per operation in the fuzzing phase (the coverage phase adds its boundary cases)."""
APP = create_app(DEMO, ROOT / "rules", DEMO / "inventories", token=TOKEN,
                 clock=lambda: datetime(2026, 3, 1, tzinfo=UTC))
CONFIG = SchemathesisConfig.from_dict({
    "headers": {"Authorization": f"Bearer {TOKEN}"},
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": True}},
    "generation": {"max-examples": EXAMPLES, "mode": "all", "deterministic": True},
})
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)
DOWNGRADE = [{"id": "1", "action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]
ALICE = [{"id": "alice", "role": "customer", "@referredType": "Individual"}]


def _seed() -> None:
    """One of each resource, so that the ``{id}`` operations find "1" (and a cancelled order)."""
    client = TestClient(APP, headers={"Authorization": f"Bearer {TOKEN}"})
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/tmf-api/productOfferingQualification/v4/productOfferingQualification",
         {"productOfferingQualificationItem": [{"productOffering": {"id": "po-fiber-300"}}]}),
        ("/tmf-api/productOfferingQualification/v5/checkProductOfferingQualification",
         {"checkProductOfferingQualificationItem": [{"productOffering": {"id": "po-fiber-300"}}]}),
        ("/tmf-api/productOfferingQualification/v5/queryProductOfferingQualification",
         {"searchCriteria": {"category": {"id": "cat-fiber"}}}),
        ("/tmf-api/quoteManagement/v4/quote", {"quoteItem": DOWNGRADE, "relatedParty": ALICE})]
    for version, cancelled in ((4, "2"), (5, "4")):  # order ids are counted across the versions
        posts += [(f"/tmf-api/shoppingCart/v{version}/shoppingCart", {"cartItem": DOWNGRADE}),
                  (f"/tmf-api/productOrderingManagement/v{version}/productOrder", {"productOrderItem": DOWNGRADE}),
                  (f"/tmf-api/productOrderingManagement/v{version}/productOrder", {"productOrderItem": DOWNGRADE}),
                  (f"/tmf-api/productOrderingManagement/v{version}/cancelProductOrder",
                   {"productOrder": {"id": cancelled}})]
    for path, body in posts:
        response = client.post(path, params={"asOf": "2026-03-01T00:00:00Z"}, json=body)
        assert response.status_code == 201, (path, response.text)


_seed()

# operation id prefix → (API, version, schema of one answer)
OFFICIAL = {
    **{f"TMF622v{v}_{op}CancelProductOrder": ("TMF622", v, "CancelProductOrder")
       for v in (4, 5) for op in ("create", "list", "retrieve")},
    "TMF679v5_createQuery": ("TMF679", 5, "QueryProductOfferingQualification"),
    "TMF679v5_listQuery": ("TMF679", 5, "QueryProductOfferingQualification"),
    "TMF679v5_retrieveQuery": ("TMF679", 5, "QueryProductOfferingQualification"),
    "TMF679v5_deleteQuery": ("TMF679", 5, "QueryProductOfferingQualification"),
    "TMF679v4_": ("TMF679", 4, "ProductOfferingQualification"),
    "TMF679v5_": ("TMF679", 5, "CheckProductOfferingQualification"),
    "TMF663v4_": ("TMF663", 4, "ShoppingCart"),
    "TMF663v5_": ("TMF663", 5, "ShoppingCart"),
    "TMF648v4_": ("TMF648", 4, "Quote"),
    "TMF622v4_": ("TMF622", 4, "ProductOrder"),
    "TMF622v5_": ("TMF622", 5, "ProductOrder"),
}


@schemathesis.check
def official_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 2xx TMF answer (or each element of a list) is valid against the official schema; an error is a TMF Error."""
    operation = case.operation.definition.raw.get("operationId", "")
    found = next((v for k, v in OFFICIAL.items() if operation.startswith(k)), None)
    if found is None or response.status_code == 204:
        return None
    api, version, name = found
    body = response.json()
    if response.status_code >= 400:
        documents, name = [body], "Error"
    elif "Listener" in operation:
        return None
    else:
        documents = body if isinstance(body, list) else [body]
    fields = (case.query or {}).get("fields")
    for document in documents:
        if fields and name != "Error":
            continue  # a fields selection is a partial document by design
        errors = validation_errors(document, api, version, name)
        assert errors == [], f"{operation}: {errors}"
    return None


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_check_passes_on_every_operation(case: Any) -> None:
    case.call_and_validate()  # every check schemathesis has, and official_schema


def test_the_fuzzing_covers_every_operation() -> None:
    operations = {op.ok().label for op in SCHEMA.get_all_operations()}
    assert len(operations) == sum(len(methods) for methods in APP.openapi()["paths"].values())
    assert len(operations) >= 49


Workflow = SCHEMA.as_state_machine()
"""The stateful phase: sequences of calls linked by the ids the service answers with (create, then retrieve, patch,
cancel, delete), every check on every response."""
TestWorkflows = Workflow.TestCase
TestWorkflows.settings = settings(max_examples=EXAMPLES, stateful_step_count=6, deadline=None, derandomize=True,
                                  suppress_health_check=list(HealthCheck))
