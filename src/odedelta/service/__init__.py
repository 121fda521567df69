"""The service adapter: TM Forum Open APIs (TMF679, TMF663, TMF648, TMF622) over HTTP, fed by TMF620/TMF637.

An edge of the library (``pip install 'odedelta[service]'``; ``[postgres]`` for a shared store, ``[jwt]`` for JWTs):
the core never imports it. ``create_app`` wires the sources, the store and the authenticator into an ASGI app;
``serve`` checks the settings, says where it listens and runs it on uvicorn (bound to loopback by default, closed
off loopback unless credentials are given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from odedelta.service import server
from odedelta.service.app import create_app
from odedelta.service.server import ServeError, Settings
from odedelta.service.sources import CatalogSource, InventorySource, SourceError
from odedelta.service.store import PostgresStore, SqliteStore, Store, open_store

__all__ = ["CatalogSource", "InventorySource", "PostgresStore", "ServeError", "Settings", "SourceError",
           "SqliteStore", "Store", "create_app", "open_store", "serve"]


def serve(catalog: str | Path, rules: str | Path | None, inventory: str | Path | None, *, host: str = "127.0.0.1",
          port: int = 8080, store_path: str | Path | None = None, token: str | None = None,
          **options: Any) -> None:
    """Check the settings, load the sources, say where and how the service listens, then serve until interrupted
    (``options``: the other fields of :class:`Settings`, e.g. ``workers``, ``tokens_file``, ``callback_allow``)."""
    if "callback_allow" in options:
        options["callback_allow"] = tuple(options["callback_allow"] or ())
    server.serve(Settings(str(catalog), None if rules is None else str(rules),
                          None if inventory is None else str(inventory), host=host, port=port,
                          store=None if store_path is None else str(store_path), token=token, **options))
