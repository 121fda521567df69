"""Facts every output states about a change: its one-line summary, the customer and billing account it concerns,
and how an offering is named to a person."""

from __future__ import annotations

from odedelta.flows.result import ChangeResult
from odedelta.model.catalog import Catalog
from odedelta.model.requests import AddOffering, ChangeOffer
from odedelta.model.tmf import Product, Ref, RelatedParty


def offering_label(catalog: Catalog, offering_id: str | None) -> str:
    """``Name (id)``, or the id alone when the catalog has no name for it."""
    offering = catalog.offerings.get(offering_id or "")
    return f"{offering.name} ({offering.id})" if offering and offering.name else str(offering_id)


def summary(result: ChangeResult) -> str:
    """One line naming the change: the report's title and the order's description."""
    request = result.delta.request

    def name(offering_id: str | None) -> str:
        return offering_label(result.catalog, offering_id)

    if isinstance(request, ChangeOffer):
        current = result.inventory.product(request.product).offering_id
        if result.kind == "renew":
            return (f"Renew the commitment of {request.product}: {name(current)} is no longer sold, it moves to "
                    f"{name(request.to)}")
        return f"Change {request.product} from {name(current)} to {name(request.to)}"
    if isinstance(request, AddOffering):
        where = f" under {request.parent}" if request.parent else ""
        return f"Add {name(request.offering)}{where}"
    verbs = {"remove": "Remove {}", "renew": "Renew the commitment of {}", "terminate": "Terminate {}",
             "modify": "Modify the characteristics of {}"}
    if request.kind == "acquire":
        return f"Acquire {name(getattr(request, 'offering', None))}"
    return verbs.get(request.kind, "Modify the characteristics of {}").format(getattr(request, "product", None))


def _root_product(result: ChangeResult) -> Product | None:
    for item in result.items:
        if item.installed:
            return result.inventory.products[item.product_id]
    roots = result.inventory.roots()
    return result.inventory.products[roots[0]] if roots else None


def customer(result: ChangeResult) -> str | None:
    """The party with role customer on the changed tree's root product."""
    product = _root_product(result)
    for party in product.related_party if product else []:
        if (party.role or "").lower() == "customer" and party.party_id:
            return party.party_id
    return None


def billing_account(result: ChangeResult) -> str | None:
    product = _root_product(result)
    return product.billing_account.id if product and product.billing_account else None


def parties(result: ChangeResult) -> list[RelatedParty]:
    """Every related party of the changed tree's root product (customer, reseller, user…), as the inventory
    states them: id, name, role and ``@referredType`` (Individual, Organization…) untouched."""
    product = _root_product(result)
    return [party for party in product.related_party if party.party_id] if product else []


def billing_account_ref(result: ChangeResult) -> Ref | None:
    """The root product's billing account reference, as the inventory states it (id, href, name, type)."""
    product = _root_product(result)
    return product.billing_account if product and product.billing_account and product.billing_account.id else None
