"""Where the partitions run: ``local`` (a process pool on this machine's cores; ``workers=0`` runs them in this
process) or ``dask`` (a dask.distributed ``LocalCluster`` of ``workers`` processes, or the cluster at
``scheduler``). The driver reads the input, hands out partitions a few at a time (at most three per worker are in
flight) and gives each finished partition to a sink; the order in which they finish does not matter (the sink
sorts).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext

from odedelta.campaigns.progress import Progress
from odedelta.campaigns.sources import Record
from odedelta.campaigns.spec import Campaign, CampaignError
from odedelta.campaigns.worker import Partition, run_partition, warm

ENGINES = ("local", "dask")
INSTALL = "pip install 'odedelta[bulk]'"


def partitions(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def execute(campaign: Campaign, records: Iterable[Record], *, engine: str = "local", workers: int | None = None,
            scheduler: str | None = None, partition_size: int = 200,
            progress: Progress | None = None, sink: Callable[[Partition], None]) -> None:
    """Run every record through the campaign; each partition's rows go to ``sink`` as it finishes."""
    if engine not in ENGINES:
        raise CampaignError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if partition_size < 1:
        raise CampaignError(f"partition size {partition_size}: expected 1 or more")
    chunks = partitions(records, partition_size)
    if engine == "dask":
        _dask(campaign, chunks, workers, scheduler, progress, sink)
        return
    if scheduler is not None:
        raise CampaignError("--scheduler needs --engine dask")
    count = (os.cpu_count() or 1) if workers is None else workers
    if count < 0:
        raise CampaignError(f"workers {count}: expected 0 (this process) or more")
    if count == 0:
        _inline(campaign, chunks, progress, sink)
        return
    _local(campaign, chunks, count, progress, sink)


def _inline(campaign: Campaign, chunks: Iterator[list[Record]], progress: Progress | None,
            sink: Callable[[Partition], None]) -> None:
    warm(campaign)
    for chunk in chunks:
        sink(run_partition(campaign, chunk))
        if progress:
            progress.update(len(chunk))


def _local(campaign: Campaign, chunks: Iterator[list[Record]], workers: int,
           progress: Progress | None, sink: Callable[[Partition], None]) -> None:
    # spawn, not fork: forking a process that runs threads (a Dask client, a test runner's) is unsafe
    context = multiprocessing.get_context("spawn")
    try:
        _pool(campaign, chunks, workers, progress, sink, context)
    except BrokenProcessPool:
        raise CampaignError(
            "a worker process stopped before finishing its partition (killed, out of memory, or started from a "
            "script whose campaign is not under `if __name__ == '__main__':` — the local engine starts its "
            "workers by importing the main module)") from None


def _pool(campaign: Campaign, chunks: Iterator[list[Record]], workers: int, progress: Progress | None,
          sink: Callable[[Partition], None], context: BaseContext) -> None:
    with ProcessPoolExecutor(workers, mp_context=context, initializer=warm, initargs=(campaign,)) as pool:
        running: dict[Future[Partition], int] = {}
        for chunk in itertools.chain(chunks, [None]):
            if chunk is not None:
                running[pool.submit(run_partition, campaign, chunk)] = len(chunk)
            while running and (chunk is None or len(running) >= 3 * workers):
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    sink(future.result())
                    size = running.pop(future)
                    if progress:
                        progress.update(size)


def _dask(campaign: Campaign, chunks: Iterator[list[Record]], workers: int | None, scheduler: str | None,
          progress: Progress | None, sink: Callable[[Partition], None]) -> None:
    try:
        from odedelta.campaigns import dask_engine
    except ImportError:
        raise CampaignError(f"--engine dask needs dask.distributed: {INSTALL}") from None
    if scheduler is not None and workers is not None:
        raise CampaignError("--workers and --scheduler exclude each other (a cluster has its workers)")
    count = None if scheduler is not None else (workers if workers is not None else (os.cpu_count() or 1))
    if count is not None and count < 1:
        raise CampaignError(f"workers {count}: a Dask cluster needs 1 or more")
    dask_engine.run(campaign, chunks, count, scheduler, progress, sink)
