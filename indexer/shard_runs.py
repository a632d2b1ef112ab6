"""The shards' runs of a sharded indexing run: here, one after the other, or as Ray tasks
(``newsearch index --shard-size N --ray local|ADDRESS``).

Routing stays where it is (indexer/shards.py, in this process: it needs every shard's ledger);
each shard's run is the ordinary ``index_files`` with the shard's share of the articles, reading
only the records routed to it (indexer/routing.py). With
Ray, each run is one Ray task, so the shards are built at once on as many nodes as the cluster has
(a full build's near-duplicate groups across shard boundaries are given afterwards, indexer/boundaries.py). A task writes
its shard's directory itself, so every node must see the index directory under the same path
(docs/scale-out.md), as the shard actors that search it do.

A ``--full`` build writes each shard's new index beside the live ones (``staged``, under the
index directory) while holding that shard's lock; only when every shard's run has succeeded are
the new generations moved into the shard directories and swapped in (``promote``), so a run that
fails anywhere leaves every shard as its last commit left it, and shards.json too. (Swapped in
shard by shard, a full build with a new routing would leave shards holding other days than
shards.json says.) An incremental run commits shard by shard, as a single index does: after a
failure the shards that succeeded keep what they took, and the next run routes again the files
the failed shard has not read (indexer/shards.py).

A task asks for ``BULK_PROCESSES`` CPUs: a large run is the bulk writer, a parent that parses
and that many build processes (indexer/builds.py). When tasks fail (a shard's lock held by
another writer, a full disk, their node lost after Ray's retries), the others are finished, and
the run then fails with a German sentence naming each shard that failed and why.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.boundaries import Reach, regroup
from indexer.errors import NewsearchError
from indexer.model import Article, IndexReport
from indexer.ray_session import connect, ray_module
from indexer.routing import FileShare
from indexer.settings import BULK_PROCESSES, LOCK_TIMEOUT
from indexer.store import activate_generation, current_generation, write_lock
from indexer.write import index_files


@dataclass(frozen=True, slots=True)
class ShardShare:
    """``accept`` for one shard's run: the ids of the articles that belong to it, and what it reads
    of each changed file (indexer/routing.py: only the lines of its articles). A value rather
    than a closure, so that it travels to another process (a Ray task) as it is."""

    ids: frozenset[str]
    files: dict[str, FileShare] = field(default_factory=dict)

    def __call__(self, article: Article) -> bool:
        return article.id in self.ids


@dataclass(frozen=True, slots=True)
class ShardRun:
    """One shard's run: where its directory is, which articles it takes, and for a full build
    where its new index is written until every shard's is done."""

    name: str
    directory: Path
    share: ShardShare
    staged: Path | None = None
    # The other shards' indexes its near-duplicates are looked up in (a story whose copies fall on
    # both sides of a shard boundary is one group): see ``run_here`` and ``run_on_ray``.
    neighbours: tuple[Path, ...] = ()
    reach: Reach = None  # when its articles can be near another shard's (indexer/boundaries.py)
    # The neighbours' reaches, where known (a full build here): only a document near a neighbour's
    # days looks it up. Without them every document looked up every shard built before it: on FANG
    # ×4 at 14,000 articles two thirds of the command's CPU (bench/README.md, issue 18).
    near: tuple[Reach, ...] | None = None


def build_shard(run: ShardRun, paths, full: bool, options: dict) -> IndexReport:
    """``index_files`` for one shard: into its directory, or (a full build) into ``run.staged``
    while holding the shard's lock, as a writer of the shard itself would."""
    mine = dict(accept=run.share, shares=run.share.files, neighbours=run.neighbours, reaches=run.near)
    if run.staged is None:
        return index_files(paths, run.directory, full=full, **mine, **options)
    with write_lock(run.directory, options.get("lock_timeout", LOCK_TIMEOUT)):
        return index_files(paths, run.staged, full=True, **mine, **options)


def promote(run: ShardRun) -> None:
    """Move a full build's staged generation into the shard's directory and swap it in."""
    generation = current_generation(run.staged)
    target = run.directory / generation.name
    run.directory.mkdir(parents=True, exist_ok=True)
    os.rename(generation, target)  # the same file system: the staging directory is under the index's
    activate_generation(run.directory, target)


def run_here(runs: list[ShardRun], paths, full: bool, options: dict) -> list[IndexReport]:
    """The runs one after the other in this process; their reports in the order of ``runs``.
    Near-duplicates are looked up in the other shards too: those built before in this run and,
    unless all are rebuilt, the others that hold an index already. A full build knows every
    shard's days and which hold undated articles (all were routed now), so a document looks up
    only the shards near its date; an incremental run does not know what the shards held before
    (an undated article is near every date), so its documents look up every other shard."""
    reports, built = [], set()
    for run in runs:
        others = [other for other in runs if other is not run and (other.name in built or not full)
                  and _has_commit(_place(other))]
        reports.append(build_shard(replace(run, neighbours=tuple(_place(other) for other in others),
                                           near=tuple(other.reach for other in others) if full else None),
                                   paths, full, options))
        built.add(run.name)
    return reports


def _place(run: ShardRun) -> Path:
    """Where the shard's index is written in this run."""
    return run.staged or run.directory


def _has_commit(place: Path) -> bool:
    return current_generation(place) is not None


def _committed(places) -> tuple[Path, ...]:
    return tuple(place for place in places if _has_commit(place))


def run_on_ray(address: str, runs: list[ShardRun], paths, full: bool, options: dict) -> list[IndexReport]:
    """One Ray task per run of ``runs`` (``build_shard``); their reports in the order of ``runs``. ``options`` are ``index_files``'s; ``progress`` is called
    here, once a shard is done, with shards done, shards in all and documents written."""
    ray = ray_module()
    connect(address)
    progress: Callable | None = options.pop("progress", None)
    task = ray.remote(num_cpus=BULK_PROCESSES, scheduling_strategy="SPREAD")(build_shard)
    roots = [str(Path(p).resolve()) for p in paths]  # a worker's working directory is not ours
    # The tasks run at once, so a shard sees only the other shards' last commits: none in a full
    # build, whose groups across shard boundaries are given after the tasks (indexer/boundaries.py).
    runs = [replace(run, neighbours=() if full else _committed(other.directory for other in runs if other is not run))
            for run in runs]
    pending = {task.remote(_resolved(run), roots, full, options): number for number, run in enumerate(runs)}
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
                             "Indexabschnitte sind, wie zuletzt festgeschrieben" + (" (bei --full alle)" if full else "")
                             + "; denselben Befehl erneut ausführen.")
    if full:  # before they are swapped in: the groups a build one after the other gives
        regroup([run.staged for run in runs], [run.reach for run in runs])
    return reports


def _resolved(run: ShardRun) -> ShardRun:
    return replace(run, directory=run.directory.resolve(), staged=run.staged and run.staged.resolve(),
                   neighbours=tuple(path.resolve() for path in run.neighbours))


def _reason(err) -> str:
    """What a failed task says: our own German sentence if it raised one, else Ray's first line."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, NewsearchError):
        return cause.message
    if isinstance(cause, OSError):
        return f"{cause.filename or ''} {cause.strerror or cause}".strip()
    return str(cause or err).strip().splitlines()[0]
