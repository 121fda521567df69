"""Partners (S10): a reseller's change as the customer order and one partner order per supplier, the supplier's
catalog merged into the reseller's, the order states rolled up, and the money between the partners. An edge:
it may import any layer, and no layer imports it."""

from odedelta.partners.catalog_import import import_partner_catalog
from odedelta.partners.orders import (
    customer_order,
    order_reference,
    partner_items,
    partner_orders,
    supplier_actions,
)
from odedelta.partners.rollup import RollUp, roll_up
from odedelta.partners.settlement import SettlementLine, SlaAdjustment, settlement_lines, sla_adjustment

__all__ = [
    "RollUp",
    "SettlementLine",
    "SlaAdjustment",
    "customer_order",
    "import_partner_catalog",
    "order_reference",
    "partner_items",
    "partner_orders",
    "roll_up",
    "settlement_lines",
    "sla_adjustment",
    "supplier_actions",
]
