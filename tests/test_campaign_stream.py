"""The driver's light path: workers read their own slices of the input and send their rows as sorted tables, which
the driver streams into the Parquet files while the partitions come in order, and sorts the general way as soon as
they do not. Either way the files are the same bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import odedelta
from odedelta.campaigns import ChangeOffering, dry_run, generate, outputs, run, worker
from odedelta.campaigns.sources import Source, digest

from .conftest import DEMO, ROOT
from .test_campaigns import _interrupted

RULES = ROOT / "rules"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
DOWNGRADE = ChangeOffering("po-mobile-l", "po-mobile-s")
FILES = ("summary.json", "customers.parquet", "items.parquet", "orders.jsonl", "report.html", "_manifest.json")


@pytest.fixture(scope="module")
def sorted_base(tmp_path_factory: pytest.TempPathFactory, demo: odedelta.Catalog) -> Path:
    """120 generated customers in customer order (as an export usually comes), a blank line among them."""
    path = tmp_path_factory.mktemp("sorted") / "customers.jsonl"
    generate.write_jsonl(path, generate.customers(demo, 120, as_of=AS_OF, seed=5, favour="po-mobile-l"))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(30, "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _run(base: Path, out: Path, **options: Any) -> odedelta.campaigns.CampaignResult:
    return run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=out, rules=RULES, orders=True, **options)


def _streamed(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each campaign's rows were still streamed when its files were written."""
    seen: list[bool] = []
    write = outputs.write

    def watching(out: Path, campaign: Any, rows: outputs.Collected) -> Any:
        seen.append(rows.streaming)
        return write(out, campaign, rows)

    monkeypatch.setattr(odedelta.campaigns, "write", watching)
    return seen


def test_streamed_and_sorted_files_are_the_same_bytes(sorted_base: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "BATCH", 50)  # several row groups, some written while the campaign runs
    seen = _streamed(monkeypatch)
    streamed = _run(sorted_base, tmp_path / "streamed", workers=0, partition_size=7)
    with monkeypatch.context() as patch:  # rows as a worker without pyarrow sends them: sorted the general way
        patch.setattr(worker.Partition, "pack", lambda self: None)
        general = _run(sorted_base, tmp_path / "general", workers=0, partition_size=7)
    pooled = _run(sorted_base, tmp_path / "pooled", workers=2, partition_size=9)
    assert seen == [True, False, True]
    for name in FILES:
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "general" / name).read_bytes(), name
        if name != "_manifest.json":  # which says the partition size
            assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "pooled" / name).read_bytes(), name
    assert streamed.summary["customers"] == general.summary["customers"] == pooled.summary["customers"] == 120
    assert [row["customer"] for row in streamed.customers] == sorted(row["customer"] for row in streamed.customers)
    assert not (tmp_path / "streamed" / outputs.SCRATCH).exists()


def test_a_partition_out_of_order_ends_the_streaming_and_the_rows_are_sorted(
        sorted_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "BATCH", 40)
    reference = _run(sorted_base, tmp_path / "reference", workers=0, partition_size=7)
    lines = sorted_base.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(lines.pop(3))  # an early customer last: the last partition starts before where the stream is
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("".join(lines), encoding="utf-8")
    seen = _streamed(monkeypatch)
    result = _run(shuffled, tmp_path / "out", workers=0, partition_size=7)
    assert seen == [False]
    assert [row["customer"] for row in result.customers] == [row["customer"] for row in reference.customers]
    moved = json.loads(lines[-1])["customer"]
    assert [row["index"] for row in result.customers if row["customer"] == moved] == [119]
    assert result.summary == reference.summary
    assert [{k: v for k, v in row.items() if k not in ("index", "source")} for row in result.items] == [
        {k: v for k, v in row.items() if k not in ("index", "source")} for row in reference.items]


def test_a_streamed_campaign_interrupted_resumes_to_the_same_bytes(sorted_base: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "BATCH", 30)
    _run(sorted_base, tmp_path / "reference", workers=0, partition_size=6)
    out = tmp_path / "out"
    _interrupted(sorted_base, out, monkeypatch, 9, partition_size=6)
    # row groups were written under a scratch name; nothing is under a final name
    assert not {p.name for p in out.iterdir()} & set(FILES)
    seen = _streamed(monkeypatch)
    _run(sorted_base, out, workers=0, partition_size=6, resume=True)
    assert seen == [True]
    for name in FILES:
        assert (out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name


def test_slices_read_the_records_iterating_the_input_gives(tmp_path: Path) -> None:
    path = tmp_path / "base.jsonl"
    lines = [b'{"customer": "A", "products": []}\n', b"\n", b"  \r\n", b'{"customer": "B", "products": []}\n',
             b'\xff\xfe broken\n', b'{"customer": "C", "products": []}\n', b"\n", b'{"customer": "D"}']
    path.write_bytes(b"".join(lines))
    source = Source(path)
    everything = list(source)
    for size in (1, 2, 3, 10):
        slices = list(source.slices(size))
        assert [record for part in slices for record in part.records()] == everything
        assert [len(part) for part in slices] == [len(part.records()) for part in slices]
        assert [part.origin for part in slices] == [part.records()[0].origin for part in slices]
    assert [record.origin for record in everything] == [f"{path}:{n}" for n in (1, 4, 5, 6, 8)]
    assert everything[2].text.startswith("\0cannot read")
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("b.json", "a.yaml", "c.json"):
        (folder / name).write_text("[]", encoding="utf-8")
    files = Source(folder)
    assert [r for part in files.slices(2) for r in part.records()] == list(files)
    assert [part.origin for part in files.slices(2)] == [str(folder / "a.yaml"), str(folder / "c.json")]
    assert digest(list(files)) == digest([r for part in files.slices(1) for r in part.records()])


def test_a_campaign_reads_a_pipe_its_workers_cannot_open_again(sorted_base: Path, tmp_path: Path) -> None:
    """An input that can be read only once (``<(zcat base.jsonl.gz)``, a FIFO): each slice carries its lines to
    its worker, and the rows are those of the same customers read from the file (but where each came from)."""
    import os
    import threading

    import pyarrow.parquet as pq

    fifo = tmp_path / "customers.pipe"
    os.mkfifo(fifo)
    feeding = threading.Thread(target=lambda: fifo.write_bytes(sorted_base.read_bytes()))
    feeding.start()
    piped = _run(fifo, tmp_path / "piped", workers=2, partition_size=7)
    feeding.join(timeout=30)
    read = _run(sorted_base, tmp_path / "read", workers=2, partition_size=7)
    assert piped.summary["customers"] == read.summary["customers"] == 120
    for name in ("customers.parquet", "items.parquet"):
        from_pipe, from_file = pq.read_table(piped.out / name), pq.read_table(read.out / name)
        kept = [c for c in from_file.column_names if c != "source"]
        assert from_pipe.select(kept).equals(from_file.select(kept)), name
    assert (tmp_path / "piped" / "orders.jsonl").read_bytes() == (tmp_path / "read" / "orders.jsonl").read_bytes()


def test_a_pipe_is_read_once_with_progress_shown_and_by_a_dry_run(sorted_base: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The customers of an input that can be read only once are not counted ahead (that used the pipe up: the
    campaign the CLI runs, with progress shown, had no customer left and said so with exit 0; found in review):
    progress says what is done without a total, and a dry run counts while it reads its sample."""
    import os
    import threading

    def fed(name: str) -> Path:
        fifo = tmp_path / name
        os.mkfifo(fifo)
        threading.Thread(target=lambda: fifo.write_bytes(sorted_base.read_bytes()), daemon=True).start()
        return fifo

    piped = _run(fed("progress.pipe"), tmp_path / "piped", workers=0, partition_size=50, progress=True)
    assert piped.summary["customers"] == 120
    assert capsys.readouterr().err.splitlines()[-1].startswith("bulk: 120 customers  ")
    estimate = dry_run(DEMO, fed("dry.pipe"), DOWNGRADE, as_of=AS_OF, rules=RULES, sample=5)
    assert (estimate["customers"], estimate["sampled"]) == (120, 5)
    assert Source(sorted_base).total() == len(Source(sorted_base)) == 120
    unfed = tmp_path / "count.pipe"
    os.mkfifo(unfed)
    with pytest.raises(TypeError, match="can be read only once"):
        len(Source(unfed))


def test_a_customer_escaping_a_lone_surrogate_is_one_broken_row_not_the_end(sorted_base: Path,
                                                                              tmp_path: Path) -> None:
    """``"\\ud800"`` is valid JSON but no character (Parquet and the orders cannot hold it): that customer is a row
    with its error, the others are answered; a surrogate pair (one character) is read as usual."""
    lines = sorted_base.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(5, '{"customer": "\\ud800", "products": []}\n')
    lines.insert(9, lines[8].replace('"customer":"', '"customer":"\\ud83d\\ude00', 1))
    base = tmp_path / "odd.jsonl"
    base.write_text("".join(lines), encoding="utf-8")
    result = _run(base, tmp_path / "out", workers=2, partition_size=7)
    assert result.summary["customers"] == 122
    broken = [row for row in result.customers if row["source"] == f"{base}:6"]
    assert len(broken) == 1 and broken[0]["status"] == "error"
    assert "lone UTF-16 surrogate" in broken[0]["message"] and "\\\\ud800" in broken[0]["message"]
    assert any(row["customer"].startswith("\U0001f600") and row["status"] != "error" for row in result.customers)


def test_slices_found_block_by_block_are_those_of_the_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver finds a file's slices a block at a time: for every block size (down to a byte, lines longer than
    the block), blank and whitespace-only lines, a broken line and a last line without its end, the slices hold
    the very records iterating the file line by line gives, numbered alike."""
    import random

    from odedelta.campaigns import sources

    pieces = [b'{"customer": "A", "products": []}', b"", b" ", b"\t\r", b"\x0b\x0c", b"  {\"customer\": \"B\"}  ",
              b"\xff\xfe broken", b'[{"id": "p"}]']
    rng = random.Random(29)
    path = tmp_path / "base.jsonl"
    for _ in range(150):
        lines = [rng.choice(pieces) for _ in range(rng.randint(0, 9))]
        path.write_bytes(b"\n".join(lines) + rng.choice([b"", b"\n", b"\n\n", b"\n  "]))
        source = Source(path)
        everything = list(source)
        for block in (1, 2, 5, 64, 1 << 22):
            monkeypatch.setattr(sources, "BLOCK", block)
            for size in (1, 2, 3):
                slices = list(source.slices(size))
                assert [record for part in slices for record in part.records()] == everything
                assert [len(part) for part in slices] == [len(part.records()) for part in slices]
                assert all(0 < len(part) <= size for part in slices)
                assert [part.index for part in slices] == list(range(0, len(everything), size))


def test_local_workers_draft_their_checkpoints_and_the_driver_reads_the_rows_there(
        sorted_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On this machine a worker drafts the checkpoint of the partition it ran and sends the driver no rows, only
    the draft's name: the driver reads the rows there and makes the draft the checkpoint. The files are the bytes
    of a campaign run in one process, where the driver writes each checkpoint from the rows it holds."""
    from odedelta.campaigns import durable, engines, state

    drafted: list[int] = []  # the checkpoints this process (the driver) drafted
    sent: list[bytes | Path] = []
    draft, adopt = durable.draft, state.Checkpoints.adopt
    monkeypatch.setattr(durable, "draft", lambda path, hashed, rows: (
        drafted.append(int(path.stem.split("-")[1])), draft(path, hashed, rows))[1])
    reference = _run(sorted_base, tmp_path / "inline", workers=0, partition_size=9)
    partitions = -(-reference.summary["customers"] // 9)
    assert drafted == list(range(partitions))  # in one process, the driver writes every checkpoint
    drafted.clear()
    execute = engines.execute

    def watched(*args: Any, sink: Any, **options: Any) -> None:
        execute(*args, sink=lambda index, packed: (sent.append(packed), sink(index, packed))[1], **options)

    monkeypatch.setattr(odedelta.campaigns, "execute", watched)
    adopted: list[tuple[int, bool, bool]] = []  # the partition, its draft there before, its checkpoint after

    def adopting(self: state.Checkpoints, index: int, path: Path) -> Any:
        before = path.exists()
        partition = adopt(self, index, path)
        adopted.append((index, before and not path.exists(), self.path(index).exists()))
        return partition

    monkeypatch.setattr(state.Checkpoints, "adopt", adopting)
    local = _run(sorted_base, tmp_path / "local", workers=2, partition_size=9)
    for name in FILES:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "inline" / name).read_bytes(), name
    assert local.summary == reference.summary
    assert drafted == []  # the workers drafted them (their calls are not seen in this process)
    assert len(sent) == partitions and all(isinstance(packed, Path) for packed in sent)  # names, not rows
    assert all(packed.name.startswith(".part-") and packed.name.endswith(".tmp") for packed in sent)
    assert sorted(adopted) == [(index, True, True) for index in range(partitions)]


def test_a_draft_that_cannot_be_written_leaves_no_file(tmp_path: Path) -> None:
    """A worker whose checkpoint draft fails once its file is open (a full disk, a file size limit; here a header
    that cannot be pickled) leaves nothing behind: the partition is tried again, then reported, and no partial
    draft waits in the checkpoints' directory."""
    import pickle

    from odedelta.campaigns.durable import draft

    path = tmp_path / "part-00000000.pickle"
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        draft(path, lambda: "hash", b"rows")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    written = draft(path, "hash", b"rows")
    assert [p.name for p in tmp_path.iterdir()] == [written.name]


def test_a_partition_waits_packed_until_its_row_group_is_written(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver keeps a streamed partition's table as the worker packed it (bytes) until its row group is
    complete; the group is then unpacked and written whole, the rows beyond it wait as a table. A partition whose
    rows were miscounted is a bug, said at once, not a file of row groups of another size."""
    import pyarrow.parquet as pq

    from odedelta.campaigns.columns import ITEM_COLUMNS, packed, schemas, table

    monkeypatch.setattr(outputs, "BATCH", 5)
    items = schemas()[1]
    rows = [(f"C{n:02d}", n, 0, "p", f"i{n}", "add", f"p{n}", "po-x", None, None, True, ["r"]) for n in range(8)]
    assert len(rows[0]) == len(ITEM_COLUMNS)
    writer = outputs._Writer(tmp_path / "items.parquet", items)
    writer.append(packed(table(rows[:3], items)), 3)
    assert [type(waiting) for waiting in writer.pending] == [bytes] and writer.writer is None
    writer.append(packed(table(rows[3:8], items)), 5)  # 8 rows: a group of 5 written, 3 left as a table
    assert writer.rows == 3 and len(writer.pending) == 1 and not isinstance(writer.pending[0], bytes)
    writer.close()
    written = pq.ParquetFile(tmp_path / "items.parquet")
    assert [written.metadata.row_group(n).num_rows for n in range(written.num_row_groups)] == [5, 3]
    assert [row["item"] for row in written.read().to_pylist()] == [f"i{n}" for n in range(8)]

    miscounted = outputs._Writer(tmp_path / "other.parquet", items)
    with pytest.raises(RuntimeError, match=r"other\.parquet: 6 rows waiting, 5 counted"):
        miscounted.append(packed(table(rows[:6], items)), 5)
    miscounted.abandon()
    uncounted = outputs._Writer(tmp_path / "none.parquet", items)  # counted as none: caught when the file closes
    uncounted.append(packed(table(rows[:3], items)), 0)
    with pytest.raises(RuntimeError, match=r"none\.parquet: 3 rows waiting, 0 counted"):
        uncounted.close()
    uncounted.abandon()
