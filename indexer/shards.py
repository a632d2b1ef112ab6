"""Time shards: one index directory split by publication day into complete indexes.

Layout with ``newsearch index --shard-size N``::

    INDEX_DIR/shards.json   {"shard_size": N, "shards": [{"name", "first", "last", "count"}, ...]}
    INDEX_DIR/shard-000/    a complete index directory (indexer/store.py), the oldest days
    INDEX_DIR/shard-001/    ...

Without ``shards.json`` the index directory itself is the one shard, as before shards existed,
so every index built before stays valid. A news archive grows at its newest end: a new shard
starts when the newest holds ``N`` articles, and a search limited to some days asks only the
shards whose days overlap (search/scatter.py). A backfilled article goes to the shard whose days
cover its date (or the nearest one before it); an article the index already holds stays in its
shard, so an update replaces it where it lives. ``first``/``last`` only ever widen.

Each shard is written by the ordinary ``index_files`` with its share of the changed files, so its
ledger, its incremental runs and its crash safety are those of a single index. A changed file is
parsed once here to route its articles (indexer/routing.py); each shard then parses only the
records routed to it (a JSON Lines file's lines) and only the files holding its articles.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from indexer.boundaries import reach_of
from indexer.errors import NewsearchError
from indexer.formats import find_article_files
from indexer.ledger import fingerprint, read_ledger
from indexer.model import IndexReport
from indexer.routing import FileShare, Routing, read_routes
from indexer.shard_runs import ShardRun, ShardShare, promote, run_here, run_on_ray
from indexer.store import open_for_reading, write_lock
from indexer.write import index_files

LAYOUT_FILE = "shards.json"
STAGING_PREFIX = ".full-"  # then the pid: a full build's new shards until all are done (indexer/shard_runs.py)


@dataclass(frozen=True, slots=True)
class ShardInfo:
    """One shard: its directory name under the index directory, its days and its article count."""

    name: str
    first: str | None = None  # Berlin day, YYYY-MM-DD; None: no dated article yet
    last: str | None = None
    count: int = 0

    @property
    def days(self) -> tuple[str, str] | None:
        return (self.first, self.last) if self.first and self.last else None


def read_layout(index_dir: str | Path) -> list[ShardInfo] | None:
    """The shards of ``index_dir``, oldest first, or ``None`` for an unsharded index."""
    try:
        data = json.loads((Path(index_dir) / LAYOUT_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise NewsearchError(f"{Path(index_dir) / LAYOUT_FILE} ist nicht lesbar ({err}); bitte neu indexieren "
                             f"mit index --full --shard-size N.") from err
    return [ShardInfo(**entry) for entry in data["shards"]]


def read_shard_size(index_dir: str | Path) -> int:
    """The ``--shard-size`` a sharded index was built with: later runs keep it."""
    return json.loads((Path(index_dir) / LAYOUT_FILE).read_text())["shard_size"]


def shard_dirs(index_dir: str | Path) -> list[tuple[str, Path, tuple[str, str] | None]]:
    """(name, directory, days) of every shard, oldest first; the directory itself if unsharded."""
    layout = read_layout(index_dir)
    if layout is None:
        return [("", Path(index_dir), None)]
    return [(info.name, Path(index_dir) / info.name, info.days) for info in layout]


def index_sharded(paths, index_dir: str | Path, shard_size: int, *, full: bool = False, ray: str | None = None,
                  **options) -> IndexReport:
    """``index_files`` into time shards of about ``shard_size`` articles (see the module docstring);
    ``options`` are ``index_files``'s. The shards' runs go one after the other in this process, or
    with ``ray`` (``local`` or a cluster's address) one Ray task per shard (indexer/shard_runs.py).
    Returns the runs' reports added up."""
    if shard_size < 1:
        raise NewsearchError(f"--shard-size muss mindestens 1 sein, nicht {shard_size}.")
    index_dir = Path(index_dir)
    if read_layout(index_dir) is None and (index_dir / "newsearch.json").exists() and not full:
        raise NewsearchError(f"Der Index unter {index_dir} ist nicht in Zeitabschnitte geteilt. Zum Teilen neu "
                             f"aufbauen: newsearch --index-dir {index_dir} index --full --shard-size {shard_size} PFAD")
    with write_lock(index_dir, options.get("lock_timeout", 10.0)):
        for leftover in index_dir.glob(f"{STAGING_PREFIX}*") if full else ():  # of a full build killed
            shutil.rmtree(leftover, ignore_errors=True)
        layout = [] if full else (read_layout(index_dir) or [])
        lives = {} if full else _where_ids_live(index_dir, layout)
        known = set() if full else _read_files(index_dir, layout)
        roots = [Path(p).resolve() for p in paths]
        changed = [(path, fp) for path, fp in ((path, fingerprint(path)) for path in find_article_files(roots).files)
                   if (str(path), fp) not in known]
        routing = read_routes(changed, options.get("max_bytes"))
        layout, route = _routed(layout, lives, routing.dated(), shard_size)
        shares = routing.shares(route, [info.name for info in layout])
        staging = index_dir / f"{STAGING_PREFIX}{os.getpid()}" if full else None
        undated = {route[doc_id] for doc_id, day in routing.dated() if day is None}
        runs = [ShardRun(info.name, index_dir / info.name, _share(info.name, route, lives, shares[info.name]),
                         staging / info.name if staging else None, reach=reach_of(info.days, info.name in undated))
                for info in layout]
        try:
            reports = run_on_ray(ray, runs, paths, full, options) if ray else run_here(runs, paths, full, options)
            for run in runs if full else ():
                promote(run)
        except BaseException:
            if not full:  # the shards that did commit hold articles of the days routed to them
                _write_layout(index_dir, shard_size, layout)
            raise
        finally:
            if staging:
                shutil.rmtree(staging, ignore_errors=True)
        _write_layout(index_dir, shard_size, layout)
    return _added_up(reports, routing)


def _share(name: str, route: dict[str, str], lives: dict[str, str], files: dict[str, FileShare]) -> ShardShare:
    """The articles shard ``name`` takes: those routed to it, and those it holds that this run does
    not route; and what it reads of each changed file."""
    return ShardShare(frozenset([doc_id for doc_id, shard in route.items() if shard == name]
                                + [doc_id for doc_id, shard in lives.items() if shard == name and doc_id not in route]),
                      files)


def _where_ids_live(index_dir: Path, layout: list[ShardInfo]) -> dict[str, str]:
    lives = {}
    for info in layout:
        for entry in _ledger(index_dir / info.name).values():
            lives.update(dict.fromkeys(entry.doc_ids, info.name))
    return lives


def _read_files(index_dir: Path, layout: list[ShardInfo]) -> set[tuple[str, str]]:
    """(path, fingerprint) of every file all shards have recorded as it is now. Every shard's run
    records every readable changed file (indexer/routing.py, ``Routing.shares``), so a file only
    some have recorded is one whose run failed in the others (a Ray task, say): it is routed
    again, or the articles it brings would go to no shard."""
    read = [{(source, entry.fingerprint) for source, entry in _ledger(index_dir / info.name).items()}
            for info in layout]
    return set.intersection(*read) if read else set()


def _ledger(shard_dir: Path) -> dict:
    try:
        ix = open_for_reading(shard_dir)
    except NewsearchError:
        return {}
    with ix.searcher() as searcher:
        return read_ledger(searcher)


def _routed(layout: list[ShardInfo], lives: dict[str, str], dated: list[tuple[str, str | None]],
            shard_size: int) -> tuple[list[ShardInfo], dict[str, str]]:
    """The layout after taking ``dated`` articles, and the shard of each new article.

    New articles are taken in date order (undated last), so a bulk load fills the shards one
    after the other in time.
    """
    layout, route = list(layout), {}
    for doc_id, day in sorted(dated, key=lambda d: (d[1] is None, d[1] or "")):
        if doc_id in route:
            continue
        if doc_id in lives:
            at = next(i for i, info in enumerate(layout) if info.name == lives[doc_id])
        else:
            at = _shard_for(layout, day, shard_size)
            if at == len(layout):
                layout.append(ShardInfo(f"shard-{len(layout):03d}"))
        info = layout[at]
        first = min(info.first or day, day) if day else info.first
        last = max(info.last or day, day) if day else info.last
        layout[at] = replace(info, first=first, last=last, count=info.count + (doc_id not in lives))
        route[doc_id] = info.name
    return layout, route


def _shard_for(layout: list[ShardInfo], day: str | None, shard_size: int) -> int:
    """Which shard a new article of ``day`` goes to; ``len(layout)``: a new one."""
    if not layout:
        return 0
    newest = len(layout) - 1
    if day is not None:
        for i, info in enumerate(layout):
            if info.first and info.first <= day <= info.last:
                return i  # its days cover the date
        before = [i for i, info in enumerate(layout) if info.first and info.first <= day]
        if not before:
            return 0  # older than everything: the oldest shard
        if before[-1] != newest:
            return before[-1]  # a backfill between two shards: the one before it
    return newest if layout[newest].count < shard_size else len(layout)


def _write_layout(index_dir: Path, shard_size: int, layout: list[ShardInfo]) -> None:
    """Replace the layout in one rename, then drop shard directories no longer in it (a --full)."""
    tmp = index_dir / f".{LAYOUT_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps({"shard_size": shard_size, "shards": [asdict(info) for info in layout]}, indent=1) + "\n")
    os.replace(tmp, index_dir / LAYOUT_FILE)
    names = {info.name for info in layout}
    for old in index_dir.glob("shard-*"):
        if old.is_dir() and old.name not in names:
            shutil.rmtree(old, ignore_errors=True)


def _added_up(reports: list[IndexReport], routing: Routing) -> IndexReport:
    """One report for all shards' runs and the routing: counts add up; each failure once (every
    shard keeps a file's broken lines), in one index's order (``Routing.in_file_order``)."""
    counts = {name: sum(getattr(r, name) for r in reports) for name in
              ("articles", "related", "added", "updated", "deleted", "unchanged", "superseded", "undated")}
    return IndexReport(**counts,
                       failures=tuple(routing.in_file_order([*(f for r in reports for f in r.failures),
                                                             *routing.failures()])),
                       skipped=tuple(dict.fromkeys([*(f for r in reports for f in r.skipped), *routing.skipped()])),
                       bulk=any(r.bulk for r in reports))


def index_paths(paths, index_dir: str | Path, shard_size: int | None = None, ray: str | None = None,
                **options) -> IndexReport:
    """``index_files``, or ``index_sharded`` when ``shard_size`` is given or the index is sharded
    already (keeping its size): the one place that decides, for ``index`` and ``watch`` alike.
    ``ray`` builds the shards as Ray tasks; an unsharded index has no shards to spread."""
    if shard_size or read_layout(index_dir) is not None:
        return index_sharded(paths, index_dir, shard_size or read_shard_size(index_dir), ray=ray, **options)
    if ray:
        raise NewsearchError("--ray baut die Indexabschnitte als Ray-Aufgaben: dafür --shard-size N angeben.")
    return index_files(paths, index_dir, **options)
