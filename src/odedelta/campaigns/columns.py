"""The columns of ``customers.parquet`` and ``items.parquet``, and the compact rows that carry them from a worker to
the files.

A worker makes each customer's row as a dictionary (the tally and the error paths read it by name) and keeps it as
a tuple in column order; an order item's row is a tuple from the start. An amount travels as an integer number of
cents when it is a whole number of cents (as every rounded amount is): a ``Decimal`` costs several times as much to
pickle and unpickle, and a column of cents becomes Parquet's ``decimal128(18, 2)`` without one ``Decimal`` per value.
Any other amount stays a ``Decimal``, and its column is made from decimals as before (pyarrow refuses what does not
fit two places).

A worker also sorts its partition's rows by customer and turns them into pyarrow tables (:func:`table`), sent as
LZ4-compressed Arrow IPC streams (:func:`packed`: a third of the pickled rows' bytes, in a checkpoint too), so the
driver, which writes the files, never converts a row: Python values become Arrow columns where the customers are
run, on every core.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

MONEY = ("recurring_before", "recurring_after", "recurring_difference", "penalties", "fees", "one_time",
         "proration", "due_now")
CUSTOMER_COLUMNS = ("customer", "index", "source", "position", "status", "reasons", "message", "requests", "currency",
                    *MONEY, "promotions_lost", "promotions_gained", "rules", "items")
ITEM_COLUMNS = ("customer", "index", "request", "requested", "item", "action", "product", "offering",
                "previous_offering", "parent", "new", "reasons")
STATUS, MESSAGE = CUSTOMER_COLUMNS.index("status"), CUSTOMER_COLUMNS.index("message")
ACTION = ITEM_COLUMNS.index("action")
_MONEY_AT = frozenset(CUSTOMER_COLUMNS.index(name) for name in MONEY)
_LIMIT = 10 ** 18
"""decimal128(18, 2) holds fewer than 18 digits of cents: a larger amount goes the decimal way (and is refused)."""
_IN_ORDER: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(*CUSTOMER_COLUMNS)

Compact = tuple[Any, ...]
"""A row as a tuple in column order (amounts in cents where they can be)."""

customer_key: Callable[[Compact], tuple[str, int]] = operator.itemgetter(0, 1)
"""Rows sort by customer, then position in the input (a compact row's first two columns); a customer's item rows
and orders keep the order the worker gave them (requests in turn, items in delta order): the sorts and the merge
are stable. (itemgetter: the key of every row, computed in C.)"""


def cents(amount: Decimal | None) -> int | Decimal | None:
    """``amount`` as a whole number of cents when it is one (``12.34``, ``5``, ``1.230``); else as it is."""
    if amount is None or not amount.is_finite():
        return amount
    numerator, denominator = amount.as_integer_ratio()  # in lowest terms: whole cents when it divides 100
    return numerator * (100 // denominator) if 100 % denominator == 0 else amount


def compact_customer(row: dict[str, Any]) -> Compact:
    """A customer's row (a dictionary by column name) as a compact row."""
    values = _IN_ORDER(row)
    if values[STATUS] != "changed":  # no amounts
        return values
    compact = list(values)
    for at in _MONEY_AT:
        compact[at] = cents(compact[at])
    return tuple(compact)


def compact_item(row: dict[str, Any]) -> Compact:
    """An order item's row (a dictionary by column name, as an earlier version kept it) as a compact row."""
    return tuple(row[name] for name in ITEM_COLUMNS)


def _decimal(value: int | Decimal | None) -> Decimal | None:
    return Decimal(value).scaleb(-2) if isinstance(value, int) else value


def money_array(values: Sequence[int | Decimal | None], money: Any) -> Any:
    """A pyarrow ``decimal128(18, 2)`` array (``money``) of amounts in cents (or decimals), None for null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if {type(value) for value in values} <= {int, type(None)} and all(
            -_LIMIT < value < _LIMIT for value in values if value is not None):
        # the cents are the decimal's unscaled integer: a decimal128(19, 0) array of them (an int64's 19 digits)
        # has the layout of decimal128(18, 2) and is seen as one
        return pc.cast(pa.array(values, pa.int64()), pa.decimal128(19, 0)).view(money)
    return pa.array([_decimal(value) for value in values], money)  # as pyarrow checks and converts decimals


def schemas() -> tuple[Any, Any]:
    """The pyarrow schemas of ``customers.parquet`` and ``items.parquet``."""
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


def table(rows: Sequence[Compact], schema: Any) -> Any:
    """The compact rows as a pyarrow table: a column at a time (the rows transposed in C, each column converted
    by pyarrow in one call)."""
    import pyarrow as pa

    if not rows:
        return schema.empty_table()
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays([money_array(column, field.type) if field.name in MONEY else
                                 pa.array(column, field.type) for column, field in zip(columns, schema, strict=True)],
                                schema=schema)


def rows_of(table: Any) -> list[Compact]:
    """A table's rows as compact rows again (amounts in cents where they can be): the table's values exactly."""
    columns = [[cents(value) for value in column.to_pylist()] if name in MONEY else column.to_pylist()
               for name, column in zip(table.column_names, table.columns, strict=True)]
    return list(zip(*columns, strict=True))


def packed(table: Any) -> bytes:
    """``table`` as an Arrow IPC stream, LZ4-compressed where pyarrow has the codec."""
    import pyarrow as pa

    # one thread: a table of one partition is small, and handing its few buffers to pyarrow's thread pool cost
    # more (threads woken, futexes) than compressing them here; the bytes are the same
    options = pa.ipc.IpcWriteOptions(compression="lz4" if pa.Codec.is_available("lz4") else None,
                                     use_threads=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def unpacked(data: bytes) -> Any:
    """The table :func:`packed` made (read in this thread: decompressing a partition's buffers on pyarrow's
    thread pool took the driver seven times the processor time), in memory from :func:`pool`."""
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(data), options=pa.ipc.IpcReadOptions(use_threads=False),
                              memory_pool=pool()).read_all()


def pool() -> Any:
    """The memory pool of the driver's Arrow work (unpacking the workers' tables, joining them into row groups):
    the C library's allocator, which keeps the memory it is given back and hands it out again. pyarrow's default
    pool (mimalloc in its wheels) returns freed memory to the system within milliseconds, so each row group took
    its memory afresh from the system, zeroed page by page (with transparent huge pages, 2 MiB at a time): joining
    a 40,000-customer campaign's row groups cost the driver four times the processor time (0.045 s against 0.012).
    Passed to each call rather than made the process's default: an application that runs a campaign keeps its
    own. (The Parquet writer's encoders take their buffers from Arrow's default pool whatever they are given.)"""
    import pyarrow as pa

    return pa.system_memory_pool()
