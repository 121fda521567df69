"""The model layer: what odedelta reads and reasons about — TMF620/671/637 documents as typed models, the catalog
and inventory with their graphs, requests, money, time and the errors. It knows nothing of deltas, rules or
outputs; every other layer builds on it."""
