"""The delta layer: from a catalog, an installed inventory and a request to the items that are kept, modified,
deleted or added (minimal disruption), and the inventory projected once they are carried out. Reads the model;
knows nothing of rules' language, money or outputs."""
