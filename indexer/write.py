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
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer import schema as f
from indexer.analysis import compound_terms
from indexer.bulk import BulkWriter
from indexer.dates import berlin_day, to_utc
from indexer.duplicates import Grouping, restored_fields
from indexer.errors import ArticleParseError, NotArticlesError
from indexer.formats import DEFAULT_MAX_BYTES, content_size, find_article_files, located_articles
from indexer.ledger import Ledger, fingerprint, ledger_document, ledger_id, read_ledger
from indexer.mapped import MappedStorage
from indexer.model import ARTICLE, RELATED, Article, Failure, IndexReport, RelatedItem
from indexer.versions import Arrival, arrival, version_of, with_version
from indexer.store import DEFAULT_LOCK_TIMEOUT, activate_generation, create_generation, open_for_writing, write_lock

# Commit at least this often during long runs, so a crash loses minutes of work, not hours.
# Intermediate commits skip merging (Whoosh's merge is the slow part of a commit).
COMMIT_EVERY_SECONDS = 60.0
WRITER_LIMIT_MB = 256
BULK_PROCESSES = 2  # the machines this runs on have two cores; more processes only add memory
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
    max_bytes: int = DEFAULT_MAX_BYTES,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    commit_every: float = COMMIT_EVERY_SECONDS,
) -> IndexReport:
    """Bring the index up to date with the article files under ``paths``.

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
        run = _Run(ix, commit_every=commit_every, skipped=[Failure(str(p), "unbekanntes Dateiformat") for p in found.skipped])
        todo = []
        for path in files:
            fp = fingerprint(path)
            ledger = run.ledger.get(str(path))
            if ledger is not None and ledger.fingerprint == fp:
                run.unchanged += len(ledger.doc_ids)
                run.failures += ledger.failures  # still broken: say so until the file changes
            else:
                todo.append((path, fp))
        run.begin(bulk=full or sum(content_size(path) for path, _ in todo) >= BULK_MIN_BYTES)
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
        run = _Run(ix)
        run.begin(bulk=ix.doc_count_all() == 0)
        try:
            run.replace_source(source, "", ((source, article) for article in articles))
            run.finish()
        except BaseException:
            run.cancel()
            raise
    return run.report()


@dataclass
class _Run:
    """One indexing run: the writer, what the index already holds, and what changed so far."""

    ix: object
    commit_every: float = COMMIT_EVERY_SECONDS
    skipped: list[Failure] = field(default_factory=list)
    # A --full rebuild, or a large batch, goes to the bulk writer: it builds the new segments at
    # the end in two processes, several times faster than Whoosh's writer (bench/README.md, "Index
    # build"), and commits once (a --full generation is read by nobody until it is swapped in).
    bulk: bool = False
    ledger: dict[str, Ledger] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    superseded: int = 0
    undated: int = 0
    articles: int = 0
    related_written: int = 0
    written: int = 0

    def __post_init__(self):
        self.searcher = _mapped_searcher(self.ix)
        self.ledger = read_ledger(self.searcher)
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
        # Agency items the bulk writer has taken this run, by id: it holds no searcher over its
        # own documents, and a later version in the same run must see the earlier one's history.
        self.items_written: dict[str, dict] = {}
        self.vacated: set[str] = set()  # agency items whose shown version's file is gone, deleted this run
        self.to_read_again: set[str] = set()  # files holding other versions of those items
        self.writer = None
        self.grouping = Grouping(self.searcher)  # near-duplicate groups (indexer/duplicates.py)

    def begin(self, bulk: bool) -> None:
        """Open the writer: the bulk writer or Whoosh's (see ``BULK_MIN_BYTES``)."""
        self.bulk = bulk
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
            self.replace_source(str(path), fp, located_articles(path, partial_failure, max_bytes))
        except NotArticlesError as err:
            self.skipped.append(Failure(err.path, err.reason))
        except ArticleParseError as err:
            self.failures.append(Failure(err.path, err.reason))

    def replace_source(self, source: str, fp: str, articles: Iterable[tuple[str, Article]]) -> None:
        """Make the index hold exactly ``articles`` (each with where it came from) for ``source``."""
        old = self.ledger.get(source)
        old_ids = set(old.doc_ids) if old is not None else set()
        new_ids: dict[str, None] = {}  # in order, each once
        first_failure = len(self.failures)
        for where, article in articles:
            try:
                doc, related = self._documents(article)
            except Exception as err:  # one article the writer could not take costs that article only
                self.failures.append(Failure(where, _unwritable_reason(err)))
                continue
            existed = self._exists(article.id)
            if article.id not in new_ids and article.id not in old_ids:
                self.owners[article.id] = self.owners.get(article.id, 0) + 1
            new_ids[article.id] = None
            if article.item_id and not self._takes_version(article):
                self.superseded += 1
                continue
            self._write_article(article, doc, related)
            self.updated += existed
            self.added += not existed
        for doc_id in old_ids - new_ids.keys():
            self._drop_article(doc_id, source)
        failures = self.failures[first_failure:]
        self.ledger[source] = Ledger(fp, list(new_ids), failures)
        self.writer.update_document(**ledger_document(source, self.ledger[source]))

    def forget_source(self, source: str) -> None:
        """The file is gone: remove what only it provided."""
        entry = self.ledger.pop(source)
        for doc_id in entry.doc_ids:
            self._drop_article(doc_id, source)
        self.writer.delete_by_term(f.ID, ledger_id(source))

    # -- documents -----------------------------------------------------------------------------
    def _exists(self, doc_id: str) -> bool:
        return doc_id in self.article_ids_written or self.searcher.document_number(**{f.ID: doc_id}) is not None

    def _takes_version(self, article: Article) -> bool:
        """Whether ``article`` replaces what the index holds for its agency item.

        An older version arriving late does not; it is only added to the held document's list of
        versions, so the list does not depend on the order in which the versions were read.
        """
        held = self._held_item(article.id)
        if arrival(held.get(f.VERSION) if held else None, article.version) is not Arrival.OLDER:
            return True
        history = with_version(held.get(f.VERSIONS) or [], version_of(article))
        if history != held.get(f.VERSIONS):
            self._put({**self._held_item(article.id, whole=True), f.VERSIONS: history}, article.id)
        return False

    def _held_item(self, doc_id: str, whole: bool = False) -> dict | None:
        """The fields of the agency item ``doc_id`` as the index will hold them, or ``None``.

        Only ``whole`` adds the unstored fields, analysed again from the stored text: enough to
        write the document back, and not spent on the common question of which version is held.
        """
        if doc_id in self.pending:
            return self.pending[doc_id]
        if doc_id in self.items_written:
            return self.items_written[doc_id]
        if doc_id in self.vacated:
            return None
        stored = self._stored(doc_id)
        if stored is None or stored.get(f.KIND) != ARTICLE:
            return None
        fields = {k: v for k, v in stored.items() if v not in (None, "")}
        if whole:
            text = _searchable_text(fields)
            fields[f.EXACT] = text
            fields[f.PARTS] = text if self.bulk else compound_terms(text)
            fields.update(restored_fields(fields))
        return fields

    def _put(self, doc: dict, doc_id: str) -> None:
        self.vacated.discard(doc_id)
        if self.bulk:  # the bulk writer replaces a document added earlier in the same run itself
            self.writer.update_document(**doc)
            if doc.get(f.ITEM_ID):
                self.items_written[doc_id] = doc
        else:
            self.pending[doc_id] = doc

    def _documents(self, article: Article) -> tuple[dict, list[dict]]:
        """The fields of the article and of its related items, checked so that no writer (nor a
        bulk build process, which could only fail the whole batch) fails on them."""
        doc = article_document(article, counted_as_text=self.bulk)
        related = [related_document(item, []) for item in article.related]
        for fields in (doc, *related):
            for value in fields.values():
                for text in (value if isinstance(value, (list, tuple)) else [value]):
                    if isinstance(text, str):
                        text.encode("utf-8")  # a lone surrogate from a JSON "\ud800" cannot be stored
        return doc, related

    def _write_article(self, article: Article, doc: dict, related: list[dict]) -> None:
        previous = self._stored(article.id)
        old_related = set(previous.get(f.RELATED_IDS) or []) if previous else set()
        if article.item_id:
            held = self._held_item(article.id)
            doc[f.VERSIONS] = with_version((held or {}).get(f.VERSIONS) or [], version_of(article))
        self.grouping.assign(doc)
        self._put(doc, article.id)
        self.article_ids_written.add(article.id)
        self.related.pop(article.id, None)  # a full article replaces its related stub
        self.articles += 1
        self.undated += article.published is None
        self.written += 1
        new_related = {item.id for item in article.related}
        for item, fields in zip(article.related, related):
            self._link_related(item.id, fields, article.id)
        for related_id in old_related - new_related:
            self._unlink_related(related_id, article.id)

    def _drop_article(self, doc_id: str, source: str) -> None:
        remaining = self.owners.get(doc_id, 1) - 1
        self.owners[doc_id] = remaining
        if remaining > 0:
            self._vacate_version(doc_id, source)
            return  # another file still provides this article
        stored = self._stored(doc_id)
        self.writer.delete_by_term(f.ID, doc_id)
        self.pending.pop(doc_id, None)
        self.items_written.pop(doc_id, None)
        self.article_ids_written.discard(doc_id)
        self.deleted += 1
        for related_id in (stored or {}).get(f.RELATED_IDS) or []:
            self._unlink_related(related_id, doc_id)

    def _vacate_version(self, doc_id: str, source: str) -> None:
        """The file that gave the shown version of an agency item is gone: the item is read again
        from the files that still hold versions of it (``read_again``), so the highest of those shows."""
        held = self.pending.get(doc_id) or self.items_written.get(doc_id) or self._stored(doc_id)
        if not held or not held.get(f.ITEM_ID) or held.get(f.SOURCE) != source:
            return
        self.writer.delete_by_term(f.ID, doc_id)
        self.pending.pop(doc_id, None)
        self.items_written.pop(doc_id, None)
        self.vacated.add(doc_id)
        self.to_read_again.update(s for s, entry in self.ledger.items() if s != source and doc_id in entry.doc_ids)

    def read_again(self, max_bytes: int) -> None:
        for source in sorted(self.to_read_again):
            path = Path(source)
            if source in self.ledger and path.is_file():
                self.read_file(path, fingerprint(path), max_bytes)
        self.to_read_again.clear()

    def _link_related(self, related_id: str, fields: dict, parent: str) -> None:
        _, parents = self._related_state(related_id)
        self.related[related_id] = (fields, parents | {parent})

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
        self.searcher = _mapped_searcher(self.ix)
        self.grouping.use_searcher(self.searcher)
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
            superseded=self.superseded,
            undated=self.undated,
            failures=tuple(self.failures),
            skipped=tuple(self.skipped),
            bulk=self.bulk,
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
        # Names are joined with commas, so a comma inside one ("Weber, Anna") would split it in two.
        f.AUTHOR: ",".join(name.replace(",", " ") for name in article.author),
        f.PUBLISHER: article.publisher,
        f.SOURCE: article.source_path,
        f.URL: article.url,
        f.RELATED_IDS: [item.id for item in article.related],
    }
    if article.item_id:
        doc.update(_item_fields(article))
    searchable = _searchable_text(doc)
    doc[f.EXACT] = searchable
    doc[f.PARTS] = searchable if counted_as_text else compound_terms(searchable)
    doc.update(_date_fields(article.published))
    return doc


def _item_fields(article: Article) -> dict:
    """An agency item's own fields; its list of versions seen so far is only this one."""
    fields = {
        f.ITEM_ID: article.item_id,
        f.VERSION: article.version,
        f.URGENCY: article.urgency,
        f.GENRE: article.genre,
        f.LOCATED: article.located,
        f.VERSIONS: with_version([], version_of(article)),
    }
    if article.first_created is not None:
        fields[f.FIRST_CREATED] = to_utc(article.first_created)
    return fields


def _searchable_text(doc: dict) -> str:
    """All searchable text of an article document, for the unstored ``exact`` and ``parts`` fields."""
    return "\n".join(filter(None, (doc.get(f.TITLE), doc.get(f.TOPICS), doc.get(f.LEAD), doc.get(f.SUBHEADINGS),
                                  doc.get(f.BODY), doc.get(f.CAPTIONS))))


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


def _mapped_searcher(ix):
    """A searcher over memory maps (indexer/mapped.py): Whoosh's own reader copies every segment
    into memory, 70 MB per reader of an index of 1,000 FANG articles, and with two of them a large
    batch into such an index went over 1 GB."""
    return MappedStorage(ix.storage.folder).open_index(ix.indexname).searcher()


def _unwritable_reason(err: Exception) -> str:
    if isinstance(err, UnicodeEncodeError):
        return f"enthält ein ungültiges Unicode-Zeichen (U+{ord(err.object[err.start]):04X}, ein einzelnes Surrogat)"
    return f"nicht indexierbar ({type(err).__name__}: {err})"


def _date_fields(published) -> dict:
    if published is None:
        return {}
    return {f.PUBLISHED: to_utc(published), f.DAY: berlin_day(published)}


def _is_under(source: str, root: Path) -> bool:
    return source == str(root) or source.startswith(str(root).rstrip("/") + "/")
