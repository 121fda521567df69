"""The service adapter: TM Forum Open APIs (TMF679, TMF663, TMF648, TMF622) over HTTP, fed by TMF620/TMF637.

An edge of the library (``pip install 'odedelta[service]'``): the core never imports it. ``create_app`` wires the
sources and the store into an ASGI app; ``serve`` runs it on uvicorn, bound to loopback by default.
"""

from __future__ import annotations

import gc
from pathlib import Path

import uvicorn

from odedelta.service.app import create_app
from odedelta.service.sources import CatalogSource, InventorySource, SourceError
from odedelta.service.store import Store

__all__ = ["CatalogSource", "InventorySource", "SourceError", "Store", "create_app", "serve"]


def serve(catalog: str | Path, rules: str | Path | None, inventory: str | Path | None, *, host: str = "127.0.0.1",
          port: int = 8080, store_path: str | Path | None = None, token: str | None = None) -> None:
    """Load the sources, then serve until interrupted (uvicorn, one process; bound to loopback by default)."""
    app = create_app(catalog, rules, inventory, store_path=store_path, token=token)
    gc.freeze()  # the loaded catalog lives as long as the process: later collections skip its objects
    uvicorn.run(app, host=host, port=port, log_level="warning")
