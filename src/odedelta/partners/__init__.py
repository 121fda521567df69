"""Partners (S10), the library side: a supplier's catalog merged into the reseller's. The pure computations live
in the core (partner orders and the status roll-up in ``odedelta.outputs``, settlement and SLA credits in
``odedelta.flows``) and are re-exported here; the partner commands are in ``odedelta.adapters.cli.partners``."""

from odedelta.flows.settlement import (
    SettlementLine,
    SlaAdjustment,
    partner_items,
    settlement_lines,
    sla_adjustment,
    supplier_actions,
)
from odedelta.outputs.partner_orders import customer_order, order_reference, partner_orders
from odedelta.outputs.rollup import RollUp, roll_up
from odedelta.partners.catalog_import import import_partner_catalog

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
