"""The service's table of TMF versions (odedelta.service.api.versions) is what is served: every resource of every
version under its base path, each create body the version's model, and the reference page is the table's."""

from __future__ import annotations

import pytest

from odedelta.service import create_app
from odedelta.service.api.versions import TABLE, markdown

from .conftest import DEMO, ROOT

PAGE = ROOT / "docs" / "reference" / "tmf-versions.md"


@pytest.fixture(scope="module")
def spec() -> dict[str, object]:
    return create_app(DEMO, ROOT / "rules", DEMO / "inventories").openapi()


@pytest.mark.parametrize("key", sorted(TABLE), ids=lambda k: f"{k[0]}v{k[1]}" if isinstance(k, tuple) else str(k))
def test_every_resource_of_the_table_is_served_with_its_model(spec: dict[str, object], key: tuple[str, int]) -> None:
    entry = TABLE[key]
    paths: dict[str, dict[str, object]] = spec["paths"]  # type: ignore[assignment]
    for resource in entry.resources:
        assert "post" in paths[f"{entry.base}/{resource}"], resource
    create = paths[f"{entry.base}/{entry.resources[0]}"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]  # type: ignore[index]
    assert body == {"$ref": f"#/components/schemas/{entry.create.__name__}"}
    properties = spec["components"]["schemas"][entry.create.__name__]["properties"]  # type: ignore[index]
    assert entry.items in properties
    served = {p for p in paths if p.startswith(entry.base + "/")}
    assert {p.split("/")[len(entry.base.split("/"))] for p in served} == set(entry.resources)


def test_the_reference_page_is_the_table() -> None:
    text = PAGE.read_text()
    start = text.index("<!-- generated: odedelta.service.api.versions.markdown() -->\n") + len(
        "<!-- generated: odedelta.service.api.versions.markdown() -->\n")
    assert text[start:text.index("<!-- end generated -->")] == markdown()
    assert "| TMF679 | v5 | `/tmf-api/productOfferingQualification/v5` |" in text
