"""The money layer: bills before and after a change (catalog prices, inventory price alterations, TMF671
promotions), penalties, fees, proration and their explanations, all in ``Decimal`` with a currency. Pure functions
over the model and a delta."""
