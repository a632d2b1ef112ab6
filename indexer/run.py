"""One indexing run: the writer, what the index already holds, and what changed so far.

``indexer.write`` starts a run per call and feeds it files; the run decides per article whether it
is new, changed, superseded (an older agency version) or gone, keeps related items linked to the
articles that list them, and commits (every ``COMMIT_EVERY_SECONDS`` with Whoosh's writer, once
with the bulk writer).
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer import schema as f
from indexer.analysis import compound_terms
from indexer.bulk import BulkWriter
from indexer.documents import searchable_text, stored_to_fields, article_document, related_document, page_field
from indexer.duplicates import Grouping, restored_fields
from indexer.errors import ArticleParseError, NotArticlesError
from indexer.formats import located_articles
from indexer.ledger import Ledger, fingerprint, ledger_document, ledger_id, read_ledger
from indexer.mapped import MappedStorage
from indexer.model import ARTICLE, RELATED, Article, Failure, IndexReport
from indexer.routing import FileShare
from indexer.settings import BULK_PROCESSES, COMMIT_EVERY_SECONDS
from indexer.store import open_for_reading
from indexer.versions import Arrival, arrival, version_of, with_version

WRITER_LIMIT_MB = 256


@dataclass
class IndexRun:
    """One indexing run: the writer, what the index already holds, and what changed so far."""

    ix: object
    commit_every: float = COMMIT_EVERY_SECONDS
    skipped: list[Failure] = field(default_factory=list)
    accept: Callable[[Article], bool] | None = None  # a shard's share of the files' articles
    neighbours: tuple = ()  # the other time shards' index directories: near-duplicates across them
    # per neighbour, the publication times a document must have to be near its days (None: any;
    # indexer/boundaries.py, ``reach_of``): one out of reach is not looked up (``Grouping.reach``)
    reaches: tuple | None = None
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
        self.neighbour_searchers = [open_for_reading(path).searcher() for path in self.neighbours]
        # near-duplicate groups (indexer/duplicates.py), over the other time shards too
        self.grouping = Grouping(self.searcher, self.neighbour_searchers, self.reaches)

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
    def read_file(self, path: Path, fp: str, max_bytes: int, share: FileShare | None = None) -> None:
        """Read one changed file into the index. ``share``: a time shard's part of it, as routing
        found it (indexer/routing.py): only its lines, and the file's broken records as routing
        reported them; if the file changed since, it is read whole and filtered by ``accept``."""
        def partial_failure(where: str, reason: str) -> None:
            self.failures.append(Failure(where, reason))

        # Streamed: a 28,000-article JSON Lines archive is never held in memory whole. A file
        # that fails does so before its first article (later problems go to partial_failure).
        try:
            if share is not None and share.fingerprint == fp:
                articles = () if share.lines == () else located_articles(path, _ignored, max_bytes, share.lines)
                known = share.failures
            else:
                articles, known = located_articles(path, partial_failure, max_bytes), ()
            if self.accept is not None:
                articles = ((where, article) for where, article in articles if self.accept(article))
            self.replace_source(str(path), fp, articles, known)
        except NotArticlesError as err:
            self.skipped.append(Failure(err.path, err.reason))
        except ArticleParseError as err:
            self.failures.append(Failure(err.path, err.reason))

    def replace_source(self, source: str, fp: str, articles: Iterable[tuple[str, Article]],
                       known: Iterable[Failure] = ()) -> None:
        """Make the index hold exactly ``articles`` (each with where it came from) for ``source``;
        ``known``: its records that failed before reaching here (a shard's routing found them)."""
        old = self.ledger.get(source)
        old_ids = set(old.doc_ids) if old is not None else set()
        new_ids: dict[str, None] = {}  # in order, each once
        first_failure = len(self.failures)
        self.failures += known
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
        return whole_document(stored, self.bulk) if whole else {k: v for k, v in stored.items() if v not in (None, "")}

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
        return stored_to_fields(stored), parents

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
        self._close_searchers()

    def _close_searchers(self) -> None:
        for searcher in (self.searcher, *self.neighbour_searchers):
            searcher.close()

    def cancel(self) -> None:
        """Give up the uncommitted work. Runs while another error propagates (a full disk, say):
        a second error from cleaning up must not replace that one."""
        with contextlib.suppress(Exception):
            if not self.writer.is_closed:  # a commit that failed half-way has closed it already
                self.writer.cancel()
        with contextlib.suppress(Exception):
            self._close_searchers()

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


def whole_document(stored: dict, bulk: bool = False) -> dict:
    """A stored document's fields with the unstored ones analysed again from the stored text:
    enough to write it back (an agency item's older version arriving late; a group changed after
    a full build on Ray, indexer/boundaries.py). The bulk writer splits compounds itself."""
    fields = {k: v for k, v in stored.items() if v not in (None, "")}
    text = searchable_text(fields)
    fields[f.EXACT] = text
    fields[f.PARTS] = text if bulk else compound_terms(text)
    fields.update(restored_fields(fields))
    fields.update(page_field(fields.get(f.URL)))
    return fields


def _ignored(where: str, reason: str) -> None:
    """A shard reading its lines meets no broken record that routing did not report already."""


def _mapped_searcher(ix):
    """A searcher over memory maps (indexer/mapped.py): Whoosh's own reader copies every segment
    into memory, 70 MB per reader of an index of 1,000 FANG articles, and with two of them a large
    batch into such an index went over 1 GB."""
    return MappedStorage(ix.storage.folder).open_index(ix.indexname).searcher()


def _unwritable_reason(err: Exception) -> str:
    if isinstance(err, UnicodeEncodeError):
        return f"enthält ein ungültiges Unicode-Zeichen (U+{ord(err.object[err.start]):04X}, ein einzelnes Surrogat)"
    return f"nicht indexierbar ({type(err).__name__}: {err})"
