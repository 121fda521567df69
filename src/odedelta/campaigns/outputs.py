"""A campaign's files: ``summary.json``, ``customers.parquet``, ``items.parquet`` and, when asked, ``orders.jsonl``.

Everything is sorted by customer (then by position in the input), so the files are byte-identical whatever the
engine, the number of workers and the partitioning. Amounts are exact decimals (Parquet ``decimal128(18, 2)``).
Each file is written under a temporary name, flushed to disk and renamed when complete: a file under its final
name is always whole.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from odedelta.campaigns._core import dumps
from odedelta.campaigns.columns import (
    compact_customer,
    compact_item,
    customer_key,
    pool,
    rows_of,
    schemas,
    table,
    unpacked,
)
from odedelta.campaigns.durable import atomic, publish, write_text
from odedelta.campaigns.runs import Runs
from odedelta.campaigns.spec import Campaign
from odedelta.campaigns.tally import Tally
from odedelta.campaigns.worker import Partition, Row

SUMMARY, CUSTOMERS, ITEMS, ORDERS = "summary.json", "customers.parquet", "items.parquet", "orders.jsonl"
REPORT = "report.html"
SCRATCH = ".odedelta-runs"
"""The scratch directory of sorted runs under the output directory (removed when the files are written)."""
BATCH = 65_536
"""Rows per Parquet row group."""


def describe(template: Any) -> dict[str, Any]:
    """The template as plain JSON values: its kind and the fields it has (empty ones left out)."""
    fields = {k: list(v) if isinstance(v, tuple) else {key: dict(val) for key, val in v.items()}
              if isinstance(v, Mapping) else v for k, v in vars(template).items() if v not in (None, (), {})}
    return {"kind": type(template).__name__, **fields}


order_key: Callable[[tuple[str, int, str]], tuple[str, int]] = operator.itemgetter(0, 1)


class Collected:
    """The finished partitions' rows, on their way to the files.

    Partitions a worker sent as tables (:meth:`Partition.pack`: sorted, in pyarrow columns) are *streamed*: taken
    in partition order and written into the Parquet files in ``directory`` at once, while no partition starts
    before the one before it ends (a base whose customers come sorted, as an export usually does) — the driver
    then does next to nothing per customer. The first partition out of that order, or more than ``budget``
    customers waiting for an earlier partition, ends the streaming: what was streamed is read again through
    ``reread`` (a partition's checkpoint, by number) and every row goes the general way, sorted in runs under
    ``directory`` whenever ``budget`` customers are held. Either way the files hold the same bytes."""

    def __init__(self, directory: Path, budget: int,
                 reread: Callable[[int], Partition] | None = None) -> None:
        self.customers = Runs(directory, "customers", customer_key)
        self.items = Runs(directory, "items", customer_key)
        self.orders = Runs(directory, "orders", order_key)
        self.budget, self.held = budget, 0
        self.tally = Tally()
        self.reread = reread
        self.stream: _Stream | None = _Stream(directory) if reread is not None else None
        self.next = 0
        """The partition the stream takes next."""
        self.waiting: dict[int, Partition] = {}
        self.last: tuple[str, int] | None = None

    @property
    def streaming(self) -> bool:
        return self.stream is not None

    def add(self, partition: Partition, index: int | None = None) -> None:
        """Take a finished partition (``index``: its number; partitions without one go the general way)."""
        if getattr(partition, "tally", None) is None:  # a checkpoint of an earlier version still: no tally
            partition.tally = Tally.of(cast("list[Row]", partition.customers), cast("list[Row]", partition.items))
        self.tally.add(partition.tally)
        self.orders.extend(partition.orders)
        self._hold(partition.tally.customers)
        if self.stream is not None and index is not None and getattr(partition, "tables", None) is not None:
            self.waiting[index] = partition
            self._advance()
            return
        self._general()
        self._rows(partition)

    def _advance(self) -> None:
        """Stream the waiting partitions that come next; give up streaming when one breaks the order, or when
        more than the budget waits."""
        assert self.stream is not None
        while self.next in self.waiting:
            partition = self.waiting[self.next]
            if partition.tables is None or partition.first is None or partition.last is None:
                return self._general()
            if self.last is not None and partition.first <= self.last:
                return self._general()
            del self.waiting[self.next]
            customers, items = partition.tables
            self.stream.append(customers, partition.tally.customers, items, sum(partition.tally.actions.values()))
            self.last = partition.last
            self.next += 1
        if sum(p.tally.customers for p in self.waiting.values()) > self.budget:
            self._general()
        return None

    def _general(self) -> None:
        """Stop streaming: the streamed partitions (read again) and the waiting ones go the general way."""
        if self.stream is None:
            return
        self.stream.discard()
        self.stream = None
        assert self.reread is not None
        waiting, self.waiting = self.waiting, {}
        for index in range(self.next):
            self._rows(self.reread(index))
        for index in sorted(waiting):
            self._rows(waiting[index])

    def _rows(self, partition: Partition) -> None:
        """The partition's rows into the sorted runs."""
        customers, items = partition.customers, partition.items
        tables = getattr(partition, "tables", None)
        if tables is not None:
            customers, items = rows_of(unpacked(tables[0])), rows_of(unpacked(tables[1]))
        elif customers and isinstance(customers[0], dict):  # a checkpoint of an earlier version: rows by name
            rows, item_rows = cast("list[Row]", customers), cast("list[Row]", items)
            customers, items = [compact_customer(row) for row in rows], [compact_item(row) for row in item_rows]
        self.customers.extend(customers)
        self.items.extend(items)

    def _hold(self, count: int) -> None:
        self.held += count
        if self.held >= self.budget:
            for runs in (self.customers, self.items, self.orders):
                runs.spill()
            self.held = 0


class _Stream:
    """``customers.parquet`` and ``items.parquet`` written as the partitions come, in row groups of
    :data:`BATCH` rows (as the general way writes them), under scratch names in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[str, _Writer] = {}

    def append(self, customers: bytes, customer_rows: int, items: bytes, item_rows: int) -> None:
        """A partition's tables, packed (:func:`~odedelta.campaigns.columns.packed`), and their numbers of rows."""
        for name, data, rows in ((CUSTOMERS, customers, customer_rows), (ITEMS, items, item_rows)):
            writer = self.files.get(name)
            if writer is None:
                writer = self.files[name] = _Writer(self.directory / name, self.schemas[name])
            writer.append(data, rows)

    @property
    def schemas(self) -> dict[str, Any]:
        return dict(zip((CUSTOMERS, ITEMS), schemas(), strict=True))

    def finish(self, out: Path) -> None:
        """Write what is left, make each file durable and rename it into ``out``: customers first, then items."""
        schemas_ = self.schemas
        for name in (CUSTOMERS, ITEMS):
            writer = self.files.pop(name, None) or _Writer(self.directory / name, schemas_[name])
            writer.close()
            publish(writer.path, out / name)

    def discard(self) -> None:
        for writer in self.files.values():
            writer.abandon()
        self.files.clear()


class _Writer:
    """One Parquet file written a row group at a time; rows wait until a whole group is there.

    A partition's table waits packed, as the worker sent it, and is unpacked only when its row group is written:
    the driver then unpacks, joins and encodes a whole group in one go. Unpacking each partition as it came cost
    the driver more than twice as much processor time: between two partitions the workers, which share its
    cores, push its data and code out of the processor's caches, and the unpacked columns were read again only
    when the group was complete, long after."""

    def __init__(self, path: Path, schema: Any) -> None:
        self.path, self.schema = path, schema
        self.pending: list[Any] = []
        """Tables, packed (bytes) or not (the rest of a partition whose first rows ended a group)."""
        self.rows = 0
        self.writer: Any = None

    def append(self, data: bytes, rows: int) -> None:
        """A partition's table, packed, and its number of rows."""
        self.pending.append(data)
        self.rows += rows
        while self.rows >= BATCH:
            self._write(BATCH)

    def _write(self, count: int) -> None:
        import pyarrow as pa

        whole = pa.concat_tables(self._unpacked(), memory_pool=pool())
        self._check(whole.num_rows)
        self._opened().write_table(whole.slice(0, count).combine_chunks(memory_pool=pool()))
        rest = whole.slice(count)
        self.pending, self.rows = ([rest] if rest.num_rows else []), rest.num_rows

    def _unpacked(self) -> list[Any]:
        return [unpacked(table) if isinstance(table, bytes) else table for table in self.pending]

    def _check(self, waiting: int) -> None:
        """The rows waiting are those counted: the counts come from the partitions' tallies, so a difference is a
        bug, said at once rather than written as row groups of another size or left out."""
        if waiting != self.rows:
            raise RuntimeError(f"{self.path.name}: {waiting} rows waiting, {self.rows} counted")

    def _opened(self) -> Any:
        """The Parquet writer, opened on first use."""
        if self.writer is None:
            import pyarrow.parquet as pq

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.schema, memory_pool=pool())
        return self.writer

    def close(self) -> None:
        if self.rows:
            self._write(self.rows)
        elif self.pending:  # only partitions counted as having no row wait: they must have none
            self._check(sum(table.num_rows for table in self._unpacked()))
        self._opened().close()  # no row at all: the schema alone, as the general way writes it

    def abandon(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.path.unlink(missing_ok=True)


def write(out: Path, campaign: Campaign, rows: Collected) -> dict[str, Any]:
    """Write the campaign's files into ``out`` (which exists), streaming the rows in order; return the summary.
    Each Parquet row group holds :data:`BATCH` rows, so the files do not depend on how the rows were partitioned
    (nor on whether they were streamed)."""
    import pyarrow.parquet as pq

    if rows.stream is not None and not rows.waiting:
        rows.stream.finish(out)
    else:
        rows._general()
        customer_schema, item_schema = schemas()
        for name, schema, stream in ((CUSTOMERS, customer_schema, rows.customers),
                                     (ITEMS, item_schema, rows.items)):
            with atomic(out / name) as scratch, pq.ParquetWriter(scratch, schema, memory_pool=pool()) as writer:
                iterator = iter(stream)
                while chunk := list(itertools.islice(iterator, BATCH)):
                    writer.write_table(table(chunk, schema))
    (out / ORDERS).unlink(missing_ok=True)  # from an earlier campaign into the same directory
    if campaign.orders:
        with atomic(out / ORDERS) as scratch, scratch.open("w", encoding="utf-8") as lines:
            for _customer, _index, line in rows.orders:
                lines.write(line + "\n")
    result = rows.tally.result(describe(campaign.template), campaign.as_of)
    write_text(out / SUMMARY, dumps(result))
    return result
