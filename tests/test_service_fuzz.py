"""Property-based fuzzing of the service with schemathesis, in process (ASGI), against the OpenAPI it serves: no
answer is a 5xx, every status, content type and body conforms to the served document, and every successful TMF
answer validates against the official schema of its API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from odedelta.outputs.schemas import validation_errors
from odedelta.service import create_app

from .conftest import DEMO, ROOT

APP = create_app(DEMO, ROOT / "rules", DEMO / "inventories", clock=lambda: datetime(2026, 3, 1, tzinfo=UTC))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Bounded: the documented examples, then a few generated cases per operation (the coverage phase's thousands of
# boundary cases are left to a local run).
SCHEMA.config.phases.update(phases=["examples", "fuzzing"])

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
@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_5xx_and_every_answer_conforms(case: Any) -> None:
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                             response_schema_conformance, official_schema])
