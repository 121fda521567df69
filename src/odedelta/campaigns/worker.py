"""What a worker does with a partition of customers: parse each, make the template's requests, return plain rows.

The catalog and the rules are read once per worker process (once per thread that runs tasks at the same time):
engines are kept in a per-process pool keyed by the content hashes of the catalog and rules, and a pool
initializer (local) or a worker plugin (Dask) fills it before the first task. On Dask the plugin carries the files
themselves (a :class:`Shipment`): a worker never reads the driver's paths, so a cluster needs no shared disk.
Every customer gives exactly one customer row, whatever happens: a refusal is a ``refused`` row with the rules'
reasons, a broken input an ``error`` row with its location.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import os
import pickle
import re
import signal
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from odedelta import (
    ChangeResult,
    Context,
    Engine,
    Inventory,
    InventoryError,
    LoadError,
    OdeDeltaError,
    Refusal,
    RequestError,
    apply,
    load_catalog,
    load_rules,
)
from odedelta.campaigns import durable
from odedelta.campaigns._core import (
    InventoryReader,
    Problem,
    catalog_files,
    dumps,
    parse_text,
    rule_files,
    tmf622,
    with_lines,
)
from odedelta.campaigns.columns import ACTION, Compact, compact_customer, customer_key, packed, schemas, table
from odedelta.campaigns.records import parse_json
from odedelta.campaigns.sources import Record, Slice, digest
from odedelta.campaigns.spec import Campaign, targets
from odedelta.campaigns.tally import Tally

Row = dict[str, Any]
_NEWLINE = re.compile(r"\n *")
_DUE_NOW = ("penalty", "fee", "oneTime", "proration")
"""The kinds of charge a customer's row sums (each in its column, all four in ``due_now``); sums of exact
decimals, so adding them by kind first gives the very amount adding them in charge order gives."""

class Contexts:
    """The customers' contexts for one engine, each made and checked once: a base has a handful of segments and
    billing days, and a customer without attributes (nearly every one) whose segment and day were seen gets the
    very same (frozen) :class:`Context` instead of a new model validated and checked again. Keyed by the values
    as read (a text or None, an integer or None); anything else is made and checked afresh, and at most
    :attr:`LIMIT` are kept."""

    LIMIT = 1024

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.known: dict[tuple[str | None, int | None], Context] = {}

    def get(self, segment: Any, attributes: Any, day: Any) -> Context:
        """The checked context (a :class:`ValueError` or :class:`RequestError` as making and checking raise)."""
        plain = (not attributes and (segment is None or type(segment) is str)
                 and (day is None or type(day) is int))
        if plain:
            known = self.known.get((segment, day))
            if known is not None:
                return known
        context = Context(segment=segment, attributes=attributes or {}, billing_cycle_day=day)
        self.engine.check(context)  # a billing day out of range, attributes no executor should see
        if plain and len(self.known) < self.LIMIT:
            self.known[(segment, day)] = context
        return context


@dataclass(frozen=True)
class _Loaded:
    """An engine of the pool, the inventory reader and the contexts that go with it (the reader keeps what it
    learnt of the catalog's product shapes from one partition to the next; all serve one thread at a time)."""

    engine: Engine
    reader: InventoryReader
    contexts: Contexts


_POOL: dict[tuple[str, str | None], list[_Loaded]] = {}
_LOCK = threading.Lock()
LOADS: Counter[tuple[str, str | None]] = Counter()
"""How many times this process read each catalog and rule set (tests check it is once per worker)."""


_SHIPPED: dict[tuple[str, str | None], tuple[Path, Path | None]] = {}
"""Where this process unpacked each shipped catalog and rule set (by content hash)."""


def _key(campaign: Campaign) -> tuple[str, str | None]:
    if campaign.catalog_hash is not None:
        return campaign.catalog_hash, campaign.rules_hash
    return campaign.catalog, campaign.rules


def _load(campaign: Campaign) -> Engine:
    catalog_path: str | Path = campaign.catalog
    rules_path: str | Path | None = campaign.rules
    if campaign.shipped:
        with _LOCK:
            where = _SHIPPED.get(_key(campaign))
        if where is None:
            raise RuntimeError(f"the catalog {campaign.catalog_hash} was not shipped to this worker")
        catalog_path, rules_path = where
    catalog = load_catalog(catalog_path)
    rules = load_rules(rules_path, catalog) if rules_path is not None else None
    with _LOCK:
        LOADS[_key(campaign)] += 1
    return Engine(catalog, rules)


def adopt(campaign: Campaign, engine: Engine) -> None:
    """Put an engine the driver already has (it read the catalog and rules to check the template) in the pool."""
    with _LOCK:
        _POOL.setdefault(_key(campaign), []).append(_Loaded(engine, InventoryReader(engine.catalog),
                                                            Contexts(engine)))


def child(parent: int, campaign: Campaign) -> None:
    """A local worker process's start: die with the driver (Linux: the parent-death signal, so a driver killed by
    SIGKILL leaves no worker behind), then read the catalog and rules (a forked worker has the driver's)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the driver died before the signal was armed
        os._exit(1)
    # a forked worker has the driver's handlers: the driver's SIGTERM handler would turn the driver's terminate()
    # into an exception sent back as a partition's result; a worker ends on it as a spawned one does
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, signal.SIG_DFL):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    warm(campaign)
    settle()


COLLECTOR = (10_000, 20, 10)
"""A local worker's collector thresholds: a young collection every 10,000 allocations instead of 700. A customer
allocates thousands of objects, nearly all freed by reference counting, and the partition's rows stay alive until
it is sent: with the default thresholds the collector took ≈ 12 % of a worker's time (0.17 ms per customer of
the demo base), with these ≈ 2 %."""


def settle() -> None:
    """Once a worker process has read its catalog and rules: those are never garbage, so the collector stops
    scanning them (``gc.freeze``), and collects young objects less often (:data:`COLLECTOR`). Only for processes
    the campaign starts: an embedding application's collector is its own."""
    gc.freeze()
    gc.set_threshold(*COLLECTOR)


@dataclass(frozen=True)
class Shipment:
    """The catalog and rule files themselves, named relative to their directory, with their content hashes: what
    a Dask worker plugin carries to a worker that cannot read the driver's paths."""

    catalog_hash: str
    catalog: dict[str, bytes]
    rules_hash: str | None = None
    rules: dict[str, bytes] | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return self.catalog_hash, self.rules_hash


def files_of(path: Path, rules: bool) -> dict[str, bytes]:
    """The files the loader reads under ``path`` (a directory or one file), by name relative to it."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    found = rule_files(path) if rules else catalog_files(path)
    return {file.relative_to(path).as_posix(): file.read_bytes() for file in found}


def content_hash(files: dict[str, bytes]) -> str:
    """``sha256:`` over every file's name and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        digest.update(f"{len(name)}:{name}:{len(data)}:".encode())
        digest.update(data)
    return "sha256:" + digest.hexdigest()


def receive(shipment: Shipment) -> None:
    """Unpack a shipment under this machine's temporary directory (once per content hash) and read it."""
    with _LOCK:
        if shipment.key in _SHIPPED:
            return
    catalog = _unpack(shipment.catalog_hash, shipment.catalog)
    rules = _unpack(shipment.rules_hash, shipment.rules) if shipment.rules_hash and shipment.rules else None
    with _LOCK:
        _SHIPPED[shipment.key] = (catalog, rules)


def _unpack(digest: str, files: dict[str, bytes]) -> Path:
    """The shipped files under ``<tmp>/odedelta-<uid>/<hash>/`` (reused when another worker of this machine put
    the very same bytes there); a directory of one file is that file (the loaders read either)."""
    for name in files:
        if name.startswith("/") or ".." in name.split("/"):
            raise RuntimeError(f"a shipped file name outside its directory: {name!r}")
    root = Path(tempfile.gettempdir()) / f"odedelta-{os.getuid() if hasattr(os, 'getuid') else 0}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = root / digest.replace(":", "-")
    if not _holds(target, files):
        scratch = Path(tempfile.mkdtemp(dir=root, prefix=".unpacking-"))
        for name, data in files.items():
            file = scratch / name
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
        try:
            scratch.rename(target)
        except OSError:  # another worker was first (the same bytes), or a stale copy is in the way: keep ours
            if not _holds(target, files):
                target = scratch
            else:
                import shutil

                shutil.rmtree(scratch, ignore_errors=True)
    return target if len(files) != 1 else target / next(iter(files))


def _holds(directory: Path, files: dict[str, bytes]) -> bool:
    try:
        return (directory.is_dir()
                and sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
                == sorted(files)
                and all((directory / name).read_bytes() == data for name, data in files.items()))
    except OSError:
        return False


def warm(campaign: Campaign) -> None:
    """Read the catalog and rules into this process's pool (a pool initializer, a worker plugin's setup)."""
    with _LOCK:
        if _POOL.get(_key(campaign)):
            return
    adopt(campaign, _load(campaign))


@contextmanager
def _engine(campaign: Campaign) -> Iterator[_Loaded]:
    """An engine of this process's pool and its reader, for the calling thread alone while it runs."""
    with _LOCK:
        free = _POOL.setdefault(_key(campaign), [])
        loaded = free.pop() if free else None
    if loaded is None:
        engine = _load(campaign)
        loaded = _Loaded(engine, InventoryReader(engine.catalog), Contexts(engine))
    try:
        yield loaded
    finally:
        with _LOCK:
            _POOL[_key(campaign)].append(loaded)


@dataclass
class Partition:
    """The rows of a partition of customers (in input order; the driver sorts them all at the end), compact
    (:mod:`odedelta.campaigns.columns`)."""

    customers: list[Compact] = field(default_factory=list)
    items: list[Compact] = field(default_factory=list)
    orders: list[tuple[str, int, str]] = field(default_factory=list)
    """(customer, index, the ProductOrder as one JSON line)."""
    tally: Tally = field(default_factory=Tally)
    """The partition's counts and sums (the driver adds them up instead of walking the rows)."""
    tables: tuple[bytes, bytes] | None = None
    """The customers' and the items' rows as pyarrow tables, sorted by customer (:meth:`pack`), packed
    (:func:`~odedelta.campaigns.columns.packed`); ``customers`` and ``items`` are then empty."""
    digest: str | None = None
    """The hash of the partition's input (:func:`~odedelta.campaigns.sources.digest`), made where it was read."""
    first: tuple[str, int] | None = None
    last: tuple[str, int] | None = None
    """The sort keys of the first and last customer rows of :attr:`tables`."""

    def pack(self) -> None:
        """Sort the rows by customer (stable: a customer's items keep their order) and hold them as pyarrow
        tables, which the driver writes as they are; without pyarrow (a Dask worker without the bulk extra) the
        rows stay as they are."""
        try:
            import pyarrow  # noqa: F401 - only checks that it can be imported
        except ImportError:  # pragma: no cover - the bulk extra brings it
            return
        customers, items = sorted(self.customers, key=customer_key), sorted(self.items, key=customer_key)
        customer_schema, item_schema = schemas()
        self.tables = (packed(table(customers, customer_schema)), packed(table(items, item_schema)))
        if customers:
            self.first, self.last = customer_key(customers[0]), customer_key(customers[-1])
        self.customers, self.items = [], []


def run_partition(campaign: Campaign, records: list[Record]) -> Partition:
    with _engine(campaign) as loaded:
        return run_partition_with(loaded.engine, campaign, records, loaded.reader, loaded.contexts)


def run_packed(campaign: Campaign, customers: list[Record] | Slice) -> bytes:
    """The partition's rows and its input's hash, pickled here in the worker: the bytes travel to the driver, which
    writes them as the checkpoint as they are (pickling them again there would cost the driver what the worker
    already paid). A :class:`Slice` is read here (the driver only found where it is)."""
    return _pickled(campaign, customers)[1]


def run_drafted(campaign: Campaign, customers: Slice, path: Path) -> Path:
    """A local worker's partition: run as :func:`run_packed` runs it, and its checkpoint for ``path`` drafted here
    (:func:`~odedelta.campaigns.durable.draft`: written, not yet flushed to disk) — the draft's name is returned.
    The driver, on this machine, reads the rows from that file instead of receiving them (no rows cross the pipe,
    and they are pickled and written on the worker's core, not the driver's, which the workers share when there
    are as many as cores), then flushes it to disk and renames it (waiting on the disk there, where a core is not
    kept waiting)."""
    return durable.draft(path, *_pickled(campaign, customers))


def _pickled(campaign: Campaign, customers: list[Record] | Slice) -> tuple[str, bytes]:
    """The hash of the partition's input and its rows with that hash, pickled (a :class:`Slice` read here)."""
    records = customers.records() if isinstance(customers, Slice) else customers
    partition = run_partition(campaign, records)
    partition.digest = digest(records)
    partition.pack()
    return partition.digest, pickle.dumps(partition, protocol=pickle.HIGHEST_PROTOCOL)


def run_partition_with(engine: Engine, campaign: Campaign, records: list[Record],
                       reader: InventoryReader | None = None, contexts: Contexts | None = None) -> Partition:
    """The rows of ``records``; ``reader`` (of ``engine``'s catalog) reads their inventories, ``contexts`` (of
    ``engine``) makes their contexts."""
    out = Partition()
    reader = reader or InventoryReader(engine.catalog)  # learns the catalog's product shapes as it goes
    contexts = contexts or Contexts(engine)
    for record in records:
        customer, items, orders = run_customer(engine, campaign, record, reader, contexts)
        out.customers.append(compact_customer(customer))
        out.items.extend(items)
        out.tally.customer(customer)
        out.tally.actions.update(item[ACTION] for item in items)
        out.orders.extend((customer["customer"], record.index, order) for order in orders)
    return out


_NO_CONTEXT = Context()
"""The context of a customer whose record gives none (a frozen model: one serves them all)."""


def _parse(engine: Engine, record: Record, row: Row, reader: InventoryReader,
           contexts: Contexts | None = None) -> tuple[Inventory, Context]:
    """The inventory and context of a record (its customer id into ``row`` as soon as it is known); a
    :class:`LoadError` located in its origin, and ``row``'s ``source`` and ``position`` set to where: ``file:line``
    and the position (column) inside that line."""
    if record.text.startswith("\0"):
        raise LoadError(f"{record.origin}: {record.text[1:]}")
    syntax = record.syntax
    try:
        data = (parse_text(record.text, record.origin, yaml_syntax=True) if syntax == "yaml"
                else parse_json(record.text, record.origin))
    except LoadError as exc:
        raise _located(exc, record, row, str(exc).splitlines()[0]) from None
    if "\\" in record.text and _SURROGATE_ESCAPE.search(record.text):  # an escape needs a backslash
        _refuse_lone_surrogates(data, record)
    context = _NO_CONTEXT
    inside: tuple[str, ...] = ()  # where the products are in the record's own document
    if syntax == "jsonl" and isinstance(data, dict) and "products" in data:
        inside = ("products",)
        row["customer"] = str(data.get("customer") or record.name)
        try:
            context = (contexts or Contexts(engine)).get(data.get("segment"), data.get("attributes"),
                                                         data.get("billingCycleDay"))
        except (ValueError, RequestError) as exc:
            raise LoadError(f"{record.origin}: the customer's segment, attributes or billingCycleDay: "
                            f"{str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else exc}") from None
        data = data["products"]
    try:
        return reader.read(data, record.origin), context
    except LoadError as exc:
        shifted = [replace(p, parts=(*inside, *p.parts)) if p.file == record.origin else p for p in exc.problems]
        problems = with_lines(shifted, {record.origin: record.text})
        raise _located(type(exc)(str(exc), problems), record, row,
                       f"{record.origin}: {str(exc).splitlines()[0]}") from None


_SURROGATE_ESCAPE = re.compile(r"\\[uU]0{0,4}[dD][89a-fA-F]")
"""An escape of a UTF-16 surrogate (``\\ud800``…``\\udfff``): a pair of them is one character, a lone one none."""


def _refuse_lone_surrogates(data: Any, record: Record) -> None:
    """A customer whose text escapes a lone surrogate (valid JSON, but no character: it cannot be written to
    Parquet or an order) is a broken customer, not the end of the campaign."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                shown = value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
                raise LoadError(f"{record.origin}: the text {shown!r} escapes a lone UTF-16 surrogate, which stands "
                                "for no character (a pair of them is one)") from None


def _located(exc: LoadError, record: Record, row: Row, head: str) -> LoadError:
    """``exc`` with its problems located: in a file of a directory by ``file:line:column``; in a JSON line by the
    line, the position inside it said in words (``file:51:2:1`` would read as two line numbers). The first located
    problem gives the row its ``source`` (``file:line``) and ``position``."""
    problems: list[Problem] = []
    located = False
    for problem in exc.problems:
        if record.syntax == "jsonl" and problem.file == record.origin and problem.line is not None:
            words = problem.message
            if problem.line == 1 and problem.column is not None:  # the record is one line of the file
                words = f"{problem.message} (position {problem.column})"
                if not located:
                    row["position"], located = problem.column, True
            problem = Problem(problem.file, problem.path, words, parts=problem.parts, suggestion=problem.suggestion)
        elif problem.line is not None and not located:
            row["source"], row["position"], located = f"{problem.file}:{problem.line}", problem.column, True
        problems.append(problem)
    return type(exc)(head, problems)


def _money(value: Any) -> Decimal:
    amount: Decimal = value.rounded().amount
    return amount


def _refused(row: Row, refusal: Refusal) -> Row:
    """The row of a refused change: by the rules (their reasons and ids), else by the catalog's structure."""
    if refusal.verdict is None:
        row.update(status="refused", reasons=["request_refused"], message=refusal.message)
    else:
        row.update(status="refused", reasons=sorted({r.reason for r in refusal.verdict.reasons}),
                   message=refusal.message, rules=sorted({r.rule_id for r in refusal.verdict.reasons}))
    return row


def run_customer(engine: Engine, campaign: Campaign, record: Record, reader: InventoryReader | None = None,
                 contexts: Contexts | None = None) -> tuple[Row, list[Compact], list[str]]:
    """One customer's row, its order items' rows (compact: :data:`~odedelta.campaigns.columns.ITEM_COLUMNS`) and
    its orders (JSON lines); ``reader`` reads the inventory and ``contexts`` makes the context (one of each per
    engine, kept between customers)."""
    row: Row = {"customer": record.name, "index": record.index, "source": record.origin, "position": None,
                "status": "unchanged",
                "reasons": [], "message": None, "requests": 0, "currency": None, "recurring_before": None,
                "recurring_after": None, "recurring_difference": None, "penalties": None, "fees": None,
                "one_time": None, "proration": None, "due_now": None, "promotions_lost": [],
                "promotions_gained": [], "rules": [], "items": 0}
    reader = reader or InventoryReader(engine.catalog)
    try:
        inventory, context = _parse(engine, record, row, reader, contexts)
        products = targets(campaign.template, inventory)
        results: list[tuple[str, ChangeResult]] = []
        for product_id in products:
            if product_id not in inventory.products:  # gone with an earlier request of this customer
                continue
            result = engine.evaluate(inventory, campaign.template.request(product_id), as_of=campaign.as_of,
                                     context=context)
            if isinstance(result, Refusal):
                return _refused(row, result), [], []
            results.append((product_id, result))
            if product_id != products[-1]:  # Inventory.from_products, holding the projection's own models
                inventory = Inventory.sharing(engine.catalog, apply(inventory, result))
    except RequestError as exc:
        row.update(status="refused", reasons=["request_refused"], message=str(exc))
        return row, [], []
    except InventoryError as exc:
        row.update(status="error", reasons=["inventory"], message=str(exc))
        return row, [], []
    except OdeDeltaError as exc:
        row.update(status="error", reasons=["input"], message=str(exc))
        return row, [], []
    except Exception as exc:
        row.update(status="error", reasons=["internal"], message=f"{record.origin}: internal error: "
                   f"{type(exc).__name__}: {exc}")
        return row, [], []
    if not results:
        return row, [], []
    return _changed(row, campaign, results)


def _changed(row: Row, campaign: Campaign, requested: list[tuple[str, ChangeResult]]) -> tuple[
        Row, list[Compact], list[str]]:
    results = [result for _product, result in requested]
    first, last = results[0].consequences, results[-1].consequences
    assert first is not None and last is not None
    charged = dict.fromkeys(_DUE_NOW, Decimal("0.00"))  # each charge rounded once, added to its kind's sum
    for r in results:
        for charge in r.consequences.charges if r.consequences else []:
            if charge.kind in charged:
                charged[charge.kind] += _money(charge.amount)
    before = {p.promotion_id for p in first.promotions if p.status in ("kept", "lost")}
    after = {p.promotion_id for p in last.promotions if p.status in ("kept", "gained")}
    recurring_before, recurring_after = _money(first.recurring_before), _money(last.recurring_after)
    customer, index = row["customer"], row["index"]
    items = [(customer, index, n, product, item.id, item.action.value, item.product_id, item.offering_id,
              item.previous_offering_id, item.parent_id, not item.installed, [reason.code for reason in item.reasons])
             for n, (product, r) in enumerate(requested) for item in r.items]  # in ITEM_COLUMNS order
    row.update(status="changed", requests=len(results), currency=first.currency,
               recurring_before=recurring_before, recurring_after=recurring_after,
               recurring_difference=recurring_after - recurring_before, penalties=charged["penalty"],
               fees=charged["fee"], one_time=charged["oneTime"], proration=charged["proration"],
               due_now=sum(charged.values(), Decimal("0.00")), promotions_lost=sorted(before - after),
               promotions_gained=sorted(after - before), rules=sorted({i for r in results for i in r.rule_ids}),
               items=len(items))
    # a JSON string never holds a raw newline: dropping each newline and its indentation gives one line
    orders = [_NEWLINE.sub("", dumps(tmf622(r, campaign.tmf_version))) for r in results] if campaign.orders else []
    return row, items, orders
