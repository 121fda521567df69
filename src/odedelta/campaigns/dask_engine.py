"""The ``dask`` engine: partitions as dask.distributed tasks, on a ``LocalCluster`` or an existing cluster.

The driver ships the catalog and rule files to the workers in a worker plugin (a :class:`Shipment`, named by the
files' content hash): each worker unpacks and reads them when it starts (and when it joins later), so the workers
need no shared disk and never read the driver's paths. A partition whose worker is lost is run again by Dask;
one that still fails is submitted again, at most ``retries`` times. Only this module imports dask.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from odedelta.campaigns.progress import Progress
from odedelta.campaigns.spec import Campaign, Interrupted
from odedelta.campaigns.tasks import Retries, Sink, Task
from odedelta.campaigns.worker import Shipment, receive, run_packed, warm


class ShipCampaign(WorkerPlugin):
    """Unpack the shipped catalog and rules and read them once per worker, before its first task."""

    def __init__(self, campaign: Campaign, shipment: Shipment) -> None:
        self.campaign, self.shipment = campaign, shipment
        self.name = f"odedelta-campaign:{shipment.catalog_hash}:{shipment.rules_hash}"

    def setup(self, worker: Any) -> None:
        receive(self.shipment)
        warm(self.campaign)


def run(campaign: Campaign, tasks: Iterator[Task], workers: int | None, scheduler: str | None,
        progress: Progress | None, sink: Sink, retries: int, shipment: object) -> None:
    """``workers`` processes of a new LocalCluster (one thread each: the work holds the GIL), or ``scheduler``."""
    assert isinstance(shipment, Shipment)
    cluster = None
    if scheduler is None:
        # no dashboard; the scheduler's HTTP server (health, metrics) on a free port, not 8787 (maybe taken)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        client.register_plugin(ShipCampaign(campaign, shipment))
        slots = 3 * max(1, len(client.scheduler_info()["workers"]))
        pending = as_completed()
        held: dict[Any, Task] = {}
        again = Retries(retries)

        def submit(task: Task) -> None:
            future = client.submit(run_packed, campaign, task[1], pure=False)
            held[future.key] = task
            pending.add(future)

        while True:
            while pending.count() < slots and (task := again.next(tasks)) is not None:
                submit(task)
            if not pending.count():
                return
            future = next(pending)
            task = held.pop(future.key)
            try:
                partition = future.result()
            except Interrupted:
                raise
            except Exception as exc:  # a worker lost more often than Dask retries, or an error in the task
                again.again(task, f"{type(exc).__name__}: {exc}")
                continue
            finally:
                future.release()
            sink(task[0], partition)
            if progress:
                progress.update(len(task[1]))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
