"""``odedelta serve``: the engine as TM Forum Open APIs over HTTP (the service edge; the extra ``service``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from odedelta.model.errors import RequestError


def _serve(args: argparse.Namespace) -> int:
    try:
        import odedelta.service as service  # the optional service extra: FastAPI and uvicorn
    except ImportError as exc:
        if exc.name not in ("fastapi", "starlette", "uvicorn"):
            raise
        raise RequestError(f"odedelta serve needs the service extra ({exc.name} is missing): "
                           "pip install 'odedelta[service]'") from None
    token = args.token or os.environ.get("ODEDELTA_TOKEN") or None
    service.serve(args.catalog, args.rules, args.inventory, host=args.host, port=args.port, store_path=args.store,
                  token=token)
    return 0


def add_parser(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve TMF679, TMF663, TMF648 and TMF622 over HTTP (needs pip install 'odedelta[service]')",
        description="Serve the engine as TM Forum Open APIs on their official base paths (/tmf-api/...), with "
        "GET /health and the OpenAPI document at /openapi.json. Binds to loopback unless --host says otherwise.",
    )
    serve.add_argument("--catalog", required=True, metavar="DIR|URL",
                       help="catalog directory, or a TMF620 base URL (.../productCatalogManagement/v4)")
    serve.add_argument("--rules", type=Path, metavar="DIR", help="a directory of rule files to apply")
    serve.add_argument("--inventory", metavar="PATH|URL",
                       help="a TMF637 file or directory of files, or a TMF637 base URL (.../productInventory/v4)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--store", type=Path, metavar="FILE",
                       help="SQLite file keeping carts, quotes and orders across restarts (default: in memory)")
    serve.add_argument("--token", help="bearer token every request must carry (default: $ODEDELTA_TOKEN, else none)")
    serve.set_defaults(run=_serve)
