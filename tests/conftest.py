from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

import odedelta
import odedelta.rules.durable

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "catalogs" / "demo"
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = DATA / "tmf" / "examples"
TEST_SPECS = DATA / "tmf" / "specs"

# ci: a fixed, reproducible example set (derandomize): the same commit always runs the same examples; thorough: a
# fresh random search of thousands of examples per property (run it before a release and after engine changes).
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def demo() -> odedelta.Catalog:
    return odedelta.load_catalog(DEMO)


@pytest.fixture(scope="session")
def inventories(demo: odedelta.Catalog) -> dict[str, odedelta.Inventory]:
    return {p.stem: odedelta.load_inventory(p, demo) for p in sorted((DEMO / "inventories").glob("*.json"))}


def durable() -> ModuleType:
    """``odedelta.rules.durable`` (durable-rules: the extra ``odedelta[durable]``, in the dev extra). Where it can be
    installed (Python < 3.13) it must be: a missing one fails the test. Skipped on 3.13+, where its C extension
    cannot import."""
    if sys.version_info >= (3, 13):
        pytest.skip("durable-rules' C extension does not import on Python 3.13+")
    importlib.import_module("durable.engine")  # odedelta imports it only when a durable executor is made
    return odedelta.rules.durable
