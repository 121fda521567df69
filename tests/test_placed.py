"""What the money stage reads of a large account's change: the products once it is done (``ChangeResult.placed``)
held as tables, and the bills' entries made only when read — the same answer as the projection and the bills
built entry by entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import odedelta
from odedelta.flows.result import TABLES_FROM, Placed
from odedelta.model.money import total
from odedelta.model.pricing import catalog_base
from odedelta.model.requests import ChangeOffer
from odedelta.money.bill import Bill, bill
from odedelta.strategies import AS_OF, build_catalog

ROWS = (("A", "po-a", "ps-a"), ("B", None, None), ("NEW-1", "po-b", "ps-b"))


@pytest.mark.parametrize("tables", [True, False])
def test_placed_rows_read_as_the_tuple_of_them(tables: bool) -> None:
    placed = Placed(iter(ROWS), tables)
    assert placed == ROWS and tuple(placed) == ROWS and list(placed) == list(ROWS) and repr(placed) == repr(ROWS)
    assert (len(placed), placed[1], placed[-1], placed[:2]) == (3, ROWS[1], ROWS[2], ROWS[:2])
    assert placed.offering_table() == {"A": "po-a", "B": None, "NEW-1": "po-b"}
    assert placed.tables is tables
    assert hash(placed) == hash(ROWS) and list(reversed(placed)) == list(reversed(ROWS)) and placed.index(ROWS[2]) == 2
    if tables:  # the table itself, read-only
        with pytest.raises(TypeError):
            placed.offering_table()["A"] = "po-b"  # type: ignore[index]
    assert placed != ROWS[:2] and placed != (*ROWS, ("C", None, None))


def test_a_product_placed_twice_keeps_every_row() -> None:
    """A product placed twice (never, for a delta) is not merged: the rows are kept as given."""
    rows = (*ROWS, ("A", "po-c", None), ("D", None, None))
    placed = Placed(iter(rows))
    assert placed == rows and len(placed) == 5 and not placed.tables
    assert placed.offering_table() == {"A": "po-c", "B": None, "NEW-1": "po-b", "D": None}


def _account(lines: int) -> tuple[odedelta.Catalog, odedelta.Inventory]:
    """An account of ``lines`` lines on pack A (each line priced by the catalog; one line also by its own
    inventory price with a standing goodwill alteration) and a promotion on pack B's line."""
    def offering(oid: str, spec: str, price: str | None, slots: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        document: dict[str, Any] = {"id": oid, "@type": "ProductOffering", "name": oid, "lifecycleStatus": "Active",
                                    "isSellable": True, "productSpecification": {"id": spec}}
        if price:
            document["productOfferingPrice"] = [{"id": price}]
        if slots:
            document["isBundle"] = True
            document["bundledProductOffering"] = [
                {"id": child, "bundledProductOfferingOption": {"numberRelOfferLowerLimit": 1}} for child in slots]
        return document

    def price(pid: str, amount: str) -> dict[str, Any]:
        return {"id": pid, "@type": "ProductOfferingPrice", "name": pid, "priceType": "recurring",
                "recurringChargePeriodType": "month", "price": {"unit": "EUR", "value": float(amount)}}

    catalog = build_catalog([
        {"id": "ps-line", "@type": "ProductSpecification", "name": "Line"},
        {"id": "ps-pack", "@type": "ProductSpecification", "name": "Pack"},
        price("pop-a", "10.00"), price("pop-b", "12.50"),
        offering("po-line-a", "ps-line", "pop-a"), offering("po-line-b", "ps-line", "pop-b"),
        offering("po-pack-a", "ps-pack", None, ["po-line-a"]), offering("po-pack-b", "ps-pack", None, ["po-line-b"]),
        {"id": "promo-b", "@type": "Promotion", "name": "B for less", "lifecycleStatus": "active",
         "pattern": [{"id": "p1", "criteriaGroup": [{"criteria": [{"criteriaParameter": "productOffering.id",
                                                                   "criteriaOperator": "=",
                                                                   "criteriaValue": "po-pack-b"}]}],
                      "action": [{"actionType": "discount", "actionValue": "10%",
                                  "actionEntityRef": [{"id": "po-line-b"}]}]}]},
    ])
    products: list[dict[str, Any]] = [
        {"id": f"L-{n}", "productOffering": {"id": "po-line-a"}} for n in range(lines)]
    products[0]["productPrice"] = [{"priceType": "recurring", "recurringChargePeriod": "month",
                                    "price": {"taxIncludedAmount": {"unit": "EUR", "value": 9.0}},
                                    "productPriceAlteration": [{"name": "goodwill", "priceType": "recurring",
                                                                "price": {"percentage": 5}}]}]
    products.append({"id": "ACC", "productOffering": {"id": "po-pack-a"},
                     "productRelationship": [{"relationshipType": "bundles", "product": {"id": f"L-{n}"}}
                                             for n in range(lines)]})
    return catalog, odedelta.Inventory.from_document(catalog, products)


@pytest.mark.parametrize("lines", [3, TABLES_FROM + 8])
def test_a_large_accounts_change_reads_what_the_projection_and_full_bills_say(lines: int) -> None:
    """Every line changes plan (the promotion on pack B's line applies after): what the money stage read —
    ``placed``, the bills made from their tables — is what the built projection and bills made entry by entry
    say, entries, promotions and totals alike."""
    catalog, inventory = _account(lines)
    result = odedelta.Engine(catalog).change(inventory, ChangeOffer(product="ACC", to="po-pack-b"), as_of=AS_OF)
    assert isinstance(result, odedelta.ChangeResult) and result.consequences is not None
    projected = result.projected()
    assert result.placed.tables is (lines >= TABLES_FROM)
    assert result.placed == tuple((p.id, p.offering_id, p.spec_id) for p in projected)
    consequences = result.consequences
    before = bill(catalog, inventory.products, result.context, AS_OF)
    changed = {i.product_id: catalog_base(catalog, i.offering_id, AS_OF)
               for i in result.items if i.previous_offering_id}
    after = bill(catalog, {p.id: p for p in projected}, result.context, AS_OF, changed)
    assert consequences.before == before and consequences.after == after
    assert len(consequences.before._made) == 1  # only the line with a standing alteration was made before read
    assert consequences.after.promotions.keys() == {"promo-b"} and len(consequences.after.promotions["promo-b"]) \
        == lines
    for side, reference in ((consequences.recurring_before, before), (consequences.recurring_after, after)):
        assert side == total((e.net.rounded() for e in reference.products.values() if e.net is not None), "EUR")
    assert consequences.recurring_before.amount == 10 * (lines - 1) + Decimal("8.55")
    assert consequences.recurring_after.amount == Decimal("11.25") * lines
    made = Bill(dict(after.products), after.promotions, after.attributions)  # a bill of entries made one by one
    assert [(made.net_of(pid), made.base_of(pid)) for pid in made.product_ids] == \
        [(after.net_of(pid), after.base_of(pid)) for pid in after.product_ids]
