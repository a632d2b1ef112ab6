"""The shards' runs of a sharded indexing run: here, one after the other, or as Ray tasks
(``newsearch index --shard-size N --ray local|ADDRESS``).

Routing stays where it is (indexer/shards.py, in this process: it needs every shard's ledger);
each shard's run is the ordinary ``index_files`` with the shard's share of the articles. With
Ray, each run is one Ray task, so the shards are built at once on as many nodes as the cluster has. A task writes
its shard's directory itself, so every node must see the index directory under the same path
(docs/scale-out.md), as the shard actors that search it do.

A task asks for ``BULK_PROCESSES`` CPUs: a large run is the bulk writer, a parent that parses
and that many build processes (indexer/builds.py). What a task fails on (a shard's lock held by
another writer, a full disk, its node lost after Ray's retries) leaves that shard as its last
commit left it, because ``index_files`` swaps a new generation in only when it is complete. The
other shards' tasks are finished, and the run then fails with a German sentence naming each
shard that failed and why; the layout (shards.json) is not rewritten, as after a failure in a
local run.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import NewsearchError
from indexer.model import Article, IndexReport
from indexer.ray_session import connect, ray_module
from indexer.settings import BULK_PROCESSES
from indexer.write import index_files


@dataclass(frozen=True, slots=True)
class ShardShare:
    """``accept`` for one shard's run: the ids of the articles that belong to it. A value rather
    than a closure, so that it travels to another process (a Ray task) as it is."""

    ids: frozenset[str]

    def __call__(self, article: Article) -> bool:
        return article.id in self.ids


@dataclass(frozen=True, slots=True)
class ShardRun:
    """One shard's run: where its directory is and which articles it takes."""

    name: str
    directory: Path
    share: ShardShare


def run_here(runs: list[ShardRun], paths, full: bool, options: dict) -> list[IndexReport]:
    """The runs one after the other in this process; their reports in the order of ``runs``."""
    return [index_files(paths, run.directory, full=full, accept=run.share, **options) for run in runs]


def run_on_ray(address: str, runs: list[ShardRun], paths, full: bool, options: dict) -> list[IndexReport]:
    """One Ray task per run of ``runs`` (``index_files`` into the shard's directory); their
    reports in the order of ``runs``. ``options`` are ``index_files``'s; ``progress`` is called
    here, once a shard is done, with shards done, shards in all and documents written."""
    ray = ray_module()
    connect(address)
    progress: Callable | None = options.pop("progress", None)
    task = ray.remote(num_cpus=BULK_PROCESSES, scheduling_strategy="SPREAD")(index_files)
    roots = [str(Path(p).resolve()) for p in paths]  # a worker's working directory is not ours
    pending = {task.remote(roots, str(run.directory.resolve()), full=full, accept=run.share, **options): number
               for number, run in enumerate(runs)}
    reports: list[IndexReport | None] = [None] * len(runs)
    failed: list[str] = []
    while pending:
        [ready], _ = ray.wait(list(pending), num_returns=1)
        number = pending.pop(ready)
        try:
            reports[number] = ray.get(ready)
        except (ray.exceptions.RayTaskError, ray.exceptions.RayError) as err:
            failed.append(f"{runs[number].name}: {_reason(err)}")
        if progress:
            done = [r for r in reports if r is not None]
            progress(len(done) + len(failed), len(runs), sum(r.articles + r.related for r in done))
    if failed:
        raise NewsearchError("Indexieren auf Ray fehlgeschlagen für " + "; ".join(sorted(failed)) + ". Diese "
                             "Indexabschnitte sind unverändert, wie zuletzt festgeschrieben; denselben Befehl "
                             "erneut ausführen.")
    return reports


def _reason(err) -> str:
    """What a failed task says: our own German sentence if it raised one, else Ray's first line."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, NewsearchError):
        return cause.message
    if isinstance(cause, OSError):
        return f"{cause.filename or ''} {cause.strerror or cause}".strip()
    return str(cause or err).strip().splitlines()[0]
