"""The compiled per-offering tables the per-change path reads (odedelta.model.compiled) answer exactly what the
catalog's own queries answer, for every offering of the demo catalog and at moments across its validity periods."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime

import odedelta
from odedelta.model.compiled import MIGRATION, SAME_OFFERING, SAME_SPECIFICATION, compiled
from odedelta.model.graph import OFFERING
from odedelta.model.pricing import catalog_base

from .conftest import ROOT


def test_every_table_answers_as_the_catalog_does(demo: odedelta.Catalog) -> None:
    tables = compiled(demo)
    assert compiled(demo) is tables  # made once, kept with the catalog
    for oid in demo.offerings:
        assert list(tables.slots(oid)) == demo.graph.components(oid)
        assert tables.spec(oid) == demo.graph.specification_of(oid)
        assert tables.name(oid) == demo.name_of(oid)
        assert list(tables.categories(oid)) == demo.graph.categories_of(oid)
        assert tables.migration_targets(oid) == frozenset(demo.migration_targets(oid))
        assert list(tables.prices(oid)) == demo.graph.prices_of(oid)
        assert list(tables.promotions(oid)) == demo.graph.promotions_naming(OFFERING, oid)
    assert tables.name(None) == demo.name_of(None) == "None"
    assert tables.slots("no-such-offering") == ()


def test_the_delta_tables_answer_from_the_catalogs_own_queries(demo: odedelta.Catalog) -> None:
    """What the delta reads for each installed kind × target offering: how well one becomes the other, where it
    fits beneath, the slots it could fill, what the offering says of each characteristic, which values it allows."""
    tables = compiled(demo)
    kinds = [(oid, None) for oid in demo.offerings] + [(oid, demo.offerings[oid].spec_id) for oid in demo.offerings]
    for offering, spec in kinds:
        own_spec = spec or demo.graph.specification_of(offering)
        for target in demo.offerings:
            target_spec = demo.graph.specification_of(target)
            expected = (SAME_OFFERING if offering == target else
                        SAME_SPECIFICATION if target_spec is not None and target_spec == own_spec else
                        MIGRATION if target in demo.migration_targets(offering) else 0)
            assert tables.kinship(offering, spec, target) == expected, (offering, spec, target)
            slots = demo.graph.components(target)
            own = [(s, SAME_OFFERING) for s in slots if s.offering_id == offering]
            assert list(tables.placements(offering, spec, target)) == own or [
                (s, fit) for s in slots if (fit := tables.kinship(offering, spec, s.offering_id))]
            assert tables.beneath(offering, spec, target) == bool(own) or any(
                tables.kinship(offering, spec, s.offering_id) or tables.beneath(offering, spec, s.offering_id)
                for s in slots)
    assert tables.beneath("po-fiber-300", None, "po-fiber-300") is False  # a simple offering holds nothing
    for oid in demo.offerings:
        spec = demo.specification_of(oid)
        rules = tables.characteristics(oid)
        if spec is None:
            assert rules is None
            continue
        assert [r.name for r in rules or ()] == [c.name for c in spec.product_spec_characteristic]
        for rule in rules or ():
            char = spec.characteristic(rule.name)
            assert char is not None and rule.known and rule.required == char.mandatory
            assert (rule.has_default, rule.default) == demo.default_value(oid, rule.name)
            for value in demo.allowed_values(oid, rule.name) or []:
                assert tables.allowed(oid, rule.name, value.value) == demo.is_allowed(oid, rule.name, value.value)
            assert tables.allowed(oid, rule.name, "no such value") == demo.is_allowed(oid, rule.name, "no such value")
        assert tables.characteristic(oid, "no such characteristic").known is False
    for oid in demo.offerings:
        for moment in (datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)):
            assert tables.sellable(oid, moment) == demo.sellable(oid, moment)[0]


def test_base_prices_follow_the_moment(demo: odedelta.Catalog) -> None:
    tables = compiled(demo)
    moments = [datetime(year, month, 1, tzinfo=UTC) for year in (2020, 2024, 2026, 2027, 2030) for month in (1, 7)]
    assert len({demo.epoch(moment) for moment in moments}) >= 4  # the moments fall in several validity epochs
    for moment in moments + moments[::-1]:  # back and forth: the remembered epoch follows the moment asked
        for oid in demo.offerings:
            assert tables.base(oid, moment) == catalog_base(demo, oid, moment), (oid, moment)


def test_a_dropped_catalog_is_freed_though_loading_froze_it_and_its_tables_were_made() -> None:
    """load_catalog freezes what it made (gc.freeze: the collector never looks at it again), so a cycle through a
    catalog would keep every dropped one for the process's life — a service reloading its catalog would grow by one
    catalog per reload. Its compiled tables refer back to it weakly."""
    gone = []
    for _ in range(3):
        catalog = odedelta.load_catalog(ROOT / "catalogs" / "demo")
        tables = compiled(catalog)
        assert tables.slots("po-fiber-300") == tuple(catalog.graph.components("po-fiber-300"))
        tables.base("po-fiber-300", datetime(2026, 3, 1, tzinfo=UTC))
        gone.append(weakref.ref(catalog))
        del catalog, tables
    gc.collect()
    assert [ref() for ref in gone] == [None, None, None]


def test_the_tables_outlive_the_catalogs_memo() -> None:
    """The memo forgets its oldest answers past its size (a service asking with as_of = now fills it); the tables
    are not among them, or a long-running service would rebuild them again and again."""
    catalog = odedelta.load_catalog(ROOT / "catalogs" / "demo")
    tables = compiled(catalog)
    tables.slots("po-fiber-300")
    for n in range(catalog.memo.size + 1):
        catalog.remembered(("another answer", n), lambda: None)
    assert compiled(catalog) is tables
    assert "po-fiber-300" in tables._slots  # what it learnt is still there


def test_a_long_text_value_is_judged_each_time_and_never_kept() -> None:
    """Values come from requests: a table keyed by them would hold each one as long as its entry lives (65,536
    one-megabyte values). A long text is answered as a short one is, and leaves nothing behind."""
    catalog = odedelta.load_catalog(ROOT / "catalogs" / "demo")
    tables = compiled(catalog)
    long_text, short = "9" * 100_000, "no such value"
    before_memo, before_table = len(catalog.memo), len(tables._allowed)
    for _ in range(2):
        assert catalog.is_allowed("po-fiber-access-300", "downloadSpeed", long_text) is False
        assert tables.allowed("po-fiber-access-300", "downloadSpeed", long_text) is False
    assert (len(catalog.memo), len(tables._allowed)) == (before_memo, before_table)
    assert tables.allowed("po-fiber-access-300", "downloadSpeed", short) is False
    assert len(tables._allowed) == before_table + 1  # a short value is remembered
