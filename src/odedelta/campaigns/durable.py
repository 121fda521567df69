"""Files a campaign makes durable: each written under a temporary name, flushed to disk and renamed into place
(the rename made durable too), so a file under its final name is always whole, whatever kills the process that
wrote it; and a partition's checkpoint, written so by whichever process finished the partition."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

T = TypeVar("T")


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
        publish(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def publish(scratch: Path, path: Path) -> None:
    """The finished file ``scratch`` flushed to disk and renamed to ``path``, the rename made durable."""
    with scratch.open("rb+") as stream:
        os.fsync(stream.fileno())
    os.replace(scratch, path)
    sync_directory(path.parent)


def adopt(scratch: Path, path: Path, read: Callable[[BinaryIO], T]) -> T:
    """What ``read`` reads from the finished file ``scratch`` (another process wrote it), which is then flushed to
    disk and renamed to ``path``, the rename made durable, as :func:`publish` does: the file opened once for both
    (a partition's checkpoint, which the driver reads and publishes for each partition). ``scratch`` is removed if
    anything fails."""
    try:
        with scratch.open("rb+") as stream:  # writable: flushing a file needs it on some systems
            value = read(stream)
            os.fsync(stream.fileno())
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    sync_directory(path.parent)
    return value


def write_text(path: Path, text: str) -> None:
    with atomic(path) as scratch:
        scratch.write_text(text, encoding="utf-8")


def checkpoint(path: Path, hashed: str, rows: bytes) -> None:
    """A finished partition's checkpoint at ``path``: a header (its input's hash, read alone on a resume), then its
    rows (a pickled :class:`~odedelta.campaigns.worker.Partition`), durable on disk before the call returns."""
    scratch = draft(path, hashed, rows)
    try:
        publish(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def draft(path: Path, hashed: str, rows: bytes) -> Path:
    """The checkpoint :func:`checkpoint` writes at ``path``, written under a temporary name of this process (not
    flushed to disk yet): a local worker drafts the checkpoint of the partition it ran, the driver reads the rows
    there and publishes it. A partition run again after a worker's death is never written by two processes under
    one name, and a draft left by a kill is removed as any temporary file is (``.*.tmp``)."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with scratch.open("wb") as stream:
            pickle.dump({"digest": hashed}, stream, protocol=pickle.HIGHEST_PROTOCOL)  # a header, read alone
            stream.write(rows)
    except BaseException:  # a full disk, a file size limit: no partial draft is left behind
        scratch.unlink(missing_ok=True)
        raise
    return scratch
