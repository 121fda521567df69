"""Where the partitions run: ``local`` (a process pool on this machine's cores; ``workers=0`` runs them in this
process) or ``dask`` (a dask.distributed ``LocalCluster`` of ``workers`` processes, or the cluster at
``scheduler``). The driver reads the input, hands out numbered partitions a few at a time (at most three per worker
are in flight) and gives each finished partition to a sink; the order in which they finish does not matter (the
sink sorts).

A partition that fails (its worker killed or out of memory, an exception) is run again, at most ``retries`` more
times, before the campaign stops. Local workers die with the driver: on Linux each arms the parent-death signal
(SIGKILL) when it starts, and every way out of the driver's loop (an error, an interrupt) terminates them.

Local workers are forked when that is safe — on Linux, from a driver that runs a single thread (no Dask client, no
thread pool, not even pyarrow's, which starts one when imported): they start in milliseconds with the catalog and
rules the driver already read, instead of importing odedelta and reading them again (about a second per run, paid
before the first customer and the reason two workers did not go twice as fast). Otherwise they are spawned
(forking a process that runs threads can deadlock the child), and each reads the catalog and rules itself.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path

from odedelta import Engine
from odedelta.campaigns.progress import Progress
from odedelta.campaigns.sources import Record, Slice
from odedelta.campaigns.spec import Campaign, CampaignError, CampaignUsageError, Interrupted
from odedelta.campaigns.tasks import Retries, Sink, Task
from odedelta.campaigns.worker import adopt, child, run_drafted, run_packed, warm

ENGINES = ("local", "dask")
INSTALL = "pip install 'odedelta[bulk]'"

STOPPED = ("a worker process stopped before finishing its partition (killed, out of memory, or started from a "
           "script whose campaign is not under `if __name__ == '__main__':` — the local engine starts its "
           "workers by importing the main module)")


def partitions(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def check_options(*, engine: str, workers: int | None, scheduler: str | None, partition_size: int,
                  retries: int) -> int | None:
    """Refuse options that cannot work, before anything is read; the number of workers (None: the cluster's)."""
    if engine not in ENGINES:
        raise CampaignUsageError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if partition_size < 1:
        raise CampaignUsageError(f"partition size {partition_size}: expected 1 or more")
    if retries < 0:
        raise CampaignUsageError(f"retries {retries}: expected 0 or more")
    if engine == "dask":
        if scheduler is not None and workers is not None:
            raise CampaignUsageError("--workers and --scheduler exclude each other (a cluster has its workers)")
        count = None if scheduler is not None else (workers if workers is not None else (os.cpu_count() or 1))
        if count is not None and count < 1:
            raise CampaignUsageError(f"workers {count}: a Dask cluster needs 1 or more")
        return count
    if scheduler is not None:
        raise CampaignUsageError("--scheduler needs --engine dask")
    count = (os.cpu_count() or 1) if workers is None else workers
    if count < 0:
        raise CampaignUsageError(f"workers {count}: expected 0 (this process) or more")
    return count


STARTS: Counter[str] = Counter()
"""How this process started its local worker pools (``fork`` or ``spawn``): tests check which way was taken."""


def _threads() -> int:
    """The threads this process runs, as the system counts them (0 where it cannot tell)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def _context() -> BaseContext:
    """``fork`` on Linux when this process runs one thread (a forked child of a threaded process can deadlock on a
    lock another thread held; Python 3.12 warns of it), else ``spawn``."""
    method = "fork" if sys.platform == "linux" and _threads() == 1 else "spawn"
    return multiprocessing.get_context(method)


def start(campaign: Campaign, workers: int, engine: Engine | None = None) -> ProcessPoolExecutor:
    """A local pool of ``workers`` processes, started now. Forked (:func:`_context`), they inherit ``engine`` (the
    catalog and rules the driver read to check the template) and are ready at once; spawned, each reads its own.
    Start it before the driver uses pyarrow (which runs a thread): the caller stops it (:func:`stop`) if the
    campaign ends before :func:`execute` takes it over."""
    context = _context()
    forked = context.get_start_method() == "fork"
    if forked and engine is not None:
        adopt(campaign, engine)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=child, initargs=(os.getpid(), campaign))
    STARTS[context.get_start_method()] += 1
    if forked:  # a first task forks every worker now, before the driver starts any thread
        pool.submit(os.getpid)
    return pool


def execute(campaign: Campaign, tasks: Iterator[Task], *, engine: str = "local", workers: int | None = None,
            scheduler: str | None = None, progress: Progress | None = None, sink: Sink, retries: int = 2,
            shipment: object = None, pool: ProcessPoolExecutor | None = None,
            saving: Callable[[int], Path] | None = None) -> None:
    """Run every partition through the campaign; each one's rows go to ``sink`` as it finishes. ``pool``: the
    local workers already started (:func:`start`), used until a worker's death breaks it. ``saving``: the
    checkpoint of partition ``i``, which a local worker drafts itself (of a :class:`Slice`): ``sink`` is then
    given the draft's name, the rows being in that file."""
    if engine == "dask":
        try:
            from odedelta.campaigns import dask_engine
        except ImportError:
            raise CampaignError(f"--engine dask needs dask.distributed: {INSTALL}") from None
        dask_engine.run(campaign, tasks, workers, scheduler, progress, sink, retries, shipment)
        return
    if workers == 0:
        _inline(campaign, tasks, progress, sink)
        return
    _local(campaign, tasks, workers or 1, progress, sink, retries, pool, saving)


def _inline(campaign: Campaign, tasks: Iterator[Task], progress: Progress | None, sink: Sink) -> None:
    warm(campaign)
    for index, chunk in tasks:
        sink(index, run_packed(campaign, chunk))
        if progress:
            progress.update(len(chunk))


def _local(campaign: Campaign, tasks: Iterator[Task], workers: int, progress: Progress | None, sink: Sink,
           retries: int, started: ProcessPoolExecutor | None = None,
           saving: Callable[[int], Path] | None = None) -> None:
    again = Retries(retries)
    while True:  # one pool, and a new one whenever a worker's death breaks it (spawned: the driver runs threads)
        pool, started = started or start(campaign, workers), None
        try:
            broken = _pool(campaign, tasks, workers, progress, sink, pool, again, saving)
        except BaseException:
            stop(pool)
            raise
        if not broken:
            pool.shutdown(wait=True)
            return
        stop(pool)


def stop(pool: ProcessPoolExecutor) -> None:
    """Every worker terminated now, not when its partition ends."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.join(5)


def _pool(campaign: Campaign, tasks: Iterator[Task], workers: int, progress: Progress | None, sink: Sink,
          pool: ProcessPoolExecutor, again: Retries, saving: Callable[[int], Path] | None = None) -> bool:
    """Run tasks on ``pool`` until there are no more (False) or a worker's death broke it (True: the partitions
    it held are queued again)."""
    running: dict[Future[bytes | Path], Task] = {}
    broken = False
    while True:
        while not broken and len(running) < 3 * workers and (task := again.next(tasks)) is not None:
            try:
                index, customers = task
                future: Future[bytes | Path] = (
                    pool.submit(run_drafted, campaign, customers, saving(index))
                    if saving is not None and isinstance(customers, Slice) else
                    pool.submit(run_packed, campaign, customers))
                running[future] = task
            except BrokenProcessPool:
                again.queue.appendleft(task)
                broken = True
        if not running:
            return broken
        done, _ = wait(running, return_when=FIRST_COMPLETED if not broken else ALL_COMPLETED)
        for future in sorted(done, key=lambda f: running[f][0]):
            task = running.pop(future)
            try:
                partition = future.result()
            except Interrupted:
                raise
            except BrokenProcessPool:
                broken = True
                again.again(task, STOPPED)
                continue
            except Exception as exc:  # a bug in the worker: the partition is tried again, then reported
                again.again(task, f"{type(exc).__name__}: {exc}")
                continue
            sink(task[0], partition)
            if progress:
                progress.update(len(task[1]))
