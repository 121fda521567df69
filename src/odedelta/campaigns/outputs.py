"""A campaign's files: ``summary.json``, ``customers.parquet``, ``items.parquet`` and, when asked, ``orders.jsonl``.

Everything is sorted by customer (then by position in the input), so the files are byte-identical whatever the
engine, the number of workers and the partitioning. Amounts are exact decimals (Parquet ``decimal128(18, 2)``).
Each file is written under a temporary name, flushed to disk and renamed when complete: a file under its final
name is always whole.
"""

from __future__ import annotations

import itertools
import operator
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from odedelta.campaigns._core import dumps
from odedelta.campaigns.columns import (
    CUSTOMER_COLUMNS,
    ITEM_COLUMNS,
    MONEY,
    Compact,
    compact_customer,
    compact_item,
    money_array,
)
from odedelta.campaigns.runs import Runs
from odedelta.campaigns.spec import Campaign
from odedelta.campaigns.tally import Tally
from odedelta.campaigns.worker import Partition, Row

SUMMARY, CUSTOMERS, ITEMS, ORDERS = "summary.json", "customers.parquet", "items.parquet", "orders.jsonl"
REPORT = "report.html"
SCRATCH = ".odedelta-runs"
"""The scratch directory of sorted runs under the output directory (removed when the files are written)."""



def describe(template: Any) -> dict[str, Any]:
    """The template as plain JSON values: its kind and the fields it has (empty ones left out)."""
    fields = {k: list(v) if isinstance(v, tuple) else {key: dict(val) for key, val in v.items()}
              if isinstance(v, Mapping) else v for k, v in vars(template).items() if v not in (None, (), {})}
    return {"kind": type(template).__name__, **fields}


customer_key: Callable[[Compact], tuple[str, int]] = operator.itemgetter(0, 1)
"""Rows sort by customer, then position in the input (a compact row's first two columns); a customer's item rows
and orders keep the order the worker gave them (requests in turn, items in delta order): the sorts and the merge
are stable. (itemgetter: the key of every row, computed in C.)"""
order_key: Callable[[tuple[str, int, str]], tuple[str, int]] = operator.itemgetter(0, 1)


class Collected:
    """The finished partitions' rows, sorted in runs under ``directory`` whenever ``budget`` customers are held."""

    def __init__(self, directory: Path, budget: int) -> None:
        self.customers = Runs(directory, "customers", customer_key)
        self.items = Runs(directory, "items", customer_key)
        self.orders = Runs(directory, "orders", order_key)
        self.budget, self.held = budget, 0
        self.tally = Tally()

    def add(self, partition: Partition) -> None:
        customers, items = partition.customers, partition.items
        if customers and isinstance(customers[0], dict):  # a checkpoint of an earlier version: rows by name
            rows, item_rows = cast("list[Row]", customers), cast("list[Row]", items)
            if getattr(partition, "tally", None) is None:  # earlier still: no tally
                partition.tally = Tally.of(rows, item_rows)
            customers, items = [compact_customer(row) for row in rows], [compact_item(row) for row in item_rows]
        self.tally.add(partition.tally)
        self.customers.extend(customers)
        self.items.extend(items)
        self.orders.extend(partition.orders)
        self.held += len(partition.customers)
        if self.held >= self.budget:
            for runs in (self.customers, self.items, self.orders):
                runs.spill()
            self.held = 0


def _schemas() -> tuple[Any, Any]:
    import pyarrow as pa

    money = pa.decimal128(18, 2)
    text = pa.list_(pa.string())
    customers = pa.schema([("customer", pa.string()), ("index", pa.int64()), ("source", pa.string()),
                           ("position", pa.int32()), ("status", pa.string()), ("reasons", text),
                           ("message", pa.string()),
                           ("requests", pa.int32()), ("currency", pa.string()),
                           *[(name, money) for name in MONEY],
                           ("promotions_lost", text), ("promotions_gained", text), ("rules", text),
                           ("items", pa.int32())])
    items = pa.schema([("customer", pa.string()), ("index", pa.int64()), ("request", pa.int32()),
                       ("requested", pa.string()), ("item", pa.string()), ("action", pa.string()),
                       ("product", pa.string()), ("offering", pa.string()), ("previous_offering", pa.string()),
                       ("parent", pa.string()), ("new", pa.bool_()), ("reasons", text)])
    assert tuple(customers.names) == CUSTOMER_COLUMNS and tuple(items.names) == ITEM_COLUMNS
    return customers, items


def _table(rows: list[Compact], schema: Any) -> Any:
    """The compact rows as a pyarrow table: a column at a time (the rows transposed in C, each column converted
    by pyarrow in one call)."""
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays([money_array(column, field.type) if field.name in MONEY else
                                 pa.array(column, field.type) for column, field in zip(columns, schema, strict=True)],
                                schema=schema)


def sync_directory(directory: Path) -> None:
    """Make the renames in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary name next to ``path``; when the block ends, its file is flushed to disk and renamed to
    ``path`` (an exception leaves ``path`` as it was and removes the temporary file)."""
    scratch = temporary(path)
    try:
        yield scratch
        with scratch.open("rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
    sync_directory(path.parent)


def write_text(path: Path, text: str) -> None:
    with atomic(path) as scratch:
        scratch.write_text(text, encoding="utf-8")


def write(out: Path, campaign: Campaign, rows: Collected, batch: int = 65_536) -> dict[str, Any]:
    """Write the campaign's files into ``out`` (which exists), streaming the rows in order; return the summary.
    Each Parquet row group holds ``batch`` rows, so the files do not depend on how the rows were partitioned."""
    import pyarrow.parquet as pq

    customer_schema, item_schema = _schemas()
    for name, schema, stream in ((CUSTOMERS, customer_schema, rows.customers), (ITEMS, item_schema, rows.items)):
        with atomic(out / name) as scratch, pq.ParquetWriter(scratch, schema) as writer:
            iterator = iter(stream)
            while chunk := list(itertools.islice(iterator, batch)):
                writer.write_table(_table(chunk, schema))
    (out / ORDERS).unlink(missing_ok=True)  # from an earlier campaign into the same directory
    if campaign.orders:
        with atomic(out / ORDERS) as scratch, scratch.open("w", encoding="utf-8") as lines:
            for _customer, _index, line in rows.orders:
                lines.write(line + "\n")
    result = rows.tally.result(describe(campaign.template), campaign.as_of)
    write_text(out / SUMMARY, dumps(result))
    return result
