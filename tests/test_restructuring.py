"""Restructuring across nesting levels: regression tests for what the property harness found.

Each catalog uses one specification at two nesting levels (or two offerings of one specification side by side);
each answer keeps every installed product the target has a place for, and never deletes a product of a
specification while adding a new one of it.
"""

from __future__ import annotations

from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult
from odedelta.model.requests import ChangeOffer
from odedelta.strategies import AS_OF

from . import tiny


def _change(catalog_text: str, inventory_text: str, product: str, to: str) -> ChangeResult:
    catalog = tiny.catalog(catalog_text)
    result = Engine(catalog).change(tiny.inventory(inventory_text, catalog), ChangeOffer(product=product, to=to),
                                    as_of=AS_OF)
    assert result.target_problems() == []
    return result


def _rows(result: ChangeResult) -> list[tuple[str, str, str, str | None]]:
    return [(i.action.value, i.product_id, i.offering_id, i.parent_id) for i in result.items]


def test_a_component_without_a_place_in_its_new_parent_moves_to_the_sibling_bundle_that_has_one() -> None:
    result = _change("""
        po-l0 ps-0
        po-l2 ps-1
        po-l3 ps-0
        po-m0 ps-b0: po-l2 0..n d0
        po-m1 ps-b1: po-l0 1..1 d1, po-l3 1..2 d1, po-l2 1..n d1
        po-m2 ps-b0: po-l2 1..n d2, po-l0 1..n d2, po-l3 1..n d1
        po-t1 ps-t0: po-m1 0..1 d1, po-l2 0..n d1, po-m0 1..1 d1
    """, """
        P-1 po-m2: P-2 P-3 P-5 P-6 P-8 P-9
        P-2 po-l2
        P-3 po-l2
        P-5 po-l0
        P-6 po-l0
        P-8 po-l3
        P-9 po-l3
    """, "P-1", "po-t1")
    assert _rows(result) == [
        ("add", "NEW-1", "po-t1", None),
        ("modify", "P-1", "po-m0", "NEW-1"),
        ("noChange", "P-2", "po-l2", "P-1"),
        ("noChange", "P-3", "po-l2", "P-1"),
        ("add", "NEW-2", "po-m1", "NEW-1"),
        ("modify", "P-5", "po-l0", "NEW-2"),  # was deleted: po-m0 has no place for it, the new po-m1 has
        ("modify", "P-8", "po-l3", "NEW-2"),
        ("modify", "P-9", "po-l3", "NEW-2"),  # the second one too: po-m1 holds up to 2
        ("add", "NEW-3", "po-l2", "NEW-2"),
        ("delete", "P-6", "po-l0", "P-1"),  # po-m1 holds one po-l0
        ("add", "NEW-4", "po-l2", "NEW-1"),
    ]
    assert result.items[5].codes == ["kept", "moved"]
    assert result.items[9].codes == ["cardinality_exceeded"]


def test_bundles_inside_a_pack_of_the_same_specification_are_lifted_beside_it() -> None:
    result = _change("""
        po-l0 ps-1
        po-m0 ps-b0: po-l0 0..n d0
        po-m1 ps-b0: po-l0 0..n d1
        po-t0 ps-b1: po-m0 1..n d1, po-m1 0..n d1, po-l0 0..n d1
        po-t1 ps-b0: po-m1 1..2 d2
    """, """
        P-1 po-t1: P-2 P-5
        P-2 po-m1: P-3 P-4
        P-3 po-l0
        P-4 po-l0
        P-5 po-m1: P-6
        P-6 po-l0
    """, "P-1", "po-t0")
    # the pack P-1 (specification ps-b0) fills the mandatory po-m0 place; its two po-m1 stay po-m1, beside it
    assert _rows(result) == [
        ("add", "NEW-1", "po-t0", None),
        ("modify", "P-1", "po-m0", "NEW-1"),
        ("modify", "P-2", "po-m1", "NEW-1"),
        ("noChange", "P-3", "po-l0", "P-2"),
        ("noChange", "P-4", "po-l0", "P-2"),
        ("modify", "P-5", "po-m1", "NEW-1"),
        ("noChange", "P-6", "po-l0", "P-5"),
        ("add", "NEW-2", "po-l0", "NEW-1"),
    ]


def test_an_extra_product_becomes_the_mandatory_sibling_of_its_specification_rather_than_delete_and_add() -> None:
    result = _change("""
        po-l1 ps-1
        po-l3 ps-1
        po-l4 ps-1
        po-m1 ps-b0: po-l4 0..2 d1, po-l1 1..1 d1, po-l3 1..1 d1
        po-t0 ps-b1: po-l1 1..3 d3
    """, """
        P-4 po-t0: P-5 P-6
        P-5 po-l1
        P-6 po-l1
    """, "P-4", "po-m1")
    assert _rows(result) == [
        ("modify", "P-4", "po-m1", None),
        ("noChange", "P-5", "po-l1", "P-4"),
        ("modify", "P-6", "po-l3", "P-4"),  # not po-l4: an optional place is not filled by converting
    ]
    assert result.items[2].previous_offering_id == "po-l1"


def test_a_component_of_the_target_specification_becomes_the_product_and_its_pack_goes_beneath_it() -> None:
    result = _change("""
        po-l0 ps-0
        po-l1 ps-1
        po-m0 ps-b0: po-l1 0..n d0, po-l0 1..2 d2
        po-m1 ps-b1: po-l0 1..1 d1
        po-t0 ps-b1: po-l0 0..n d1, po-m0 0..n d0
        po-t1 ps-b0: po-m1 1..n d1
    """, """
        P-1 po-t1: P-2
        P-2 po-m1: P-3
        P-3 po-l0
    """, "P-1", "po-t0")
    # nothing is deleted: P-2 (ps-b1) becomes the po-t0, P-1 (ps-b0) its po-m0
    assert [r for r in _rows(result) if r[0] != "add"] == [
        ("modify", "P-2", "po-t0", None),
        ("noChange", "P-3", "po-l0", "P-2"),
        ("modify", "P-1", "po-m0", "P-2"),
    ]
    assert result.delta.root_product_id == "P-2"
    assert {r[2] for r in _rows(result) if r[0] == "add"} == {"po-l0"}


def test_a_free_product_whose_promotion_ends_continues_as_the_paid_product_of_its_kind_the_target_requires() -> None:
    result = _change("""
        po-l1 ps-2 price 5
        po-l2 ps-2 price 4
        po-t0 ps-b1 price 20: po-l1 1..n d1
        po-m2 ps-b0 price 30: po-l1 0..n d1, po-l2 1..1 d1
        promo promo-0: po-t0 -> po-l1 100%
    """, """
        P-1 po-t0: P-2 P-3
        P-2 po-l1
        P-3 po-l1
    """, "P-1", "po-m2")
    assert _rows(result) == [
        ("modify", "P-1", "po-m2", None),
        ("delete", "P-3", "po-l1", "P-1"),
        ("modify", "P-2", "po-l2", "P-1"),
    ]
    assert result.items[1].codes == ["promotion_lost"]
    assert result.items[2].codes == ["promotion_lost", "offering_changed"]
    assert result.consequences is not None
    assert str(result.consequences.recurring_after.amount) == "34.00"  # po-m2 30 + po-l2 4


def test_a_free_product_the_bundle_still_requires_is_kept_counting_only_its_own_siblings() -> None:
    result = _change("""
        po-l0 ps-2 price 5
        po-m1 ps-b0: po-l0 1..n d1
        po-t0 ps-b1 price 20: po-m1 0..n d0
        po-t2 ps-b0 price 30: po-m1 1..n d1, po-l0 1..n d2
        promo promo-0: po-t0 -> po-l0 100%
    """, """
        P-1 po-t0: P-4 P-6
        P-4 po-m1: P-5
        P-5 po-l0
        P-6 po-m1: P-7
        P-7 po-l0
    """, "P-1", "po-t2")
    # P-5 is the only po-l0 of P-4 (now the po-t2): it stays, though another po-l0 sits deeper, under P-6
    assert ("noChange", "P-5", "po-l0", "P-4") in _rows(result)
    assert ("noChange", "P-7", "po-l0", "P-6") in _rows(result)


def test_which_free_product_the_bundle_keeps_does_not_depend_on_the_inventory_order() -> None:
    # found by the thorough profile: of two free po-l0 whose promotion ends, the one kept (the bundle needs one)
    # followed the order of the inventory file
    text = """
        po-l0 ps-0 price 5
        po-t0 ps-t0 price 20: po-l0 1..n d1
        po-t1 ps-t0 price 30: po-l0 0..n d0
        promo promo-0: po-t1 -> po-l0 100%
    """
    catalog = tiny.catalog(text)
    lines = ["P-4 po-t1: P-5 P-6", "P-5 po-l0", "P-6 po-l0"]
    answers = []
    for order in (lines, lines[::-1]):
        inventory = tiny.inventory("\n".join(order), catalog)
        result = Engine(catalog).change(inventory, ChangeOffer(product="P-4", to="po-t0"), as_of=AS_OF)
        answers.append(sorted((i.action.value, i.product_id) for i in result.items))
    assert answers[0] == answers[1] == [("delete", "P-6"), ("modify", "P-4"), ("noChange", "P-5")]
