"""Writing articles into the index: incremental, idempotent and safe to kill.

Every article is one document of kind ``article``, every related item one of kind ``related``
linked to the articles that listed it, and every file read one ledger document (kind ``source``)
holding the file's fingerprint and the ids it gave. The ledger is committed in the same Whoosh
commit as the articles, so after a ``kill -9`` the index and its ledger agree: the next run sees
which files are missing or changed and finishes the job. Documents are keyed by their stable id
and written with ``update_document``, so nothing is ever doubled.
"""
from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer import schema as f
from indexer.analysis import compound_terms
from indexer.bulk import BulkWriter
from indexer.dates import berlin_day, to_utc
from indexer.errors import ArticleParseError
from indexer.formats import DEFAULT_MAX_BYTES, format_of, stream_articles
from indexer.model import ARTICLE, RELATED, Article, Failure, IndexReport, RelatedItem
from indexer.store import DEFAULT_LOCK_TIMEOUT, activate_generation, create_generation, open_for_writing, write_lock

# Commit at least this often during long runs, so a crash loses minutes of work, not hours.
# Intermediate commits skip merging (Whoosh's merge is the slow part of a commit).
COMMIT_EVERY_SECONDS = 60.0
WRITER_LIMIT_MB = 256
BULK_PROCESSES = 2  # the machines this runs on have two cores; more processes only add memory

Progress = Callable[[int, int, int], None]  # files done, files to read, documents written


def find_article_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The readable article files under the given files and directories, resolved, in a stable order."""
    for given in paths:
        path = Path(given).resolve()
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and format_of(p))
        elif path.exists():
            yield path


def fingerprint(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def index_files(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    *,
    full: bool = False,
    progress: Progress | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    commit_every: float = COMMIT_EVERY_SECONDS,
) -> IndexReport:
    """Bring the index up to date with the article files under ``paths``.

    New files are added, changed ones (by content hash) re-read, unchanged ones skipped, and the
    documents of files that vanished from under the given roots removed. ``full`` rebuilds into a
    fresh generation that replaces the live one atomically when done. A file that fails to parse
    is reported in ``IndexReport.failures`` with its reason and leaves what the index already
    held from it untouched; the rest of the batch is indexed.
    """
    roots = [Path(p).resolve() for p in paths]
    files = list(find_article_files(roots))
    with write_lock(index_dir, lock_timeout):
        ix = create_generation(index_dir, activate=False) if full else open_for_writing(index_dir)
        run = _Run(ix, commit_every=commit_every, bulk=full)
        todo = []
        for path in files:
            fp = fingerprint(path)
            ledger = run.ledger.get(str(path))
            if ledger is not None and ledger.fingerprint == fp:
                run.unchanged += len(ledger.doc_ids)
            else:
                todo.append((path, fp))
        present = {str(p) for p in files}
        gone = [
            source for source in run.ledger
            if source not in present and any(_is_under(source, root) for root in roots)
        ]
        try:
            for done, (path, fp) in enumerate(todo, start=1):
                run.read_file(path, fp, max_bytes)
                if progress:
                    progress(done, len(todo), run.written)
                run.commit_if_due()
            for source in gone:
                run.forget_source(source)
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
        run = _Run(ix, bulk=ix.doc_count_all() == 0)
        try:
            run.replace_source(source, "", articles)
            run.finish()
        except BaseException:
            run.cancel()
            raise
    return run.report()


@dataclass
class _Ledger:
    fingerprint: str
    doc_ids: list[str]


@dataclass
class _Run:
    """One indexing run: the writer, what the index already holds, and what changed so far."""

    ix: object
    commit_every: float = COMMIT_EVERY_SECONDS
    # A --full rebuild writes a generation nobody reads until it is swapped in whole, so it needs
    # no intermediate commits: the bulk writer builds it at the end in two processes, several
    # times faster than Whoosh's writer (bench/README.md, "Index build").
    bulk: bool = False
    ledger: dict[str, _Ledger] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    undated: int = 0
    articles: int = 0
    related_written: int = 0
    written: int = 0

    def __post_init__(self):
        self.searcher = self.ix.searcher()
        for stored in self.searcher.documents(**{f.KIND: f.SOURCE_KIND}):
            self.ledger[stored[f.SOURCE]] = _Ledger(stored[f.FINGERPRINT], list(stored[f.DOC_IDS]))
        self.owners: dict[str, int] = {}  # article id -> number of sources listing it
        for entry in self.ledger.values():
            for doc_id in entry.doc_ids:
                self.owners[doc_id] = self.owners.get(doc_id, 0) + 1
        self.related: dict[str, tuple[dict, set[str]]] = {}  # related id -> (fields, parent ids)
        # Articles wait here until the next commit point: Whoosh's update_document deletes only
        # committed copies, so an id added twice to one writer (the same article in two files of
        # a batch) would be in the index twice. Last version wins.
        self.pending: dict[str, dict] = {}
        self.article_ids_written: set[str] = set()
        self.writer = self._new_writer()
        self.last_commit = time.monotonic()

    def _new_writer(self):
        if self.bulk:
            return BulkWriter(self.ix, procs=BULK_PROCESSES)
        return self.ix.writer(limitmb=WRITER_LIMIT_MB)

    # -- reading files -------------------------------------------------------------------------
    def read_file(self, path: Path, fp: str, max_bytes: int) -> None:
        def partial_failure(where: str, reason: str) -> None:
            self.failures.append(Failure(where, reason))

        # Streamed: a 28,000-article JSON Lines archive is never held in memory whole. A file
        # that fails does so before its first article (later problems go to partial_failure).
        try:
            self.replace_source(str(path), fp, stream_articles(path, partial_failure, max_bytes))
        except ArticleParseError as err:
            self.failures.append(Failure(err.path, err.reason))

    def replace_source(self, source: str, fp: str, articles: Iterable[Article]) -> None:
        """Make the index hold exactly ``articles`` for ``source``."""
        old = self.ledger.get(source)
        old_ids = set(old.doc_ids) if old is not None else set()
        new_ids: dict[str, None] = {}  # in order, each once
        for article in articles:
            existed = self._exists(article.id)
            if article.id not in new_ids and article.id not in old_ids:
                self.owners[article.id] = self.owners.get(article.id, 0) + 1
            self._write_article(article)
            self.updated += existed
            self.added += not existed
            new_ids[article.id] = None
        for doc_id in old_ids - new_ids.keys():
            self._drop_article(doc_id)
        self.ledger[source] = _Ledger(fp, list(new_ids))
        self.writer.update_document(**_ledger_document(source, fp, list(new_ids)))

    def forget_source(self, source: str) -> None:
        """The file is gone: remove what only it provided."""
        entry = self.ledger.pop(source)
        for doc_id in entry.doc_ids:
            self._drop_article(doc_id)
        self.writer.delete_by_term(f.ID, _ledger_id(source))

    # -- documents -----------------------------------------------------------------------------
    def _exists(self, doc_id: str) -> bool:
        return doc_id in self.article_ids_written or self.searcher.document_number(**{f.ID: doc_id}) is not None

    def _write_article(self, article: Article) -> None:
        previous = self._stored(article.id)
        old_related = set(previous.get(f.RELATED_IDS) or []) if previous else set()
        if self.bulk:  # the bulk writer replaces a document added earlier in the same run itself
            self.writer.update_document(**article_document(article, counted_as_text=True))
        else:
            self.pending[article.id] = article_document(article)
        self.article_ids_written.add(article.id)
        self.related.pop(article.id, None)  # a full article replaces its related stub
        self.articles += 1
        self.undated += article.published is None
        self.written += 1
        new_related = {item.id for item in article.related}
        for item in article.related:
            self._link_related(item, article.id)
        for related_id in old_related - new_related:
            self._unlink_related(related_id, article.id)

    def _drop_article(self, doc_id: str) -> None:
        remaining = self.owners.get(doc_id, 1) - 1
        self.owners[doc_id] = remaining
        if remaining > 0:
            return  # another file still provides this article
        stored = self._stored(doc_id)
        self.writer.delete_by_term(f.ID, doc_id)
        self.pending.pop(doc_id, None)
        self.article_ids_written.discard(doc_id)
        self.deleted += 1
        for related_id in (stored or {}).get(f.RELATED_IDS) or []:
            self._unlink_related(related_id, doc_id)

    def _link_related(self, item: RelatedItem, parent: str) -> None:
        fields, parents = self._related_state(item.id)
        self.related[item.id] = (related_document(item, []), parents | {parent})

    def _unlink_related(self, related_id: str, parent: str) -> None:
        fields, parents = self._related_state(related_id)
        if fields is not None:
            self.related[related_id] = (fields, parents - {parent})

    def _related_state(self, related_id: str) -> tuple[dict | None, set[str]]:
        if related_id in self.related:
            return self.related[related_id]
        stored = self._stored(related_id)
        if stored is None or stored.get(f.KIND) != RELATED:
            return None, set()
        parents = {p for p in (stored.get(f.PARENTS) or "").split(",") if p}
        return _stored_to_fields(stored), parents

    def _stored(self, doc_id: str) -> dict | None:
        return self.searcher.document(**{f.ID: doc_id})

    def _flush(self) -> None:
        for doc in self.pending.values():
            self.writer.update_document(**doc)
        self.pending.clear()
        self._flush_related()

    def _flush_related(self) -> None:
        for related_id, (fields, parents) in self.related.items():
            if fields is None or related_id in self.article_ids_written:
                continue
            stored = self._stored(related_id)
            if stored is not None and stored.get(f.KIND) == ARTICLE:
                continue  # never overwrite a full article with the stub that pointed to it
            if not parents:
                self.writer.delete_by_term(f.ID, related_id)
                continue
            self.writer.update_document(**{**fields, f.PARENTS: ",".join(sorted(parents))})
            self.related_written += 1
            self.written += 1
        self.related.clear()

    # -- committing ----------------------------------------------------------------------------
    def commit_if_due(self) -> None:
        if self.bulk or time.monotonic() - self.last_commit < self.commit_every:
            return
        self._flush()
        self.writer.commit(merge=False)
        # A fresh searcher, not refresh(): Whoosh 2.7's reader reuse fails after a merge=False commit.
        self.searcher.close()
        self.searcher = self.ix.searcher()
        self.writer = self._new_writer()
        self.last_commit = time.monotonic()

    def finish(self) -> None:
        self._flush()
        self.writer.commit()
        self.searcher.close()

    def cancel(self) -> None:
        """Give up the uncommitted work. Runs while another error propagates (a full disk, say):
        a second error from cleaning up must not replace that one."""
        with contextlib.suppress(Exception):
            if not self.writer.is_closed:  # a commit that failed half-way has closed it already
                self.writer.cancel()
        with contextlib.suppress(Exception):
            self.searcher.close()

    def report(self) -> IndexReport:
        return IndexReport(
            articles=self.articles,
            related=self.related_written,
            added=self.added,
            updated=self.updated,
            deleted=self.deleted,
            unchanged=self.unchanged,
            undated=self.undated,
            failures=tuple(self.failures),
        )


def article_document(article: Article, counted_as_text: bool = False) -> dict:
    """The Whoosh fields of an article; absent values are left out, as Whoosh wants.

    ``exact`` is all the text (it has positions, for quoted phrases); ``parts`` is handed over as a
    ready term list (Whoosh's own writer would run one more analyzer chain), or with
    ``counted_as_text`` as the text itself, for the bulk writer, whose build processes analyse it
    in parallel, reusing the analysis of the other fields.
    """
    doc = {
        f.ID: article.id,
        f.KIND: ARTICLE,
        f.TITLE: article.title,
        f.TOPICS: ", ".join(article.topics),
        f.TOPIC: ",".join(article.topics),
        f.LEAD: article.lead,
        f.BODY: "\n\n".join(article.body),
        f.SUBHEADINGS: "\n".join(article.subheadings),
        f.CAPTIONS: "\n".join(c.text for c in article.captions),
        f.CREDITS: [c.credit for c in article.captions],
        f.SECTION: article.section,
        f.AGENCY: article.agency,
        f.SOURCE: article.source_path,
        f.URL: article.url,
        f.RELATED_IDS: [item.id for item in article.related],
    }
    searchable = "\n".join(filter(None, (doc[f.TITLE], doc[f.TOPICS], doc[f.LEAD], doc[f.SUBHEADINGS], doc[f.BODY],
                                        doc[f.CAPTIONS])))
    doc[f.EXACT] = searchable
    doc[f.PARTS] = searchable if counted_as_text else compound_terms(searchable)
    doc.update(_date_fields(article.published))
    return doc


def related_document(item: RelatedItem, parents: list[str]) -> dict:
    """A related item as a document of its own: its teaser is searched like an article's lead."""
    doc = {
        f.ID: item.id,
        f.KIND: RELATED,
        f.TITLE: item.title,
        f.LEAD: item.teaser,
        f.SECTION: item.section,
        f.PARENTS: ",".join(parents),
        f.URL: item.url,
    }
    doc.update(_related_searchable(item.title, item.teaser))
    doc.update(_date_fields(item.published))
    return doc


def _related_searchable(title: str, teaser: str) -> dict:
    """The unstored fields of a related item, derived from what is stored, so a rewrite keeps them."""
    text = f"{title}\n{teaser}"
    return {f.EXACT: text, f.PARTS: compound_terms(text)}


def _stored_to_fields(stored: dict) -> dict:
    """A stored related item as fields to write again; its unstored fields are derived anew."""
    fields = {k: v for k, v in stored.items() if v not in (None, "")}
    fields.update(_related_searchable(stored.get(f.TITLE, ""), stored.get(f.LEAD, "")))
    return fields


def _ledger_id(source: str) -> str:
    return "source:" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:20]


def _ledger_document(source: str, fp: str, doc_ids: list[str]) -> dict:
    return {f.ID: _ledger_id(source), f.KIND: f.SOURCE_KIND, f.SOURCE: source, f.FINGERPRINT: fp, f.DOC_IDS: doc_ids}


def _date_fields(published) -> dict:
    if published is None:
        return {}
    return {f.PUBLISHED: to_utc(published), f.DAY: berlin_day(published)}


def _is_under(source: str, root: Path) -> bool:
    return source == str(root) or source.startswith(str(root).rstrip("/") + "/")
