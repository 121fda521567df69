"""Partners (S10): a reseller's change as the customer order and one partner order per supplier, the supplier's
catalog merged into the reseller's, the order states rolled up, and the money between the partners. An edge:
it may import any layer, and no layer imports it."""

from odedelta.partners.orders import customer_order, item_supplier, order_reference, partner_items, partner_orders

__all__ = ["customer_order", "item_supplier", "order_reference", "partner_items", "partner_orders"]
