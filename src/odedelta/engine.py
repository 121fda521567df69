"""The engine: one entry point for every kind of change, and the result a CPQ screen or an order system reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .catalog import Catalog
from .delta import Action, Delta, DeltaBuilder, DeltaItem
from .errors import RequestError
from .inventory import Inventory
from .pricing import ONE_TIME, RECURRING, PriceLine, catalog_prices
from .projection import instance_problems, project
from .requests import Context, Request
from .tmf import Product


class Engine:
    """Answers change requests against one catalog. Holds no per-request state: safe to share."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def change(self, inventory: Inventory, request: Request, *, as_of: datetime,
               context: Context | None = None) -> ChangeResult:
        if as_of.tzinfo is None:
            raise RequestError("as_of must carry a time zone (e.g. 2026-03-01T00:00:00Z)")
        delta = DeltaBuilder(self.catalog, inventory, as_of).build(request)
        return ChangeResult(self.catalog, inventory, delta, context or Context())


@dataclass
class ChangeResult:
    catalog: Catalog
    inventory: Inventory
    delta: Delta
    context: Context

    @property
    def items(self) -> list[DeltaItem]:
        return self.delta.items

    @property
    def as_of(self) -> datetime:
        return self.delta.as_of

    def item(self, product_id: str) -> DeltaItem:
        for item in self.items:
            if item.product_id == product_id:
                return item
        raise KeyError(product_id)

    def item_prices(self, item: DeltaItem) -> list[PriceLine]:
        """What the item costs after the change: recurring prices, plus one-time prices for an added product."""
        if item.action is Action.DELETE:
            return []
        kinds = {RECURRING, ONE_TIME} if item.action is Action.ADD else {RECURRING}
        return [line for line in catalog_prices(self.catalog, item.offering_id, self.as_of) if line.kind in kinds]

    # ------------------------------------------------------------------ outputs
    def to_tmf622(self, version: int = 4) -> dict[str, Any]:
        from .order import product_order

        return product_order(self, version)

    def explain(self) -> str:
        from .report import explain

        return explain(self)

    def to_dict(self) -> dict[str, Any]:
        """The full result as JSON-ready data (items, reasons, characteristic changes, prices)."""
        request = self.delta.request.model_dump(mode="json")
        return {
            "request": request,
            "asOf": self.as_of,
            "summary": self.summary(),
            "items": [
                {
                    "id": item.id,
                    "action": item.action.value,
                    "product": item.product_id,
                    "new": not item.installed,
                    "offering": item.offering_id,
                    **({"previousOffering": item.previous_offering_id} if item.previous_offering_id else {}),
                    "specification": item.specification_id,
                    "parent": item.parent_id,
                    "characteristics": item.characteristics,
                    "characteristicChanges": [
                        {"name": c.name, "before": c.before, "after": c.after, "why": c.why} for c in item.changes
                    ],
                    "reasons": [{"code": r.code, "message": r.message, "source": r.source} for r in item.reasons],
                    "prices": [
                        {"pop": p.pop_id, "name": p.name, "type": p.kind, "amount": p.amount.rounded().amount,
                         "currency": p.amount.currency}
                        for p in self.item_prices(item)
                    ],
                }
                for item in self.items
            ],
        }

    def projected(self) -> list[Product]:
        """The installed products once the change is done (see :func:`apply`)."""
        return project(self.inventory, self.delta, self.catalog)

    def projected_inventory(self) -> Inventory:
        return Inventory.from_products(self.catalog, self.projected())

    def target_problems(self) -> list[str]:
        """Why the changed tree would not be a valid instance of its target offering (empty when it is)."""
        root = self.delta.root_product_id
        projected = self.projected_inventory()
        roots = [root] if root in projected.products else [
            i.product_id for i in self.items if not i.installed and i.parent_id is None
        ]
        return [p for r in roots for p in instance_problems(self.catalog, projected, r)]

    # ------------------------------------------------------------------ facts for the outputs
    def summary(self) -> str:
        request = self.delta.request
        name = self._name
        match request.kind:
            case "change_offer":
                current = self.inventory.product(request.product).offering_id  # type: ignore[union-attr]
                return f"Change {request.product} from {name(current)} to {name(request.to)}"  # type: ignore[union-attr]
            case "add":
                where = f" under {request.parent}" if request.parent else ""  # type: ignore[union-attr]
                return f"Add {name(request.offering)}{where}"  # type: ignore[union-attr]
            case "acquire":
                return f"Acquire {name(request.offering)}"  # type: ignore[union-attr]
            case "remove":
                return f"Remove {request.product}"  # type: ignore[union-attr]
            case "terminate":
                return f"Terminate {request.product}"  # type: ignore[union-attr]
            case _:
                return f"Modify the characteristics of {request.product}"  # type: ignore[union-attr]

    def _name(self, offering_id: str | None) -> str:
        offering = self.catalog.offerings.get(offering_id or "")
        return f"{offering.name} ({offering.id})" if offering and offering.name else str(offering_id)

    def _root_product(self) -> Product | None:
        for item in self.items:
            if item.installed:
                return self.inventory.products[item.product_id]
        roots = self.inventory.roots()
        return self.inventory.products[roots[0]] if roots else None

    def customer(self) -> str | None:
        product = self._root_product()
        for party in product.related_party if product else []:
            if (party.role or "").lower() == "customer" and party.party_id:
                return party.party_id
        return None

    def billing_account(self) -> str | None:
        product = self._root_product()
        return product.billing_account.id if product and product.billing_account else None



def apply(inventory: Inventory, result: ChangeResult) -> list[Product]:
    """The TMF637 products of ``inventory`` once ``result`` is carried out: deleted ones gone, kept ones under
    their ids (modified in place), new ones with the ids the delta generated, untouched ones as they were."""
    return project(inventory, result.delta, result.catalog)
