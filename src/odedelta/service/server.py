"""``odedelta serve``: the checks before listening, the line that says how, and uvicorn with one or more workers.

Closed by default: off loopback the service refuses to start without credentials (a tokens file, a JWT key or the
single token) unless ``insecure`` says so. A bad port, a port in use, an unreadable tokens file or a store that
cannot be opened are one-line :class:`ServeError` s (exit 2 for the command line, 1 for the environment) before
anything listens. With ``workers`` > 1 uvicorn starts that many processes sharing the socket; each builds its app from
the same settings (passed in the environment), so they need a shared store (a SQLite file or PostgreSQL).
"""

from __future__ import annotations

import atexit
import errno
import gc
import ipaddress
import json
import logging
import os
import socket
import sys
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from odedelta.service._core import OdeDeltaError
from odedelta.service.app import create_app
from odedelta.service.edge import HEADER_TIMEOUT, MAX_HEAD, Limits
from odedelta.service.logs import LineWriter
from odedelta.service.outbound import Retry
from odedelta.service.security import AuthConfigError, authenticator
from odedelta.service.store import StoreError, hidden

SETTINGS_ENV = "ODEDELTA_SERVE_SETTINGS"


class ServeError(OdeDeltaError):
    """``serve`` cannot start; ``exit_code`` 2 when the command line is wrong, 1 when the machine refuses."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Settings:
    catalog: str
    rules: str | None = None
    inventory: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    store: str | None = None
    token: str | None = None
    tokens_file: str | None = None
    jwt_key: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    insecure: bool = False
    workers: int = 1
    callback_allow: tuple[str, ...] = ()
    max_items: int = Limits.max_items
    time_budget: float = Limits.time_budget
    body_timeout: float = Limits.body_timeout
    upstream_timeout: float = Retry.timeout
    upstream_attempts: int = Retry.attempts
    retain_days: float | None = 30.0
    access_log: bool = True
    public_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or self.tokens_file or self.jwt_key)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build(settings: Settings) -> FastAPI:
    """The app of these settings (what each worker runs)."""
    try:
        auth = authenticator(token=settings.token, tokens_file=settings.tokens_file, jwt_key=settings.jwt_key,
                             jwt_audience=settings.jwt_audience, jwt_issuer=settings.jwt_issuer)
    except AuthConfigError as exc:
        raise ServeError(str(exc), 2) from None
    limits = Limits(max_items=settings.max_items, time_budget=settings.time_budget,
                    body_timeout=settings.body_timeout)
    retry = Retry(attempts=settings.upstream_attempts, timeout=settings.upstream_timeout)
    retention = timedelta(days=settings.retain_days) if settings.retain_days else None
    try:
        return create_app(settings.catalog, settings.rules, settings.inventory, store_path=settings.store,
                          auth=auth, limits=limits, callback_allow=settings.callback_allow,
                          bound_host=settings.host, retry=retry, retention=retention,
                          public_url=settings.public_url)
    except StoreError as exc:
        raise ServeError(str(exc), 1) from None


def check(settings: Settings) -> None:
    """Every refusal that does not need the catalog: credentials off loopback, the port, workers and store."""
    if not 1 <= settings.port <= 65535:
        raise ServeError(f"--port {settings.port}: expected a port from 1 to 65535", 2)
    if settings.workers < 1:
        raise ServeError(f"--workers {settings.workers}: expected 1 or more", 2)
    if settings.public_url is not None and not settings.public_url.startswith(("http://", "https://")):
        raise ServeError(f"--public-url {settings.public_url}: expected an http:// or https:// URL", 2)
    if not is_loopback(settings.host) and not settings.has_credentials and not settings.insecure:
        raise ServeError(f"--host {settings.host} is not loopback and no credentials are set: give --tokens FILE, "
                         "--jwt-key FILE or --token (or $ODEDELTA_TOKEN), or --insecure to serve everyone openly", 2)
    if settings.workers > 1 and settings.store is None:
        raise ServeError(f"--workers {settings.workers} needs a store the processes share: --store FILE or "
                         "--store postgresql://…", 2)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((settings.host, settings.port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {settings.port} on {settings.host} is already in use", 1) from None
        if exc.errno == errno.EACCES:
            raise ServeError(f"port {settings.port} on {settings.host}: permission denied "
                             "(ports below 1024 need privileges)", 1) from None
        raise ServeError(f"cannot listen on {settings.host}:{settings.port} ({exc.strerror})", 1) from None
    except socket.gaierror as exc:
        raise ServeError(f"--host {settings.host}: cannot resolve ({exc})", 2) from None
    finally:
        probe.close()


def http_protocol() -> type[Any]:
    """The protocol ``serve`` runs: :class:`odedelta.service.protocol.GuardedHttpToolsProtocol`, or
    :class:`GuardedH11Protocol` where httptools is not installed (an environment made before the service extra
    brought it: the same guards, a slower parser)."""
    try:
        from odedelta.service.protocol import GuardedHttpToolsProtocol
    except ImportError as exc:
        if exc.name != "httptools":
            raise
        return GuardedH11Protocol
    return GuardedHttpToolsProtocol


class GuardedH11Protocol(H11Protocol):
    """uvicorn's pure-Python h11 protocol with the service's guard on request heads (where httptools is not
    installed): a connection that has not sent a complete request head within ``HEADER_TIMEOUT`` seconds is closed;
    h11 itself refuses a head longer than ``MAX_HEAD`` (``h11_max_incomplete_event_size``)."""

    HEADER_TIMEOUT = HEADER_TIMEOUT

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._heads = 0
        self._arm()

    def _arm(self) -> None:
        self.loop.call_later(self.HEADER_TIMEOUT, self._expire, self._heads)

    def _expire(self, heads: int) -> None:
        if self._heads == heads and self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def handle_events(self) -> None:
        scope = self.scope
        super().handle_events()
        if self.scope is not scope:  # a complete request head arrived
            self._heads += 1

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()


def describe(settings: Settings, app: FastAPI) -> str:
    service = app.state.service
    where = f"[{settings.host}]" if ":" in settings.host else settings.host
    store = "SQLite in memory" if settings.store is None else (
        f"PostgreSQL {hidden(settings.store)}" if settings.store.startswith(("postgresql:", "postgres:"))
        else f"SQLite {settings.store}")
    auth = app.state.authenticator.mode
    if auth == "none":
        auth = "none (insecure: every caller is admin)" if settings.insecure else "none (loopback only)"
    return (f"odedelta serve: listening on http://{where}:{settings.port} — store: {store}; auth: {auth}; "
            f"workers: {settings.workers}; callbacks: {service.callbacks.describe()}; "
            f"limits: {settings.max_items} items, {settings.time_budget:g} s per request")


def serve(settings: Settings) -> None:
    """Check, build, say where and how, then serve until interrupted."""
    check(settings)
    app = build(settings)  # in this process too: a bad catalog or store is refused before anything listens
    print(describe(settings, app), file=sys.stderr, flush=True)
    _logging(settings.access_log)
    config: dict[str, Any] = {"host": settings.host, "port": settings.port, "log_level": "warning",
                              "timeout_keep_alive": 5, "timeout_graceful_shutdown": 10, "access_log": False,
                              "h11_max_incomplete_event_size": MAX_HEAD, "server_header": False,
                              "log_config": None, "http": http_protocol(),
                              "loop": "auto"}  # uvloop where installed (the service extra brings it), else asyncio
    sys.setswitchinterval(0.001)  # the event loop gets the GIL back quickly while a thread runs the engine
    if settings.workers == 1:
        gc.freeze()  # the loaded catalog lives as long as the process: later collections skip its objects
        uvicorn.run(app, **config)
        return
    app.state.service.store.close()
    os.environ[SETTINGS_ENV] = json.dumps(asdict(settings))
    uvicorn.run("odedelta.service.server:worker_app", factory=True, workers=settings.workers, **config)


def worker_app() -> FastAPI:
    """The app of one worker process (``uvicorn --factory``), from the settings the parent left in the environment."""
    data = json.loads(os.environ[SETTINGS_ENV])
    data["callback_allow"] = tuple(data["callback_allow"])
    settings = Settings(**data)
    _logging(settings.access_log)
    sys.setswitchinterval(0.001)
    app = build(settings)
    gc.freeze()
    return app


def _logging(access_log: bool) -> None:
    """The access log (one JSON line per request) and the service's warnings on stderr, written by a thread of
    their own (:class:`odedelta.service.logs.LineWriter`): a request only puts its line on a queue, it never waits
    for stderr (a pipe that is read slowly, a terminal, a log collector that stalls)."""
    writer = LineWriter(sys.stderr)
    writer.setFormatter(logging.Formatter("%(message)s"))
    atexit.register(writer.close)  # the lines still queued are written before the process ends
    for name, level in (("odedelta.service.access", logging.INFO if access_log else logging.WARNING),
                        ("odedelta.service", logging.WARNING)):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(writer)
        logger.setLevel(level)
        logger.propagate = False
