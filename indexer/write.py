"""Writing articles into the index: incremental, idempotent and safe to kill.

Every article is one document of kind ``article``, every related item one of kind ``related``
linked to the articles that listed it, and every file read one ledger document (kind ``source``)
holding the file's fingerprint and the ids it gave. The ledger is committed in the same Whoosh
commit as the articles, so after a ``kill -9`` the index and its ledger agree: the next run sees
which files are missing or changed and finishes the job. Documents are keyed by their stable id
and written with ``update_document``, so nothing is ever doubled.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from indexer.formats import content_size, find_article_files
from indexer.ledger import fingerprint
from indexer.model import Article, Failure, IndexReport
from indexer.routing import FileShare
from indexer.run import IndexRun
from indexer.settings import COMMIT_EVERY_SECONDS, LOCK_TIMEOUT, MAX_FILE_BYTES
from indexer.store import activate_generation, create_generation, open_for_writing, write_lock

# A batch with at least this much article text to read goes to the bulk writer (indexer/bulk.py),
# into an empty index or beside what the index holds: several times faster than Whoosh's writer
# and within 1 GB on the 28,000 FANG articles, where Whoosh's writer took 1.85 GB (bench/README.md).
# Below it, Whoosh's writer keeps merging small segments and committing every minute; a batch
# this small takes a few seconds either way. 1 MB is about 250 articles; at 1,000 (Wikinews, 10kGNAD)
# the bulk writer already takes a third of the time.
BULK_MIN_BYTES = 1 << 20

Progress = Callable[[int, int, int], None]  # files done, files to read, documents written


def index_files(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    *,
    full: bool = False,
    progress: Progress | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    lock_timeout: float = LOCK_TIMEOUT,
    commit_every: float = COMMIT_EVERY_SECONDS,
    accept: Callable[[Article], bool] | None = None,
    neighbours: Iterable[str | Path] = (),
    reaches: Iterable | None = None,
    shares: Mapping[str, FileShare] | None = None,
) -> IndexReport:
    """Bring the index up to date with the article files under ``paths``.

    ``accept`` keeps only the articles of the files that it accepts: a time shard's share
    (indexer/shards.py); the ledger then lists only those for each file. ``neighbours`` are the
    other shards' index directories, where a near-duplicate also finds its story; ``reaches``, when
    known, says for each when a document can be near its days (only those look it up). ``shares`` (a
    shard's run, by path) says what to read of each changed file: a changed file not in it is
    another shard's alone and left as it is (indexer/routing.py).

    New files are added, changed ones (by content hash) re-read, unchanged ones skipped, and the
    documents of files that vanished from under the given roots removed. ``full`` rebuilds into a
    fresh generation that replaces the live one atomically when done. A file that fails to parse
    is reported in ``IndexReport.failures`` with its reason and leaves what the index already
    held from it untouched; the rest of the batch is indexed. A file with records that failed
    (lines of a JSON Lines file) keeps them in its ledger entry, and they are reported again on
    every run until the file changes. Files of unknown type in the given directories are named in
    ``IndexReport.skipped``.
    """
    roots = [Path(p).resolve() for p in paths]
    found = find_article_files(roots)
    files = found.files
    with write_lock(index_dir, lock_timeout):
        ix = create_generation(index_dir, activate=False) if full else open_for_writing(index_dir)
        run = IndexRun(ix, commit_every=commit_every, accept=accept, neighbours=tuple(neighbours),
                       reaches=None if reaches is None else tuple(reaches),
                       skipped=[Failure(str(p), "unbekanntes Dateiformat") for p in found.skipped])
        todo = []
        for path in files:
            fp = fingerprint(path)
            ledger = run.ledger.get(str(path))
            if ledger is not None and ledger.fingerprint == fp:
                run.unchanged += len(ledger.doc_ids)
                run.failures += ledger.failures  # still broken: say so until the file changes
            elif shares is None or str(path) in shares:
                todo.append((path, fp))
        run.begin(bulk=full or sum(content_size(path) for path, _ in todo) >= BULK_MIN_BYTES)
        present = {str(p) for p in files}
        gone = [
            source for source in run.ledger
            if source not in present and any(_is_under(source, root) for root in roots)
        ]
        try:
            for done, (path, fp) in enumerate(todo, start=1):
                run.read_file(path, fp, max_bytes, shares.get(str(path)) if shares else None)
                if progress:
                    progress(done, len(todo), run.written)
                run.commit_if_due()
            for source in gone:
                run.forget_source(source)
            run.read_again(max_bytes)
            run.finish()
        except BaseException:
            run.cancel()
            if full:  # nobody reads the half-built generation; on a full disk its space matters
                shutil.rmtree(ix.storage.folder, ignore_errors=True)
            raise
        if full:
            activate_generation(index_dir, ix.storage.folder)
    return run.report()


def index_articles(articles: Iterable[Article], index_dir: str | Path, source: str = "<api>") -> IndexReport:
    """Write articles that come from no file (benchmarks, imports) under one pseudo-source name.

    Into an empty index this uses the bulk writer: the run commits once at the end either way,
    so only the speed differs (several times faster; bench/quality.py builds its indexes so).
    """
    with write_lock(index_dir):
        ix = open_for_writing(index_dir)
        run = IndexRun(ix)
        run.begin(bulk=ix.doc_count_all() == 0)
        try:
            run.replace_source(source, "", ((source, article) for article in articles))
            run.finish()
        except BaseException:
            run.cancel()
            raise
    return run.report()


def _is_under(source: str, root: Path) -> bool:
    return source == str(root) or source.startswith(str(root).rstrip("/") + "/")
