"""Graph queries on the demo catalog and inventories, with exact answers."""

from __future__ import annotations

import pytest

import odedelta
from odedelta.model.graph import Component
from odedelta.model.inventory import Inventory, InventoryError
from odedelta.model.tmf import Product


def test_components_of_a_bundle_with_cardinalities(demo: odedelta.Catalog) -> None:
    assert demo.graph.components("po-fiber-1000") == [
        Component(0, "po-fiber-access-1000", 1, 1, 1),
        Component(1, "po-router-wifi6e", 1, 1, 1),
        Component(2, "po-static-ip", 0, 1, 0),
        Component(3, "po-streaming-vas", 0, 1, 0),
        Component(4, "po-security-vas", 1, 1, 1),
        Component(5, "po-cloud-storage", 0, 1, 0),
        Component(6, "po-mesh-extender", 1, 3, 1),
    ]
    assert demo.graph.components("po-voicemail") == []


def test_offering_specification_and_offerings_sharing_it(demo: odedelta.Catalog) -> None:
    assert demo.graph.specification_of("po-fiber-access-300") == "ps-fiber-access"
    assert demo.graph.offerings_with_specification("ps-fiber-access") == [
        "po-fiber-access-100", "po-fiber-access-1000", "po-fiber-access-300", "po-fiber-access-500",
    ]
    assert demo.graph.offerings_with_specification("ps-voicemail") == ["po-voicemail", "po-voicemail-plus"]


def test_relationships_of_an_offering(demo: odedelta.Catalog) -> None:
    assert demo.graph.related("po-fiber-500") == [("po-fiber-1000", "upgrade"), ("po-fiber-300", "downgrade")]
    assert demo.graph.related("po-fiber-500", "Downgrade") == [("po-fiber-300", "downgrade")]
    assert demo.successors("po-mobile-classic") == ["po-mobile-m"]
    assert demo.successors("po-fiber-200-legacy") == ["po-fiber-300"]
    assert demo.migration_targets("po-fiber-300") == []


def test_bundles_containing_and_depth(demo: odedelta.Catalog) -> None:
    assert demo.graph.bundles_containing("po-fiber-300") == ["po-home-pack"]
    assert demo.graph.bundles_containing("po-router-wifi6e") == ["po-business-fiber-1000", "po-fiber-1000"]
    assert demo.graph.bundle_depth("po-home-pack") == 2
    assert demo.graph.bundle_depth("po-voicemail") == 0
    assert demo.graph.bundle_cycles() == []


def test_prices_categories_and_promotions(demo: odedelta.Catalog) -> None:
    assert demo.graph.prices_of("po-static-ip") == ["pop-static-ip", "pop-static-ip-setup"]
    assert demo.graph.categories_of("po-business-fiber-1000") == ["cat-business", "cat-fiber"]
    assert demo.graph.offerings_in_category("cat-tv") == [
        "po-tv-basic", "po-tv-box-4k", "po-tv-box-hd", "po-tv-channels-basic", "po-tv-channels-cinema",
        "po-tv-channels-sports", "po-tv-premium", "po-tv-recording",
    ]
    assert demo.graph.promotions_naming("offering", "po-streaming-vas") == ["promo-fiber-free-streaming"]
    assert demo.graph.promotions_naming("offering", "po-fiber-500") == ["promo-fiber-free-streaming"]


def test_supplier_is_named_on_the_specification(demo: odedelta.Catalog) -> None:
    assert demo.supplier_of("po-streaming-vas") == "org-streammax"
    assert demo.supplier_of("po-fiber-300") is None


def test_inventory_tree_queries(inventories: dict[str, odedelta.Inventory]) -> None:
    alice = inventories["alice"]
    assert alice.subtree("A-1") == ["A-1", "A-2", "A-3", "A-4"]
    assert alice.parent("A-3") == "A-1" and alice.parent("A-1") is None
    assert alice.graph.node("F-4") == ("po-streaming-vas", "ps-streaming")
    for inventory in inventories.values():  # the table the per-change path reads: each product's two ids, in order
        assert list(inventory.graph.kinds.items()) == [
            (pid, (p.offering_id, p.spec_id)) for pid, p in inventory.products.items()]
    erin = inventories["erin"]
    assert erin.children("E-1") == ["E-2", "E-5", "E-8"]
    assert erin.subtree("E-8") == ["E-8", "E-9", "E-10"]


def test_characteristic_values_allowed_and_defaults(demo: odedelta.Catalog) -> None:
    assert [v.value for v in demo.allowed_values("po-voicemail-plus", "mailboxSize") or []] == [100, 500]
    assert demo.default_value("po-voicemail-plus", "mailboxSize") == (True, 100)
    assert demo.default_value("po-voicemail", "greetingLanguage") == (True, "en")
    assert demo.is_allowed("po-fiber-access-300", "downloadSpeed", "300")  # "300" and 300 are one value
    assert not demo.is_allowed("po-fiber-access-300", "downloadSpeed", 500)
    assert demo.allowed_values("po-mobile-line", "phoneNumber") is None  # free text


def test_sellability(demo: odedelta.Catalog) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert demo.sellable("po-fiber-300", now) == (True, "")
    ok, why = demo.sellable("po-mobile-classic", now)
    assert not ok and why == "offering 'po-mobile-classic' is not sellable: lifecycleStatus is 'Retired'"


def test_an_inventory_sharing_its_models_is_the_one_read_back_from_them(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """``Inventory.sharing`` (the flows' projected inventory) holds the very models it is given, and is otherwise
    what ``from_products`` builds by writing them out and reading them back: products, origins, relationships,
    and the same refusal, word for word, for products that do not make an inventory."""
    def shape(inventory: Inventory) -> object:
        return ([(pid, p.to_tmf()) for pid, p in inventory.products.items()], list(inventory.origins.items()),
                inventory.graph.nodes(), inventory.graph.edges())

    for name, inventory in inventories.items():
        products = list(inventory.products.values())
        shared = Inventory.sharing(demo, products)
        assert shape(shared) == shape(Inventory.from_products(demo, products)), name
        assert all(shared.products[p.id] is p for p in products)
    alice = list(inventories["alice"].products.values())
    duplicate, unknown_child = [*alice, alice[0]], [p for p in alice if p.id != "F-2"]  # F-1 bundles F-2
    for broken in (duplicate, unknown_child):
        refusals = []
        for build in (Inventory.sharing, Inventory.from_products):
            with pytest.raises(InventoryError) as caught:
                build(demo, broken)
            refusals.append((str(caught.value), [str(p) for p in caught.value.problems]))
        assert refusals[0] == refusals[1]
    assert "duplicate product id 'F-1'" in " ".join(sharing_problems(demo, duplicate))
    assert "relationship to unknown product 'F-2'" in " ".join(sharing_problems(demo, unknown_child))


def sharing_problems(catalog: odedelta.Catalog, products: list[Product]) -> list[str]:
    with pytest.raises(InventoryError) as caught:
        Inventory.sharing(catalog, products)
    return [str(p) for p in caught.value.problems]


def test_a_graph_made_at_once_is_the_graph_made_edge_by_edge() -> None:
    """``InventoryGraph.of`` builds what add_product, add_child and add_relationship build one by one: the same
    nodes, edges, children, parents and bundling products, in the same order — with a product listed twice, an edge
    to a product not listed, a relationship over a bundle and a bundle over a relationship."""
    import random

    from odedelta.model.graph import InventoryGraph

    rng = random.Random(29)
    for _ in range(300):
        ids = [f"P-{n}" for n in range(rng.randint(0, 6))]
        nodes = [(rng.choice(ids), rng.choice([None, "po-a", "po-b"]), rng.choice([None, "ps-a"]))
                 for _ in range(rng.randint(0, 8))] if ids else []
        ends = [*ids, "X-1", "X-2"]
        edges = [(rng.choice(ends), rng.choice(ends), rng.choice([None, None, "reliesOn", "", "bundles"]))
                 for _ in range(rng.randint(0, 10))]
        one_by_one = InventoryGraph()
        for pid, offering, spec in nodes:
            one_by_one.add_product(pid, offering, spec)
        for source, target, named in edges:
            if named is None:
                one_by_one.add_child(source, target)
            else:
                one_by_one.add_relationship(source, target, named)
        at_once = InventoryGraph.of(nodes, edges)
        assert at_once.nodes() == one_by_one.nodes()
        assert at_once.edges() == one_by_one.edges()
        assert list(at_once.kinds.items()) == list(one_by_one.kinds.items())
        assert set(at_once.bundling()) == set(one_by_one.bundling())
        for pid, _, _ in one_by_one.nodes():
            assert at_once.children_of(pid) == one_by_one.children_of(pid)
            assert at_once.parents_of(pid) == one_by_one.parents_of(pid)
            assert at_once.related(pid) == one_by_one.related(pid)
