"""The adapters layer, the edge: files (catalogs, inventories, rules), the ``odedelta`` command and scenario
files. The only layer that reads files or the clock; it turns their problems into located errors."""
