"""The time shards as Ray actors: ``newsearch serve --ray local|ADDRESS`` and ``query --ray``.

One actor per shard, spread over the cluster's nodes, holds the shard's Whoosh searcher in its
process (``search/whoosh/shard.py``) and answers the ``Shard`` protocol; ``RayShard`` is its
stand-in in the searching process, so ``search/scatter.py`` merges the answers exactly as for
shards in this process. An actor whose process dies is started again by Ray (``max_restarts``)
and reopens its shard. A call that has no answer within ``DEADLINE_SECONDS`` makes that shard
missing for the request: the results come from the others, with a German notice naming what is
missing (Elasticsearch's ``_shards.failed``), never an error page or a hang.

Every node must see the shard directories under the same path (a shared or replicated disk,
docs/scale-out.md). Ray is the optional extra ``newsearch[cluster]``; nothing else imports it.
"""
from __future__ import annotations

import os
from pathlib import Path

from indexer.ray_session import NAMESPACE, connect, ray_module  # noqa: F401 (NAMESPACE: for the tests)
from indexer.shards import shard_dirs
from search.backend import ShardUnavailable
from search.scatter import Shards

DEADLINE_SECONDS = 5.0  # per call of a search; a shard slower than this is reported missing
START_SECONDS = 120.0  # an actor's first answer: the process starts and opens its shard
ACTOR_PREFIX = "shard:"  # then the searching process's pid and the shard's directory


def open_ray_shards(index_dir: str | Path, address: str, deadline: float = DEADLINE_SECONDS) -> Shards:
    """The shards of ``index_dir``, each served by a Ray actor on some node of the cluster."""
    ray = ray_module()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    connect(address)
    actor_class = ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)(ShardActor)
    layout = shard_dirs(index_dir)
    # Shard after shard on node after node; soft, so that a restart after its node is lost lands
    # elsewhere (Ray's "SPREAD" left actors that need no CPU all on one node). Named, so that an
    # operator (and the tests) can find a shard's actor: ray.util.list_named_actors().
    nodes = sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])
    shards = []
    for number, (name, path, days) in enumerate(layout):
        where = NodeAffinitySchedulingStrategy(nodes[number % len(nodes)], soft=True)
        actor = actor_class.options(scheduling_strategy=where, name=f"{ACTOR_PREFIX}{os.getpid()}:{path}")
        shards.append(RayShard(actor.remote(str(path), name), name or "Index", days, deadline))
    for shard in shards:
        shard.started()
    return Shards(shards, [days for _, _, days in layout])


class ShardActor:
    """One shard in a Ray worker process: opens it and answers any ``WhooshShard`` method."""

    def __init__(self, path: str, name: str):
        from indexer.store import open_for_reading
        from search.whoosh.shard import WhooshShard, open_searcher

        self.shard = WhooshShard(open_searcher(open_for_reading(path)), name)

    def call(self, method: str, *args):
        if method in ("statistics", "stored"):  # the start of a request: see the newest commit
            self.shard.searcher = self.shard.searcher.refresh()
        return getattr(self.shard, method)(*args)

    def pid(self) -> int:
        return os.getpid()

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()


class RayShard:
    """The searching process's stand-in for a shard actor: each method a call with a deadline."""

    def __init__(self, actor, name: str, days, deadline: float):
        self.actor, self.name, self.days, self.deadline = actor, name, days, deadline

    def started(self) -> None:
        self._get(self.actor.pid.remote(), START_SECONDS)

    def pid(self) -> int:
        return self._get(self.actor.pid.remote(), self.deadline)

    def _call(self, method: str, *args):
        return self._get(self.actor.call.remote(method, *args), self.deadline)

    def _get(self, ref, timeout: float):
        ray = ray_module()
        try:
            return ray.get(ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError as err:
            ray.cancel(ref)  # a late answer is of no use any more
            raise ShardUnavailable(self.label()) from err
        except ray.exceptions.RayActorError as err:  # its process died; Ray is starting it again
            raise ShardUnavailable(self.label()) from err

    def label(self) -> str:
        if self.days:
            return f"{self.name} ({self.days[0]} bis {self.days[1]})"
        return self.name

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args: self._call(method, *args)

    def close(self) -> None:
        """The actor stays with the cluster for the next request; the process lets go at exit."""
