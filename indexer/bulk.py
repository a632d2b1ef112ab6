"""Building a fresh index fast: one pass over all documents, postings written straight to disk.

``BulkWriter`` spools the documents, has build processes (``indexer.builds``) write new segments
(``indexer.segment``) and commits them. With ``procs=2`` two build processes take chunks of the
spooled documents as they become free, so the parent's parsing and both processes' building
overlap (see ``BulkWriter``). Nothing is merged.
"""
from __future__ import annotations

import os
import pickle
from collections.abc import Iterable
from pathlib import Path

from whoosh import index
from whoosh.fields import ID
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from indexer.builds import build_segments, BuildProcesses, BuildJob
from indexer.errors import BulkWriteError
from indexer.mapped import MappedStorage

# Below this many documents per process a second process costs more than it saves.
MIN_DOCS_PER_PROC = 200
# A build process closes its segment at this many tokens (12 bytes each while held, ~70 more per
# token of the largest field while the segment is written), so two processes stay under 1 GB
# together on any corpus. At 4M the exact field's positions and stop words (ANALYZER_VERSION 7)
# took the FANG build's process tree to 1,045-1,054 MB (bench/bench_paths.py); 3M kept it below
# 1 GB until the lemma table (+33 MB a process) and the near-duplicate fields took it to
# 1,068-1,095 MB again (issue 17, 19); 2M: 907-972 MB. Larger segments save per-term work and query time.
MAX_SEGMENT_POSTINGS = 2_000_000
# Spooled documents handed to a build process at a time while the caller still reads: about
# 2,700 FANG articles (~15 KB each pickled), ~3.5M tokens, so a chunk is one segment. Smaller
# chunks start the processes sooner but leave more, smaller segments.
CHUNK_SPOOL_BYTES = 8 << 20


class BulkWriter:
    """A writer that builds new segments in up to ``procs`` processes, beside any the index has.

    Use it like Whoosh's writer: ``add_document``/``update_document(**fields)``,
    ``delete_by_term(unique_field, value)``, then ``commit()`` or ``cancel()``. Documents are
    pickled to a spool file beside the index as they come (memory stays flat). Once the spool
    holds ``chunk_bytes`` of documents, the build processes start, and each further chunk goes
    to whichever process is free while the caller goes on reading its files: parsing and
    building overlap, and the processes finish together. A process puts the chunks it gets into
    one segment until the segment is full (``max_postings``), so documents may be numbered in
    another order than they came. A small batch (one that never fills a chunk) is split at
    ``commit`` into ``procs`` contiguous parts and keeps its order. ``update_document`` replaces
    an earlier document with the same unique value even before the commit (Whoosh's own writer
    only sees committed ones): one not yet handed to a build process is left out, one already
    built is marked deleted in its segment. A document the index held before is marked deleted
    in its old segment, as Whoosh's writer does; old segments are kept as they are (no merge),
    and one left without a live document is dropped. Holds Whoosh's write lock from creation to
    commit or cancel.
    """

    def __init__(
        self,
        ix: index.Index,
        procs: int = 2,
        min_docs_per_proc: int = MIN_DOCS_PER_PROC,
        max_postings: int = MAX_SEGMENT_POSTINGS,
        chunk_bytes: int = CHUNK_SPOOL_BYTES,
    ):
        storage = ix.storage
        if not isinstance(storage, FileStorage):
            raise BulkWriteError(f"bulk writing needs an index in a directory, not {storage!r}")
        self.ix = ix
        self.procs = procs
        self.min_docs_per_proc = min_docs_per_proc
        self.max_postings = max_postings
        self.chunk_bytes = chunk_bytes
        self.folder = Path(storage.folder)
        self.is_closed = True
        self._lock = ix.lock("WRITELOCK")
        if not self._lock.acquire():
            raise BulkWriteError(f"Der Index unter {self.folder} wird gerade von einem anderen Writer geschrieben.")
        try:
            self._toc = ix._read_toc()
            self.schema = self._toc.schema
            # The index's own segments, to mark replaced documents deleted in (see delete_by_term),
            # read through memory maps: Whoosh's storage would copy each segment into memory.
            mapped = MappedStorage(str(self.folder))
            self._old = [(segment, SegmentReader(mapped, self.schema, segment)) for segment in self._toc.segments]
            self._unique = [name for name, field in self.schema.items() if field.unique]
            for name in self._unique:
                if not isinstance(self.schema[name], ID):
                    raise BulkWriteError(f"bulk writing keys documents on ID fields only, not {name!r}")
            self._spool_path = self.folder / f"bulk-{os.getpid()}-{os.urandom(4).hex()}.spool"
            self._spool = open(self._spool_path, "wb")
        except BaseException:
            self._lock.release()
            raise
        self._offsets: list[int] = []  # spool offset of each document
        self._deleted: set[int] = set()  # spool numbers of documents replaced or deleted
        self._by_key: dict[tuple[str, str], int] = {}  # (unique field, value) -> spool number
        self._processes: BuildProcesses | None = None  # started with the first chunk
        self._sent = 0  # spool numbers below this are with a build process
        self.is_closed = False

    def add_document(self, **fields) -> None:
        self._check_open()
        for name in fields:
            if name.startswith("_") or name not in self.schema:
                raise BulkWriteError(f"bulk writing takes schema fields only, not {name!r}")
        number = len(self._offsets)
        self._offsets.append(self._spool.tell())
        pickle.dump(fields, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
        for name in self._unique:
            if fields.get(name) is not None:
                self._by_key[(name, fields[name])] = number
        if self.procs > 1 and self._spool.tell() - self._offsets[self._sent] >= self.chunk_bytes:
            self._send(self._sent, number + 1)

    def update_document(self, **fields) -> None:
        self._check_open()
        for name in self._unique:
            if fields.get(name) is not None:
                self.delete_by_term(name, fields[name])
        self.add_document(**fields)

    def delete_by_term(self, fieldname: str, text: str, searcher=None) -> int:
        """Forget the documents with this unique value, added here or held by the index before;
        returns how many were dropped."""
        self._check_open()
        if fieldname not in self._unique:
            raise BulkWriteError(f"bulk writing deletes by unique field only, not by {fieldname!r}")
        dropped = 0
        for segment, reader in self._old:
            if (fieldname, text) in reader:
                for docnum in reader.postings(fieldname, text).all_ids():  # skips those deleted already
                    segment.delete_document(docnum)
                    dropped += 1
        number = self._by_key.pop((fieldname, text), None)
        if number is not None:
            self._deleted.add(number)
            dropped += 1
        return dropped

    def doc_count(self) -> int:
        return len(self._offsets) - len(self._deleted)

    def _send(self, start: int, stop: int) -> None:
        """Hand spool numbers ``start`` to ``stop`` to the next build process."""
        self._spool.flush()
        if self._processes is None:
            self._processes = BuildProcesses(self.procs)
        deleted = frozenset(n for n in self._deleted if start <= n < stop)
        self._processes.send(self._job(start, stop, deleted))
        self._sent = stop

    def _job(self, start: int, stop: int, deleted: frozenset[int]) -> BuildJob:
        return BuildJob(self.schema, str(self.folder), self.ix.indexname, str(self._spool_path), self._offsets[start],
                    start, stop, deleted, self.max_postings)

    def commit(self, **_ignored) -> None:
        """Build the segments and write the new table of contents; Whoosh's merge options do not apply."""
        self._check_open()
        try:
            self._spool.flush()
            count = len(self._offsets)
            if self._processes is None:
                live = [i for i in range(count) if i not in self._deleted]
                ranges = [(live[a], live[b - 1] + 1) for a, b in split_evenly(len(live), self.procs, self.min_docs_per_proc)]
                if len(ranges) > 1:
                    self._processes = BuildProcesses(len(ranges))
            else:  # what is left, split so that the processes finish together
                ranges = [(self._sent + a, self._sent + b) for a, b in split_evenly(count - self._sent, self.procs, 1)]
            if self._processes is None:
                built = build_segments(self._job(start, stop, frozenset(self._deleted)) for start, stop in ranges)
            else:
                for start, stop in ranges:
                    self._send(start, stop)
                built = self._processes.finish()
            # Old segments keep their deletions in the new table of contents; an empty one goes.
            segments = [segment for segment, _ in self._old if segment.doc_count()]
            for segment, numbers in built:
                for local, number in enumerate(numbers):
                    if number in self._deleted:  # replaced after its chunk went to a build process
                        segment.delete_document(local)
                segments.append(segment)
            generation = self._toc.generation + 1
            index.TOC(self.schema, segments, generation).write(self.ix.storage, self.ix.indexname)
            index.clean_files(self.ix.storage, self.ix.indexname, generation, segments)
        finally:
            self._close()

    def cancel(self) -> None:
        self._check_open()
        self._close()

    def _check_open(self) -> None:
        if self.is_closed:
            raise BulkWriteError("this bulk writer is closed")

    def _close(self) -> None:
        self.is_closed = True
        for _, reader in self._old:
            reader.close()
        if self._processes is not None:
            self._processes.kill()
        self._spool.close()
        self._spool_path.unlink(missing_ok=True)
        self._lock.release()


def write_documents(
    ix: index.Index,
    docs: Iterable[dict],
    procs: int = 2,
    min_docs_per_proc: int = MIN_DOCS_PER_PROC,
    max_postings: int = MAX_SEGMENT_POSTINGS,
    chunk_bytes: int = CHUNK_SPOOL_BYTES,
) -> None:
    """Write ``docs`` (field dicts, as for ``add_document``) into the empty index ``ix`` and commit.

    The documents get the numbers 0, 1, … in the order given, as if added with one writer and
    committed once; see ``BulkWriter``.
    """
    writer = BulkWriter(ix, procs=procs, min_docs_per_proc=min_docs_per_proc, max_postings=max_postings,
                        chunk_bytes=chunk_bytes)
    try:
        for doc in docs:
            writer.add_document(**doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def split_evenly(count: int, procs: int, min_per_proc: int = MIN_DOCS_PER_PROC) -> list[tuple[int, int]]:
    """``(start, stop)`` of each process's share: contiguous, in order, at most ``procs`` of them.

    >>> split_evenly(1001, 2)
    [(0, 501), (501, 1001)]
    """
    if count == 0:
        return []
    parts = max(1, min(procs, count // max(1, min_per_proc)))
    bounds = [count - count * k // parts for k in range(parts, -1, -1)]  # any larger share first
    return list(zip(bounds, bounds[1:]))

