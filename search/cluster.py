"""The time shards as Ray actors: ``newsearch serve --ray local|ADDRESS`` and ``query --ray``.

One actor per shard (``replicas`` of them, on different nodes) holds the shard's Whoosh searcher
in its process (``search/whoosh/shard.py``) and answers the ``Shard`` protocol; ``RayShard`` is
its stand-in in the searching process, so ``search/scatter.py`` merges the answers exactly as
for shards in this process. A call that has no answer within ``DEADLINE_SECONDS`` goes to the
shard's next replica; with none left the shard is missing for the request: the results come
from the others, with a German notice naming what is missing (Elasticsearch's
``_shards.failed``), never an error page or a hang.

Where the actors run is decided in one place, ``Placement``: shard after shard on node after
node, each actor held to its node (``soft=False``). Ray's soft placement (``soft=True``, and
"SPREAD", with or without a placement group) put two or three of four actors on one node of
two, differently from run to run. An actor whose process dies is started again by Ray on its
node (``max_restarts``); an actor whose node is gone cannot be (Ray answers
``ActorUnschedulableError``), so its stand-in starts a new one on a node still alive.

Every node must see the shard directories under the same path (a shared or replicated disk,
docs/scale-out.md). Ray is the optional extra ``newsearch[cluster]``; nothing else imports it.
"""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

from indexer.errors import NewsearchError
from indexer.lemmas import lemma_table
from indexer.ray_session import NAMESPACE, connect, ray_module  # noqa: F401 (NAMESPACE: for the tests)
from indexer.shards import shard_dirs
from search.backend import ShardUnavailable
from search.scatter import Shards

DEADLINE_SECONDS = 5.0  # per call of a search; a shard slower than this is reported missing
START_SECONDS = 120.0  # an actor's first answer: the process starts and opens its shard
# The newest with every facet; a common word through the term tables, whose analysis also loads
# the lemma table (derived, ~14 s, on a node without its cache file): not within a search's deadline
WARM_QUERIES = ("", "Zeit")
ACTOR_PREFIX = "shard:"  # then the searching process's pid, the shard's directory and the replica


def open_ray_shards(index_dir: str | Path, address: str, deadline: float = DEADLINE_SECONDS,
                    replicas: int = 1) -> Shards:
    """The shards of ``index_dir``, each served by ``replicas`` Ray actors on different nodes.

    The lemma table is loaded here first: where its cache file is missing (a new user's first
    run) it takes ~14 s to derive, which must not fall inside the first search's deadline.

    A shard that misses a deadline is left out for the rest of a request (``Shards.each``), so a
    long-lived caller makes each request its own view, ``Shards(opened.shards, opened.days)``, as
    ``serve --ray`` does (web/index.py): the next request asks every shard again.
    """
    lemma_table()
    connect(address)
    placement = Placement()
    if replicas > len(placement.alive()):
        raise NewsearchError(f"--replicas {replicas} braucht so viele Knoten im Ray-Cluster; "
                             f"er hat {len(placement.alive())}.")
    layout = shard_dirs(index_dir)
    shards = [RayShard(placement, str(path), name or "Index", days, deadline, number, replicas)
              for number, (name, path, days) in enumerate(layout)]
    for shard in shards:
        shard.started()
    return Shards(shards, [days for _, _, days in layout])


class Placement:
    """Which node each shard actor runs on, for all shards of one searching process.

    Replica ``r`` of shard ``s`` goes to alive node ``(s + r) % nodes`` (sorted by id), so the
    shards and each shard's replicas are spread over the nodes. An actor replacing one of a lost
    node goes to the alive node holding the fewest of these actors, not one that holds another
    replica of the same shard if that can be helped.
    """

    def __init__(self):
        ray = ray_module()
        self.actor_class = ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)(ShardActor)
        self.held: Counter = Counter()  # node id -> actors started there
        self.lock = threading.Lock()

    @staticmethod
    def alive() -> list[str]:
        return sorted(node["NodeID"] for node in ray_module().nodes() if node["Alive"])

    def start(self, path: str, name: str, label: str, node: str):
        """An actor for the shard at ``path`` held to ``node``, named so that an operator (and the
        tests) can find it: ``ray.util.list_named_actors()``."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        with self.lock:
            self.held[node] += 1
        where = NodeAffinitySchedulingStrategy(node, soft=False)
        return self.actor_class.options(scheduling_strategy=where, name=f"{ACTOR_PREFIX}{os.getpid()}:{label}").remote(path, name)

    def first(self, shard: int, replica: int) -> str:
        nodes = self.alive()
        return nodes[(shard + replica) % len(nodes)]

    def instead_of(self, lost: str, siblings: set[str]) -> str | None:
        """The node for an actor whose node ``lost`` is gone, away from the ``siblings``' nodes;
        None while no node is alive."""
        nodes = self.alive()
        if not nodes:
            return None
        with self.lock:
            self.held[lost] = max(0, self.held[lost] - 1)
            apart = [node for node in nodes if node not in siblings] or nodes
            return min(apart, key=lambda node: (self.held[node], nodes.index(node)))


class ShardActor:
    """One shard in a Ray worker process: opens it and answers any ``WhooshShard`` method.

    It searches ``WARM_QUERIES`` before its first answer: a fresh process reads the facet
    columns and term tables and loads the analyser's tables on its first search (FANG in four
    shards on a loaded machine: 8.7 s, over the deadline, so a ``query --ray`` run missed every
    shard; after the warm-up a first search took 0.24 s in process). The searching process waits
    for that up to ``START_SECONDS``, not under a search's deadline.
    """

    def __init__(self, path: str, name: str):
        from indexer.store import open_for_reading
        from search.query import build_request, run_query
        from search.whoosh.shard import WhooshShard, open_searcher

        self.shard = WhooshShard(open_searcher(open_for_reading(path)), name)
        for text in WARM_QUERIES:
            run_query(Shards([self.shard]), build_request(text))

    def call(self, method: str, *args):
        if method in ("statistics", "stored"):  # the start of a request: see the newest commit
            self.shard.searcher = self.shard.searcher.refresh()
        return getattr(self.shard, method)(*args)

    def pid(self) -> int:
        return os.getpid()

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()


class _NoAnswer(Exception):
    """One replica gave no answer (too slow, restarting, gone); another may."""


class _Lost(_NoAnswer):
    """A replica Ray will not start again: its node is gone (the actor is held to it)."""


class RayShard:
    """The searching process's stand-in for one shard's actors: each method a call with a
    deadline, to the replica that answered last; on no answer to the next one.

    ``ask`` sends a call at once and returns what waits for its answer, so ``Shards.each`` sets
    all shards working before it waits for any, and their deadlines run side by side: shards
    that do not answer cost one deadline together, not one each.

    A request sticks to one replica while it answers, so the document numbers one call returns
    are those the next call reads (every replica reopens the shard when a request starts).
    """

    def __init__(self, placement: Placement, path: str, name: str, days, deadline: float, number: int,
                 replicas: int = 1):
        self.placement, self.path, self.name, self.days, self.deadline = placement, path, name, days, deadline
        self.nodes = [placement.first(number, r) for r in range(replicas)]
        self.actors = [placement.start(path, name, self._actor_label(r), node) for r, node in enumerate(self.nodes)]
        self.current = 0  # the replica asked first
        self.lock = threading.Lock()

    def _actor_label(self, replica: int) -> str:
        return f"{self.path}#{replica}"

    def started(self) -> None:
        """Wait for every replica's first answer (its process started, its shard opened)."""
        for replica in range(len(self.actors)):
            try:
                self._ask(replica, "pid", (), time.monotonic() + START_SECONDS)
            except _NoAnswer:
                raise ShardUnavailable(self.label()) from None

    def pid(self, replica: int = 0) -> int:
        return self._ask(replica, "pid", (), time.monotonic() + self.deadline)

    def ask(self, method: str, *args):
        """Send ``method(*args)`` to the current replica now; the function returned waits for the
        answer until the deadline, counted from now, then asks the other replicas in turn.

        :raise ShardUnavailable: (from the function returned) when no replica answered.
        """
        first, ends = self.current, time.monotonic() + self.deadline
        actor = self.actors[first]
        ref = actor.call.remote(method, *args)

        def answer():
            try:
                found = self._wait(ref, ends)
            except _Lost:
                self._replace(first, actor)
                return self._call(method, args, first, ends)
            except _NoAnswer:
                return self._call(method, args, first + 1, None, len(self.actors) - 1)
            self.current = first
            return found

        return answer

    def _call(self, method: str, args: tuple, first: int, ends: float | None, tries: int | None = None):
        """Ask ``tries`` replicas from ``first`` on in turn, the first one until ``ends``, each other
        one its own deadline; the first that answers is asked first from then on."""
        for step in range(len(self.actors) if tries is None else tries):
            replica = (first + step) % len(self.actors)
            try:
                found = self._ask(replica, "call", (method, *args), ends or time.monotonic() + self.deadline)
            except _NoAnswer:
                ends = None
                continue
            self.current = replica
            return found
        raise ShardUnavailable(self.label())

    def _ask(self, replica: int, method: str, args: tuple, ends: float):
        """``method(*args)`` of one replica by ``ends`` (``time.monotonic()``). An actor whose node
        is gone is replaced at once and the replacement asked in the time left."""
        for _ in range(2):
            actor = self.actors[replica]
            try:
                return self._wait(getattr(actor, method).remote(*args), ends)
            except _Lost:
                self._replace(replica, actor)
        raise _NoAnswer()

    @staticmethod
    def _wait(ref, ends: float):
        ray = ray_module()
        try:
            return ray.get(ref, timeout=max(0.0, ends - time.monotonic()))
        except ray.exceptions.RayTaskError as err:  # the shard's own error: as in this process
            raise err.cause from None
        except ray.exceptions.GetTimeoutError:
            ray.cancel(ref)  # a late answer is of no use any more
            raise _NoAnswer() from None
        except (ray.exceptions.ActorUnschedulableError, ray.exceptions.ActorDiedError):
            raise _Lost() from None
        except ray.exceptions.RayError:  # its process died and Ray is starting it again
            raise _NoAnswer() from None

    def _replace(self, replica: int, lost) -> None:
        with self.lock:
            if self.actors[replica] is not lost:  # another thread replaced it already
                return
            siblings = {node for r, node in enumerate(self.nodes) if r != replica}
            node = self.placement.instead_of(self.nodes[replica], siblings)
            if node is None:  # no node alive: asked again, it answers as lost again
                return
            self.nodes[replica] = node
            self.actors[replica] = self.placement.start(self.path, self.name, self._actor_label(replica), node)

    def label(self) -> str:
        if self.days:
            return f"{self.name} ({self.days[0]} bis {self.days[1]})"
        return self.name

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args: self.ask(method, *args)()

    def close(self) -> None:
        """The actors stay with the cluster for the next request; the process lets go at exit."""
