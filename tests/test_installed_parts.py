"""An installed product holds its parts once per inventory: parts written exactly alike are one object, every list
is read-only, and nothing of what the inventory says or writes changes."""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import odedelta
from odedelta.model.catalog import Origin
from odedelta.model.inventory import HELD_FROM, Inventory, InventoryError
from odedelta.model.jsonio import dumps
from odedelta.model.tmf import EMPTY, HeldParts, Product, ProductTerm, ReadOnlyList, ReadOnlySet

DEMO = Path(__file__).resolve().parents[1] / "catalogs" / "demo" / "inventories"


def _lines(count: int, **more: Any) -> list[dict[str, Any]]:
    return [{"id": f"L-{i}", "productOffering": {"id": "po-streaming-vas"}, "@type": "Product", **more}
            for i in range(count)]


def test_parts_written_alike_are_one_object() -> None:
    document = json.loads((DEMO / "alice.json").read_text(encoding="utf-8"), parse_float=Decimal)
    products = _validated(document)
    accounts = {id(p.billing_account) for p in products}
    parties = {id(p.related_party) for p in products}
    assert len(products) == 9 and len(accounts) == len({dumps(item["billingAccount"]) for item in document}) == 1
    assert len(parties) == len({dumps(item["relatedParty"]) for item in document}) == 1
    assert products[0].billing_account is not None and products[0].billing_account.id == "BA-1"
    assert [p.party_id for p in products[0].related_party] == ["alice"]
    # what the inventory writes back is what each product validated on its own writes
    assert [dumps(p.to_tmf()) for p in products] == [dumps(Product.model_validate(item).to_tmf()) for item in document]


def test_a_small_inventory_holds_its_products_as_validated(demo: odedelta.Catalog) -> None:
    document = json.loads((DEMO / "alice.json").read_text(encoding="utf-8"), parse_float=Decimal)
    assert len(document) < HELD_FROM
    products = list(Inventory.from_document(demo, document).products.values())
    assert products[0].billing_account is not products[1].billing_account
    assert type(products[1].product_characteristic) is list and type(products[1].model_fields_set) is set


def test_a_thousand_lines_hold_one_offering_ref_and_no_empty_list(demo: odedelta.Catalog) -> None:
    inventory = Inventory.from_document(demo, _lines(1000, productCharacteristic=[{"name": "quality", "value": "UHD"}]))
    products = list(inventory.products.values())
    first = products[0]
    assert all(p.product_offering is first.product_offering for p in products)
    assert all(p.product_characteristic is first.product_characteristic for p in products)
    assert all(p.model_fields_set is first.model_fields_set for p in products)
    assert all(p.product_term is EMPTY and p.product_price is EMPTY and p.product_relationship is EMPTY
               and p.related_party is EMPTY for p in products)
    assert type(first.product_characteristic) is ReadOnlyList and type(first.model_fields_set) is ReadOnlySet
    assert [p.offering_id for p in products[:2]] == ["po-streaming-vas", "po-streaming-vas"]
    assert first.characteristics() == {"quality": "UHD"}
    assert first.to_tmf() == {"id": "L-0", "productOffering": {"id": "po-streaming-vas"}, "@type": "Product",
                              "productCharacteristic": [{"name": "quality", "value": "UHD"}]}


def test_parts_written_differently_stay_apart() -> None:
    """``"500"``/``500``/``500.0``/``500.00``/``true`` and keys in another order are different inputs: none is
    taken for another."""
    values: list[Any] = ["500", 500, Decimal("500.0"), Decimal("500.00"), True]
    document = [{"id": f"L-{i}", "productOffering": {"id": "po-fiber-500"},
                 "productCharacteristic": [{"name": "speed", "value": v}]} for i, v in enumerate(values)]
    document.append({"id": "L-9", "productOffering": {"name": "Fiber 500", "id": "po-fiber-500"}})
    document.append({"id": "L-10", "productOffering": {"id": "po-fiber-500", "name": "Fiber 500"}})
    products = _validated(document)
    assert len({id(p.product_characteristic) for p in products[:5]}) == 5
    assert products[-1].product_offering is not products[-2].product_offering
    # each writes what the product validated on its own writes (keys of a ref in its declared order)
    assert [dumps(p.to_tmf()) for p in products] == [dumps(Product.model_validate(item).to_tmf()) for item in document]
    assert [dumps(p.to_tmf()) for p in products[:5]] == [dumps(item) for item in document[:5]]
    again = _validated(document + document)
    assert all(a.product_characteristic is b.product_characteristic
               for a, b in zip(again[:5], again[7:12], strict=True))


def _validated(document: list[dict[str, Any]]) -> list[Product]:
    """The products as an inventory reads them (the catalog check aside: some values here are not allowed)."""
    held = HeldParts()
    return [held.product(item) for item in document]


def test_installed_products_are_read_only_and_copies_are_not(demo: odedelta.Catalog) -> None:
    inventory = Inventory.from_document(demo, _lines(HELD_FROM, productCharacteristic=[{"name": "quality",
                                                                                        "value": "UHD"}]))
    product = inventory.product("L-1")
    with pytest.raises(TypeError, match="read-only"):
        product.product_characteristic.append(product.product_characteristic[0])
    with pytest.raises(TypeError, match="read-only"):
        product.product_term.append(product.product_term)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="read-only"):
        product.model_fields_set.add("name")
    assert EMPTY == []
    changed = product.model_copy(update={"name": "renamed"})
    changed.model_fields_set.add("name")
    assert "name" not in product.model_fields_set and changed.to_tmf()["name"] == "renamed"
    assert type(product.model_copy(deep=True).product_characteristic) is list
    assert type(copy.deepcopy(product.product_characteristic)) is list
    again = pickle.loads(pickle.dumps(product))
    assert again == product and again.to_tmf() == product.to_tmf()
    assert inventory.product("L-2").model_fields_set == {"id", "product_offering", "type", "product_characteristic"}
    with pytest.raises(TypeError, match="read-only"):
        product.note = "x"  # an unknown field goes to the product's unknown fields, here the shared empty ones
    changed.note = "x"
    assert changed.model_extra == {"note": "x"} and product.model_extra == {}
    unpickled = pickle.loads(pickle.dumps(inventory))
    assert [p.to_tmf() for p in unpickled.products.values()] == [p.to_tmf() for p in inventory.products.values()]
    assert dict(unpickled.origins) == dict(inventory.origins) and len(unpickled.products) == HELD_FROM


def test_a_model_validated_on_its_own_holds_ordinary_lists() -> None:
    product = Product.model_validate({"id": "P", "productOffering": {"id": "po"},
                                      "productCharacteristic": [{"name": "speed", "value": "500"}]})
    assert type(product.product_characteristic) is list and type(product.model_fields_set) is set
    product.product_term.append(ProductTerm(name="commitment"))  # a default list of its own, as ever
    assert Product(id="Q").product_term == [] and product.model_extra == {}


def test_the_same_bad_part_is_reported_for_every_product(demo: odedelta.Catalog) -> None:
    document = _lines(HELD_FROM) + [{"id": f"B-{i}", "productOffering": "po-streaming-vas"} for i in range(2)]
    document.append({"id": "B-2", "productOffering": {"id": "po-streaming-vas"}, "productCharacteristic": "UHD"})
    with pytest.raises(InventoryError) as caught:
        Inventory.from_document(demo, document, "inv.json")
    n = HELD_FROM
    assert [(p.file, p.path) for p in caught.value.problems] == [
        ("inv.json", f"$[{n}].productOffering"), ("inv.json", f"$[{n + 1}].productOffering"),
        ("inv.json", f"$[{n + 2}].productCharacteristic")]
    small = [(p.path, p.message) for p in _problems(demo, document[n - 2:])]
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (path.replace("$[2]", f"$[{n}]").replace("$[3]", f"$[{n + 1}]").replace("$[4]", f"$[{n + 2}]"), message)
        for path, message in small]  # the same words as an inventory held as validated


def _problems(catalog: odedelta.Catalog, document: list[dict[str, Any]]) -> list[Any]:
    with pytest.raises(InventoryError) as caught:
        Inventory.from_document(catalog, document, "inv.json")
    return list(caught.value.problems)


def test_origins_name_each_product_where_it_was_read(demo: odedelta.Catalog) -> None:
    nested = [{"id": "P", "productOffering": {"id": "po-streaming-vas"},
               "product": [{"id": "C", "productOffering": {"id": "po-streaming-vas"}}]}, *_lines(2)]
    inventory = Inventory.from_document(demo, nested, "inv.json")
    assert dict(inventory.origins) == {"P": Origin("inv.json", (0,)), "C": Origin("inv.json", (0, "product", 0)),
                                       "L-0": Origin("inv.json", (1,)), "L-1": Origin("inv.json", (2,))}
    assert "C" in inventory.origins and "X" not in inventory.origins and len(inventory.origins) == 4
    assert list(inventory.origins) == ["P", "C", "L-0", "L-1"]
    assert inventory.origins.get("X") is None
    with pytest.raises(InventoryError) as caught:
        Inventory.from_document(demo, [*nested, {"id": "C", "productOffering": {"id": "po-streaming-vas"}}], "inv.json")
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("$[3].id", "duplicate product id 'C' (first at $[0].product[0] in inv.json)")]


def test_parts_written_null_or_oddly_are_read_as_ever(demo: odedelta.Catalog) -> None:
    odd: list[dict[str, Any]] = [{"billingAccount": None}, {"billingAccount": None}, {"productTerm": []},
                                 {"productTerm": []}, {"relatedParty": [{"id": "p", "role": "owner", "x": [1]}]},
                                 {"relatedParty": [{"id": "p", "role": "owner", "x": [1]}]}]
    document = [{**line, **more} for line, more in zip(_lines(len(odd)), odd, strict=True)] + _lines(HELD_FROM)[6:]
    inventory = Inventory.from_document(demo, document)
    assert [dumps(p.to_tmf()) for p in inventory.products.values()] == [
        dumps(Product.model_validate(item).to_tmf()) for item in document]
    products = list(inventory.products.values())
    assert products[0].billing_account is None and products[2].product_term is EMPTY
    assert products[4].related_party is products[5].related_party
    assert products[4].related_party[0].model_extra == {"x": [1]}


def test_a_products_ids_follow_its_refs_however_it_is_made() -> None:
    """offering_id and spec_id are slots read from the refs when the product is made: validated, built, copied with
    an update, unpickled, deep-copied, or its ref assigned; the slots themselves are never assigned."""
    product = Product.model_validate({"id": "P-1", "productOffering": {"id": "po-a"}})
    assert (product.offering_id, product.spec_id) == ("po-a", None)
    moved = product.model_copy(update={"product_offering": None,
                                       "product_specification": Product.model_validate(
                                           {"id": "x", "productSpecification": {"id": "ps-b"}}).product_specification})
    assert (moved.offering_id, moved.spec_id, product.offering_id) == (None, "ps-b", "po-a")
    for again in (pickle.loads(pickle.dumps(product)), copy.deepcopy(product), copy.copy(product),
                  product.model_copy(deep=True), Product(id="P-1", product_offering=product.product_offering)):
        assert (again.offering_id, again.spec_id) == ("po-a", None) and again == product
    built = Product.model_construct(id="P-2", product_offering=product.product_offering)
    assert built.offering_id == "po-a"
    product.product_offering = moved.product_specification
    assert product.offering_id == "ps-b"
    with pytest.raises(AttributeError, match="assign product_offering"):
        product.offering_id = "po-c"  # type: ignore[misc]
    assert product.offering_id == "ps-b" and "offering_id" not in product.to_tmf()
    held = HeldParts()
    first, second = (held.product({"id": f"H-{n}", "productOffering": {"id": "po-h"},
                                   "productSpecification": {"id": "ps-h"}}) for n in (1, 2))
    assert second.product_offering is first.product_offering  # the held ref: the ids read from it
    assert (second.offering_id, second.spec_id) == ("po-h", "ps-h")


def test_a_product_whose_ref_is_not_a_ref_fails_when_its_id_is_read_never_reads_none() -> None:
    """A mapping given where a ref goes (``model_construct``, ``model_copy(update=…)``, an assignment: none
    validates) or a deleted ref field: reading the id fails as reading the ref does — never None, which the engine
    would take for a product without an offering (found in review)."""
    product = Product.model_validate({"id": "P-1", "productOffering": {"id": "po-a"},
                                      "productSpecification": {"id": "ps-a"}})
    made = [Product.model_construct(id="P-2", product_offering={"id": "po-b"}),
            product.model_copy(update={"product_offering": {"id": "po-b"}})]
    assigned = product.model_copy()
    assigned.product_offering = {"id": "po-b"}  # type: ignore[assignment]
    for odd in [*made, assigned]:
        with pytest.raises(AttributeError, match="'dict' object has no attribute 'id'"):
            _ = odd.offering_id
        assert odd.spec_id == ("ps-a" if odd is not made[0] else None)
    deleted = product.model_copy()
    del deleted.product_offering
    with pytest.raises(AttributeError, match="product_offering"):
        _ = deleted.offering_id
    deleted.product_offering = product.product_offering  # a ref again: read again
    assert (deleted.offering_id, product.offering_id) == ("po-a", "po-a")
