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
        if exc.name not in ("fastapi", "starlette", "uvicorn", "httpx"):
            raise
        raise RequestError(f"odedelta serve needs the service extra ({exc.name} is missing): "
                           "pip install 'odedelta[service]'") from None
    token = args.token or os.environ.get("ODEDELTA_TOKEN") or None
    allow = tuple(h.strip() for given in args.callback_allow or () for h in given.split(",") if h.strip())
    service.serve(args.catalog, args.rules, args.inventory, host=args.host, port=args.port, store_path=args.store,
                  token=token, tokens_file=args.tokens, jwt_key=args.jwt_key, jwt_audience=args.jwt_audience,
                  jwt_issuer=args.jwt_issuer, insecure=args.insecure, workers=args.workers, callback_allow=allow,
                  max_items=args.max_items, time_budget=args.time_budget, body_timeout=args.body_timeout,
                  upstream_timeout=args.upstream_timeout, retain_days=args.retain_days or None,
                  access_log=not args.no_access_log, public_url=args.public_url)
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
    serve.add_argument("--store", metavar="FILE|URL",
                       help="SQLite file keeping carts, quotes and orders across restarts, or postgresql://… to "
                            "share them between serve processes (default: SQLite in memory)")
    serve.add_argument("--token", help="a single bearer token with the admin scope (default: $ODEDELTA_TOKEN)")
    serve.add_argument("--tokens", metavar="FILE",
                       help="tokens file: callers, their tokens' SHA-256 and scopes (the service how-to shows one)")
    serve.add_argument("--jwt-key", metavar="FILE", help="accept JWTs signed by this PEM public key or JWKS file")
    serve.add_argument("--jwt-audience", metavar="AUD", help="the aud claim JWTs must carry")
    serve.add_argument("--jwt-issuer", metavar="ISS", help="the iss claim JWTs must carry")
    serve.add_argument("--insecure", action="store_true",
                       help="off loopback, serve without credentials (every caller is admin)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="processes (default 1; more need --store FILE or postgresql://…)")
    serve.add_argument("--callback-allow", action="append", metavar="HOST|CIDR",
                       help="hosts (name, *.suffix) or IP/CIDR that TMF622 listeners may be on; repeatable or "
                            "comma-separated (default: none, listeners refused)")
    serve.add_argument("--max-items", type=int, default=1000, metavar="N",
                       help="items in one request (default 1000; more: 413)")
    serve.add_argument("--time-budget", type=float, default=30.0, metavar="SECONDS",
                       help="work per request (default 30; more: 422, nothing stored)")
    serve.add_argument("--body-timeout", type=float, default=10.0, metavar="SECONDS",
                       help="time a client has to send its body (default 10; more: 408)")
    serve.add_argument("--upstream-timeout", type=float, default=10.0, metavar="SECONDS",
                       help="timeout of each call to TMF620/637 servers and listeners (default 10; 3 attempts)")
    serve.add_argument("--retain-days", type=float, default=30.0, metavar="DAYS",
                       help="keep qualifications, carts and quotes this long (default 30; 0: forever)")
    serve.add_argument("--public-url", metavar="URL",
                       help="the address clients reach the service at, for hrefs and Location (default: the scheme "
                       "and host of each request)")
    serve.add_argument("--no-access-log", action="store_true", help="no JSON access-log line per request")
    serve.set_defaults(run=_serve)
