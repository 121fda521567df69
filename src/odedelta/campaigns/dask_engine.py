"""The ``dask`` engine: partitions as dask.distributed tasks, on a ``LocalCluster`` or an existing cluster.

A worker plugin reads the catalog and rules when each worker starts (and when a worker joins later); tasks then
find them in the worker process's pool. Only this module imports dask.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from odedelta.campaigns.progress import Progress
from odedelta.campaigns.sources import Record
from odedelta.campaigns.spec import Campaign
from odedelta.campaigns.worker import Partition, run_partition, warm


class WarmCampaign(WorkerPlugin):
    """Read the campaign's catalog and rules once per worker, before its first task."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.name = f"odedelta-campaign:{campaign.catalog}:{campaign.rules}"

    def setup(self, worker: Any) -> None:
        warm(self.campaign)


def run(campaign: Campaign, chunks: Iterator[list[Record]], workers: int | None, scheduler: str | None,
        progress: Progress | None, sink: Callable[[Partition], None]) -> None:
    """``workers`` processes of a new LocalCluster (one thread each: the work holds the GIL), or ``scheduler``."""
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        client.register_plugin(WarmCampaign(campaign))
        slots = 3 * max(1, len(client.scheduler_info()["workers"]))
        pending = as_completed()
        sizes: dict[Any, int] = {}
        for chunk in itertools.chain(chunks, [None]):
            if chunk is not None:
                future = client.submit(run_partition, campaign, chunk, pure=False)
                sizes[future.key] = len(chunk)
                pending.add(future)
            while pending.count() and (chunk is None or pending.count() >= slots):
                future = next(pending)
                sink(future.result())
                size = sizes.pop(future.key)
                if progress:
                    progress.update(size)
                future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
