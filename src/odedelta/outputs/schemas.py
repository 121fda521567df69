"""The official TM Forum schemas odedelta's output must satisfy, shipped with the package (``_specs/``).

Provenance of the spec files: ``src/odedelta/_specs/SOURCES.md``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from odedelta.outputs import _tmfschema

SPEC_DIR = Path(__file__).parent.parent / "_specs"
SPECS = {
    ("TMF622", 4): "TMF622-ProductOrdering-v4.0.0.swagger.json",
    ("TMF622", 5): "TMF622-ProductOrdering-v5.0.0.oas.yaml",
    ("TMF679", 4): "TMF679-ProductOfferingQualification-v4.0.0.swagger.json",
    ("TMF679", 5): "TMF679-ProductOfferingQualification-v5.0.0.oas.yaml",
    ("TMF663", 4): "TMF663-ShoppingCart-v4.0.0.swagger.json",
    ("TMF663", 5): "TMF663-ShoppingCart-v5.0.0.oas.yaml",
    ("TMF648", 4): "TMF648-Quote-v4.0.0.swagger.json",
}


@cache
def compiled(api: str, version: int) -> _tmfschema.CompiledSpec:
    return _tmfschema.compile_spec(SPEC_DIR / SPECS[(api, version)])


def validation_errors(document: Any, api: str, version: int, schema: str) -> list[str]:
    """Every reason ``document`` is not a valid ``schema`` of the official ``api`` spec (empty when valid).

    Unknown ``@type`` values count as errors: odedelta only emits types the spec knows.
    """
    report = _tmfschema.validate_document(compiled(api, version), schema, document, strict_types=True)
    return [str(problem) for problem in report.errors]
