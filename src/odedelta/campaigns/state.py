"""What makes a campaign resumable and its folder trustworthy: checkpoints while it runs, a manifest when done.

While a campaign runs, ``out/.odedelta-checkpoints/`` holds ``plan.json`` (the inputs' content hashes and the
options: a resume with anything else is refused) and one checkpoint per finished partition: its rows, pickled,
and the hash of its customers' input (drafted by the local worker that ran the partition, written by the driver
for a partition run in its process or on Dask); each is written under a temporary name, flushed to disk and
renamed by the driver, so a checkpoint under its final name is whole whatever kills the run (a worker, the
driver, the machine). A resume
reads the input again, checks each finished partition's hash, and runs only the others: the rows are the same,
so the files are byte-identical to an uninterrupted run.

When the files are written, ``_manifest.json`` is written last (the inputs and their hashes, the options, the
odedelta version, the partitions, the counts, each file's size and hash) and the checkpoints are removed. A folder
without a manifest is incomplete; :func:`odedelta.campaigns.open` refuses it unless asked.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from odedelta.campaigns import durable
from odedelta.campaigns.durable import sync_directory, write_text
from odedelta.campaigns.outputs import CUSTOMERS, ITEMS, ORDERS, REPORT, SCRATCH, SUMMARY
from odedelta.campaigns.sources import digest
from odedelta.campaigns.spec import CampaignError, CampaignUsageError
from odedelta.campaigns.worker import Partition

STATE = ".odedelta-checkpoints"
PLAN = "plan.json"
MANIFEST = "_manifest.json"
OUTPUTS = (SUMMARY, CUSTOMERS, ITEMS, ORDERS, REPORT)
__all__ = ["MANIFEST", "Checkpoints", "digest", "output_files", "prepare"]
OWNED = (*OUTPUTS, MANIFEST, STATE, SCRATCH)
"""What a campaign writes into its folder (``--force`` removes these and nothing else)."""


def file_hash(path: Path) -> str:
    hashed = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            hashed.update(block)
    return "sha256:" + hashed.hexdigest()


def _campaign_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name in OWNED or (p.name.startswith(".") and p.name.endswith(".tmp"))]


def prepare(folder: Path, *, resume: bool, force: bool) -> None:
    """Make ``folder`` ready: created when missing; an existing, non-empty folder is refused unless ``resume``
    (continue what is there) or ``force`` (remove the campaign files there first)."""
    if resume and force:
        raise CampaignUsageError("--resume and --force exclude each other (continue the campaign, or replace it)")
    if folder.exists() and not folder.is_dir():
        raise CampaignUsageError(f"{folder}: the output directory is a file (expected a directory, new or existing)")
    if folder.is_dir() and any(folder.iterdir()):
        if force:
            for path in _campaign_files(folder):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        elif not resume:
            what = ("a finished campaign" if (folder / MANIFEST).exists()
                    else "an interrupted campaign" if (folder / STATE).exists() else "files")
            raise CampaignUsageError(f"{folder}: the output directory already holds {what}: add --resume to "
                                     "continue it or --force to replace it (or choose another --out)")
    try:  # before any work: a campaign that cannot write its files does not run
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CampaignError(f"{folder}: cannot create the output directory ({exc.strerror})") from None


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}")
    return out


def _checkpoint(stream: BinaryIO) -> tuple[str, Partition]:
    """A checkpoint's input hash and rows (a file a run of this campaign wrote)."""
    hashed: str = pickle.load(stream)["digest"]
    partition: Partition = pickle.load(stream)
    return hashed, partition


class Checkpoints:
    """The checkpoints of one campaign in ``folder``; :meth:`start` says which partitions are already done."""

    def __init__(self, folder: Path, plan: dict[str, Any]) -> None:
        self.folder, self.plan = folder, plan
        self.directory = folder / STATE
        self.done: dict[int, str] = {}
        """Finished partitions: their input hash, by partition number."""

    def finished(self) -> dict[str, Any] | None:
        """The manifest of the campaign already complete in the folder with this very plan, or None; a folder
        completed with other inputs or options is refused."""
        path = self.folder / MANIFEST
        if not path.exists() or self.directory.exists():
            return None
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self._same(manifest.get("plan", {}), "finished")
        return manifest

    def _same(self, old: dict[str, Any], what: str) -> None:
        changed = _differences(old, self.plan)
        if changed:
            raise CampaignUsageError(
                f"{self.folder}: cannot resume: the {what} campaign there was run with another "
                f"{', '.join(changed)} (use --force to replace it, or another --out)")

    def start(self, resume: bool) -> None:
        """Read what an interrupted run left (``resume``), or begin afresh: ``plan.json`` is written first."""
        plan = self.directory / PLAN
        if resume and plan.exists():
            self._same(json.loads(plan.read_text(encoding="utf-8")), "interrupted")
            for path in sorted(self.directory.glob("part-*.pickle")):
                with path.open("rb") as stream:  # the header alone: the input hash
                    self.done[int(path.stem.split("-")[1])] = pickle.load(stream)["digest"]
            for path in self.directory.glob(".*.tmp"):  # a checkpoint the kill interrupted
                path.unlink()
            return
        shutil.rmtree(self.directory, ignore_errors=True)
        for path in _campaign_files(self.folder):  # an earlier run's files, left by a kill before its plan
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        self.directory.mkdir(parents=True)
        write_text(plan, json.dumps(self.plan, indent=1, sort_keys=True) + "\n")
        sync_directory(self.folder)

    def path(self, index: int) -> Path:
        return self.directory / f"part-{index:08d}.pickle"

    def save(self, index: int, hashed: str, rows: bytes) -> None:
        """The partition's rows (a pickled :class:`Partition`), durable on disk before the call returns."""
        durable.checkpoint(self.path(index), hashed, rows)
        self.done[index] = hashed

    def adopt(self, index: int, draft: Path) -> Partition:
        """The rows of partition ``index`` from the draft of its checkpoint that the local worker which ran it
        wrote (read from the page cache still: the worker sent no rows); the draft is then made the checkpoint,
        durable before this returns."""
        hashed, partition = durable.adopt(draft, self.path(index), _checkpoint)
        self.done[index] = hashed
        return partition

    def load(self) -> Iterator[tuple[int, Partition]]:
        """The rows of every partition finished before this run, with their numbers."""
        for index in sorted(self.done):
            yield index, self.partition(index)

    def partition(self, index: int) -> Partition:
        """The rows of finished partition ``index``."""
        with self.path(index).open("rb") as stream:  # a file a run of this campaign wrote
            pickle.load(stream)
            partition: Partition = pickle.load(stream)
        return partition

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write the manifest (the folder is complete from then on), then remove the checkpoints."""
        write_text(self.folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, default=str) + "\n")
        shutil.rmtree(self.directory, ignore_errors=True)
        sync_directory(self.folder)


def output_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Each file of a finished campaign: its size and hash."""
    return {name: {"bytes": (folder / name).stat().st_size, "sha256": file_hash(folder / name)}
            for name in OUTPUTS if (folder / name).exists()}
