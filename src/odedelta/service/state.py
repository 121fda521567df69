"""What one app answers with (:class:`Service`): the sources, the engine, the store, the limits, the callback policy
and the retention. The routers reach it as ``request.app.state.service``."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from odedelta.service import documents as docs
from odedelta.service._core import Catalog, ChangeResult, Context, Engine, Refusal, Rulebook, load_rules
from odedelta.service.edge import ApiError, Limits
from odedelta.service.outbound import CallbackPolicy, Retry
from odedelta.service.security import Caller
from odedelta.service.sources import CatalogSource, InventorySource
from odedelta.service.store import Store

RETAINED = {"poq": "qualifications", "poqQuery": "qualifications", "shoppingCart": "carts", "quote": "quotes"}
"""The kinds retention applies to (orders and listener registrations are kept until deleted)."""


class Service:
    """What one app answers with: the catalog (reloadable), rules, the engine, the inventory source, the store,
    the limits, the callback policy and the retention."""

    def __init__(self, catalog: CatalogSource, rules: Rulebook | str | Path | None, inventory: InventorySource,
                 store: Store, clock: Callable[[], datetime], *, limits: Limits | None = None,
                 callbacks: CallbackPolicy | None = None, retry: Retry | None = None,
                 retention: timedelta | None = timedelta(days=30), public_url: str | None = None) -> None:
        self.catalog_source, self.rules_source, self.inventory_source = catalog, rules, inventory
        self.store, self.clock = store, clock
        self.limits = limits or Limits()
        self.callbacks = callbacks or CallbackPolicy()
        self.retry = retry or Retry()
        self.retention = retention
        self.public_url = public_url
        """The service's own address for hrefs (None: the request's)."""
        self._lock = threading.Lock()
        self._purged = 0.0
        self.engine = self._build()
        self.counts = self.engine.catalog.counts()

    def _build(self) -> Engine:
        catalog = self.catalog_source.load()
        rules = self.rules_source
        book = load_rules(rules, catalog) if isinstance(rules, (str, Path)) else rules
        return Engine(catalog, book)

    def reload(self) -> Engine:
        """Read the catalog (and rules, inventory files) again; on any problem the previous ones stay. The process's
        garbage is collected first: loading a catalog freezes every object then alive (``gc.freeze``), garbage
        cycles included, which would then stay for good."""
        gc.collect()
        engine = self._build()
        with self._lock:
            self.engine = engine
            self.counts = engine.catalog.counts()
            self.inventory_source.reload()
        return engine

    @property
    def catalog(self) -> Catalog:
        return self.engine.catalog

    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def change(self, intent: docs.Intent, as_of: datetime) -> ChangeResult:
        """The change ``intent`` asks for; a refusal raised (the TMF error response of a cart)."""
        answer = self.evaluate(intent, as_of)
        if isinstance(answer, Refusal):
            raise answer.error()
        return answer

    def evaluate(self, intent: docs.Intent, as_of: datetime) -> ChangeResult | Refusal:
        """The change ``intent`` asks for, or the engine's refusal of it, as a value."""
        engine = self.engine
        inventory = self.inventory_source.inventory(engine.catalog, intent.party, intent.product)
        return engine.evaluate(inventory, intent.request(inventory), as_of=as_of, context=Context())

    def priced_or_refused(self, intent: docs.Intent, as_of: datetime) -> tuple[ChangeResult | None, str | None]:
        """For a quote or an order: the change, or the rules' refusal of it (the document is then rejected with
        the reason). A refusal by the catalog's structure is the 422 error response, as for a cart."""
        answer = self.evaluate(intent, as_of)
        if not isinstance(answer, Refusal):
            return answer, None
        if answer.verdict is None:
            raise answer.error()
        return None, answer.message

    def check_party(self, caller: Caller, party: str | None, product_id: str | None) -> None:
        """Refuse a request for a customer the caller may not act for: a named party is 403; a product of another
        customer is answered as an unknown product (nothing about its holder is revealed)."""
        if caller.parties is None or caller.may_act_for(party):
            return
        if party is not None:
            raise ApiError(403, "Forbidden", f"caller {caller.name!r} may not act for customer {party!r}")
        if product_id is None:
            raise ApiError(403, "Forbidden", f"caller {caller.name!r} acts for its customers only: name the "
                                             "customer in relatedParty (role customer)")
        if not caller.may_act_for(self.inventory_source.customer(None, product_id)):
            raise self.inventory_source.unknown(product_id)

    def purge(self, force: bool = False) -> dict[str, int]:
        """Delete the qualifications, carts and quotes older than the retention (at most once a minute unless
        ``force``); returns how many of each."""
        if self.retention is None:
            return {}
        moment = time.monotonic()
        if not force and moment - self._purged < 60:
            return {}
        self._purged = moment
        before = self.now() - self.retention
        deleted: dict[str, int] = {}
        for kind, label in RETAINED.items():
            deleted[label] = deleted.get(label, 0) + self.store.purge(kind, before)
        return deleted
