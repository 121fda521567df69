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


REQUIRE_DURABLE = "ODEDELTA_REQUIRE_DURABLE"
"""Set to 1 (CI does, on Python 3.11 and 3.12 where it installs the durable extra): a durable-rules that cannot be
imported fails the cross-check tests instead of skipping them."""


def durable() -> ModuleType:
    """``odedelta.rules.durable`` (durable-rules: the extra ``odedelta[durable]``, a C extension built from source, not
    in the dev extra so that the tests run without a C compiler). The cross-check tests skip where it is not installed
    and always on Python 3.13+, where it cannot import; with ``ODEDELTA_REQUIRE_DURABLE=1`` a missing one fails."""
    if sys.version_info >= (3, 13):
        pytest.skip("durable-rules' C extension does not import on Python 3.13+")
    try:
        importlib.import_module("durable.engine")  # odedelta imports it only when a durable executor is made
        return odedelta.rules.durable
    except ImportError as exc:
        missing = str(exc)
    if os.environ.get(REQUIRE_DURABLE, "") not in ("", "0"):
        pytest.fail(f"durable-rules cannot be imported ({missing}) and {REQUIRE_DURABLE} requires it: "
                    "pip install -e '.[dev,durable]'", pytrace=False)
    pytest.skip("durable-rules is not installed (the durable extra: pip install -e '.[dev,durable]', a C compiler)")
